"""When a text may go out: quiet hours in the recipient's own zone, and reminder planning."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rendezvous.domain.models import OpeningHours, QuietHours

ONE_MINUTE = timedelta(minutes=1)


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
    return datetime.combine(day.date(), wall, tzinfo=zone)


def next_allowed(instant: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`instant` itself when it is allowed, else the first minute after quiet hours end."""
    if not is_quiet(instant, zone, quiet):
        return instant
    local = instant.astimezone(zone)
    end = _at_local(local, quiet.end, zone)
    if end <= local:
        end = _at_local(local + timedelta(days=1), quiet.end, zone)
    return end.astimezone(instant.tzinfo)


def latest_allowed_before(instant: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """`instant` itself when it is allowed, else the last minute before quiet hours began."""
    if not is_quiet(instant, zone, quiet):
        return instant
    local = instant.astimezone(zone)
    start = _at_local(local, quiet.start, zone)
    if start > local:
        start = _at_local(local - timedelta(days=1), quiet.start, zone)
    return (start - ONE_MINUTE).astimezone(instant.tzinfo)


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
