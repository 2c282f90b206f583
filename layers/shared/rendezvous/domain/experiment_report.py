"""An experiment's report: each variant's arm (its appointments, their confirmations,
outcomes and opt-outs) and each variant against the control, in numbers and in words.

The primary metric is the no-show rate over appointments with an outcome (lower wins: a
missed visit is what the texts are for); the confirmation rate over the arm's appointments
is reported beside it, as a secondary metric that never calls a winner on its own. Every
variant is compared with the control only, so with k variants there are k - 1 comparisons
per metric, and each gets a Bonferroni-adjusted interval (experiment_stats.z_for).

An arm is the experiment's members of that variant (appointments assigned it: the member
is written just before their first text of the kind is sent) whose appointment could be
read.

The intervals hold for one look at a size decided beforehand. Read again and again and
stopped at the first winner, an experiment with no real difference is called for one
variant far more often (benchmarks/experiment_simulation.py: 20.4% of A/A runs read every
1,000 appointments, 5.5% read once at 10,000); every note says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from rendezvous.domain.experiment_stats import CONFIDENCE, MIN_PER_ARM, difference, z_for
from rendezvous.domain.experiments import Experiment
from rendezvous.domain.models import Appointment, AppointmentOutcome
from rendezvous.domain.results import rate

PLACES = 4
PEEKING_WARNING = (
    "Decide its size first and judge it once there: stopping it at the first winner while "
    "reading it again and again picks a false winner when the variants are truly alike "
    "about 20% of the time over ten looks (more with more looks), against 5% for one."
)


class Metric(StrEnum):
    NO_SHOW_RATE = "no_show_rate"
    CONFIRMATION_RATE = "confirmation_rate"


class Verdict(StrEnum):
    # Some arm has fewer than min_per_arm appointments with an outcome, and nothing is
    # meaningful yet.
    NOT_YET_MEANINGFUL = "not_yet_meaningful"
    # One arm's no-show rate is meaningfully the best: `leader`.
    WINNER = "winner"
    # Every arm has enough outcomes, and no variant's no-show rate beats the control's.
    NO_MEANINGFUL_DIFFERENCE = "no_meaningful_difference"


@dataclass(frozen=True)
class Arm:
    variant: str
    appointments: int
    texts: int
    confirmed: int
    confirmation_rate: float | None
    with_outcome: int
    no_show: int
    no_show_rate: float | None
    opt_outs: int


@dataclass(frozen=True)
class Comparison:
    """`metric` of `variant` minus the control's, with its interval; the three figures
    are None while either arm has nothing counted for the metric."""

    variant: str
    metric: Metric
    difference: float | None
    low: float | None
    high: float | None
    meaningful: bool


@dataclass(frozen=True)
class ExperimentReport:
    arms: tuple[Arm, ...]
    comparisons: tuple[Comparison, ...]
    confidence: float
    min_per_arm: int
    verdict: Verdict
    leader: str | None
    note: str


def report_of(
    experiment: Experiment,
    members: Mapping[str, str],
    appointments: Iterable[Appointment],
    opt_outs_by_variant: Mapping[str, int],
    *,
    texts_by_variant: Mapping[str, int] | None = None,
    confidence: float = CONFIDENCE,
    min_per_arm: int = MIN_PER_ARM,
) -> ExperimentReport:
    """The report of `experiment` from its members (appointment id -> variant name), their
    appointments (others are ignored; a member without its appointment is not counted),
    the opt-outs that answered each variant's texts (variant name -> count) and, when
    known, the texts written with each variant (variant name -> count; without it, one
    per member: every member was sent at least one)."""
    names = experiment.variant_names
    arms_of: dict[str, list[Appointment]] = {name: [] for name in names}
    for appointment in appointments:
        variant = members.get(appointment.appointment_id)
        if variant in arms_of:
            arms_of[variant].append(appointment)
    arms = tuple(
        _arm(
            name,
            arms_of[name],
            texts_by_variant.get(name, 0) if texts_by_variant is not None else None,
            opt_outs_by_variant.get(name, 0),
        )
        for name in names
    )
    z = z_for(confidence, len(names) - 1)
    control = arms[0]
    comparisons = tuple(
        _compare(arm, control, metric, z, min_per_arm)
        for arm in arms[1:]
        for metric in (Metric.NO_SHOW_RATE, Metric.CONFIRMATION_RATE)
    )
    verdict, leader = _verdict(arms, comparisons, min_per_arm)
    return ExperimentReport(
        arms=arms,
        comparisons=comparisons,
        confidence=confidence,
        min_per_arm=min_per_arm,
        verdict=verdict,
        leader=leader,
        note=f"{_note(arms, comparisons, verdict, leader, min_per_arm, confidence)} "
        + PEEKING_WARNING,
    )


def _arm(variant: str, appointments: list[Appointment], texts: int | None, opt_outs: int) -> Arm:
    confirmed = sum(1 for a in appointments if a.confirmed_at is not None)
    outcomes = Counter(a.outcome for a in appointments if a.outcome is not None)
    with_outcome = sum(outcomes.values())
    no_show = outcomes[AppointmentOutcome.NO_SHOW]
    return Arm(
        variant=variant,
        appointments=len(appointments),
        texts=len(appointments) if texts is None else texts,
        confirmed=confirmed,
        confirmation_rate=rate(confirmed, len(appointments)),
        with_outcome=with_outcome,
        no_show=no_show,
        no_show_rate=rate(no_show, with_outcome),
        opt_outs=opt_outs,
    )


def _compare(arm: Arm, control: Arm, metric: Metric, z: float, min_per_arm: int) -> Comparison:
    if metric is Metric.NO_SHOW_RATE:
        counts = (arm.no_show, arm.with_outcome, control.no_show, control.with_outcome)
    else:
        counts = (arm.confirmed, arm.appointments, control.confirmed, control.appointments)
    found = difference(*counts, z=z, min_per_arm=min_per_arm)
    if found is None:
        return Comparison(arm.variant, metric, None, None, None, meaningful=False)
    return Comparison(
        arm.variant,
        metric,
        round(found.difference, PLACES),
        round(found.low, PLACES),
        round(found.high, PLACES),
        meaningful=found.meaningful,
    )


def _verdict(
    arms: tuple[Arm, ...], comparisons: tuple[Comparison, ...], min_per_arm: int
) -> tuple[Verdict, str | None]:
    """A variant wins when its no-show rate is meaningfully below the control's (the
    lowest such, if several are); the control wins when every variant's is meaningfully
    above it. Anything else is undecided: not yet, while an arm lacks outcomes."""
    primary = [c for c in comparisons if c.metric is Metric.NO_SHOW_RATE]
    better = [c for c in primary if c.meaningful and (c.difference or 0.0) < 0]
    if better:
        best = min(better, key=lambda c: c.difference or 0.0)
        return Verdict.WINNER, best.variant
    if primary and all(c.meaningful and (c.difference or 0.0) > 0 for c in primary):
        return Verdict.WINNER, arms[0].variant
    if any(arm.with_outcome < min_per_arm for arm in arms):
        return Verdict.NOT_YET_MEANINGFUL, None
    return Verdict.NO_MEANINGFUL_DIFFERENCE, None


def _percent(rate: float | None) -> str:
    return "no outcomes" if rate is None else f"{rate * 100:.1f}%"


def _note(
    arms: tuple[Arm, ...],
    comparisons: tuple[Comparison, ...],
    verdict: Verdict,
    leader: str | None,
    min_per_arm: int,
    confidence: float,
) -> str:
    by_name = {arm.variant: arm for arm in arms}
    control = arms[0]
    level = f"{confidence * 100:g}%"
    if verdict is Verdict.WINNER and leader is not None:
        if leader == control.variant:
            others = ", ".join(arm.variant for arm in arms[1:])
            return (
                f"{leader} (the control) has fewer no-shows than {others}: "
                f"{_percent(control.no_show_rate)} of {control.with_outcome} visits "
                f"(meaningful at {level}). Keep {leader}."
            )
        arm = by_name[leader]
        found = next(
            c for c in comparisons if c.variant == leader and c.metric is Metric.NO_SHOW_RATE
        )
        return (
            f"{leader} has fewer no-shows than {control.variant}: "
            f"{_percent(arm.no_show_rate)} of {arm.with_outcome} visits against "
            f"{_percent(control.no_show_rate)} of {control.with_outcome} "
            f"(difference {_points(found.difference)}, {level} interval "
            f"{_points(found.low)} to {_points(found.high)})."
        )
    if verdict is Verdict.NOT_YET_MEANINGFUL:
        smallest = min(arms, key=lambda arm: arm.with_outcome)
        return (
            f"Not yet meaningful: {smallest.with_outcome} of {min_per_arm} visits with an "
            f"outcome in {smallest.variant}, the smallest arm. Keep it running."
        )
    # At 100 visits an arm the interval is some 16 points wide: a difference worth having
    # may still be there, so the note says how big one could be rather than "none".
    still = "; ".join(
        f"{_span(c.low, c.high)} for {c.variant} against {control.variant}"
        for c in comparisons
        if c.metric is Metric.NO_SHOW_RATE
    )
    return (
        f"No meaningful difference in no-shows at {level} yet: every arm has at least "
        f"{min_per_arm} visits with an outcome, and no variant beats {control.variant}, but "
        f"that has not shown there is none: the no-show difference could still be anywhere "
        f"from {still}, and a real difference inside that range needs more visits to show."
    )


def _span(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "unknown"
    return f"{low * 100:+.1f} to {high * 100:+.1f} points"


def _points(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.1f} points"
