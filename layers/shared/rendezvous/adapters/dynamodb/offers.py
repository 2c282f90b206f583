"""Offers made, taken and closed, and their texts: the OfferBook port. An offer's text
lives with its opening and offer (table.py), so the opening's one Query reads them all.

Each write that moves more than one item is one transaction: an offer, its text, its
entry and the number's open offer never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb.appointments import DynamoAppointments
from rendezvous.adapters.dynamodb.events import event_puts
from rendezvous.adapters.dynamodb.table import (
    Item,
    TableRepository,
    batch_get,
    condition_failed,
    iso,
    offer_key,
    offer_text_key,
    offer_thread_keys,
    offer_time_keys,
    opening_key,
    plain,
    recipient_item_key,
    serialize,
    stamp,
    tenant_key,
    transact_if,
    values_of,
    waitlist_key,
)
from rendezvous.adapters.dynamodb.vacancy import (
    entry_item,
    forgotten_at,
    offer_item,
    opening_fill,
    opening_partition,
)
from rendezvous.domain.events import WebhookEvent
from rendezvous.domain.models import (
    DELIVERY_RANK,
    RETRIES_EXHAUSTED,
    Appointment,
    MessageKind,
    MessageRecord,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    Recipient,
    Tenant,
    WaitlistOffer,
)
from rendezvous.domain.ports import OfferSendContext, OpeningTexts
from rendezvous.domain.vacancy import (
    REOPENING_STATUSES,
    Offer,
    OfferStatus,
    Opening,
    WaitlistEntry,
    WaitlistStatus,
    message_rank,
)
from rendezvous.phone import recipient_key

# An offer told "just taken" was open, or closed unanswered; a lose that raced a release of
# the same offer is tried again this many times in all.
_LOSABLE = frozenset({OfferStatus.SENT, OfferStatus.EXPIRED})
_LOSE_ATTEMPTS = 3


def _text_key(text: OfferText) -> Item:
    return offer_text_key(text.tenant_id, text.opening_id, text.entry_id, text.kind)


def _text_item(text: OfferText) -> Item:
    """An offer's text as stored: with its opening, in `by_time` as an appointment's, and
    listed under its number (the conversation reads it there)."""
    return {**_text_key(text), **offer_time_keys(text), **offer_thread_keys(text), **plain(text)}


class DynamoOffers(TableRepository):
    def _put_new_entry(self, item: Item) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": serialize(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    # -- OfferTexts -----------------------------------------------------------------------

    def load_offer_send_context(self, request: OfferSendRequest) -> OfferSendContext:
        keys = {
            "tenant": tenant_key(request.tenant_id),
            "opening": opening_key(request.tenant_id, request.opening_id),
            "offer": offer_key(request.tenant_id, request.opening_id, request.entry_id),
            "text": offer_text_key(
                request.tenant_id, request.opening_id, request.entry_id, request.kind
            ),
            "recipient": recipient_item_key(request.tenant_id, request.recipient_key),
        }
        found = {
            (i["pk"], i["sk"]): i
            for i in batch_get(self._db, self._table, list(keys.values()), consistent=True)
        }

        def pick(name: str) -> Item | None:
            return found.get((keys[name]["pk"], keys[name]["sk"]))

        tenant, opening, offer = pick("tenant"), pick("opening"), pick("offer")
        text, recipient = pick("text"), pick("recipient")
        return OfferSendContext(
            tenant=Tenant.model_validate(tenant) if tenant else None,
            opening=Opening.model_validate(opening) if opening else None,
            offer=Offer.model_validate(offer) if offer else None,
            text=OfferText.model_validate(text) if text else None,
            recipient=Recipient.model_validate(recipient) if recipient else None,
        )

    def opening_texts(self, tenant_id: str, opening_id: str) -> OpeningTexts | None:
        """One Query: the opening, its offers and their texts share a partition."""
        items = opening_partition(self._db, self._table, tenant_id, opening_id)
        opening = next((i for i in items if i["sk"] == "OP"), None)
        if opening is None:
            return None
        offers = (Offer.model_validate(i) for i in items if i["sk"].startswith("OF#"))
        return OpeningTexts(
            opening=Opening.model_validate(opening),
            offers={o.entry_id: o for o in offers},
            texts=[OfferText.model_validate(i) for i in items if i["sk"].startswith("OT#")],
        )

    def offers_of(
        self, tenant_id: str, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Offer]:
        wanted = [offer_key(tenant_id, opening, entry) for opening, entry in sorted(set(keys))]
        found = (Offer.model_validate(i) for i in batch_get(self._db, self._table, wanted))
        return {(o.opening_id, o.entry_id): o for o in found}

    def update_offer_text(
        self,
        text: OfferText,
        *,
        status: MessageStatus,
        now: datetime,
        only_if: frozenset[MessageStatus] | None = None,
        reason_is: str | None = None,
        event: WebhookEvent | None = None,
        **fields: object,
    ) -> bool:
        names = {"#s": "status"}
        values: dict[str, Any] = {":status": status.value, ":now": iso(now)}
        sets = ["#s = :status", "updated_at = :now"]
        send_at = fields.get("send_at")
        if isinstance(send_at, datetime):
            # Deferred, redriven or released: the text moves to its new time in `by_time`.
            for name, value in offer_time_keys(text, send_at).items():
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = value
        if status in DELIVERY_RANK:
            sets.append("delivery_rank = :rank")
            values[":rank"] = DELIVERY_RANK[status]
        for i, (name, value) in enumerate(sorted(fields.items())):
            if value is None:
                continue
            names[f"#f{i}"] = name
            values[f":f{i}"] = iso(value) if isinstance(value, datetime) else value
            sets.append(f"#f{i} = :f{i}")
        condition = "attribute_exists(pk)"
        if only_if:
            placeholders = []
            for i, allowed in enumerate(sorted(s.value for s in only_if)):
                values[f":o{i}"] = allowed
                placeholders.append(f":o{i}")
            condition += f" AND #s IN ({', '.join(placeholders)})"
        if reason_is is not None:
            names["#r"] = "reason"
            values[":reason_is"] = reason_is
            condition += " AND #r = :reason_is"
        return self._update(
            {
                "Key": serialize(_text_key(text)),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values_of(values),
            },
            event,
        )

    def _update(self, update: Item, event: WebhookEvent | None) -> bool:
        if event is not None:
            return transact_if(
                self._db,
                [
                    {"Update": {"TableName": self._table, **update}},
                    *event_puts(self._table, [event]),
                ],
            )
        try:
            self._db.update_item(TableName=self._table, **update)
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def note_offer_text(self, text: OfferText, status: MessageStatus, reason: str | None) -> None:
        if text.kind != MessageKind.OFFER:
            return
        rank = message_rank(status)
        sets = "SET message_status = :status, message_rank = :rank"
        values: dict[str, Any] = {":status": status.value, ":rank": rank}
        if reason is not None:
            sets += ", message_reason = :reason"
            values[":reason"] = reason
        else:
            # The reason belongs to the status it came with: a redriven text is not
            # "retries_exhausted" any more.
            sets += " REMOVE message_reason"
        condition = "attribute_not_exists(message_rank) OR message_rank <= :rank"
        if status in REOPENING_STATUSES:
            condition += " OR (message_status = :failed AND message_reason = :exhausted)"
            values[":failed"] = MessageStatus.FAILED.value
            values[":exhausted"] = RETRIES_EXHAUSTED
        self._update(
            {
                "Key": serialize(offer_key(text.tenant_id, text.opening_id, text.entry_id)),
                "UpdateExpression": sets,
                "ConditionExpression": f"attribute_exists(pk) AND ({condition})",
                "ExpressionAttributeValues": values_of(values),
            },
            None,
        )

    def record_offer_delivery_status(
        self,
        tenant_id: str,
        opening_id: str,
        entry_id: str,
        kind: str,
        *,
        status: MessageStatus,
        sid: str,
        error_code: int | None,
        now: datetime,
        event: WebhookEvent | None = None,
    ) -> OfferText | None:
        key = offer_text_key(tenant_id, opening_id, entry_id, kind)
        values: dict[str, Any] = {
            ":status": status.value,
            ":rank": DELIVERY_RANK[status],
            ":sid": sid,
            ":now": iso(now),
        }
        sets = ["#s = :status", "delivery_rank = :rank", "sid = :sid", "updated_at = :now"]
        if error_code is not None:
            sets.append("error_code = :code")
            values[":code"] = error_code
        applied = self._update(
            {
                "Key": serialize(key),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "attribute_exists(pk) AND "
                "(attribute_not_exists(delivery_rank) OR delivery_rank < :rank)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": values_of(values),
            },
            event,
        )
        if not applied:
            return None
        stored = self._get(key)
        return OfferText.model_validate(stored) if stored else None

    # -- OfferBook ------------------------------------------------------------------------

    def _waitlist_offer(
        self,
        tenant_id: str,
        rkey: str,
        phone: str,
        choice: WaitlistOffer | None,
        *,
        filled: str | None = None,
        now: datetime | None = None,
    ) -> Item:
        """The number's waitlist offer set (only if it holds none still open) or removed
        as the opening `filled` is filled (only if it is that opening's, or none still
        open: another opening's open offer is not this fill's to end), its R options left
        as they are; the recipient's revision moved on: a send claim read before it must
        read again."""
        sets = (
            "SET tenant_id = :t, recipient_key = :rk, phone = if_not_exists(phone, :phone), "
            "rev = if_not_exists(rev, :zero) + :one"
        )
        values: dict[str, Any] = {
            ":t": tenant_id,
            ":rk": rkey,
            ":phone": phone,
            ":zero": 0,
            ":one": 1,
        }
        update: Item = {
            "TableName": self._table,
            "Key": serialize(recipient_item_key(tenant_id, rkey)),
        }
        if choice is None:
            expression = f"{sets} REMOVE waitlist_offer"
            if filled is not None and now is not None:
                values[":opening"] = filled
                values[":now"] = stamp(now)
                update["ConditionExpression"] = (
                    "attribute_not_exists(waitlist_offer) "
                    "OR waitlist_offer.opening_id = :opening "
                    "OR attribute_exists(waitlist_offer.ended_at) "
                    "OR waitlist_offer.expires_at <= :now"
                )
        else:
            # One open waitlist offer per number, so its Y means one slot: the wave's pick
            # reads it, and this condition holds it when two waves for different openings
            # read the number free at once. `expires_at` is stored fixed-width UTC so the
            # condition compares it as text.
            expression = f"{sets}, waitlist_offer = :choice"
            values[":choice"] = {**plain(choice), "expires_at": stamp(choice.expires_at)}
            values[":now"] = stamp(choice.offered_at)
            update["ConditionExpression"] = (
                "attribute_not_exists(waitlist_offer) "
                "OR attribute_exists(waitlist_offer.ended_at) "
                "OR waitlist_offer.expires_at <= :now"
            )
        update["UpdateExpression"] = expression
        update["ExpressionAttributeValues"] = values_of(values)
        return {"Update": update}

    def make_offer(
        self, offer: Offer, text: OfferText, entry: WaitlistEntry, choice: WaitlistOffer
    ) -> bool:
        offered = entry.model_copy(
            update={"status": WaitlistStatus.OFFERED, "version": entry.version + 1}
        )
        return transact_if(
            self._db,
            [
                self._put_new_entry(offer_item(offer)),
                self._put_new_entry(_text_item(text)),
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": serialize(entry_item(offered)),
                        "ConditionExpression": "#s = :waiting AND version = :v",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values_of(
                            {":waiting": WaitlistStatus.WAITING.value, ":v": entry.version}
                        ),
                    }
                },
                self._waitlist_offer(offer.tenant_id, text.recipient_key, offer.phone, choice),
            ],
        )

    def fill(
        self,
        opening: Opening,
        *,
        offer: Offer,
        appointment: Appointment,
        messages: Sequence[MessageRecord],
        events: Sequence[WebhookEvent],
        not_before: datetime,
        now: datetime,
    ) -> bool:
        opening_update = opening_fill(
            self._table,
            opening.tenant_id,
            opening.opening_id,
            appointment_id=appointment.appointment_id,
            entry_id=offer.entry_id,
            not_before=not_before,
            now=now,
        )
        entry_update = {
            "Update": {
                "TableName": self._table,
                "Key": serialize(waitlist_key(offer.tenant_id, offer.entry_id)),
                "UpdateExpression": "SET #s = :filled, gsi1pk = :listed, "
                "filled_opening_id = :opening, updated_at = :now, version = version + :one, "
                "expires_at = :forget REMOVE qpk, qsk, offered_opening_id, offered_starts_at",
                # Still on the list: offered this opening, or waiting again once its
                # offer's hold ended (a late Y still wins while the opening is open). Not
                # offered another opening meanwhile (a wave that raced the Y holds it), not
                # removed, not filled.
                "ConditionExpression": "#s = :waiting "
                "OR (#s = :offered AND offered_opening_id = :opening)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": values_of(
                    {
                        ":filled": WaitlistStatus.FILLED.value,
                        ":listed": f"T#{offer.tenant_id}#WL#S#{WaitlistStatus.FILLED.value}",
                        ":opening": opening.opening_id,
                        ":now": iso(now),
                        ":one": 1,
                        ":offered": WaitlistStatus.OFFERED.value,
                        ":waiting": WaitlistStatus.WAITING.value,
                        ":forget": forgotten_at(now),
                    }
                ),
            }
        }
        answered = offer.model_copy(update={"status": OfferStatus.TAKEN, "answered_at": now})
        appointments = DynamoAppointments(self._db, self._table)
        return transact_if(
            self._db,
            [
                opening_update,
                *appointments.creation(appointment, messages),
                *event_puts(self._table, events),
                entry_update,
                {"Put": {"TableName": self._table, "Item": serialize(offer_item(answered))}},
                self._waitlist_offer(
                    offer.tenant_id,
                    appointment.recipient_key,
                    offer.phone,
                    None,
                    filled=opening.opening_id,
                    now=now,
                ),
            ],
        )

    def lose(self, offer: Offer, text: OfferText, now: datetime) -> bool:
        lost = offer.model_copy(update={"status": OfferStatus.LOST, "answered_at": now})
        for _ in range(_LOSE_ATTEMPTS):
            items: list[dict[str, Any]] = [
                self._put_new_entry(_text_item(text)),
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": serialize(offer_item(lost)),
                        # Open or closed unanswered: never the winner's own offer, which the
                        # same number's second Y at once read as open before the win landed.
                        "ConditionExpression": "#s IN (:sent, :expired)",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values_of(
                            {":sent": OfferStatus.SENT.value, ":expired": OfferStatus.EXPIRED.value}
                        ),
                    }
                },
            ]
            waiting = self._waiting_again(offer)
            if waiting is not None:
                items.append(waiting)
            if transact_if(self._db, items):
                self._end_waitlist_offer(offer, now)
                return True
            # The winner closing the other offers at once (release) can put this entry back
            # to waiting between its read above and this write: read again and retry. Only
            # an offer already taken or lost (a repeated answer) ends here.
            stored = self._get(offer_key(offer.tenant_id, offer.opening_id, offer.entry_id))
            if stored is None or Offer.model_validate(stored).status not in _LOSABLE:
                return False
        return False

    def release(self, offer: Offer, now: datetime) -> None:
        expired = offer.model_copy(update={"status": OfferStatus.EXPIRED})
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(offer_item(expired)),
                    "ConditionExpression": "#s = :sent",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": values_of({":sent": OfferStatus.SENT.value}),
                }
            }
        ]
        waiting = self._waiting_again(offer)
        if waiting is not None:
            items.append(waiting)
        if transact_if(self._db, items):
            self._end_waitlist_offer(offer, now)

    def _waiting_again(self, offer: Offer) -> dict[str, Any] | None:
        """The entry back on the list for the next opening, if this offer still holds it."""
        stored = self._get(waitlist_key(offer.tenant_id, offer.entry_id))
        if stored is None:
            return None
        entry = WaitlistEntry.model_validate(stored)
        if entry.status is not WaitlistStatus.OFFERED:
            return None
        waiting = entry.model_copy(
            update={"status": WaitlistStatus.WAITING, "version": entry.version + 1}
        )
        return {
            "Put": {
                "TableName": self._table,
                "Item": serialize(entry_item(waiting)),
                "ConditionExpression": "#s = :offered AND version = :v",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": values_of(
                    {":offered": WaitlistStatus.OFFERED.value, ":v": entry.version}
                ),
            }
        }

    def _end_waitlist_offer(self, offer: Offer, now: datetime) -> None:
        """The number's waitlist offer ends, if it is still this opening's and open: kept
        with its end, so a Y before it would have expired is known as a late answer."""
        rkey = recipient_key(offer.tenant_id, offer.phone)
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(recipient_item_key(offer.tenant_id, rkey)),
                UpdateExpression="SET rev = rev + :one, waitlist_offer.ended_at = :now",
                ConditionExpression="waitlist_offer.opening_id = :opening "
                "AND attribute_not_exists(waitlist_offer.ended_at)",
                ExpressionAttributeValues=values_of(
                    {":one": 1, ":opening": offer.opening_id, ":now": iso(now)}
                ),
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise
