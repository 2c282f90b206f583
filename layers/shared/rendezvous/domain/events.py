"""What Rendezvous tells a tenant's booking system: one WebhookEvent per thing that happened.

Each event is written in the same transaction as the state change it reports (the outbox),
so an event exists exactly when its change does. Its id is derived from what happened, not
drawn at random: the same action retried yields the same id, so its write lands on the
same item and the stream (INSERT only) carries it once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from rendezvous.domain.identity import OfferIdentity, TextIdentity
from rendezvous.domain.models import Appointment, OptedBy, QueueItem
from rendezvous.domain.models import CancelledBy as CancelledBy  # its callers import it here
from rendezvous.domain.roles import Role

# Crockford's base32, as ULIDs spell theirs: no I, L, O, U to misread.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 26


class EventType(StrEnum):
    APPOINTMENT_CONFIRMED = "appointment.confirmed"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    APPOINTMENT_RESCHEDULE_REQUESTED = "appointment.reschedule_requested"
    # A waitlist customer took an opening: their new appointment, with the one it replaces.
    APPOINTMENT_CREATED = "appointment.created"
    # Recorded by a FHIR Appointment whose status is noshow or fulfilled.
    APPOINTMENT_OUTCOME_RECORDED = "appointment.outcome_recorded"
    # An opening was taken: by which waitlist entry, as which appointment.
    OPENING_FILLED = "opening.filled"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_FAILED = "message.failed"
    MESSAGE_SUPPRESSED = "message.suppressed"
    RECIPIENT_OPTED_OUT = "recipient.opted_out"
    RECIPIENT_OPTED_IN = "recipient.opted_in"
    QUEUE_ITEM_OPENED = "queue.item_opened"
    QUEUE_ITEM_RESOLVED = "queue.item_resolved"


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    tenant_id: str
    type: EventType
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    appointment_id: str | None = None

    def body(self) -> dict[str, Any]:
        """The webhook's JSON body, as CONTRACT.md fixes it."""
        return {"type": self.type.value, "timestamp": iso_z(self.occurred_at), "data": self.data}


def iso_z(instant: datetime) -> str:
    """UTC, ISO 8601, with Z: one spelling for every timestamp a booking system reads."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_id(tenant_id: str, type_: EventType, *what: str | int) -> str:
    """`evt_` + 26 base32 characters of a hash of the tenant, the type and what happened."""
    raw = "\x1f".join([tenant_id, type_.value, *(str(part) for part in what)])
    number = int.from_bytes(hashlib.sha256(raw.encode()).digest()[:17], "big") >> 6
    chars = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "evt_" + "".join(reversed(chars))


def cancelled_by_role(role: Role) -> CancelledBy:
    """Who cancelled, as the webhook says it: a manager is staff to the booking system."""
    return "booking" if role is Role.BOOKING else "staff"


def _appointment_data(appointment: Appointment) -> dict[str, Any]:
    # The booking system knows its appointment by id: the customer's name and phone would
    # only copy personal data into every receiver's logs.
    return {
        "appointment_id": appointment.appointment_id,
        "starts_at": iso_z(appointment.starts_at),
    }


def _happened(
    type_: EventType,
    tenant_id: str,
    what: tuple[str | int, ...],
    at: datetime,
    data: dict[str, Any],
    appointment_id: str | None,
) -> WebhookEvent:
    """The event of `type_`, its id derived from `what` happened: the same action retried
    is the same event."""
    return WebhookEvent(
        event_id(tenant_id, type_, *what), tenant_id, type_, at, data, appointment_id
    )


def appointment_confirmed(appointment: Appointment, at: datetime) -> WebhookEvent:
    # Once per appointment version: a moved appointment asks for, and may get, a new one.
    type_ = EventType.APPOINTMENT_CONFIRMED
    return _happened(
        type_,
        appointment.tenant_id,
        (appointment.appointment_id, appointment.version),
        at,
        _appointment_data(appointment),
        appointment.appointment_id,
    )


def appointment_cancelled(appointment: Appointment, at: datetime, by: CancelledBy) -> WebhookEvent:
    # A cancellation is final (a cancelled id cannot be booked again), so once per id.
    type_ = EventType.APPOINTMENT_CANCELLED
    return _happened(
        type_,
        appointment.tenant_id,
        (appointment.appointment_id,),
        at,
        {**_appointment_data(appointment), "by": by},
        appointment.appointment_id,
    )


def reschedule_requested(item: QueueItem, message_sid: str, at: datetime) -> WebhookEvent:
    """The customer's R (their text `message_sid`), handed to a person in `item`."""
    type_ = EventType.APPOINTMENT_RESCHEDULE_REQUESTED
    return _happened(
        type_,
        item.tenant_id,
        (message_sid,),
        at,
        {"appointment_id": item.appointment_id, "queue_item_id": item.item_id},
        item.appointment_id,
    )


def outcome_recorded(
    tenant_id: str, appointment_id: str, outcome: str, by: CancelledBy, change: str, at: datetime
) -> WebhookEvent:
    """How the appointment ended (attended, no_show), as `by` recorded it. `change` names the
    recording (a FHIR resource's version): an outcome corrected later is a new event."""
    type_ = EventType.APPOINTMENT_OUTCOME_RECORDED
    return _happened(
        type_,
        tenant_id,
        (
            appointment_id,
            change,
        ),
        at,
        {"appointment_id": appointment_id, "outcome": outcome, "by": by},
        appointment_id,
    )


