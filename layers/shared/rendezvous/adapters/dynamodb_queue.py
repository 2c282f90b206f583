"""The human queue on the data table.

Keys (pk / sk):
  T#<tenant>#Q#<item>   ITEM               the queue item (sparse index by_queue)
  T#<tenant>#Q#<item>   MSG#<at>#<n>       one text in its conversation

The `by_queue` index holds only queue items (qpk = T#<tenant>#QS#<status>, qsk = created
time and id), so listing a tenant's open items oldest first is one Query on a sparse index.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb_store import (
    _condition_failed,
    _iso,
    _plain,
    _values,
    deserialize,
    recipient_item_key,
    serialize,
    transact,
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
        transact(
            self._db,
            [
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
            ],
            "the conversation changed meanwhile",
        )

    def append(
        self,
        item: QueueItem,
        message: ConversationMessage,
        *,
        retention_days: int,
        held_by: str | None = None,
    ) -> bool:
        """Add a text to a conversation that is not resolved; False if it was resolved (or,
        with `held_by`, if that staff member no longer holds the claim).

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
        condition = "attribute_exists(pk) AND #s <> :resolved"
        if held_by is not None:
            condition += " AND #s = :claimed AND claimed_by = :me"
            values[":claimed"] = QueueStatus.CLAIMED.value
            values[":me"] = held_by
        try:
            transact(
                self._db,
                [
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": serialize(queue_key(item.tenant_id, item.item_id)),
                            "UpdateExpression": sets,
                            "ConditionExpression": condition,
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
                ],
                "the conversation was resolved",
            )
        except ConcurrentModification:
            return False
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

    # -- staff --------------------------------------------------------------------------

    def page(
        self, tenant_id: str, status: QueueStatus, limit: int, cursor: Item | None
    ) -> tuple[list[QueueItem], Item | None, float]:
        """A page of the tenant's items in one status, oldest first, with the read units the
        page cost (DynamoDB's own count)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": QUEUE_INDEX,
            "KeyConditionExpression": "qpk = :q",
            "ExpressionAttributeValues": _values({":q": f"T#{tenant_id}#QS#{status.value}"}),
            "ScanIndexForward": True,
            "Limit": limit,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = serialize(cursor)
        page = self._db.query(**kwargs)
        items = [QueueItem.model_validate(deserialize(i)) for i in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        units = float(page.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))
        return items, deserialize(last) if last else None, units

    def _transition(
        self,
        item_key: Item,
        sets: list[str],
        removes: list[str],
        condition: str,
        values: dict[str, Any],
        expected_version: int | None = None,
    ) -> QueueItem | None:
        expression = "SET " + ", ".join([*sets, "#v = #v + :one"])
        if expected_version is not None:
            # The caller acts on what it saw: a change since then refuses the write.
            # (Every condition here is an AND chain or one parenthesised OR; DynamoDB
            # refuses redundant parentheses.)
            condition = f"{condition} AND #v = :expected"
            values = {**values, ":expected": expected_version}
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        try:
            got = self._db.update_item(
                TableName=self._table,
                Key=serialize(item_key),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk) AND " + condition,
                ExpressionAttributeNames={"#s": "status", "#v": "version"},
                ExpressionAttributeValues=_values({**values, ":one": 1}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return None
            raise
        return QueueItem.model_validate(deserialize(got["Attributes"]))

    def claim(
        self,
        tenant_id: str,
        item_id: str,
        staff: str,
        now: datetime,
        lease_until: datetime,
        expected_version: int | None = None,
    ) -> QueueItem | None:
        """One conditional write: open, or claimed with a lapsed lease, or already mine."""
        return self._transition(
            queue_key(tenant_id, item_id),
            [
                "#s = :claimed",
                "claimed_by = :me",
                "lease_expires_at = :until",
                "updated_at = :now",
                "qpk = :qpk",
                "first_claimed_at = if_not_exists(first_claimed_at, :now)",
            ],
            [],
            "(#s = :open OR (#s = :claimed AND (lease_expires_at < :now OR claimed_by = :me)))",
            {
                ":claimed": QueueStatus.CLAIMED.value,
                ":open": QueueStatus.OPEN.value,
                ":me": staff,
                ":until": _iso(lease_until),
                ":now": _iso(now),
                ":qpk": f"T#{tenant_id}#QS#{QueueStatus.CLAIMED.value}",
            },
            expected_version,
        )

    def release(
        self,
        tenant_id: str,
        item_id: str,
        staff: str,
        now: datetime,
        expected_version: int | None = None,
    ) -> QueueItem | None:
        return self._transition(
            queue_key(tenant_id, item_id),
            ["#s = :open", "updated_at = :now", "qpk = :qpk"],
            ["claimed_by", "lease_expires_at"],
            "#s = :claimed AND claimed_by = :me AND lease_expires_at >= :now",
            {
                ":open": QueueStatus.OPEN.value,
                ":claimed": QueueStatus.CLAIMED.value,
                ":me": staff,
                ":now": _iso(now),
                ":qpk": f"T#{tenant_id}#QS#{QueueStatus.OPEN.value}",
            },
            expected_version,
        )

    def resolve(
        self,
        tenant_id: str,
        item_id: str,
        staff: str,
        now: datetime,
        expected_version: int | None = None,
    ) -> QueueItem | None:
        item = self._transition(
            queue_key(tenant_id, item_id),
            [
                "#s = :resolved",
                "resolved_at = :now",
                "resolved_by = :me",
                "updated_at = :now",
                "qpk = :qpk",
            ],
            ["lease_expires_at"],
            "#s = :claimed AND claimed_by = :me AND lease_expires_at >= :now",
            {
                ":resolved": QueueStatus.RESOLVED.value,
                ":claimed": QueueStatus.CLAIMED.value,
                ":me": staff,
                ":now": _iso(now),
                ":qpk": f"T#{tenant_id}#QS#{QueueStatus.RESOLVED.value}",
            },
            expected_version,
        )
        if item is not None:
            # The customer's next text starts a new conversation. Only if this was theirs.
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key=serialize(recipient_item_key(tenant_id, item.recipient_key)),
                    UpdateExpression="REMOVE open_item_id SET rev = rev + :one",
                    ConditionExpression="open_item_id = :item",
                    ExpressionAttributeValues=_values({":item": item_id, ":one": 1}),
                )
            except ClientError as exc:
                if not _condition_failed(exc):
                    raise
        return item
