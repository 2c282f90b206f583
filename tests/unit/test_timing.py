"""Quiet hours in the recipient's zone, and where reminders land."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from rendezvous.domain.models import QuietHours
from rendezvous.domain.timing import (
    is_quiet,
    latest_allowed_before,
    local_day,
    next_allowed,
    recipient_zone,
)

LA = ZoneInfo("America/Los_Angeles")
PARIS = ZoneInfo("Europe/Paris")
NIGHT = QuietHours(start=time(21, 0), end=time(8, 0))


def la(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("2030-01-10T20:59", False),
        ("2030-01-10T21:00", True),
        ("2030-01-11T03:00", True),
        ("2030-01-11T07:59", True),
        ("2030-01-11T08:00", False),
        ("2030-01-11T12:00", False),
    ],
)
def test_quiet_hours_wrap_midnight(local: str, quiet: bool) -> None:
    assert is_quiet(la(local), LA, NIGHT) is quiet


def test_a_daytime_quiet_window_does_not_wrap() -> None:
    lunch = QuietHours(start=time(12, 0), end=time(13, 0))

    assert is_quiet(la("2030-01-10T12:30"), LA, lunch)
    assert not is_quiet(la("2030-01-10T23:30"), LA, lunch)


def test_equal_start_and_end_mean_no_quiet_hours() -> None:
    assert not is_quiet(la("2030-01-10T03:00"), LA, QuietHours(start=time(0), end=time(0)))


def test_next_allowed_in_the_evening_is_tomorrow_morning() -> None:
    assert next_allowed(la("2030-01-10T22:15"), LA, NIGHT) == la("2030-01-11T08:00")


def test_next_allowed_after_midnight_is_the_same_morning() -> None:
    assert next_allowed(la("2030-01-11T02:00"), LA, NIGHT) == la("2030-01-11T08:00")


def test_next_allowed_outside_quiet_hours_is_unchanged() -> None:
    instant = la("2030-01-10T10:00")

    assert next_allowed(instant, LA, NIGHT) == instant


def test_latest_allowed_before_early_morning_is_the_evening_before() -> None:
    assert latest_allowed_before(la("2030-01-11T06:30"), LA, NIGHT) == la("2030-01-10T20:59")


def test_latest_allowed_before_late_evening_is_the_same_evening() -> None:
    assert latest_allowed_before(la("2030-01-10T23:00"), LA, NIGHT) == la("2030-01-10T20:59")


def test_quiet_hours_follow_the_clock_across_a_dst_change() -> None:
    # 2030-03-10 is the US spring-forward day: 08:00 local is 15:00 UTC, not 16:00.
    morning = next_allowed(la("2030-03-10T01:30"), LA, NIGHT)

    assert morning.astimezone(UTC) == datetime(2030, 3, 10, 15, 0, tzinfo=UTC)


def test_a_french_mobile_is_quiet_in_paris_time_whatever_the_tenant_zone() -> None:
    zone = recipient_zone("+33612345678", "America/Los_Angeles")
    # 23:30 in Paris is 14:30 in Los Angeles.
    instant = datetime(2030, 1, 10, 22, 30, tzinfo=UTC)

    assert zone == PARIS
    assert is_quiet(instant, zone, NIGHT)
    assert not is_quiet(instant, LA, NIGHT)


def test_a_san_francisco_number_is_in_pacific_time_for_a_chicago_tenant() -> None:
    assert recipient_zone("+14155550123", "America/Chicago") == LA


@pytest.mark.parametrize("phone", ["+18005550123", "+61412345678", "+447700900123"])
def test_a_prefix_spanning_or_lacking_zones_falls_back_to_the_tenant_zone(phone: str) -> None:
    assert recipient_zone(phone, "America/Chicago") == ZoneInfo("America/Chicago")


def test_the_daily_cap_counts_by_the_recipients_own_date() -> None:
    instant = datetime(2030, 1, 11, 5, 0, tzinfo=UTC)  # 21:00 on the 10th in Los Angeles

    assert local_day(instant, LA) == "2030-01-10"
    assert local_day(instant, PARIS) == "2030-01-11"


def test_quiet_hours_ending_in_the_repeated_hour_end_after_the_instant_not_before_it() -> None:
    # 2030-11-03, Los Angeles: 01:00-02:00 happens twice. At 01:00 PST (the second pass)
    # quiet hours until 01:15 end at 01:15 PST, not at the 01:15 PDT an hour earlier.
    quiet = QuietHours(start=time(0, 0), end=time(1, 15))
    instant = datetime(2030, 11, 3, 9, 0, tzinfo=UTC)

    allowed = next_allowed(instant, LA, quiet)

    assert allowed == datetime(2030, 11, 3, 9, 15, tzinfo=UTC)


def test_when_the_clocks_skip_the_whole_allowed_window_the_next_days_window_is_next() -> None:
    # Allowed only 02:00-02:15; on 2030-03-10 Los Angeles jumps from 02:00 to 03:00.
    quiet = QuietHours(start=time(2, 15), end=time(2, 0))
    instant = datetime(2030, 3, 10, 7, 0, tzinfo=UTC)

    allowed = next_allowed(instant, LA, quiet)

    assert allowed == datetime(2030, 3, 11, 9, 0, tzinfo=UTC)  # 02:00 PDT the next day


def test_latest_allowed_before_a_night_whose_window_the_clocks_skip_is_the_day_before() -> None:
    # Allowed only 02:00-02:15; on 2030-03-31 Paris jumps from 02:00 to 03:00.
    quiet = QuietHours(start=time(2, 15), end=time(2, 0))
    instant = datetime(2030, 3, 31, 1, 30, tzinfo=UTC)  # 03:30 CEST

    latest = latest_allowed_before(instant, PARIS, quiet)

    assert latest == datetime(2030, 3, 30, 1, 14, tzinfo=UTC)  # 02:14 CET the day before
