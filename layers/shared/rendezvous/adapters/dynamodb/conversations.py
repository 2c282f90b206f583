"""Every text both ways with a number: the recipient's record of inbound texts and our
answers (TXT#, in the recipient's partition), the appointments whose automated texts join
them (found through `by_recipient`), and the number's waitlist offer texts (listed in
`by_recipient` under T#<tenant>#R#<rkey>#OT, table.offer_thread_keys). The Conversations
port.

  T#<tenant>#R#<rkey>   TXT#<at>#<sid>#<n>   a text of the inbound text `sid` (n = 0: the
                                             customer's; 1...: our answers)
  T#<tenant>#R#<rkey>   SID#<sid>            the guard that keeps one inbound text once
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from rendezvous.adapters.dynamodb.table import (
    TableRepository,
    batch_get,
    deserialize,
    iso,
    plain,
    query_all,
    recipient_item_key,
    serialize,
    transact_if,
    values_of,
)
from rendezvous.domain.models import (
    Appointment,
    ConversationMessage,
    MessageRecord,
    OfferText,
)
from rendezvous.domain.ports import AppointmentHistory


class DynamoConversations(TableRepository):
    def record_texts(
        self,
        tenant_id: str,
        recipient_key: str,
        sid: str,
        texts: Sequence[ConversationMessage],
        retention_days: int,
    ) -> bool:
        pk = recipient_item_key(tenant_id, recipient_key)["pk"]
        expires = int((texts[0].at + timedelta(days=retention_days)).timestamp())
        guard = {"pk": pk, "sk": f"SID#{sid}", "expires_at": expires}
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(guard),
                    # Twilio retries a webhook it did not hear back from: one text, once.
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        writes.extend(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(
                        {
                            "pk": pk,
                            "sk": f"TXT#{iso(text.at)}#{sid}#{n}",
                            "expires_at": expires,
                            **plain(text),
                        }
                    ),
                }
            }
            for n, text in enumerate(texts)
        )
        return transact_if(self._db, writes)

    def texts(self, tenant_id: str, recipient_key: str, limit: int) -> list[ConversationMessage]:
        page = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :txt)",
            ExpressionAttributeValues=values_of(
                {":pk": recipient_item_key(tenant_id, recipient_key)["pk"], ":txt": "TXT#"}
            ),
            ScanIndexForward=False,
            Limit=limit,
        )
        found = [ConversationMessage.model_validate(deserialize(i)) for i in page["Items"]]
        return found[::-1]

    def recipient_appointments(
        self, tenant_id: str, recipient_key: str, now: datetime, each: int
    ) -> list[AppointmentHistory]:
        listing = f"T#{tenant_id}#R#{recipient_key}"
        ids: list[str] = []
        for condition, forward in (("gsi1sk > :now", True), ("gsi1sk <= :now", False)):
            page = self._db.query(
                TableName=self._table,
                IndexName="by_recipient",
                KeyConditionExpression=f"gsi1pk = :r AND {condition}",
                ExpressionAttributeValues=values_of({":r": listing, ":now": iso(now)}),
                ScanIndexForward=forward,
                Limit=each,
            )
            ids.extend(deserialize(i)["pk"] for i in page.get("Items", []))
        return [history for pk in ids if (history := self._history(pk)) is not None]

    def offer_texts(self, tenant_id: str, recipient_key: str, limit: int) -> list[OfferText]:
        page = self._db.query(
            TableName=self._table,
            IndexName="by_recipient",
            KeyConditionExpression="gsi1pk = :r",
            ExpressionAttributeValues=values_of({":r": f"T#{tenant_id}#R#{recipient_key}#OT"}),
            ScanIndexForward=False,
            Limit=limit,
        )
        # Oldest first, as listed (BatchGetItem answers in no order).
        keys = [(k["pk"], k["sk"]) for k in map(deserialize, reversed(page.get("Items", [])))]
        if not keys:
            return []
        found = {
            (i["pk"], i["sk"]): i
            for i in batch_get(self._db, self._table, [{"pk": p, "sk": s} for p, s in keys])
        }
        return [OfferText.model_validate(found[k]) for k in keys if k in found]

    def _history(self, pk: str) -> AppointmentHistory | None:
        # One Query reads the appointment with its automated texts (one partition).
        items = query_all(
            self._db,
            self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values_of({":pk": pk}),
        )
        appointment = next((i for i in items if i["sk"] == "A"), None)
        if appointment is None:
            return None
        messages = [MessageRecord.model_validate(i) for i in items if i["sk"].startswith("M#")]
        return AppointmentHistory(Appointment.model_validate(appointment), messages)
