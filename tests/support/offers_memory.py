"""In-memory VacancyStore, OfferBook and WaveScheduler for the offers' unit tests, on a
MemoryStore's tenants, appointments, recipients and outbox: each write keeps the
conditions its DynamoDB transaction writes under."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import WebhookEvent
from rendezvous.domain.models import (
    DELIVERY_RANK,
    Appointment,
    MessageRecord,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    Recipient,
    WaitlistOffer,
)
from rendezvous.domain.ports import OfferSendContext, OpeningDetail, OpeningTexts
from rendezvous.domain.vacancy import (
    OPEN_OPENING_STATUSES,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
    offer_text_moves,
    service_key,
)
from rendezvous.phone import recipient_key
from tests.support.memory import MemoryStore, message_id

TextId = tuple[str, str, str, str]


def text_id(text: OfferText) -> TextId:
    return (text.tenant_id, text.opening_id, text.entry_id, text.kind)


@dataclass
class MemoryVacancies:
    store: MemoryStore
    entries_by_id: dict[tuple[str, str], WaitlistEntry] = field(default_factory=dict)
    offers: dict[tuple[str, str, str], Offer] = field(default_factory=dict)
    # The store's: its time index lists them with the appointments' texts.
    texts: dict[TextId, OfferText] = field(init=False)
    ranks: dict[TextId, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.texts = self.store.offer_texts

    @property
    def openings_by_id(self) -> dict[tuple[str, str], Opening]:
        """The MemoryStore's openings: where a cancel's or a move's save writes them, and
        where a move's take finds the one it fills."""
        return self.store.openings

    # -- VacancyStore
    def get_entry(self, tenant_id: str, entry_id: str) -> WaitlistEntry | None:
        return self.entries_by_id.get((tenant_id, entry_id))

    def put_entry(self, entry: WaitlistEntry, *, expected_version: int | None) -> None:
        stored = self.entries_by_id.get((entry.tenant_id, entry.entry_id))
        if (stored.version if stored else None) != expected_version:
            raise ConcurrentModification("entry changed")
        self.entries_by_id[(entry.tenant_id, entry.entry_id)] = entry

    def remove_offered_entry(self, removed: WaitlistEntry, *, expected_version: int) -> None:
        self.put_entry(removed, expected_version=expected_version)
        key = (removed.tenant_id, removed.recipient_key)
        recipient = self.store.recipients.get(key)
        choice = recipient.waitlist_offer if recipient is not None else None
        if recipient is None or choice is None:
            return
        offer = self.offers.get((removed.tenant_id, choice.opening_id, removed.entry_id))
        if offer is None or offer.status is not OfferStatus.SENT:
            return
        self.offers[(removed.tenant_id, choice.opening_id, removed.entry_id)] = offer.model_copy(
            update={"status": OfferStatus.EXPIRED}
        )
        self.store.recipients[key] = recipient.model_copy(
            update={"waitlist_offer": None, "rev": recipient.rev + 1}
        )

    def entries(
        self, tenant_id: str, status: WaitlistStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        found = [
            e
            for (t, _), e in self.entries_by_id.items()
            if t == tenant_id and (status is None or e.status is status)
        ]
        return sorted(found, key=lambda e: (e.listed_at, e.entry_id))[:limit], None

    def waiting_for(
        self, tenant_id: str, service: str | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        return self._waiting(tenant_id, service, limit, cursor, others=True)

    def waiting_without_preference(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        return self._waiting(tenant_id, None, limit, cursor, others=False)

    def _waiting(
        self, tenant_id: str, service: str | None, limit: int, cursor: str | None, *, others: bool
    ) -> tuple[list[WaitlistEntry], str | None]:
        found = sorted(
            (
                e
                for (t, _), e in self.entries_by_id.items()
                if t == tenant_id
                and e.status is WaitlistStatus.WAITING
                and (
                    (service is None and others)
                    or e.service is None
                    or (service is not None and service_key(e.service) == service_key(service))
                )
            ),
            key=lambda e: (e.listed_at, e.entry_id),
        )
        start = int(cursor) if cursor else 0
        page = found[start : start + limit]
        more = start + limit < len(found)
        return page, str(start + limit) if more else None

    def get_opening(self, tenant_id: str, opening_id: str) -> OpeningDetail | None:
        opening = self.openings_by_id.get((tenant_id, opening_id))
        if opening is None:
            return None
        offers = [o for (t, op, _), o in self.offers.items() if (t, op) == (tenant_id, opening_id)]
        return OpeningDetail(opening, sorted(offers, key=lambda o: (o.sent_at, o.entry_id)))

    def create_opening(self, opening: Opening) -> bool:
        key = (opening.tenant_id, opening.opening_id)
        if key in self.openings_by_id:
            return False
        self.openings_by_id[key] = opening
        return True

    def save_opening(self, opening: Opening, *, expected_version: int) -> None:
        stored = self.openings_by_id.get((opening.tenant_id, opening.opening_id))
        if stored is None or stored.version != expected_version:
            raise ConcurrentModification("opening changed")
        self.openings_by_id[(opening.tenant_id, opening.opening_id)] = opening

    def openings(
        self,
        tenant_id: str,
        *,
        status: OpeningStatus | None,
        start: datetime,
        end: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Opening], str | None]:
        found = [
            o
            for (t, _), o in self.openings_by_id.items()
            if t == tenant_id
            and start <= o.starts_at < end
            and (status is None or o.status is status)
        ]
        return sorted(found, key=lambda o: (o.starts_at, o.opening_id))[:limit], None

    # -- OfferTextOwners
    def opening_texts(self, tenant_id: str, opening_id: str) -> OpeningTexts | None:
        opening = self.openings_by_id.get((tenant_id, opening_id))
        if opening is None:
            return None
        return OpeningTexts(
            opening=opening,
            offers={
                e: o for (t, op, e), o in self.offers.items() if (t, op) == (tenant_id, opening_id)
            },
            texts=[
                x for (t, op, _, _), x in self.texts.items() if (t, op) == (tenant_id, opening_id)
            ],
        )

    def offers_of(
        self, tenant_id: str, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Offer]:
        found = ((k, self.offers.get((tenant_id, *k))) for k in keys)
        return {k: o for k, o in found if o is not None}

    # -- OfferTexts
    def load_offer_send_context(self, request: OfferSendRequest) -> OfferSendContext:
        return OfferSendContext(
            tenant=self.store.tenants.get(request.tenant_id),
            opening=self.openings_by_id.get((request.tenant_id, request.opening_id)),
            offer=self.offers.get((request.tenant_id, request.opening_id, request.entry_id)),
            text=self.texts.get(
                (request.tenant_id, request.opening_id, request.entry_id, request.kind)
            ),
            recipient=self.store.recipients.get((request.tenant_id, request.recipient_key)),
        )

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
        stored = self.texts.get(text_id(text))
        if stored is None or (only_if and stored.status not in only_if):
            return False
        if reason_is is not None and stored.reason != reason_is:
            return False
        changes = {k: v for k, v in fields.items() if v is not None}
        self.texts[text_id(text)] = stored.model_copy(
            update={**changes, "status": status, "updated_at": now}
        )
        if status in DELIVERY_RANK:
            self.ranks[text_id(text)] = DELIVERY_RANK[status]
        self.store.record([event])
        return True

    def note_offer_text(self, text: OfferText, status: MessageStatus, reason: str | None) -> None:
        key = (text.tenant_id, text.opening_id, text.entry_id)
        offer = self.offers.get(key)
        if (
            offer is not None
            and text.kind == "offer"
            and offer_text_moves(offer.message_status, offer.message_reason, status)
        ):
            self.offers[key] = offer.model_copy(
                update={"message_status": status.value, "message_reason": reason}
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
        key = (tenant_id, opening_id, entry_id, kind)
        if key not in self.texts or self.ranks.get(key, -1) >= DELIVERY_RANK[status]:
            return None
        changes: dict[str, Any] = {"status": status, "sid": sid, "updated_at": now}
        if error_code is not None:
            changes["error_code"] = error_code
        self.texts[key] = self.texts[key].model_copy(update=changes)
        self.ranks[key] = DELIVERY_RANK[status]
        self.store.record([event])
        return self.texts[key]

    # -- OfferBook
    def _recipient(self, tenant_id: str, rkey: str, phone: str) -> Recipient:
        return self.store.recipients.get((tenant_id, rkey)) or Recipient(
            tenant_id=tenant_id, recipient_key=rkey, phone=phone
        )

    def _set_waitlist_offer(self, recipient: Recipient, choice: WaitlistOffer | None) -> None:
        self.store.recipients[(recipient.tenant_id, recipient.recipient_key)] = (
            recipient.model_copy(update={"waitlist_offer": choice, "rev": recipient.rev + 1})
        )

    def make_offer(
        self, offer: Offer, text: OfferText, entry: WaitlistEntry, choice: WaitlistOffer
    ) -> bool:
        key = (offer.tenant_id, offer.opening_id, offer.entry_id)
        stored = self.entries_by_id.get((entry.tenant_id, entry.entry_id))
        if key in self.offers or stored is None or stored.status is not WaitlistStatus.WAITING:
            return False
        recipient = self._recipient(offer.tenant_id, text.recipient_key, offer.phone)
        held = recipient.waitlist_offer
        if held is not None and held.is_open(choice.offered_at):
            return False
        self.offers[key] = offer
        self.texts[text_id(text)] = text
        self.entries_by_id[(entry.tenant_id, entry.entry_id)] = stored.model_copy(
            update={
                "status": WaitlistStatus.OFFERED,
                "version": stored.version + 1,
                "offered_opening_id": entry.offered_opening_id,
                "offered_starts_at": entry.offered_starts_at,
            }
        )
        self._set_waitlist_offer(recipient, choice)
        return True

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
        key = (opening.tenant_id, opening.opening_id)
        stored = self.openings_by_id.get(key)
        if (
            stored is None
            or stored.status not in OPEN_OPENING_STATUSES
            or stored.starts_at <= not_before
        ):
            return False
        if (appointment.tenant_id, appointment.appointment_id) in self.store.appointments_by_id:
            return False
        taker = self.entries_by_id.get((offer.tenant_id, offer.entry_id))
        if taker is None or not (
            taker.status is WaitlistStatus.WAITING
            or (
                taker.status is WaitlistStatus.OFFERED
                and taker.offered_opening_id == opening.opening_id
            )
        ):
            return False
        recipient = self._recipient(offer.tenant_id, appointment.recipient_key, offer.phone)
        held = recipient.waitlist_offer
        if held is not None and held.opening_id != opening.opening_id and held.is_open(now):
            return False  # another opening's offer holds the number: not this fill's
        self.openings_by_id[key] = stored.model_copy(
            update={
                "status": OpeningStatus.FILLED,
                "filled_at": now,
                "filled_by_entry": offer.entry_id,
                "filled_appointment_id": appointment.appointment_id,
                "version": stored.version + 1,
            }
        )
        self.store.appointments_by_id[(appointment.tenant_id, appointment.appointment_id)] = (
            appointment
        )
        for message in messages:
            self.store.messages[message_id(message)] = message
        self.store.record(events)
        entry = self.entries_by_id.get((offer.tenant_id, offer.entry_id))
        if entry is not None:
            self.entries_by_id[(offer.tenant_id, offer.entry_id)] = entry.model_copy(
                update={
                    "status": WaitlistStatus.FILLED,
                    "filled_opening_id": opening.opening_id,
                    "version": entry.version + 1,
                    "offered_opening_id": None,
                    "offered_starts_at": None,
                }
            )
        self.offers[(offer.tenant_id, offer.opening_id, offer.entry_id)] = offer.model_copy(
            update={"status": OfferStatus.TAKEN, "answered_at": now}
        )
        self._set_waitlist_offer(recipient, None)
        return True

    def lose(self, offer: Offer, text: OfferText, now: datetime) -> bool:
        stored = self.offers.get((offer.tenant_id, offer.opening_id, offer.entry_id))
        if text_id(text) in self.texts or (
            stored is not None and stored.status not in (OfferStatus.SENT, OfferStatus.EXPIRED)
        ):
            return False
        self.texts[text_id(text)] = text
        self.offers[(offer.tenant_id, offer.opening_id, offer.entry_id)] = offer.model_copy(
            update={"status": OfferStatus.LOST, "answered_at": now}
        )
        self._back_to_waiting(offer, text.recipient_key, now)
        return True

    def release(self, offer: Offer, now: datetime) -> None:
        key = (offer.tenant_id, offer.opening_id, offer.entry_id)
        stored = self.offers.get(key)
        if stored is None or stored.status is not OfferStatus.SENT:
            return
        self.offers[key] = stored.model_copy(update={"status": OfferStatus.EXPIRED})
        self._back_to_waiting(offer, recipient_key(offer.tenant_id, offer.phone), now)

    def _back_to_waiting(self, offer: Offer, rkey: str, now: datetime) -> None:
        entry = self.entries_by_id.get((offer.tenant_id, offer.entry_id))
        if entry is not None and entry.status is WaitlistStatus.OFFERED:
            self.entries_by_id[(offer.tenant_id, offer.entry_id)] = entry.model_copy(
                update={
                    "status": WaitlistStatus.WAITING,
                    "version": entry.version + 1,
                    "offered_opening_id": None,
                    "offered_starts_at": None,
                }
            )
        recipient = self.store.recipients.get((offer.tenant_id, rkey))
        choice = recipient.waitlist_offer if recipient is not None else None
        if (
            recipient is not None
            and choice is not None
            and choice.opening_id == offer.opening_id
            and choice.ended_at is None
        ):
            self._set_waitlist_offer(recipient, choice.model_copy(update={"ended_at": now}))


@dataclass
class MemoryWaves:
    """The WaveScheduler port: planned waves by (opening, wave), first plan kept."""

    planned: dict[tuple[str, str, int], datetime] = field(default_factory=dict)
    # Every call, a repeat's too (EventBridge forgets a one-time schedule once it ran, so
    # planning a wave that ran makes it run again).
    calls: list[tuple[str, int]] = field(default_factory=list)
    # Waves asked to run early (someone joined the list, or an offer ended).
    hurried: dict[tuple[str, str, int], datetime] = field(default_factory=dict)

    def schedule_wave(self, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        self.calls.append((opening_id, wave))
        self.planned.setdefault((tenant_id, opening_id, wave), at)

    def hurry_wave(self, tenant_id: str, opening_id: str, wave: int, at: datetime) -> None:
        self.hurried.setdefault((tenant_id, opening_id, wave), at)
