"""Every automated text, whatever it belongs to (an appointment, or an opening offered to a
waitlist entry): its update, with what keeps its owner's view of it, and what it is now as
the outbox, the queue watcher's sweep, a resume and a redrive decide on it. One code path
over the TextRecord union: an offer's text is held, swept and sent again as any other."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rendezvous.domain.appointments import send_request
from rendezvous.domain.events import WebhookEvent
from rendezvous.domain.identity import MessageIdentity, OfferIdentity, TimedText
from rendezvous.domain.last_text import last_text, last_text_order
from rendezvous.domain.models import (
    MessageRecord,
    MessageStatus,
    OfferSendRequest,
    OfferText,
    SuppressionReason,
    TextRecord,
    TextRequest,
)
from rendezvous.domain.planning import late_verdict, offer_late_verdict
from rendezvous.domain.ports import AppointmentStore, OfferTextOwners


@dataclass(frozen=True)
class CurrentText:
    """A text as it stands now, with what hands it to the sender again, whom it goes to,
    and why it no longer makes sense (None: it still does)."""

    text: TextRecord
    request: TextRequest
    phone: str
    late: SuppressionReason | None


@dataclass
class TextBook:
    store: AppointmentStore
    # None: a function built without vacancy fill, where no offer's text is ever found.
    offers: OfferTextOwners | None = None

    def update(
        self,
        text: TextRecord,
        *,
        status: MessageStatus,
        now: datetime,
        only_if: frozenset[MessageStatus] | None = None,
        reason_is: str | None = None,
        event: WebhookEvent | None = None,
        **fields: object,
    ) -> bool:
        """The record's conditional update, and then, when it landed, what keeps the newest
        text of its owner: the appointment's `last_text`, or the offer's message status."""
        if isinstance(text, MessageRecord):
            changed = self.store.update_message(
                text,
                status=status,
                now=now,
                only_if=only_if,
                reason_is=reason_is,
                event=event,
                **fields,
            )
        elif isinstance(text, OfferText):
            changed = self._offers().update_offer_text(
                text,
                status=status,
                now=now,
                only_if=only_if,
                reason_is=reason_is,
                event=event,
                **fields,
            )
        else:
            raise TypeError(f"a text record of no known owner: {type(text).__name__}")
        if not changed:
            return False
        reason, variant = fields.get("reason"), fields.get("variant")
        why = reason if isinstance(reason, str) else None
        if isinstance(text, MessageRecord):
            self.store.note_last_text(
                text.tenant_id,
                text.appointment_id,
                last_text(
                    text.kind, status, now, why, variant if isinstance(variant, str) else None
                ),
                order=last_text_order(text.kind, text.version, status, now),
            )
        elif isinstance(text, OfferText):
            self._offers().note_offer_text(text, status, why)
        return True

    def current(
        self,
        tenant_id: str,
        rows: Iterable[TimedText],
        now: datetime,
        too_late: SuppressionReason,
    ) -> list[CurrentText]:
        """The texts of the rows' owners as they are now (the index lags): each owner read
        once (an appointment with its texts; an opening with its offers and their texts),
        every text of it returned, for the caller to pick by status. An owner gone is
        left out."""
        listed = list(rows)
        appointment_ids = sorted(
            {r.identity.appointment_id for r in listed if isinstance(r.identity, MessageIdentity)}
        )
        opening_ids = sorted(
            {r.identity.opening_id for r in listed if isinstance(r.identity, OfferIdentity)}
        )
        found: list[CurrentText] = []
        for appointment_id in appointment_ids:
            owned = self.store.get_appointment(tenant_id, appointment_id)
            if owned is None:
                continue
            appointment, messages = owned
            found.extend(
                CurrentText(
                    text=message,
                    request=send_request(message, appointment),
                    phone=appointment.customer.phone,
                    late=late_verdict(appointment, message, now, too_late),
                )
                for message in messages
            )
        if opening_ids and self.offers is not None:
            tenant = self.store.get_tenant(tenant_id)
            notice = tenant.fill_min_notice_minutes if tenant is not None else 0
            for opening_id in opening_ids:
                detail = self.offers.opening_texts(tenant_id, opening_id)
                if detail is None:
                    continue
                for text in detail.texts:
                    offer = detail.offers.get(text.entry_id)
                    if offer is None:
                        continue
                    found.append(
                        CurrentText(
                            text=text,
                            request=OfferSendRequest(
                                tenant_id=tenant_id,
                                opening_id=text.opening_id,
                                entry_id=text.entry_id,
                                kind="offer" if text.kind == "offer" else "offer_taken",
                                recipient_key=text.recipient_key,
                            ),
                            phone=offer.phone,
                            late=offer_late_verdict(
                                text, detail.opening, offer, notice, now, too_late
                            ),
                        )
                    )
        return found

    def _offers(self) -> OfferTextOwners:
        if self.offers is None:
            raise RuntimeError("an offer's text reached a service built without offers")
        return self.offers
