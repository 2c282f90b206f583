"""Results of a period (GET /v1/stats' rates, by_kind, by_variant, by_cadence, daily): how
the automated texts fared and how the appointments they were about turned out.

Pure arithmetic over what OversightService.stats reads (the period's texts from the time
index, their segments and variant from their records, the customers' texts from the
activity log, the appointments that started in the period); README "Results" says each
definition in words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.identity import TextIdentity, TimedText
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    HANDED_OFF_STATUSES,
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    MessageStatus,
    Tenant,
)
from rendezvous.domain.timing import local_day

# The key of the two whole-period groups (rates.texts, rates.appointments).
ALL = "all"
# by_cadence's key for an appointment planned before cadences were recorded.
UNKNOWN_CADENCE = "unknown"
_SENT = frozenset({*(s.value for s in HANDED_OFF_STATUSES), MessageStatus.UNDELIVERED.value})
_FAILED = frozenset({MessageStatus.FAILED.value, MessageStatus.UNDELIVERED.value})


@dataclass(frozen=True)
class TextFacts:
    """What the time index does not project of a text, read from its record."""

    segments: int | None = None
    variant: str | None = None


def rate(part: int, whole: int, places: int = 4) -> float | None:
    """part / whole rounded, or None when there is no whole to divide by."""
    return round(part / whole, places) if whole else None


@dataclass(frozen=True)
class Group:
    """Texts of one kind, one variant, or all of them, and the replies they drew."""

    key: str
    sent: int
    delivered: int
    failed: int
    delivery_rate: float | None
    segments: int
    cost: float
    replies: int
    reply_rate: float | None
    confirmations: int
    confirmation_rate: float | None
    opt_outs: int
    opt_outs_per_1000: float | None


@dataclass(frozen=True)
class Cohort:
    """Appointments that started in the period (all of them, or one cadence's)."""

    key: str
    appointments: int
    confirmed: int
    confirmation_rate: float | None
    cancelled_ahead: int
    cancelled_ahead_rate: float | None
    with_outcome: int
    attended: int
    no_show: int
    late_cancel: int
    no_show_rate: float | None


@dataclass(frozen=True)
class DayNumbers:
    day: str
    sent: int = 0
    delivered: int = 0
    replies: int = 0
    confirmations: int = 0
    opt_outs: int = 0


@dataclass(frozen=True)
class Rates:
    texts: Group
    appointments: Cohort


@dataclass(frozen=True)
class Results:
    rates: Rates
    by_kind: list[Group]
    by_variant: list[Group]
    by_cadence: list[Cohort]
    daily: list[DayNumbers]
    currency: str


@dataclass
class _TextTally:
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    segments: int = 0
    replies: int = 0
    # The appointments confirmed, not the confirming texts: a second C to an appointment
    # already confirmed is one more reply, not one more confirmation.
    confirmed: set[str] = field(default_factory=set)
    opt_outs: int = 0

    def add_text(self, status: str, segments: int | None) -> None:
        if status in _SENT:
            self.sent += 1
            # What Twilio bills: the segments of the texts it accepted.
            self.segments += segments or 0
        if status == MessageStatus.DELIVERED:
            self.delivered += 1
        if status in _FAILED:
            self.failed += 1

    def add_reply(self, entry: ActivityEntry) -> None:
        self.replies += 1
        if entry.acted_on() is Intent.CONFIRM and entry.appointment_id is not None:
            self.confirmed.add(entry.appointment_id)
        if entry.acted_on() is Intent.OPT_OUT:
            self.opt_outs += 1

    def group(self, key: str, segment_price: float) -> Group:
        return Group(
            key=key,
            sent=self.sent,
            delivered=self.delivered,
            failed=self.failed,
            delivery_rate=rate(self.delivered, self.sent),
            segments=self.segments,
            cost=round(self.segments * segment_price, 4),
            replies=self.replies,
            reply_rate=rate(self.replies, self.sent),
            confirmations=len(self.confirmed),
            confirmation_rate=rate(len(self.confirmed), self.sent),
            opt_outs=self.opt_outs,
            opt_outs_per_1000=round(self.opt_outs * 1000 / self.sent, 1) if self.sent else None,
        )

    def numbers(self, day: str) -> DayNumbers:
        return DayNumbers(
            day=day,
            sent=self.sent,
            delivered=self.delivered,
            replies=self.replies,
            confirmations=len(self.confirmed),
            opt_outs=self.opt_outs,
        )


def counted(text: TimedText) -> bool:
    """Whether a text of the period counts in a Group at all (sent or failed): only these
    need their record's facts."""
    return text.status in _SENT or text.status in _FAILED


def cohort_of(key: str, appointments: Iterable[Appointment], notice: timedelta) -> Cohort:
    listed = list(appointments)
    confirmed = sum(1 for a in listed if a.confirmed_at is not None)
    ahead = sum(1 for a in listed if cancelled_ahead(a, notice))
    outcomes = [a.outcome for a in listed if a.outcome is not None]
    no_show = outcomes.count(AppointmentOutcome.NO_SHOW)
    return Cohort(
        key=key,
        appointments=len(listed),
        confirmed=confirmed,
        confirmation_rate=rate(confirmed, len(listed)),
        cancelled_ahead=ahead,
        cancelled_ahead_rate=rate(ahead, len(listed)),
        with_outcome=len(outcomes),
        attended=outcomes.count(AppointmentOutcome.ATTENDED),
        no_show=no_show,
        late_cancel=outcomes.count(AppointmentOutcome.LATE_CANCEL),
        no_show_rate=rate(no_show, len(outcomes)),
    )


def cancelled_ahead(appointment: Appointment, notice: timedelta) -> bool:
    """Cancelled early enough that its slot could still be offered to the waitlist (the
    tenant's fill notice): a freed slot, not a loss. Not when the business recorded it as a
    late cancel: its own outcome says the slot was lost, and one visit is not both."""
    return (
        appointment.status is AppointmentStatus.CANCELLED
        and appointment.outcome is not AppointmentOutcome.LATE_CANCEL
        and appointment.cancelled_at is not None
        and appointment.starts_at - appointment.cancelled_at >= notice
    )


def period_days(since: datetime, until: datetime, zone: ZoneInfo) -> list[str]:
    """The dates in `zone` that [since, until) touches, oldest first (a period of N days that
    does not start at midnight there touches N + 1; a date the clocks change is one date)."""
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def results_of(
    tenant: Tenant,
    since: datetime,
    until: datetime,
    texts: Iterable[TimedText],
    facts: Mapping[TextIdentity, TextFacts],
    replies: Iterable[ActivityEntry],
    appointments: Iterable[Appointment],
) -> Results:
    """The period's results. `texts`: the time index's texts of the period; `facts`: the
    records' segments and variant of those that count; `replies`: the log's TEXT_RECEIVED
    entries of the period; `appointments`: those that started in [since, until). The daily
    rows are the tenant's dates: a clinic's day is its own, not UTC's (the caller reads the
    UTC days the period touches, which hold every instant of those dates inside it)."""
    zone = ZoneInfo(tenant.timezone)
    whole = _TextTally()
    kinds: dict[str, _TextTally] = defaultdict(_TextTally)
    variants: dict[str, _TextTally] = defaultdict(_TextTally)
    days = {day: _TextTally() for day in period_days(since, until, zone)}
    for text in texts:
        if not counted(text):
            continue
        fact = facts.get(text.identity, TextFacts())
        for tally in (whole, kinds[text.identity.kind]):
            tally.add_text(text.status, fact.segments)
        if fact.variant is not None:
            variants[fact.variant].add_text(text.status, fact.segments)
        day = days.get(local_day(text.send_at, zone))
        if day is not None:
            day.add_text(text.status, fact.segments)
    for entry in replies:
        if entry.event is not ActivityEvent.TEXT_RECEIVED:
            continue
        whole.add_reply(entry)
        if entry.answered_kind is not None:
            kinds[entry.answered_kind].add_reply(entry)
        if entry.answered_variant is not None:
            variants[entry.answered_variant].add_reply(entry)
        day = days.get(local_day(entry.at, zone))
        if day is not None:
            day.add_reply(entry)
    notice = timedelta(minutes=tenant.fill_min_notice_minutes)
    started = list(appointments)
    cadences: dict[str, list[Appointment]] = defaultdict(list)
    for appointment in started:
        key = appointment.cadence if appointment.cadence is not None else UNKNOWN_CADENCE
        cadences[key].append(appointment)
    price = tenant.segment_price
    return Results(
        rates=Rates(texts=whole.group(ALL, price), appointments=cohort_of(ALL, started, notice)),
        by_kind=[kinds[k].group(k, price) for k in sorted(kinds)],
        by_variant=[variants[v].group(v, price) for v in sorted(variants)],
        by_cadence=[cohort_of(c, cadences[c], notice) for c in sorted(cadences)],
        daily=[tally.numbers(day) for day, tally in days.items()],
        currency=tenant.currency,
    )