MESSAGE_EVENT_TYPES = frozenset(
    {EventType.MESSAGE_DELIVERED, EventType.MESSAGE_FAILED, EventType.MESSAGE_SUPPRESSED}
)


def message_event(
    type_: EventType,
    message: TextIdentity,
    at: datetime,
    *,
    reason: str | None = None,
    error_code: int | None = None,
    sid: str | None = None,
) -> WebhookEvent:
    """One per text and outcome: a status reported twice is the same event. A text of an
    offer names its opening and waitlist entry, not an appointment (it has none)."""
    if type_ not in MESSAGE_EVENT_TYPES:
        raise ValueError(f"{type_} is not a message event")
    optional = {"reason": reason, "error_code": error_code, "message_sid": sid}
    if isinstance(message, OfferIdentity):
        data: dict[str, Any] = {
            "opening_id": message.opening_id,
            "entry_id": message.entry_id,
            "kind": message.kind,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        what: tuple[str | int, ...] = ("offer", message.opening_id, message.entry_id, message.kind)
        return _happened(type_, message.tenant_id, what, at, data, None)
    data = {
        "appointment_id": message.appointment_id,
        "kind": message.kind,
        "version": message.version,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return _happened(
        type_,
        message.tenant_id,
        (
            message.appointment_id,
            message.kind,
            message.version,
        ),
        at,
        data,
        message.appointment_id,
    )


OptSource = Literal["keyword", "carrier", "staff"]
# A keyword, or the carrier reporting one, is the customer's own act; staff record a wish
# the customer gave them some other way (a phone call).
OPTED_BY: dict[OptSource, OptedBy] = {
    "keyword": "customer",
    "carrier": "customer",
    "staff": "staff",
}


def recipient_opted(
    tenant_id: str,
    phone: str,
    *,
    opted_out: bool,
    cause: str,
    source: OptSource,
    at: datetime,
) -> WebhookEvent:
    """A number opted out or back in. `cause` names what told us (the STOP text's sid, the
    status callback's sid, the staff member and moment...): a number may opt out and in
    many times, each once. `by` says whose act it was (customer or staff)."""
    type_ = EventType.RECIPIENT_OPTED_OUT if opted_out else EventType.RECIPIENT_OPTED_IN
    data = {"phone": phone, "source": source, "by": OPTED_BY[source]}
    return _happened(type_, tenant_id, (phone, cause), at, data, None)


def opted_by(event: WebhookEvent) -> OptedBy:
    """Whose act an opt-out or opt-in event reports."""
    by = event.data.get("by")
    return "staff" if by == "staff" else "customer"


def _item_data(item: QueueItem) -> dict[str, Any]:
    data: dict[str, Any] = {"queue_item_id": item.item_id, "intent": item.intent.value}
    # About an appointment, its id says who; with none, the phone is who to call back.
    if item.appointment_id is not None:
        data["appointment_id"] = item.appointment_id
    else:
        data["phone"] = item.phone
    if item.flags:
        data["flags"] = [flag.value for flag in item.flags]
    return data


def queue_item_opened(item: QueueItem, at: datetime) -> WebhookEvent:
    type_ = EventType.QUEUE_ITEM_OPENED
    return _happened(
        type_,
        item.tenant_id,
        (item.item_id,),
        at,
        _item_data(item),
        item.appointment_id,
    )


def queue_item_resolved(item: QueueItem, by: str, at: datetime) -> WebhookEvent:
    """`item` as it was read before resolving it: an item is resolved once."""
    type_ = EventType.QUEUE_ITEM_RESOLVED
    return _happened(
        type_,
        item.tenant_id,
        (item.item_id,),
        at,
        {**_item_data(item), "resolved_by": by},
        item.appointment_id,
    )


def appointment_created(appointment: Appointment, replaces: str | None) -> WebhookEvent:
    """A waitlist fill made this appointment; `replaces` is the appointment whose slot it
    took (None for an opening the booking system published). Once per appointment id."""
    type_ = EventType.APPOINTMENT_CREATED
    data = {**_appointment_data(appointment), "replaces": replaces}
    return _happened(
        type_,
        appointment.tenant_id,
        (appointment.appointment_id,),
        appointment.created_at,
        data,
        appointment.appointment_id,
    )


def opening_filled(
    tenant_id: str, opening_id: str, entry_id: str, appointment_id: str, at: datetime
) -> WebhookEvent:
    """An opening is filled once: by the entry whose reply took it, as `appointment_id`."""
    type_ = EventType.OPENING_FILLED
    data = {"opening_id": opening_id, "entry_id": entry_id, "appointment_id": appointment_id}
    return _happened(type_, tenant_id, (opening_id,), at, data, appointment_id)


def opening_taken_by_move(
    tenant_id: str,
    opening_id: str,
    moved: Appointment,
    moved_from: datetime,
    freed_opening_id: str | None,
    at: datetime,
) -> WebhookEvent:
    """The customer of `moved` chose the opening by a digit after their R: their own
    appointment now takes that slot (no new appointment), and the slot it left is the
    opening `freed_opening_id` (None when too close to offer). Once per opening."""
    type_ = EventType.OPENING_FILLED
    data = {
        "opening_id": opening_id,
        **_appointment_data(moved),
        "by": "reschedule",
        "moved_from": iso_z(moved_from),
        "freed_opening_id": freed_opening_id,
    }
    return _happened(type_, tenant_id, (opening_id,), at, data, moved.appointment_id)
