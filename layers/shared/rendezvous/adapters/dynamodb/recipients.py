"""Recipients: opt-out, deliverability, the daily cap's count, send claims and the open
conversation. This repository is the one writer of a recipient's row; the queue puts its
`open_item_write` into its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb.activity import log_entry_put
from rendezvous.adapters.dynamodb.events import event_puts
from rendezvous.adapters.dynamodb.table import (
    Item,
    TableRepository,
    condition_failed,
    iso,
    plain,
    recipient_item_key,
    serialize,
    transact_if,
    values_of,
)
from rendezvous.domain.activity import ActivityEntry
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import WebhookEvent, opted_by
from rendezvous.domain.models import QueueItem, Recipient, RescheduleOptions
from rendezvous.domain.ports import RecipientClaim
from rendezvous.phone import recipient_key


class DynamoRecipients(TableRepository):
    def get_recipient(self, tenant_id: str, phone: str) -> Recipient | None:
        item = self._get(recipient_item_key(tenant_id, recipient_key(tenant_id, phone)))
        return Recipient.model_validate(item) if item else None

    def claim_message(self, recipient: Recipient, claim: RecipientClaim) -> None:
        rkey = recipient_item_key(recipient.tenant_id, recipient.recipient_key)
        if claim.expected_rev == 0:
            condition = "attribute_not_exists(pk)"
            expected: dict[str, Any] = {}
        else:
            condition = "rev = :expected"
            expected = {":expected": claim.expected_rev}
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(rkey),
                UpdateExpression="SET tenant_id = :t, recipient_key = :rk, phone = :phone, "
                "cap_day = :day, cap_count = :count, first_contact_at = :first, "
                "claims = :claims, rev = :next_rev",
                ConditionExpression=condition,
                ExpressionAttributeValues=values_of(
                    {
                        ":t": recipient.tenant_id,
                        ":rk": recipient.recipient_key,
                        ":phone": recipient.phone,
                        ":day": claim.cap_day,
                        ":count": claim.cap_count,
                        ":first": iso(claim.first_contact_at),
                        ":claims": claim.claims,
                        ":next_rev": claim.expected_rev + 1,
                        **expected,
                    }
                ),
            )
        except ClientError as exc:
            if condition_failed(exc):
                raise ConcurrentModification("recipient changed since it was read") from exc
            raise

    def set_reschedule_options(
        self, tenant_id: str, phone: str, options: RescheduleOptions | None
    ) -> None:
        rkey = recipient_key(tenant_id, phone)
        common = {":t": tenant_id, ":rk": rkey, ":phone": phone, ":zero": 0, ":one": 1}
        sets = "SET tenant_id = :t, recipient_key = :rk, phone = :phone, "
        sets += "rev = if_not_exists(rev, :zero) + :one"
        if options is None:
            expression, values = f"{sets} REMOVE reschedule_options", common
        else:
            expression = f"{sets}, reschedule_options = :options"
            values = {**common, ":options": plain(options)}
        self._db.update_item(
            TableName=self._table,
            Key=serialize(recipient_item_key(tenant_id, rkey)),
            UpdateExpression=expression,
            ExpressionAttributeValues=values_of(values),
        )

    def release_claim(self, recipient: Recipient, key: str, *, counted: bool) -> None:
        give_back = "cap_count = cap_count - :one, " if counted else ""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(recipient_item_key(recipient.tenant_id, recipient.recipient_key)),
                UpdateExpression=f"REMOVE claims.#k SET {give_back}rev = rev + :one",
                ConditionExpression="attribute_exists(claims.#k)",
                ExpressionAttributeNames={"#k": key},
                ExpressionAttributeValues=values_of({":one": 1}),
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise

    def mark_recipient(
        self,
        tenant_id: str,
        phone: str,
        *,
        now: datetime,
        opted_out: bool | None = None,
        undeliverable_code: int | None = None,
        event: WebhookEvent | None = None,
        audit: ActivityEntry | None = None,
    ) -> bool:
        """Set what is given. With an `event` (the opt-out or opt-in it reports), only if
        the wish changes, in one transaction with it and `audit`: False when it was
        already so. The event says whose act it was, and so what the carrier blocks."""
        rkey = recipient_key(tenant_id, phone)
        values: dict[str, Any] = {
            ":t": tenant_id,
            ":rk": rkey,
            ":phone": phone,
            ":zero": 0,
            ":one": 1,
        }
        sets = [
            "tenant_id = :t",
            "recipient_key = :rk",
            "phone = :phone",
            "rev = if_not_exists(rev, :zero) + :one",
        ]
        if opted_out is not None:
            sets.append("opted_out = :opted_out")
            values[":opted_out"] = opted_out
            if opted_out:
                sets.append("opted_out_at = :now")
                values[":now"] = iso(now)
        if undeliverable_code is not None:
            sets.append("undeliverable_code = :code")
            values[":code"] = undeliverable_code
        if event is not None and opted_out is not None:
            by = opted_by(event)
            sets.append("opted_out_by = :by")
            values[":by"] = by
            if by == "customer":
                # Only the customer's own START lifts the carrier's block of their STOP.
                sets.append("carrier_block = :block")
                values[":block"] = opted_out
        update: Item = {
            "TableName": self._table,
            "Key": serialize(recipient_item_key(tenant_id, rkey)),
            "UpdateExpression": "SET " + ", ".join(sets),
        }
        if event is None or opted_out is None:
            self._db.update_item(**update, ExpressionAttributeValues=values_of(values))
            return True
        if opted_out:
            update["ConditionExpression"] = "attribute_not_exists(opted_out) OR opted_out = :in"
            values[":in"] = False
        else:
            update["ConditionExpression"] = "opted_out = :out"
            values[":out"] = True
        update["ExpressionAttributeValues"] = values_of(values)
        logged = [{"Put": log_entry_put(self._table, tenant_id, audit)}] if audit else []
        if transact_if(self._db, [{"Update": update}, *event_puts(self._table, [event]), *logged]):
            return True
        if opted_by(event) == "customer":
            # Already so (staff recorded it first): no event, but the carrier's block
            # follows the customer's own word all the same.
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key=update["Key"],
                    UpdateExpression="SET carrier_block = :block, rev = rev + :one",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues=values_of({":block": opted_out, ":one": 1}),
                )
            except ClientError as exc:  # no row: a START from a number never blocked
                if not condition_failed(exc):
                    raise
        return False

    def open_item_write(self, item: QueueItem, recipient_rev: int) -> Item:
        """The transaction entry that makes `item` the recipient's open conversation, if the
        recipient is unchanged since it was read (`recipient_rev`, 0: no row yet)."""
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
        return {
            "Update": {
                "TableName": self._table,
                "Key": serialize(rkey),
                "UpdateExpression": "SET open_item_id = :item, tenant_id = :t, "
                "recipient_key = :rk, phone = :phone, "
                "rev = if_not_exists(rev, :zero) + :one",
                "ConditionExpression": recipient_condition,
                "ExpressionAttributeValues": values_of(values),
            }
        }

    def close_item(self, item: QueueItem) -> None:
        """The customer's next text starts a new conversation: only if `item` was theirs."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(recipient_item_key(item.tenant_id, item.recipient_key)),
                UpdateExpression="REMOVE open_item_id SET last_item_id = :item, rev = rev + :one",
                ConditionExpression="open_item_id = :item",
                ExpressionAttributeValues=values_of({":item": item.item_id, ":one": 1}),
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise
