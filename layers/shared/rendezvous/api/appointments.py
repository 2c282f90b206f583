"""What the Appointments API takes and gives. Stored models stay in rendezvous.domain."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from rendezvous.domain.appointments import (
    AppointmentDraft,
    AppointmentPage,
    AppointmentView,
    ListedAppointment,
)
from rendezvous.domain.errors import InvalidRequest
from rendezvous.domain.models import (
    Appointment,
    AppointmentOutcome,
    CancelledBy,
    Customer,
    LastText,
    Locale,
    MessageRecord,
)
from rendezvous.json_input import decode_json

# How people write a number: digits with spaces, dashes, dots, slashes and parentheses.
_NATIONAL = re.compile(r"[\d\s().\-/]*\d[\d\s().\-/]*")


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str = Field(
        min_length=3,
        max_length=32,
        description=(
            "E.164, like +14155550123, or national as people write it, like (415) 555-0133,"
            " read in the country of the tenant's sending number; answered in E.164"
        ),
    )
    name: str = Field(min_length=1, max_length=100)
    locale: Locale | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        """An international number is checked here; a national one is read in the tenant's
        country by the appointment service, the first to know the tenant."""
        from rendezvous.phone import parse_e164

        if value.startswith("+"):
            return parse_e164(value)
        if not _NATIONAL.fullmatch(value):
            raise ValueError("phone must be E.164 or a national number of digits")
        return value


class AppointmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer: CustomerIn
    starts_at: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=5, le=1440)
    location: str | None = Field(default=None, max_length=120)
    provider: str | None = Field(default=None, max_length=120)
    service: str | None = Field(default=None, max_length=120)

    @field_validator("starts_at")
    @classmethod
    def _plausible_year(cls, value: datetime) -> datetime:
        # Also keeps astimezone() clear of the calendar's edges (year 1, year 9999).
        if not 2000 <= value.replace(tzinfo=None).year <= 2199:
            raise ValueError("starts_at must be between the years 2000 and 2199")
        return value

    def to_draft(self) -> AppointmentDraft:
        return AppointmentDraft(
            customer=Customer(
                phone=self.customer.phone, name=self.customer.name, locale=self.customer.locale
            ),
            starts_at=self.starts_at.astimezone(UTC),
            duration_minutes=self.duration_minutes,
            location=self.location or None,
            provider=self.provider or None,
            service=self.service or None,
        )


class CustomerOut(BaseModel):
    phone: str
    name: str
    locale: str | None = None


class MessageOut(BaseModel):
    kind: str
    version: int
    status: str
    send_at: datetime
    reason: str | None = None
    error_code: int | None = None
    segments: int | None = None
    sid: str | None = None
    updated_at: datetime

    @classmethod
    def of(cls, record: MessageRecord) -> MessageOut:
        return cls(
            kind=record.kind,
            version=record.version,
            status=record.status.value,
            send_at=record.send_at,
            reason=record.reason,
            error_code=record.error_code,
            segments=record.segments,
            sid=record.sid,
            updated_at=record.updated_at,
        )


class PlannedOut(BaseModel):
    kind: str
    send_at: datetime
    status: str
    reason: str | None = None


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: AppointmentOutcome = Field(
        description="attended and no_show once the visit has started, and not on a cancelled"
        " appointment; late_cancel at any time"
    )


class LastTextOut(BaseModel):
    """The appointment's newest automated text and what became of it."""

    kind: str
    status: str
    at: datetime
    reason: str | None = None

    @classmethod
    def of(cls, text: LastText | None) -> LastTextOut | None:
        if text is None:
            return None
        return cls(kind=text.kind, status=text.status, at=text.at, reason=text.reason)


