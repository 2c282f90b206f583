"""GET /v1/stats' results through OversightService on memory ports: the figures of
tests/support/results_seed.py, worked out by hand, and the edges of each definition."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rendezvous.domain.activity import ALREADY_OPTED_OUT, ActivityEntry, ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import InvalidRequest
from rendezvous.domain.identity import MessageIdentity, TextIdentity, TimedText
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Customer,
    MessageStatus,
)
from rendezvous.domain.oversight import OversightService
from rendezvous.domain.redrive import LateTexts
from rendezvous.domain.results import (
    TextFacts,
    cancelled_ahead,
    period_days,
    rate,
    results_of,
)
from tests.support.aws import clinic
from tests.support.memory import MemoryActivityLog, MemoryOutbound, MemoryQueue, MemoryStore
from tests.support.results_seed import (
    DAYS,
    EXPECTED_APPOINTMENTS,
    EXPECTED_BY_CADENCE,
    EXPECTED_BY_KIND,
    EXPECTED_BY_VARIANT,
    EXPECTED_DAILY,
    EXPECTED_TEXTS,
    NOW,
    TENANT_ID,
    period,
    priced,
)


def seeded() -> tuple[OversightService, MemoryStore]:
    store, log, clock = MemoryStore(), MemoryActivityLog(), FixedClock(NOW)
    store.put_tenant(priced(clinic()))
    seed = period()
    for appointment, records in seed.appointments:
        store.appointments_by_id[(TENANT_ID, appointment.appointment_id)] = appointment
        for record in records:
            store.messages[(TENANT_ID, record.appointment_id, record.kind, 1)] = record
    for text in seed.offer_texts:
        store.offer_texts[(TENANT_ID, text.opening_id, text.entry_id, text.kind)] = text
    for entry in seed.entries:
        log.append(TENANT_ID, entry)
    late = LateTexts(store, store, MemoryOutbound(), clock)
    return OversightService(store, store, MemoryQueue(store), log, clock, lambda: late), store


def figures(service: OversightService) -> dict[str, Any]:
    return asdict(service.stats(TENANT_ID, DAYS).results)


def test_the_seeded_period_gives_the_figures_worked_out_by_hand() -> None:
    results = figures(seeded()[0])

    assert results["rates"]["texts"] == EXPECTED_TEXTS
    assert results["rates"]["appointments"] == EXPECTED_APPOINTMENTS
    assert results["by_kind"] == EXPECTED_BY_KIND
    assert results["by_variant"] == EXPECTED_BY_VARIANT
    assert results["by_cadence"] == EXPECTED_BY_CADENCE
    assert results["daily"] == EXPECTED_DAILY
    assert results["currency"] == "EUR"


def test_the_whole_period_agrees_with_the_stats_older_figures() -> None:
    stats = seeded()[0].stats(TENANT_ID, DAYS)
    texts = stats.results.rates.texts

    assert (texts.sent, texts.delivered) == (stats.sent, stats.delivered)
    assert texts.failed == stats.failed
    assert (texts.replies, texts.opt_outs) == (stats.replies, stats.opt_outs)


def test_a_cadence_of_no_reminders_is_its_own_group_not_unknown() -> None:
    service, store = seeded()
    p5 = store.appointments_by_id[(TENANT_ID, "p5")]
    store.appointments_by_id[(TENANT_ID, "p5")] = p5.model_copy(update={"cadence": ""})

    keys = [c["key"] for c in figures(service)["by_cadence"]]

    assert keys == ["", "24h", "72h+24h"]


def test_a_quiet_period_has_zero_counts_and_null_rates_and_a_row_per_day() -> None:
    # Midnight in the clinic's Los Angeles (UTC-8 in January).
    store, clock = MemoryStore(), FixedClock(datetime(2030, 1, 10, 8, 0, tzinfo=UTC))
    store.put_tenant(clinic())
    late = LateTexts(store, store, MemoryOutbound(), clock)
    service = OversightService(
        store, store, MemoryQueue(store), MemoryActivityLog(), clock, lambda: late
    )

    results = asdict(service.stats(TENANT_ID, 3).results)

    assert results["rates"]["texts"]["sent"] == 0
    assert results["rates"]["texts"]["delivery_rate"] is None
    assert results["rates"]["texts"]["opt_outs_per_1000"] is None
    assert results["rates"]["appointments"]["no_show_rate"] is None
    assert (results["by_kind"], results["by_variant"], results["by_cadence"]) == ([], [], [])
    # From the clinic's midnight to its midnight: exactly its three days, the last not touched.
    assert [d["day"] for d in results["daily"]] == ["2030-01-07", "2030-01-08", "2030-01-09"]
    assert results["currency"] == "USD"


@pytest.mark.parametrize("days", [0, 32, -1])
def test_days_outside_1_to_31_are_refused(days: int) -> None:
    with pytest.raises(InvalidRequest):
        seeded()[0].stats(TENANT_ID, days)


def test_rates_round_to_four_places_and_are_null_without_a_denominator() -> None:
    assert rate(2, 3) == 0.6667
    assert rate(1, 8) == 0.125
    assert rate(0, 5) == 0.0
    assert rate(3, 0) is None


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # 2030-01-08T17:00Z to 2030-01-10T17:00Z: not midnight anywhere below, so 3 dates.
        ("UTC", ["2030-01-08", "2030-01-09", "2030-01-10"]),
        ("America/Los_Angeles", ["2030-01-08", "2030-01-09", "2030-01-10"]),  # 09:00, UTC-8
        ("Pacific/Auckland", ["2030-01-09", "2030-01-10", "2030-01-11"]),  # 06:00, UTC+13
    ],
)
def test_a_period_that_does_not_start_at_midnight_touches_one_date_more_where_the_tenant_is(
    zone: str, expected: list[str]
) -> None:
    since = datetime(2030, 1, 8, 17, tzinfo=UTC)

    assert period_days(since, since + timedelta(days=2), ZoneInfo(zone)) == expected


def test_a_day_the_clocks_go_forward_is_one_date_of_23_hours() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    # 2030-03-10 is 23 hours long there: 08:00Z (midnight PST) to 07:00Z (midnight PDT).
    since, until = datetime(2030, 3, 10, 8, tzinfo=UTC), datetime(2030, 3, 11, 7, tzinfo=UTC)

    assert period_days(since, until, zone) == ["2030-03-10"]
    assert period_days(since, until + timedelta(seconds=1), zone) == ["2030-03-10", "2030-03-11"]


def test_daily_rows_are_the_tenants_dates_not_utc_days() -> None:
    since = datetime(2030, 1, 9, 17, tzinfo=UTC)  # 09:00 in the clinic's Los Angeles
    evening, night = datetime(2030, 1, 10, 7, 59, tzinfo=UTC), datetime(2030, 1, 10, 8, tzinfo=UTC)
    texts = [
        TimedText(MessageIdentity(TENANT_ID, a, "confirmation", 1), "delivered", None, at)
        for a, at in (("a", evening), ("b", night))
    ]
    replies = [
        ActivityEntry(
            event=ActivityEvent.TEXT_RECEIVED,
            actor="customer",
            at=at,
            intent=Intent.CONFIRM,
            appointment_id=a,
        )
        for a, at in (("a", evening), ("b", night))
    ]

    results = results_of(clinic(), since, since + timedelta(days=1), texts, {}, replies, [])

    # 23:59 on the 9th there, then midnight of the 10th; both the 10th in UTC.
    assert [(d.day, d.sent, d.delivered, d.replies, d.confirmations) for d in results.daily] == [
        ("2030-01-09", 1, 1, 1, 1),
        ("2030-01-10", 1, 1, 1, 1),
    ]


@pytest.mark.parametrize(
    ("minutes_ahead", "expected"), [(120, True), (119, False), (600, True), (-5, False)]
)
def test_cancelled_ahead_means_at_least_the_fill_notice_before_the_start(
    minutes_ahead: int, expected: bool
) -> None:
    starts = datetime(2030, 1, 9, 16, tzinfo=UTC)
    appointment = Appointment(
        tenant_id=TENANT_ID,
        appointment_id="a",
        customer=Customer(phone="+14155550123", name="Ana"),
        starts_at=starts,
        status=AppointmentStatus.CANCELLED,
        cancelled_at=starts - timedelta(minutes=minutes_ahead),
        created_at=starts - timedelta(days=3),
        updated_at=starts,
    )

    assert cancelled_ahead(appointment, timedelta(minutes=120)) is expected
    scheduled = appointment.model_copy(update={"status": AppointmentStatus.SCHEDULED})
    assert cancelled_ahead(scheduled, timedelta(minutes=120)) is False
    recorded_late = appointment.model_copy(update={"outcome": AppointmentOutcome.LATE_CANCEL})
    assert cancelled_ahead(recorded_late, timedelta(minutes=120)) is False


def test_cost_is_segments_times_the_tenant_price_to_four_places() -> None:
    tenant = clinic(segment_price=0.0083)
    since = datetime(2030, 1, 9, tzinfo=UTC)
    texts = [
        TimedText(MessageIdentity(TENANT_ID, f"a{n}", "confirmation", 1), "delivered", None, since)
        for n in range(7)
    ]
    facts: dict[TextIdentity, TextFacts] = {t.identity: TextFacts(segments=3) for t in texts}

    results = results_of(tenant, since, since + timedelta(days=1), texts, facts, [], [])

    # 7 texts x 3 segments x 0.0083 = 0.1743
    assert (results.rates.texts.segments, results.rates.texts.cost) == (21, 0.1743)


def test_a_reply_counts_for_all_texts_and_for_the_kind_and_variant_it_answered() -> None:
    since = datetime(2030, 1, 9, tzinfo=UTC)
    identity = MessageIdentity(TENANT_ID, "a", "reminder_24h", 1)
    text = TimedText(identity, MessageStatus.DELIVERED.value, None, since)
    stop = ActivityEntry(
        event=ActivityEvent.TEXT_RECEIVED,
        actor="customer",
        at=since + timedelta(hours=1),
        intent=Intent.OPT_OUT,
        answered_kind="reminder_24h",
        answered_variant="ex/b",
    )
    facts: dict[TextIdentity, TextFacts] = {identity: TextFacts(segments=1, variant="ex/b")}

    results = results_of(
        clinic(), since, since + timedelta(days=1), [text], facts, [stop, stop], []
    )

    assert results.rates.texts.opt_outs_per_1000 == 2000.0
    assert [(g.key, g.opt_outs) for g in results.by_kind] == [("reminder_24h", 2)]
    assert [(g.key, g.opt_outs, g.replies) for g in results.by_variant] == [("ex/b", 2, 2)]


def test_a_confirmation_counts_once_per_appointment_in_each_group_and_each_day() -> None:
    since = datetime(2030, 1, 9, tzinfo=UTC)
    identity = MessageIdentity(TENANT_ID, "a", "confirmation", 1)
    text = TimedText(identity, MessageStatus.DELIVERED.value, None, since)
    facts: dict[TextIdentity, TextFacts] = {identity: TextFacts(segments=1, variant="ex/b")}

    def confirm(appointment_id: str, hours: int) -> ActivityEntry:
        return ActivityEntry(
            event=ActivityEvent.TEXT_RECEIVED,
            actor="customer",
            at=since + timedelta(hours=hours),
            intent=Intent.CONFIRM,
            appointment_id=appointment_id,
            answered_kind="confirmation",
            answered_variant="ex/b",
        )

    # "a" confirmed twice on the 9th and once more on the 10th, "b" once on the 9th.
    replies = [confirm("a", 1), confirm("a", 2), confirm("b", 3), confirm("a", 26)]
    results = results_of(
        clinic(timezone="UTC"), since, since + timedelta(days=2), [text], facts, replies, []
    )

    texts = results.rates.texts
    assert (texts.replies, texts.confirmations, texts.confirmation_rate) == (4, 2, 2.0)
    assert [(g.key, g.replies, g.confirmations) for g in results.by_kind] == [
        ("confirmation", 4, 2)
    ]
    assert [(g.key, g.replies, g.confirmations) for g in results.by_variant] == [("ex/b", 4, 2)]
    # A day counts the appointments confirmed that day: "a" again on the 10th.
    assert [(d.day, d.replies, d.confirmations) for d in results.daily] == [
        ("2030-01-09", 3, 2),
        ("2030-01-10", 1, 1),
    ]


def test_stop_again_from_an_opted_out_number_is_a_reply_not_another_opt_out() -> None:
    since = datetime(2030, 1, 9, 17, tzinfo=UTC)
    texts = [
        TimedText(MessageIdentity(TENANT_ID, "a", "confirmation", 1), "delivered", None, since)
    ]
    stops = [
        ActivityEntry(
            event=ActivityEvent.TEXT_RECEIVED,
            actor="customer",
            at=since + timedelta(minutes=n),
            intent=Intent.OPT_OUT,
            reason=reason,
        )
        for n, reason in enumerate([None, ALREADY_OPTED_OUT, ALREADY_OPTED_OUT])
    ]

    results = results_of(clinic(), since, since + timedelta(days=1), texts, {}, stops, [])

    assert (results.rates.texts.replies, results.rates.texts.opt_outs) == (3, 1)
