"""Cal.com's webhook body (payload version 2021-10-20, the default) read into a CalcomChange.

Cal.com's payload builder (packages/features/webhooks/lib/factory/versioned/v2021-10-20/
BookingPayloadBuilder.ts) spreads the booking's CalendarEvent into `payload`: `uid`,
`startTime`, `endTime`, `attendees` (each with `name`, `phoneNumber` when the booking form
asked for one, `language.locale`), `responses` (the booking form, each field as
`{"label", "value"}`), `location`, `length`, `eventTitle`, `smsReminderNumber`; a
reschedule adds `rescheduleUid` (the booking it replaces: Cal.com books the new time under
a new uid and cancels the old one), and a cancellation `cancellationReason`.

The booking is then validated by the Appointments API's own model (AppointmentIn), so a
Cal.com booking meets every rule a PUT /v1/appointments does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rendezvous.api.appointments import AppointmentIn
from rendezvous.api.http import RESOURCE_ID_PATTERN
from rendezvous.domain.errors import Unprocessable
from rendezvous.domain.integrations import CalcomAction, CalcomChange
from rendezvous.domain.models import SUPPORTED_LOCALES

CALCOM_SIGNATURE_HEADER = "x-cal-signature-256"
BOOKING_CREATED = "BOOKING_CREATED"
BOOKING_RESCHEDULED = "BOOKING_RESCHEDULED"
BOOKING_CANCELLED = "BOOKING_CANCELLED"
HANDLED_TRIGGERS = (BOOKING_CREATED, BOOKING_RESCHEDULED, BOOKING_CANCELLED)
# Where the booking form keeps the attendee's phone, most specific first. A location of
# type "phone" is the attendee's number ("userPhone" would be the organizer's).
_PHONE_FIELDS = ("attendeePhoneNumber", "phone", "phoneNumber", "smsReminderNumber")
_ID = re.compile(RESOURCE_ID_PATTERN)


class CalcomEnvelope(BaseModel):
    model_config = ConfigDict(extra="allow")

    trigger_event: str = Field(alias="triggerEvent", min_length=1, max_length=64)
    payload: dict[str, Any]


class CalcomAttendee(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = ""
    phone_number: str | None = Field(default=None, alias="phoneNumber")
    language: dict[str, Any] | None = None


class CalcomBooking(BaseModel):
    model_config = ConfigDict(extra="allow")

    uid: str = Field(min_length=1)
    start_time: datetime | None = Field(default=None, alias="startTime")
    end_time: datetime | None = Field(default=None, alias="endTime")
    attendees: list[CalcomAttendee] = Field(default_factory=list)
    responses: dict[str, Any] = Field(default_factory=dict)
    location: str | None = None
    length: int | None = None
    event_title: str | None = Field(default=None, alias="eventTitle")
    sms_reminder_number: str | None = Field(default=None, alias="smsReminderNumber")
    reschedule_uid: str | None = Field(default=None, alias="rescheduleUid")


def calcom_change(envelope: CalcomEnvelope) -> CalcomChange:
    """What a delivery asks for; a trigger we do not handle is IGNORE."""
    trigger = envelope.trigger_event
    if trigger not in HANDLED_TRIGGERS:
        return CalcomChange(trigger, CalcomAction.IGNORE)
    booking = CalcomBooking.model_validate(envelope.payload)
    uid = _booking_id(booking.uid, "payload.uid")
    if trigger == BOOKING_CANCELLED:
        return CalcomChange(trigger, CalcomAction.CANCEL, uid)
    replaces = None
    if trigger == BOOKING_RESCHEDULED and booking.reschedule_uid:
        replaces = _booking_id(booking.reschedule_uid, "payload.rescheduleUid")
    return CalcomChange(
        trigger, CalcomAction.BOOK, uid, appointment_in(booking).to_draft(), replaces
    )


def appointment_in(booking: CalcomBooking) -> AppointmentIn:
    """The booking as the Appointments API would take it (422 naming the field if not)."""
    attendee = booking.attendees[0] if booking.attendees else CalcomAttendee()
    customer: dict[str, Any] = {
        "phone": attendee_phone(booking) or "",
        "name": attendee.name.strip() or _response_name(booking.responses),
    }
    locale = (attendee.language or {}).get("locale")
    if locale in SUPPORTED_LOCALES:
        customer["locale"] = locale
    body: dict[str, Any] = {"customer": customer, "starts_at": booking.start_time}
    if booking.length:
        body["duration_minutes"] = booking.length
    elif booking.start_time and booking.end_time:
        body["duration_minutes"] = int(
            (booking.end_time - booking.start_time).total_seconds() // 60
        )
    if booking.location and _is_place(booking.location):
        body["location"] = booking.location[:120]
    if booking.event_title:
        body["service"] = booking.event_title[:120]
    return AppointmentIn.model_validate(body)


def attendee_phone(booking: CalcomBooking) -> str | None:
    for attendee in booking.attendees:
        if attendee.phone_number:
            return attendee.phone_number
    for field in _PHONE_FIELDS:
        value = _response_value(booking.responses, field)
        if isinstance(value, str) and value.strip():
            return value
    if booking.sms_reminder_number:
        return booking.sms_reminder_number
    location = _response_value(booking.responses, "location")
    if isinstance(location, dict) and location.get("value") == "phone":
        number = location.get("optionValue")
        if isinstance(number, str) and number.strip():
            return number
    return None


def _response_value(responses: dict[str, Any], field: str) -> Any:
    entry = responses.get(field)
    return entry.get("value") if isinstance(entry, dict) else entry


def _response_name(responses: dict[str, Any]) -> str:
    value = _response_value(responses, "name")
    if isinstance(value, dict):  # a name field split into first and last name
        value = " ".join(str(value.get(k) or "") for k in ("firstName", "lastName"))
    return value.strip() if isinstance(value, str) else ""


def _is_place(location: str) -> bool:
    # Video links and Cal.com's integration names ("integrations:daily") are not a place a
    # customer walks to; a reminder would only confuse them with it.
    return "://" not in location and not location.startswith("integrations:")


def _booking_id(uid: str, field: str) -> str:
    if not _ID.match(uid):
        raise Unprocessable(f"{field} is not an id this API can keep")
    return uid
