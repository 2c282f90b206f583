"""When a text may go out: quiet hours in the recipient's own zone, and reminder planning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rendezvous.domain.models import DueReason, OpeningHours, QuietHours

ONE_MINUTE = timedelta(minutes=1)
# An answer about a visit is promised this long before it, so the customer can still act
# on it (come, bring the papers, call to move it).
VISIT_LEAD = timedelta(minutes=30)
# A queue item about a visit closer than this says so.
VISIT_SOON = timedelta(hours=4)


def recipient_zone(phone: str, tenant_zone: str) -> ZoneInfo:
    """The recipient's zone, from the number's prefix when it names exactly one zone.

    A prefix that spans zones (most of +1) says nothing useful, so the business's own zone
    stands in: a customer booking at a clinic usually lives near it.
    """
    from rendezvous.phone import time_zones_for

    zones = time_zones_for(phone)
    if tenant_zone in zones or len(zones) != 1:
        return ZoneInfo(tenant_zone)
    return ZoneInfo(zones[0])


def is_quiet(instant: datetime, zone: ZoneInfo, quiet: QuietHours) -> bool:
    if quiet.start == quiet.end:
        return False
    local = instant.astimezone(zone).time()
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def _at_local(day: datetime, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant of `day` whose local time is `wall` or later: `wall` itself, or,
    on the night the clocks skip it (02:30 when 02:00 jumps to 03:00), the jump."""
    naive = datetime.combine(day.date(), wall)
    at = naive.replace(tzinfo=zone)
    if at.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return at
    # Skipped: read with the offset after the jump it is before the jump, and with the
    # offset before it, after. Jumps fall on whole minutes; bisect to that minute.
    low, high = at.replace(fold=1).astimezone(UTC), at.astimezone(UTC)
    while high - low > ONE_MINUTE:
        middle = low + ONE_MINUTE * ((high - low) // ONE_MINUTE // 2)
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high.astimezone(zone)


def next_allowed(instant: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`instant` itself when it is allowed, else the first minute after quiet hours end."""
    if not is_quiet(instant, zone, quiet):
        return instant
    local = instant.astimezone(zone)
    # The first end after the instant, compared in UTC: datetimes of one zone compare by
    # wall clock, so on the night 01:00-02:00 happens twice, 01:15 of the first pass would
    # pass for later than 01:00 of the second. Both passes of an end time are candidates,
    # and an end moved to a jump that is itself quiet (the whole allowed window skipped
    # that night) is not one: the next day's is.
    for days in range(3):
        end = _at_local(local + timedelta(days=days), quiet.end, zone)
        for candidate in (end, end.replace(fold=1)):
            later = candidate.astimezone(UTC) > instant.astimezone(UTC)
            if later and not is_quiet(candidate, zone, quiet):
                return candidate.astimezone(instant.tzinfo)
    raise AssertionError("quiet hours end within two days")  # pragma: no cover


def latest_allowed_before(instant: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`instant` itself when it is allowed, else the last minute before quiet hours began."""
    if not is_quiet(instant, zone, quiet):
        return instant
    local = instant.astimezone(zone)
    # As next_allowed, backwards: the last start at or before the instant, compared in UTC,
    # either pass of a repeated hour, whose minute before is allowed.
    for days in range(3):
        start = _at_local(local - timedelta(days=days), quiet.start, zone)
        for candidate in (start.replace(fold=1), start):
            # In UTC: a zone's own arithmetic is wall-clock, and 03:00 - 1 minute may not exist.
            before = candidate.astimezone(UTC) - ONE_MINUTE
            if candidate.astimezone(UTC) <= instant.astimezone(UTC) and not is_quiet(
                before, zone, quiet
            ):
                return before.astimezone(instant.tzinfo)
    raise AssertionError("quiet hours begin within two days")  # pragma: no cover


def local_day(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).date().isoformat()


def answer_due_by(now: datetime, tenant_zone: str, opening: OpeningHours, minutes: int) -> datetime:
    """When a person will have answered: `minutes` of opening hours after `now`.

    A text that arrives at night is due `minutes` after the next opening; one that arrives
    near closing time carries the rest over to the next open day.
    """
    zone = ZoneInfo(tenant_zone)
    cursor = now.astimezone(zone)
    remaining = timedelta(minutes=minutes)
    for _ in range(15):  # two weeks of days is enough to find every open window
        window = opening.days.get(cursor.isoweekday())
        if window is not None:
            start = max(cursor, _at_local(cursor, window[0], zone))
            end = _at_local(cursor, window[1], zone)
            if start < end:
                if start + remaining <= end:
                    return (start + remaining).astimezone(now.tzinfo)
                remaining -= end - start
        cursor = _at_local(cursor + timedelta(days=1), time(0, 0), zone)
    # A business with no opening hours at all: promise the plain interval.
    return now + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Due:
    at: datetime
    reason: DueReason


def answer_due_before_visit(usual: datetime, visit: datetime | None, now: datetime) -> Due:
    """The usual promise, or one VISIT_LEAD before the visit the text is about when that is
    sooner (CONTRACT.md: an answer is promised before the appointment it concerns).

    A visit closer than VISIT_LEAD is promised halfway to it: still before it, never in the
    past.
    """
    if visit is None or visit <= now:
        return Due(usual, DueReason.RESPONSE_TIME)
    before = visit - VISIT_LEAD
    if before <= now:
        before = now + (visit - now) / 2
    if before >= usual:
        return Due(usual, DueReason.RESPONSE_TIME)
    return Due(before, DueReason.VISIT)
