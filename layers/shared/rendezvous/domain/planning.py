"""Which automated texts an appointment gets, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rendezvous.domain.models import (
    Appointment,
    AppointmentStatus,
    MessageKind,
    MessageRecord,
    MessageStatus,
    OfferText,
    QuietHours,
    SuppressionReason,
    Tenant,
    reminder_kind,
    reminder_lead,
)
from rendezvous.domain.timing import (
    is_quiet,
    latest_allowed_before,
    next_allowed,
    recipient_zone,
)
from rendezvous.domain.vacancy import Offer, OfferStatus, Opening, OpeningStatus

# A reminder this close after the confirmation (or another reminder) adds nothing but noise.
MIN_GAP = timedelta(minutes=60)
# Reminders of a day or more ahead go out between 10:00 and 18:00 in the recipient's time
# (Steiner 2018 sent its 3-day and 1-day reminders in the daytime), modelled as the quiet
# hours 18:00-10:00 so the quiet-hours arithmetic (zones, clock changes) is reused.
REMINDER_WINDOW = QuietHours(start=time(18, 0), end=time(10, 0))
# A reminder under this lead is a short one ("see you in 2 hours"): it keeps to quiet hours
# only (the window would move it to the day before), and goes only to an appointment that is
# still unconfirmed (the sender checks at send time). A booking made less than this ahead gets
# its confirmation alone: it already asks the customer to confirm.
DAY = timedelta(hours=24)


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
    if message.kind == MessageKind.CANCELLED:
        # The one text that exists because the appointment is cancelled.
        if appointment.status is not AppointmentStatus.CANCELLED:
            return SuppressionReason.APPOINTMENT_CHANGED
    elif appointment.status is AppointmentStatus.CANCELLED:
        return SuppressionReason.APPOINTMENT_CANCELLED
    if appointment.version != message.version:
        return SuppressionReason.APPOINTMENT_CHANGED
    if not still_timely(message.kind, appointment.starts_at, now):
        return too_late
    if is_short_reminder(message.kind) and appointment.status is AppointmentStatus.CONFIRMED:
        return SuppressionReason.APPOINTMENT_CONFIRMED
    return None


def offer_late_verdict(
    text: OfferText,
    opening: Opening,
    offer: Offer,
    min_notice_minutes: int,
    now: datetime,
    too_late: SuppressionReason,
) -> SuppressionReason | None:
    """late_verdict for an offer's text: an offer is worth sending only while its opening
    can still be taken by this entry; "just taken" only before the slot."""
    if text.kind == MessageKind.OFFER:
        if opening.status is OpeningStatus.WITHDRAWN:
            return SuppressionReason.OPENING_WITHDRAWN
        if opening.status is OpeningStatus.FILLED:
            return SuppressionReason.OPENING_FILLED
        # Before the offer's own status: the wave that marks an opening expired closes its
        # offers too, and the reason is the expiry.
        if not opening.worth_offering(now, min_notice_minutes):
            return SuppressionReason.OPENING_EXPIRED
        if offer.status is not OfferStatus.SENT:
            return SuppressionReason.OFFER_ENDED
        return None
    return too_late if now >= opening.starts_at else None


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
            MessageKind.CANCELLED,
        }


def plan_notice(
    kind: MessageKind, appointment: Appointment, tenant: Tenant, now: datetime
) -> PlannedMessage:
    """A confirmation, moved or cancelled notice: now, or when quiet hours end (recorded as
    deferred)."""
    zone = recipient_zone(appointment.customer.phone, tenant.timezone)
    at = next_allowed(now, zone, tenant.quiet_hours)
    if at == now:
        return PlannedMessage(kind, now, MessageStatus.PLANNED)
    return PlannedMessage(kind, at, MessageStatus.DEFERRED, SuppressionReason.QUIET_HOURS)


def is_short_reminder(kind: str) -> bool:
    """A reminder under a day ahead: sent only while the appointment is unconfirmed."""
    lead = reminder_lead(kind)
    return lead is not None and lead < DAY


def _reminder_time(nominal: datetime, short: bool, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`nominal`, or the latest earlier minute allowed: outside the tenant's quiet hours and,
    for a reminder a day or more ahead, inside the 10:00-18:00 window. When the two cannot
    both hold (quiet hours covering the window's end), the quiet hours win."""
    if short:
        return latest_allowed_before(nominal, zone, quiet)
    at = nominal
    for _ in range(3):
        at = latest_allowed_before(latest_allowed_before(at, zone, REMINDER_WINDOW), zone, quiet)
        if not is_quiet(at, zone, REMINDER_WINDOW):
            return at
    return latest_allowed_before(nominal, zone, quiet)


def plan_reminders(
    appointment: Appointment, tenant: Tenant, now: datetime, notice_at: datetime | None
) -> list[PlannedMessage]:
    """One reminder per tenant offset still ahead, moved earlier into its window, never in
    the past; none for a booking made under a day ahead.

    A reminder that would land in quiet hours goes out at the last allowed minute before
    them (a 06:30 reminder for an 08:30 visit goes out at 20:59 the evening before), since
    deferring it to the morning would make it arrive after the visit has begun. A day-ahead
    reminder due outside 10:00-18:00 goes out at 17:59 the day before, for the same reason.
    """
    if appointment.starts_at - now < DAY:
        return []
    zone = recipient_zone(appointment.customer.phone, tenant.timezone)
    planned: list[PlannedMessage] = []
    last = notice_at
    for offset in sorted(tenant.reminder_offsets_minutes, reverse=True):
        nominal = appointment.starts_at - timedelta(minutes=offset)
        kind = reminder_kind(offset)
        at = _reminder_time(nominal, is_short_reminder(kind), zone, tenant.quiet_hours)
        if at <= now:
            continue
        if last is not None and at - last < MIN_GAP:
            continue
        planned.append(PlannedMessage(kind, at, MessageStatus.PLANNED))
        last = at
    return planned


def cadence_of(plan: list[PlannedMessage]) -> str:
    """The reminder cadence an appointment was planned with: the offsets of the reminders
    actually planned, longest first, as their kinds spell them ("72h+24h"; "" when it gets
    none, e.g. booked under a day ahead), so results compare what customers received."""
    leads = [(lead, p.kind) for p in plan if (lead := reminder_lead(p.kind)) is not None]
    return "+".join(kind.removeprefix("reminder_") for _, kind in sorted(leads, reverse=True))
