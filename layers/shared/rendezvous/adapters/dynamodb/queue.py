"""The staff queue on the data table: the ConversationQueue port. Key layout in table.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb.events import event_puts
from rendezvous.adapters.dynamodb.recipients import DynamoRecipients
from rendezvous.adapters.dynamodb.table import (
    QUEUE_INDEX,
    Item,
    TableRepository,
    condition_failed,
    deserialize,
    iso,
    plain,
    queue_key,
    serialize,
    transact,
    transact_if,
    values_of,
)
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import WebhookEvent
from rendezvous.domain.models import ConversationMessage, QueueFlag, QueueItem, QueueStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def _message_sk(message: ConversationMessage) -> str:
    return f"MSG#{iso(message.at)}#{message.sid or message.author}"


class DynamoConversationQueue(TableRepository):
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        super().__init__(client, table_name)
        self._recipients = DynamoRecipients(client, table_name)

    def _item(self, item: QueueItem, retention_days: int) -> Item:
        return {
            **queue_key(item.tenant_id, item.item_id),
            "qpk": f"T#{item.tenant_id}#QS#{item.status.value}",
            # Most urgent first (CONTRACT.md): the index orders by when the answer is due.
            "qsk": f"{iso(item.due_by)}#{item.item_id}",
            "expires_at": int((item.last_message_at + timedelta(days=retention_days)).timestamp()),
            **plain(item),
        }

    def _message(self, tenant_id: str, message: ConversationMessage, retention_days: int) -> Item:
        return {
            "pk": queue_key(tenant_id, message.item_id)["pk"],
            "sk": _message_sk(message),
            "expires_at": int((message.at + timedelta(days=retention_days)).timestamp()),
            **plain(message),
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
        events: Sequence[WebhookEvent] = (),
    ) -> None:
        """Create a conversation and make it the recipient's open one, atomically.

        Raises ConcurrentModification if the recipient changed since it was read (another
        text opened a conversation first).
        """
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
                self._recipients.open_item_write(item, recipient_rev),
                *event_puts(self._table, events),
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
        events: Sequence[WebhookEvent] = (),
        flags: Sequence[QueueFlag] = (),
        to_resolved: bool = False,
    ) -> bool:
        """Add a text to a conversation that is not resolved; False if it was resolved (or,
        with `held_by`, if that staff member no longer holds the claim). `flags` are added
        to the item's; `to_resolved` files a text in a resolved one without reopening it.

        A customer's text counts and becomes the preview; our answers only join the thread.
        """
        expires = int((message.at + timedelta(days=retention_days)).timestamp())
        sets = "SET updated_at = :at, expires_at = :exp, #v = #v + :one"
        values: dict[str, Any] = {
            ":at": iso(message.at),
            ":exp": expires,
            ":one": 1,
            ":resolved": QueueStatus.RESOLVED.value,
        }
        if message.direction == "inbound":
            sets += ", last_message_at = :at, preview = :preview, "
            sets += "message_count = message_count + :one"
            values[":preview"] = message.body[:160]
        if flags:
            sets += ", flags = :flags"
            values[":flags"] = sorted({*item.flags, *flags})
        condition = "attribute_exists(pk) AND #s " + ("=" if to_resolved else "<>") + " :resolved"
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
                            "ExpressionAttributeValues": values_of(values),
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
                    *event_puts(self._table, events),
                ],
                "the conversation was resolved",
            )
        except ConcurrentModification:
            return False
        return True

    def put_item(
        self, item: QueueItem, retention_days: int, event: WebhookEvent | None = None
    ) -> None:
        """A standalone to-do (a freed slot), with the event that reports it; the same item
        twice is written once."""
        transact_if(
            self._db,
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": serialize(self._item(item, retention_days)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                *event_puts(self._table, [event] if event else []),
            ],
        )

    def messages(self, tenant_id: str, item_id: str) -> list[ConversationMessage]:
        page = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :msg)",
            ExpressionAttributeValues=values_of(
                {":pk": queue_key(tenant_id, item_id)["pk"], ":msg": "MSG#"}
            ),
            ConsistentRead=True,
        )
        return [ConversationMessage.model_validate(deserialize(i)) for i in page["Items"]]

    # -- staff --------------------------------------------------------------------------

    def page(
        self, tenant_id: str, status: QueueStatus, limit: int, cursor: Item | None
    ) -> tuple[list[QueueItem], Item | None, float]:
        """A page of the tenant's items in one status, soonest due first, with the read units
        the page cost (DynamoDB's own count)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": QUEUE_INDEX,
            "KeyConditionExpression": "qpk = :q",
            "ExpressionAttributeValues": values_of({":q": f"T#{tenant_id}#QS#{status.value}"}),
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

    def count(self, tenant_id: str, status: QueueStatus) -> int:
        """How many of the tenant's items are in `status`: keys only, page after page."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": QUEUE_INDEX,
            "KeyConditionExpression": "qpk = :q",
            "ExpressionAttributeValues": values_of({":q": f"T#{tenant_id}#QS#{status.value}"}),
            "Select": "COUNT",
        }
        total = 0
        while True:
            page = self._db.query(**kwargs)
            total += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

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
                ExpressionAttributeValues=values_of({**values, ":one": 1}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if condition_failed(exc):
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
                ":until": iso(lease_until),
                ":now": iso(now),
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
                ":now": iso(now),
                ":qpk": f"T#{tenant_id}#QS#{QueueStatus.OPEN.value}",
            },
            expected_version,
        )

    def resolve(
        self,
        item: QueueItem,
        staff: str,
        now: datetime,
        event: WebhookEvent,
        *,
        preview: str | None = None,
    ) -> QueueItem | None:
        """Resolve `item` as read (its version), with its event in the same transaction,
        saying `preview` from then on when given; None when it changed or `staff` no longer
        holds a live claim."""
        resolved = item.model_copy(
            update={
                "status": QueueStatus.RESOLVED,
                "resolved_at": now,
                "resolved_by": staff,
                "updated_at": now,
                "lease_expires_at": None,
                "version": item.version + 1,
                "preview": item.preview if preview is None else preview,
            }
        )
        # The preview is written always: as read it is the stored one (the version
        # condition), so only a given `preview` changes it.
        update = {
            "TableName": self._table,
            "Key": serialize(queue_key(item.tenant_id, item.item_id)),
            "UpdateExpression": "SET #s = :resolved, resolved_at = :now, resolved_by = :me, "
            "updated_at = :now, qpk = :qpk, #v = :next, preview = :preview "
            "REMOVE lease_expires_at",
            "ConditionExpression": "attribute_exists(pk) AND #s = :claimed AND claimed_by = :me "
            "AND lease_expires_at >= :now AND #v = :expected",
            "ExpressionAttributeNames": {"#s": "status", "#v": "version"},
            "ExpressionAttributeValues": values_of(
                {
                    ":resolved": QueueStatus.RESOLVED.value,
                    ":claimed": QueueStatus.CLAIMED.value,
                    ":me": staff,
                    ":now": iso(now),
                    ":qpk": f"T#{item.tenant_id}#QS#{QueueStatus.RESOLVED.value}",
                    ":expected": item.version,
                    ":next": item.version + 1,
                    ":preview": resolved.preview,
                }
            ),
        }
        if not transact_if(self._db, [{"Update": update}, *event_puts(self._table, [event])]):
            return None
        self._recipients.close_item(resolved)
        return resolved