class AppointmentOut(BaseModel):
    appointment_id: str
    status: str
    version: int
    customer: CustomerOut
    starts_at: datetime
    duration_minutes: int | None = None
    location: str | None = None
    provider: str | None = None
    service: str | None = None
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None = None
    cancelled_by: CancelledBy | None = None
    confirmed_at: datetime | None = None
    outcome: AppointmentOutcome | None = None
    outcome_at: datetime | None = None
    replaces: str | None = Field(
        default=None,
        description="made by a waitlist fill: the appointment whose freed slot this one took",
    )
    planned_messages: list[PlannedOut]
    messages: list[MessageOut]
    # What the booking system may want to fix, e.g. a location too long for the text.
    warnings: list[str] = []

    @classmethod
    def of(cls, view: AppointmentView) -> AppointmentOut:
        a = view.appointment
        return cls(
            appointment_id=a.appointment_id,
            status=a.status.value,
            version=a.version,
            customer=CustomerOut(
                phone=a.customer.phone, name=a.customer.name, locale=a.customer.locale
            ),
            starts_at=a.starts_at,
            duration_minutes=a.duration_minutes,
            location=a.location,
            provider=a.provider,
            service=a.service,
            created_at=a.created_at,
            updated_at=a.updated_at,
            cancelled_at=a.cancelled_at,
            cancelled_by=a.cancelled_by,
            confirmed_at=a.confirmed_at,
            outcome=a.outcome,
            outcome_at=a.outcome_at,
            replaces=a.replaces,
            planned_messages=[
                PlannedOut(kind=m.kind, send_at=m.send_at, status=m.status.value, reason=m.reason)
                for m in view.planned
            ],
            messages=[MessageOut.of(m) for m in view.messages],
            warnings=list(view.warnings),
        )


class AppointmentSummaryOut(BaseModel):
    """One line of the day or week list."""

    appointment_id: str
    starts_at: datetime
    duration_minutes: int | None = None
    customer: CustomerOut
    service: str | None = None
    provider: str | None = None
    location: str | None = None
    status: str
    cancelled_by: CancelledBy | None = None
    cancelled_at: datetime | None = None
    confirmed_at: datetime | None = None
    outcome: AppointmentOutcome | None = None
    last_text: LastTextOut | None = None
    opted_out: bool
    undeliverable: bool
    version: int

    @classmethod
    def of(cls, listed: ListedAppointment) -> AppointmentSummaryOut:
        a: Appointment = listed.appointment
        return cls(
            appointment_id=a.appointment_id,
            starts_at=a.starts_at,
            duration_minutes=a.duration_minutes,
            customer=CustomerOut(
                phone=a.customer.phone, name=a.customer.name, locale=a.customer.locale
            ),
            service=a.service,
            provider=a.provider,
            location=a.location,
            status=a.status.value,
            cancelled_by=a.cancelled_by,
            cancelled_at=a.cancelled_at,
            confirmed_at=a.confirmed_at,
            outcome=a.outcome,
            last_text=LastTextOut.of(a.last_text),
            opted_out=listed.opted_out,
            undeliverable=listed.undeliverable,
            version=a.version,
        )


class AppointmentListOut(BaseModel):
    appointments: list[AppointmentSummaryOut]
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` with the same from and to for the next page"
    )

    @classmethod
    def of(cls, page: AppointmentPage) -> AppointmentListOut:
        return cls(
            appointments=[AppointmentSummaryOut.of(a) for a in page.appointments],
            next_cursor=encode_position(page.next_after),
        )


# A cursor is only a position in the list (a start and an appointment id), never a key or
# a tenant: the tenant always comes from the token, so an edited cursor can only move
# within the caller's own appointments, and one outside from..to is refused.
_CURSOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def encode_position(position: tuple[datetime, str] | None) -> str | None:
    if position is None:
        return None
    starts_at, appointment_id = position
    raw = json.dumps([starts_at.astimezone(UTC).isoformat(), appointment_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        decoded = decode_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        starts_at, appointment_id = decoded
        when = datetime.fromisoformat(starts_at)
    except (ValueError, TypeError) as exc:
        raise InvalidRequest("cursor is not valid") from exc
    if when.tzinfo is None or not isinstance(appointment_id, str):
        raise InvalidRequest("cursor is not valid")
    if not _CURSOR_ID.fullmatch(appointment_id):
        raise InvalidRequest("cursor is not valid")
    return when, appointment_id
