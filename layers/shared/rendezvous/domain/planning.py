"""Which automated texts an appointment gets, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rendezvous.domain.models import (
    Appointment,
    AppointmentStatus,
    MessageKind,
    MessageRecord,
    MessageStatus,
    SuppressionReason,
    Tenant,
    reminder_kind,
    reminder_lead,
)
from rendezvous.domain.timing import latest_allowed_before, next_allowed, recipient_zone

# A reminder this close after the confirmation (or another reminder) adds nothing but noise.
MIN_GAP = timedelta(minutes=60)


def still_timely(kind: str, starts_at: datetime, now: datetime) -> bool:
    """Whether a text may still go out now, however late it is (held by a pause, its
    retries spent, deferred, redriven): before the appointment, and a reminder no later
    than half its lead time before it (a 48-hour reminder up to 24 hours before, a 2-hour
    one up to an hour before). Later, it would arrive as noise or as a wrong promise."""
    lead = reminder_lead(kind)
    latest = starts_at - lead / 2 if lead is not None else starts_at
    return now < latest


def late_verdict(
    appointment: Appointment,
    message: MessageRecord,
    now: datetime,
    too_late: SuppressionReason,
) -> SuppressionReason | None:
    """Why a text must not go out now, or None when it still makes sense: the sender's first
    rules, and what a resume or a redrive checks before it hands a late text back."""
    if appointment.status is AppointmentStatus.CANCELLED:
        return SuppressionReason.APPOINTMENT_CANCELLED
    if appointment.version != message.version:
        return SuppressionReason.APPOINTMENT_CHANGED
    if not still_timely(message.kind, appointment.starts_at, now):
        return too_late
    return None


@dataclass(frozen=True)
class PlannedMessage:
    kind: str
    send_at: datetime
    status: MessageStatus
    reason: str | None = None

    @property
    def immediate(self) -> bool:
        return self.status is MessageStatus.PLANNED and self.kind in {
            MessageKind.CONFIRMATION,
            MessageKind.MOVED,
        }


def plan_notice(
    kind: MessageKind, appointment: Appointment, tenant: Tenant, now: datetime
) -> PlannedMessage:
    """A confirmation or moved notice: now, or when quiet hours end (recorded as deferred)."""
    zone = recipient_zone(appointment.customer.phone, tenant.timezone)
    at = next_allowed(now, zone, tenant.quiet_hours)
    if at == now:
        return PlannedMessage(kind, now, MessageStatus.PLANNED)
    return PlannedMessage(kind, at, MessageStatus.DEFERRED, SuppressionReason.QUIET_HOURS)


def plan_reminders(
    appointment: Appointment, tenant: Tenant, now: datetime, notice_at: datetime | None
) -> list[PlannedMessage]:
    """One reminder per tenant offset, moved earlier out of quiet hours, never in the past.

    A reminder that would land in quiet hours goes out at the last allowed minute before
    them (a 06:30 reminder for an 08:30 visit goes out at 20:59 the evening before), since
    deferring it to the morning would make it arrive after the visit has begun.
    """
    zone = recipient_zone(appointment.customer.phone, tenant.timezone)
    planned: list[PlannedMessage] = []
    last = notice_at
    for offset in sorted(tenant.reminder_offsets_minutes, reverse=True):
        nominal = appointment.starts_at - timedelta(minutes=offset)
        at = latest_allowed_before(nominal, zone, tenant.quiet_hours)
        if at <= now:
            continue
        if last is not None and at - last < MIN_GAP:
            continue
        planned.append(PlannedMessage(reminder_kind(offset), at, MessageStatus.PLANNED))
        last = at
    return planned
