"""The experiment report: arms counted from members and appointments, each variant against
the control on no-shows (primary) and confirmations, and a verdict only the data allow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rendezvous.domain.experiment_report import PEEKING_WARNING, Metric, Verdict, report_of
from rendezvous.domain.experiment_stats import difference, z_for
from rendezvous.domain.experiments import Experiment, Variant
from rendezvous.domain.models import Appointment, AppointmentOutcome, Customer

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def experiment(*names: str) -> Experiment:
    return Experiment(
        tenant_id="t1",
        experiment_id="wording",
        kind="confirmation",
        locale="en",
        variants=tuple(Variant(name=n, template=f"{n} {{time}}") for n in names),
        started_at=NOW,
        started_by="manager@example.com",
    )


def appointment(
    appointment_id: str, *, confirmed: bool = False, outcome: AppointmentOutcome | None = None
) -> Appointment:
    return Appointment(
        tenant_id="t1",
        appointment_id=appointment_id,
        customer=Customer(phone="+14155550100", name="Ana"),
        starts_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        confirmed_at=NOW if confirmed else None,
        outcome=outcome,
    )


def arm_of(
    variant: str, *, size: int, no_shows: int, attended: int, confirmed: int
) -> tuple[dict[str, str], list[Appointment]]:
    """`size` appointments of `variant`: the first `no_shows` missed, the next `attended`
    came, the rest have no outcome; the first `confirmed` confirmed."""
    members: dict[str, str] = {}
    appointments: list[Appointment] = []
    for n in range(size):
        outcome = (
            AppointmentOutcome.NO_SHOW
            if n < no_shows
            else AppointmentOutcome.ATTENDED
            if n < no_shows + attended
            else None
        )
        key = f"{variant}-{n}"
        members[key] = variant
        appointments.append(appointment(key, confirmed=n < confirmed, outcome=outcome))
    return members, appointments


def two_arms(
    control: tuple[int, int, int, int], other: tuple[int, int, int, int]
) -> tuple[dict[str, str], list[Appointment]]:
    members: dict[str, str] = {}
    appointments: list[Appointment] = []
    for name, (size, no_shows, attended, confirmed) in (("plain", control), ("cost", other)):
        m, a = arm_of(name, size=size, no_shows=no_shows, attended=attended, confirmed=confirmed)
        members |= m
        appointments += a
    return members, appointments


def test_arms_count_members_confirmations_outcomes_and_opt_outs() -> None:
    members = {"a1": "plain", "a2": "plain", "a3": "cost", "a4": "cost", "gone": "cost"}
    appointments = [
        appointment("a1", confirmed=True, outcome=AppointmentOutcome.NO_SHOW),
        appointment("a2", outcome=AppointmentOutcome.LATE_CANCEL),
        appointment("a3", confirmed=True, outcome=AppointmentOutcome.ATTENDED),
        appointment("a4"),
        appointment("stranger", confirmed=True, outcome=AppointmentOutcome.NO_SHOW),
    ]

    report = report_of(
        experiment("plain", "cost"),
        members,
        appointments,
        {"cost": 2},
        texts_by_variant={"plain": 3, "cost": 2},
    )

    plain, cost = report.arms
    assert (plain.variant, plain.appointments, plain.texts) == ("plain", 2, 3)
    assert (plain.confirmed, plain.confirmation_rate) == (1, 0.5)
    # A late cancel is an outcome, not a no-show.
    assert (plain.with_outcome, plain.no_show, plain.no_show_rate) == (2, 1, 0.5)
    assert plain.opt_outs == 0
    # "gone" has no appointment to read and "stranger" is no member: neither counts.
    assert (cost.variant, cost.appointments, cost.texts, cost.confirmed) == ("cost", 2, 2, 1)
    assert (cost.with_outcome, cost.no_show, cost.no_show_rate) == (1, 0, 0.0)
    assert cost.opt_outs == 2


def test_texts_default_to_one_per_member_and_rates_are_none_without_a_denominator() -> None:
    report = report_of(experiment("plain", "cost"), {"a1": "plain"}, [appointment("a1")], {})

    plain, cost = report.arms
    assert plain.texts == 1
    assert plain.no_show_rate is None
    assert cost.appointments == 0
    assert cost.confirmation_rate is None
    no_shows = report.comparisons[0]
    assert no_shows.metric is Metric.NO_SHOW_RATE
    assert (no_shows.difference, no_shows.low, no_shows.high) == (None, None, None)
    assert not no_shows.meaningful


def test_each_variant_is_compared_with_the_control_on_both_metrics() -> None:
    members, appointments = two_arms((300, 30, 270, 150), (300, 12, 288, 210))
    report = report_of(experiment("plain", "cost"), members, appointments, {})

    assert [(c.variant, c.metric) for c in report.comparisons] == [
        ("cost", Metric.NO_SHOW_RATE),
        ("cost", Metric.CONFIRMATION_RATE),
    ]
    no_shows, confirmations = report.comparisons
    expected = difference(12, 300, 30, 300, z=z_for(0.95, 1))
    assert expected is not None
    assert no_shows.difference == round(expected.difference, 4) == -0.06
    assert (no_shows.low, no_shows.high) == (round(expected.low, 4), round(expected.high, 4))
    assert confirmations.difference == 0.2
    assert confirmations.meaningful


def test_a_variant_with_meaningfully_fewer_no_shows_wins() -> None:
    members, appointments = two_arms((300, 30, 270, 150), (300, 12, 288, 150))
    report = report_of(experiment("plain", "cost"), members, appointments, {})

    assert report.verdict is Verdict.WINNER
    assert report.leader == "cost"
    assert report.note.startswith("cost has fewer no-shows than plain: 4.0% of 300")


def test_the_control_wins_when_the_variant_has_meaningfully_more_no_shows() -> None:
    members, appointments = two_arms((300, 12, 288, 150), (300, 30, 270, 150))
    report = report_of(experiment("plain", "cost"), members, appointments, {})

    assert report.verdict is Verdict.WINNER
    assert report.leader == "plain"
    assert "plain (the control) has fewer no-shows" in report.note


def test_a_confirmation_difference_alone_calls_no_winner() -> None:
    members, appointments = two_arms((300, 30, 270, 100), (300, 30, 270, 250))
    report = report_of(experiment("plain", "cost"), members, appointments, {})

    assert report.comparisons[1].meaningful
    assert report.verdict is Verdict.NO_MEANINGFUL_DIFFERENCE
    assert report.leader is None


def test_no_meaningful_difference_says_how_big_a_difference_is_still_possible() -> None:
    members, appointments = two_arms((100, 10, 90, 60), (100, 9, 91, 60))
    report = report_of(experiment("plain", "cost"), members, appointments, {})

    assert report.verdict is Verdict.NO_MEANINGFUL_DIFFERENCE
    no_shows = report.comparisons[0]
    assert no_shows.low is not None
    assert no_shows.high is not None
    # Not "there is none": the interval in points, which at 100 visits an arm is wide.
    low, high = f"{no_shows.low * 100:+.1f}", f"{no_shows.high * 100:+.1f}"
    assert f"from {low} to {high} points for cost against plain" in report.note
    assert no_shows.high - no_shows.low > 0.1
    assert "not shown there is none" in report.note


@pytest.mark.parametrize(
    "arms",
    [
        ((300, 30, 270, 150), (300, 12, 288, 150)),  # a winner
        ((60, 30, 12, 0), (200, 0, 42, 0)),  # not yet
        ((100, 10, 90, 60), (100, 9, 91, 60)),  # no meaningful difference
    ],
)
def test_every_note_warns_that_reading_it_until_a_winner_shows_calls_false_ones(
    arms: tuple[tuple[int, int, int, int], tuple[int, int, int, int]],
) -> None:
    members, appointments = two_arms(*arms)
    report = report_of(experiment("plain", "cost"), members, appointments, {})

    assert PEEKING_WARNING in report.note
    assert "20%" in PEEKING_WARNING
    assert "5%" in PEEKING_WARNING


def test_too_few_outcomes_is_not_yet_meaningful_even_with_a_big_gap() -> None:
    members, appointments = two_arms((60, 30, 12, 0), (200, 0, 42, 0))
    report = report_of(experiment("plain", "cost"), members, appointments, {})

    assert report.arms[0].no_show_rate == pytest.approx(30 / 42, abs=1e-4)
    assert report.verdict is Verdict.NOT_YET_MEANINGFUL
    assert report.leader is None
    assert report.note.startswith("Not yet meaningful: 42 of 100 visits with an outcome")


def test_more_variants_widen_each_interval() -> None:
    arms = [("plain", 300, 30), ("cost", 300, 18), ("social", 300, 30)]
    members: dict[str, str] = {}
    appointments: list[Appointment] = []
    for name, size, no_shows in arms:
        m, a = arm_of(name, size=size, no_shows=no_shows, attended=size - no_shows, confirmed=0)
        members |= m
        appointments += a

    three = report_of(experiment("plain", "cost", "social"), members, appointments, {})
    two = report_of(experiment("plain", "cost"), members, appointments, {})

    three_cost, two_cost = three.comparisons[0], two.comparisons[0]
    assert three_cost.variant == two_cost.variant == "cost"
    assert three_cost.low is not None
    assert two_cost.low is not None
    assert three_cost.low < two_cost.low
    assert len(three.comparisons) == 4


def test_the_lowest_of_several_meaningful_variants_leads() -> None:
    arms = [("plain", 400, 60), ("cost", 400, 20), ("social", 400, 8)]
    members: dict[str, str] = {}
    appointments: list[Appointment] = []
    for name, size, no_shows in arms:
        m, a = arm_of(name, size=size, no_shows=no_shows, attended=size - no_shows, confirmed=0)
        members |= m
        appointments += a

    report = report_of(experiment("plain", "cost", "social"), members, appointments, {})

    assert report.verdict is Verdict.WINNER
    assert report.leader == "social"


@given(
    st.integers(0, 150),
    st.integers(0, 150),
    st.integers(0, 150),
    st.integers(0, 150),
)
def test_no_winner_is_called_below_the_minimum_per_arm(
    control_no_shows: int, control_attended: int, no_shows: int, attended: int
) -> None:
    members, appointments = two_arms(
        (control_no_shows + control_attended, control_no_shows, control_attended, 0),
        (no_shows + attended, no_shows, attended, 0),
    )
    report = report_of(experiment("plain", "cost"), members, appointments, {})

    smallest = min(control_no_shows + control_attended, no_shows + attended)
    if smallest < report.min_per_arm:
        assert report.verdict is Verdict.NOT_YET_MEANINGFUL
        assert report.leader is None
    else:
        assert report.verdict is not Verdict.NOT_YET_MEANINGFUL
