"""The human queue on the data table.

Keys (pk / sk):
  T#<tenant>#Q#<item>   ITEM               the queue item (sparse index by_queue)
  T#<tenant>#Q#<item>   MSG#<at>#<n>       one text in its conversation

The `by_queue` index holds only queue items (qpk = T#<tenant>#QS#<status>, qsk = created
time and id), so listing a tenant's open items oldest first is one Query on a sparse index.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb_store import (
    _cancellation_codes,
    _condition_failed,
    _iso,
    _plain,
    _values,
    deserialize,
    recipient_item_key,
    serialize,
)
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.models import ConversationMessage, QueueItem, QueueStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Item = dict[str, Any]
QUEUE_INDEX = "by_queue"


def queue_key(tenant_id: str, item_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#Q#{item_id}", "sk": "ITEM"}


def _message_sk(message: ConversationMessage) -> str:
    return f"MSG#{_iso(message.at)}#{message.sid or message.author}"


class DynamoQueueStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def _item(self, item: QueueItem, retention_days: int) -> Item:
        return {
            **queue_key(item.tenant_id, item.item_id),
            "qpk": f"T#{item.tenant_id}#QS#{item.status.value}",
            "qsk": f"{_iso(item.created_at)}#{item.item_id}",
            "expires_at": int((item.last_message_at + timedelta(days=retention_days)).timestamp()),
            **_plain(item),
        }

    def _message(self, tenant_id: str, message: ConversationMessage, retention_days: int) -> Item:
        return {
            "pk": queue_key(tenant_id, message.item_id)["pk"],
            "sk": _message_sk(message),
            "expires_at": int((message.at + timedelta(days=retention_days)).timestamp()),
            **_plain(message),
        }

    def get(self, tenant_id: str, item_id: str) -> QueueItem | None:
        raw = self._db.get_item(
            TableName=self._table, Key=serialize(queue_key(tenant_id, item_id)), ConsistentRead=True
        )
        return QueueItem.model_validate(deserialize(raw["Item"])) if "Item" in raw else None

    def open_conversation(
        self,
        item: QueueItem,
        thread: list[ConversationMessage],
        *,
        recipient_rev: int,
        retention_days: int,
    ) -> None:
        """Create a conversation and make it the recipient's open one, atomically.

        Raises ConcurrentModification if the recipient changed since it was read (another
        text opened a conversation first).
        """
        rkey = recipient_item_key(item.tenant_id, item.recipient_key)
        recipient_condition = "attribute_not_exists(pk)" if recipient_rev == 0 else "rev = :rev"
        values: dict[str, Any] = {
            ":item": item.item_id,
            ":one": 1,
            ":zero": 0,
            ":t": item.tenant_id,
            ":rk": item.recipient_key,
            ":phone": item.phone,
        }
        if recipient_rev:
            values[":rev"] = recipient_rev
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(self._item(item, retention_days)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        writes.extend(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(self._message(item.tenant_id, message, retention_days)),
                }
            }
            for message in thread
        )
        try:
            self._db.transact_write_items(
                TransactItems=[
                    *writes,
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": serialize(rkey),
                            "UpdateExpression": "SET open_item_id = :item, tenant_id = :t, "
                            "recipient_key = :rk, phone = :phone, "
                            "rev = if_not_exists(rev, :zero) + :one",
                            "ConditionExpression": recipient_condition,
                            "ExpressionAttributeValues": _values(values),
                        }
                    },
                ]
            )
        except ClientError as exc:
            if "ConditionalCheckFailed" in _cancellation_codes(exc):
                raise ConcurrentModification("the conversation changed meanwhile") from exc
            raise

    def append(self, item: QueueItem, message: ConversationMessage, *, retention_days: int) -> bool:
        """Add a text to a conversation that is not resolved; False if it was resolved.

        A customer's text counts and becomes the preview; our answers only join the thread.
        """
        expires = int((message.at + timedelta(days=retention_days)).timestamp())
        sets = "SET updated_at = :at, expires_at = :exp, #v = #v + :one"
        values: dict[str, Any] = {
            ":at": _iso(message.at),
            ":exp": expires,
            ":one": 1,
            ":resolved": QueueStatus.RESOLVED.value,
        }
        if message.direction == "inbound":
            sets += ", last_message_at = :at, preview = :preview, "
            sets += "message_count = message_count + :one"
            values[":preview"] = message.body[:160]
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": serialize(queue_key(item.tenant_id, item.item_id)),
                            "UpdateExpression": sets,
                            "ConditionExpression": "attribute_exists(pk) AND #s <> :resolved",
                            "ExpressionAttributeNames": {"#s": "status", "#v": "version"},
                            "ExpressionAttributeValues": _values(values),
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": serialize(
                                self._message(item.tenant_id, message, retention_days)
                            ),
                        }
                    },
                ]
            )
        except ClientError as exc:
            if "ConditionalCheckFailed" in _cancellation_codes(exc):
                return False
            raise
        return True

    def put_item(self, item: QueueItem, retention_days: int) -> None:
        """A standalone to-do (a freed slot); the same item twice is written once."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=serialize(self._item(item, retention_days)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if not _condition_failed(exc):
                raise

    def messages(self, tenant_id: str, item_id: str) -> list[ConversationMessage]:
        page = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :msg)",
            ExpressionAttributeValues=_values(
                {":pk": queue_key(tenant_id, item_id)["pk"], ":msg": "MSG#"}
            ),
            ConsistentRead=True,
        )
        return [ConversationMessage.model_validate(deserialize(i)) for i in page["Items"]]
