"""Twilio's delivery reports: statuses only move forward; failures say why."""

from __future__ import annotations

from dataclasses import dataclass

from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import InvalidRequest
from rendezvous.domain.events import EventType, WebhookEvent, message_event, recipient_opted
from rendezvous.domain.identity import OfferIdentity, parse_status_callback_ref
from rendezvous.domain.last_text import last_text, last_text_order
from rendezvous.domain.models import MessageStatus
from rendezvous.domain.ports import AppointmentStore, OfferTexts

TWILIO_STATUS = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.QUEUED,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}
# What a booking system hears of a status; the steps on the way (queued, sent) it does not.
STATUS_EVENTS = {
    MessageStatus.DELIVERED: EventType.MESSAGE_DELIVERED,
    MessageStatus.UNDELIVERED: EventType.MESSAGE_FAILED,
    MessageStatus.FAILED: EventType.MESSAGE_FAILED,
}
OPTED_OUT_CODES = frozenset({21610})
# Landline or unreachable, invalid, not SMS-capable: retrying will not help.
UNDELIVERABLE_CODES = frozenset({30006, 21211, 21614})


@dataclass(frozen=True)
class DeliveryReport:
    ref: str
    message_sid: str
    status: str
    to: str
    error_code: int | None = None


@dataclass(frozen=True)
class DeliveryUpdate:
    status: MessageStatus
    applied: bool
    error_code: int | None


def record_delivery_report(
    store: AppointmentStore,
    clock: Clock,
    report: DeliveryReport,
    offers: OfferTexts | None = None,
) -> DeliveryUpdate:
    try:
        identity = parse_status_callback_ref(report.ref)
    except ValueError as exc:
        raise InvalidRequest("unknown status callback reference") from exc
    status = TWILIO_STATUS.get(report.status)
    if status is None:
        raise InvalidRequest(f"unknown message status {report.status!r}")
    now = clock.now()
    event_type = STATUS_EVENTS.get(status)
    event: WebhookEvent | None = None
    if event_type is not None:
        event = message_event(
            event_type, identity, now, error_code=report.error_code, sid=report.message_sid
        )
    tenant_id = identity.tenant_id
    if isinstance(identity, OfferIdentity):
        if offers is None:
            raise InvalidRequest("an offer's status callback reached no offer store")
        updated = offers.record_offer_delivery_status(
            tenant_id,
            identity.opening_id,
            identity.entry_id,
            identity.kind,
            status=status,
            sid=report.message_sid,
            error_code=report.error_code,
            now=now,
            event=event,
        )
        applied = updated is not None
        if updated is not None:
            offers.note_offer_text(updated, status, _failure_reason(report.error_code))
    else:
        _, appointment_id, kind, version = identity
        applied = store.record_delivery_status(
            tenant_id,
            appointment_id,
            kind,
            version,
            status=status,
            sid=report.message_sid,
            error_code=report.error_code,
            now=now,
            event=event,
        )
        if applied:
            store.note_last_text(
                tenant_id,
                appointment_id,
                last_text(kind, status, now, _failure_reason(report.error_code)),
                order=last_text_order(kind, version, status, now),
                keep_variant=True,
            )
    if applied and report.error_code in OPTED_OUT_CODES:
        opted_out = recipient_opted(
            tenant_id,
            report.to,
            opted_out=True,
            cause=report.message_sid,
            source="carrier",
            at=now,
        )
        store.mark_recipient(tenant_id, report.to, now=now, opted_out=True, event=opted_out)
    elif applied and report.error_code in UNDELIVERABLE_CODES:
        store.mark_recipient(tenant_id, report.to, now=now, undeliverable_code=report.error_code)
    return DeliveryUpdate(status, applied, report.error_code)


def _failure_reason(error_code: int | None) -> str | None:
    """Why Twilio could not deliver, as the day list shows it: the opt-out or the dead
    number the sender would name, else Twilio's error code."""
    if error_code is None:
        return None
    if error_code in OPTED_OUT_CODES:
        return "opted_out"
    if error_code in UNDELIVERABLE_CODES:
        return "undeliverable"
    return f"twilio_{error_code}"
