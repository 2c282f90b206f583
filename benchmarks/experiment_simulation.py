"""The experiment report against a world whose truth is known: issue 15's proof.

A tenant runs an experiment on its confirmation texts, "plain" (the control) against
"cost" (states the cost of a missed visit). Appointments are assigned by
`experiment_stats.variant_of`, as the sender assigns them; each customer then behaves by
the true rates of their variant: they confirm, opt out, reply something else or stay
silent; a few cancel ahead; most visits get an outcome, a no-show at the variant's true
rate. The report (`experiment_report.report_of`) only sees what the system would store:
the members, the appointments and the opt-outs drawn by each variant.

    python -m benchmarks.experiment_simulation [--seed 15] [--runs 1000]

prints one 10,000-appointment experiment (10% vs 8% no-shows, 60% vs 65% confirmations)
with GET /v1/stats' arithmetic (results.results_of) over the same appointments and
replies; how often the winner is called and the true differences are inside their
intervals over many seeds; how often an A/A experiment (10% vs 10%) and an A/A/A one call
a false winner; what reading an A/A experiment ten times and stopping at the first winner
does to that; and what a 200-appointment experiment says.
tests/unit/test_experiment_simulation.py pins the same claims on fewer seeds.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.experiment_report import (
    Comparison,
    ExperimentReport,
    Metric,
    Verdict,
    report_of,
)
from rendezvous.domain.experiment_stats import CONFIDENCE, variant_of, wilson, z_for
from rendezvous.domain.experiments import Experiment, Variant
from rendezvous.domain.identity import MessageIdentity, TextIdentity, TimedText
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Customer,
    LastText,
    MessageKind,
    Tenant,
)
from rendezvous.domain.results import Results, TextFacts, results_of

TENANT: Final = "sim-clinic"
EXPERIMENT_ID: Final = "missed-visit-cost"
CONTROL: Final = "plain"
TREATMENT: Final = "cost"
THIRD: Final = "warm"
# The simulated period ends here; appointments start in the 30 days before.
NOW: Final = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
PERIOD_MINUTES: Final = 30 * 24 * 60


@dataclass(frozen=True)
class Truth:
    """How the customers who get one variant behave (all probabilities)."""

    no_show: float  # of the visits with an outcome
    confirm: float  # of the appointments: the customer answers Y
    opt_out: float = 0.005  # of the appointments: the customer answers STOP
    reply: float = 0.05  # of the appointments: anything else (a question, thanks)


# Shared by both variants: what the business does, not what the text changes.
CANCELLED_AHEAD: Final = 0.04  # the customer cancels a day ahead: no outcome
OUTCOME_RECORDED: Final = 0.95  # of the visits not cancelled ahead
LATE_CANCEL: Final = 0.02  # of the outcomes

EXPERIMENT_TRUTH: Final = {
    CONTROL: Truth(no_show=0.10, confirm=0.60, opt_out=0.004),
    TREATMENT: Truth(no_show=0.08, confirm=0.65, opt_out=0.006),
}
A_A_TRUTH: Final = {
    CONTROL: Truth(no_show=0.10, confirm=0.60),
    TREATMENT: Truth(no_show=0.10, confirm=0.60),
}
# Three variants, all alike: Bonferroni keeps the chance of any false winner at 5%.
A_A_A_TRUTH: Final = {**A_A_TRUTH, THIRD: Truth(no_show=0.10, confirm=0.60)}


TEMPLATES: Final = {
    CONTROL: "{business}: your visit is {when}. Reply Y to confirm.",
    TREATMENT: (
        "{business}: your visit is {when}. A missed visit costs us a slot another "
        "patient needed. Reply Y to confirm."
    ),
    THIRD: "{business}: we look forward to seeing you {when}. Reply Y to confirm.",
}


def experiment(names: Sequence[str] = (CONTROL, TREATMENT)) -> Experiment:
    return Experiment(
        tenant_id=TENANT,
        experiment_id=EXPERIMENT_ID,
        kind=MessageKind.CONFIRMATION,
        locale="en",
        description="Does stating the cost of a missed visit cut no-shows?",
        variants=tuple(Variant(name=name, template=TEMPLATES[name]) for name in names),
        started_at=NOW - timedelta(days=40),
        started_by="manager@sim.invalid",
    )


# SMS segments of each variant's text: the cost sentence makes it two.
SEGMENTS: Final = {CONTROL: 1, TREATMENT: 2}


@dataclass(frozen=True)
class World:
    """What the system stores of one simulated experiment."""

    experiment: Experiment
    members: dict[str, str]  # appointment id -> variant
    appointments: dict[str, Appointment]
    replies: list[ActivityEntry]  # the customers' texts, as the log keeps them

    def opt_outs_by_variant(self) -> dict[str, int]:
        """The STOPs each variant's text drew (the log's answered_variant)."""
        labels = {self.experiment.label(v): v for v in self.experiment.variant_names}
        found = Counter(
            labels[e.answered_variant]
            for e in self.replies
            if e.intent is Intent.OPT_OUT and e.answered_variant in labels
        )
        return {v: found[v] for v in self.experiment.variant_names}

    def report(self) -> ExperimentReport:
        return report_of(
            self.experiment, self.members, self.appointments.values(), self.opt_outs_by_variant()
        )

    def stats(self) -> Results:
        """GET /v1/stats' arithmetic over the same world: every appointment's confirmation
        text as the time index lists it (delivered), its record's segments and variant,
        the customers' texts and the appointments. The period reaches back to the first
        text (35 days: longer than the API's 31, which only limits what one request reads)."""
        texts: list[TimedText] = []
        facts: dict[TextIdentity, TextFacts] = {}
        for appointment_id, variant in self.members.items():
            appointment = self.appointments[appointment_id]
            last = appointment.last_text
            assert last is not None
            identity = MessageIdentity(TENANT, appointment_id, last.kind, appointment.version)
            texts.append(TimedText(identity, last.status, None, last.at))
            facts[identity] = TextFacts(segments=SEGMENTS[variant], variant=last.variant)
        return results_of(
            tenant(),
            NOW - timedelta(days=36),
            NOW,
            texts,
            facts,
            self.replies,
            self.appointments.values(),
        )


def tenant() -> Tenant:
    return Tenant(tenant_id=TENANT, name="Sim Clinic", phone_number="+15550100000", timezone="UTC")


def simulate(appointments: int, truth: Mapping[str, Truth], seed: int, *, first: int = 0) -> World:
    """`appointments` simulated one by one (ids numbered from `first`)."""
    rng = random.Random(seed)
    exp = experiment()
    names = exp.variant_names
    members: dict[str, str] = {}
    stored: dict[str, Appointment] = {}
    replies: list[ActivityEntry] = []
    for n in range(first, first + appointments):
        appointment_id = f"sim-{n:06d}"
        variant = variant_of(exp.experiment_id, appointment_id, names)
        members[appointment_id] = variant
        behaves = truth[variant]
        starts_at = NOW - timedelta(minutes=rng.randrange(60, PERIOD_MINUTES))
        created_at = starts_at - timedelta(days=5)
        texted_at = created_at + timedelta(minutes=1)
        answer = rng.random()
        confirmed_at: datetime | None = None
        intent: Intent | None = None
        if answer < behaves.opt_out:
            intent = Intent.OPT_OUT
        elif answer < behaves.opt_out + behaves.confirm:
            intent = Intent.CONFIRM
            confirmed_at = texted_at + timedelta(minutes=rng.randrange(1, 600))
        elif answer < behaves.opt_out + behaves.confirm + behaves.reply:
            intent = Intent.FREE_TEXT
        if intent is not None:
            replies.append(
                ActivityEntry(
                    event=ActivityEvent.TEXT_RECEIVED,
                    actor="customer",
                    at=confirmed_at or texted_at + timedelta(minutes=30),
                    intent=intent,
                    appointment_id=appointment_id,
                    answered_kind=MessageKind.CONFIRMATION.value,
                    answered_variant=exp.label(variant),
                )
            )
        cancelled_at: datetime | None = None
        outcome: AppointmentOutcome | None = None
        if rng.random() < CANCELLED_AHEAD:
            cancelled_at = starts_at - timedelta(days=1)
        elif rng.random() < OUTCOME_RECORDED:
            drawn = rng.random()
            outcome = (
                AppointmentOutcome.NO_SHOW
                if drawn < behaves.no_show
                else AppointmentOutcome.LATE_CANCEL
                if drawn < behaves.no_show + LATE_CANCEL
                else AppointmentOutcome.ATTENDED
            )
        stored[appointment_id] = appointment(
            appointment_id,
            exp.label(variant),
            starts_at,
            confirmed_at=confirmed_at,
            cancelled_at=cancelled_at,
            outcome=outcome,
        )
    return World(exp, members, stored, replies)


def appointment(
    appointment_id: str,
    label: str,
    starts_at: datetime,
    *,
    confirmed_at: datetime | None,
    cancelled_at: datetime | None,
    outcome: AppointmentOutcome | None,
) -> Appointment:
    created_at = starts_at - timedelta(days=5)
    status = (
        AppointmentStatus.CANCELLED
        if cancelled_at
        else AppointmentStatus.CONFIRMED
        if confirmed_at
        else AppointmentStatus.SCHEDULED
    )
    number = int(appointment_id.rsplit("-", 1)[1])
    return Appointment(
        tenant_id=TENANT,
        appointment_id=appointment_id,
        customer=Customer(phone=f"+1555{number:07d}", name=f"Customer {number}"),
        starts_at=starts_at,
        duration_minutes=30,
        status=status,
        created_at=created_at,
        updated_at=max(t for t in (created_at, confirmed_at, cancelled_at) if t is not None),
        confirmed_at=confirmed_at,
        cancelled_at=cancelled_at,
        cancelled_by="customer" if cancelled_at else None,
        outcome=outcome,
        outcome_at=starts_at + timedelta(hours=1) if outcome else None,
        outcome_by="staff@sim.invalid" if outcome else None,
        cadence="24h",
        last_text=LastText(
            kind=MessageKind.CONFIRMATION.value,
            status="delivered",
            at=created_at + timedelta(minutes=1),
            variant=label,
        ),
    )


# The states an appointment can end in that the report counts: confirmed or not, and no
# outcome, attended or a no-show.
State = tuple[bool, AppointmentOutcome | None]
STATES: Final[tuple[State, ...]] = tuple(
    (confirmed, outcome)
    for confirmed in (True, False)
    for outcome in (None, AppointmentOutcome.ATTENDED, AppointmentOutcome.NO_SHOW)
)


class Pool:
    """Many experiments on the same appointments, drawn as counts: each appointment is
    built once in every state it can end in, and a run picks, per variant, how many of its
    members end in each state (one categorical draw per appointment, counted) and takes
    that many of them in that state. Members of one variant are interchangeable to the
    report, so which ones end how does not matter; building 10,000 appointments per run
    would."""

    def __init__(self, appointments: int, names: Sequence[str] = (CONTROL, TREATMENT)) -> None:
        self.experiment = experiment(names)
        names = self.experiment.variant_names
        start = NOW - timedelta(days=1)
        self.members = {
            f"sim-{n:06d}": variant_of(EXPERIMENT_ID, f"sim-{n:06d}", names)
            for n in range(appointments)
        }
        self.by_variant: dict[str, list[str]] = {v: [] for v in names}
        for appointment_id, variant in self.members.items():
            self.by_variant[variant].append(appointment_id)
        base = {
            appointment_id: appointment(
                appointment_id,
                self.experiment.label(variant),
                start,
                confirmed_at=None,
                cancelled_at=None,
                outcome=None,
            )
            for appointment_id, variant in self.members.items()
        }
        confirmed_at = start - timedelta(days=2)
        self.built: dict[State, dict[str, Appointment]] = {
            state: {
                appointment_id: built.model_copy(
                    update={
                        "confirmed_at": confirmed_at if state[0] else None,
                        "status": AppointmentStatus.CONFIRMED
                        if state[0]
                        else AppointmentStatus.SCHEDULED,
                        "outcome": state[1],
                        "outcome_at": start + timedelta(hours=1) if state[1] else None,
                    }
                )
                for appointment_id, built in base.items()
            }
            for state in STATES
        }

    @staticmethod
    def weights(behaves: Truth) -> list[float]:
        """The chance of each of STATES for one appointment."""
        recorded = (1 - CANCELLED_AHEAD) * OUTCOME_RECORDED
        outcome = {
            None: 1 - recorded,
            AppointmentOutcome.ATTENDED: recorded * (1 - behaves.no_show),
            AppointmentOutcome.NO_SHOW: recorded * behaves.no_show,
        }
        return [
            (behaves.confirm if confirmed else 1 - behaves.confirm) * outcome[state]
            for confirmed, state in STATES
        ]

    def run(self, truth: Mapping[str, Truth], rng: random.Random) -> ExperimentReport:
        appointments: dict[str, Appointment] = {}
        opt_outs: dict[str, int] = {}
        for variant, ids in self.by_variant.items():
            behaves = truth[variant]
            counts = Counter(rng.choices(range(len(STATES)), self.weights(behaves), k=len(ids)))
            taken = 0
            for index, state in enumerate(STATES):
                built = self.built[state]
                for appointment_id in ids[taken : taken + counts[index]]:
                    appointments[appointment_id] = built[appointment_id]
                taken += counts[index]
            opt_outs[variant] = sum(rng.random() < behaves.opt_out for _ in ids)
        return report_of(self.experiment, self.members, appointments.values(), opt_outs)

    def looks(
        self, truth: Mapping[str, Truth], rng: random.Random, at: Sequence[int]
    ) -> list[ExperimentReport]:
        """One experiment read as it accrues: the report after the first n appointments,
        for each n of `at` (each appointment drawn in turn, not as counts)."""
        weights = {v: self.weights(t) for v, t in truth.items()}
        ended = [
            self.built[STATES[rng.choices(range(len(STATES)), weights[variant])[0]]][appointment_id]
            for appointment_id, variant in self.members.items()
        ]
        return [report_of(self.experiment, self.members, ended[:n], {}) for n in at]


def peeking(
    pool: Pool, truth: Mapping[str, Truth], runs: int, seed: int, at: Sequence[int]
) -> tuple[int, int]:
    """Of `runs` experiments read at each of `at`: how many the last look calls a winner,
    and how many any look does (stopping at the first winner)."""
    rng = random.Random(seed)
    last = anywhere = 0
    for _ in range(runs):
        verdicts = [r.verdict for r in pool.looks(truth, rng, at)]
        last += verdicts[-1] == Verdict.WINNER
        anywhere += Verdict.WINNER in verdicts
    return last, anywhere


@dataclass(frozen=True)
class Repeated:
    """What many seeded runs of one experiment concluded."""

    runs: int
    verdicts: Counter[str]
    leaders: Counter[str | None]
    # Comparisons (a variant against the control) whose no-show (confirmation) difference
    # interval held the true difference, of `comparisons` a run per metric.
    no_show_covered: int
    confirmation_covered: int
    comparisons: int = 1

    def share(self, count: int) -> float:
        return count / self.runs

    def covered(self, count: int) -> str:
        of = self.runs * self.comparisons
        return f"{count:,} of {of:,} ({count / of:.1%})"


def true_difference(truth: Mapping[str, Truth], comparison: Comparison) -> float:
    """What the comparison estimates: the variant's true rate minus the control's."""
    behaves, control = truth[comparison.variant], truth[CONTROL]
    if comparison.metric is Metric.NO_SHOW_RATE:
        return behaves.no_show - control.no_show
    return behaves.confirm - control.confirm


def holds(comparison: Comparison, truth: Mapping[str, Truth]) -> bool:
    """Whether the comparison's interval holds the true difference."""
    low, high = comparison.low, comparison.high
    return (
        low is not None and high is not None and low <= true_difference(truth, comparison) <= high
    )


def repeat(pool: Pool, truth: Mapping[str, Truth], runs: int, seed: int) -> Repeated:
    rng = random.Random(seed)
    verdicts: Counter[str] = Counter()
    leaders: Counter[str | None] = Counter()
    covered: Counter[Metric] = Counter()
    for _ in range(runs):
        report = pool.run(truth, rng)
        verdicts[report.verdict] += 1
        leaders[report.leader] += 1
        covered.update(c.metric for c in report.comparisons if holds(c, truth))
    return Repeated(
        runs,
        verdicts,
        leaders,
        covered[Metric.NO_SHOW_RATE],
        covered[Metric.CONFIRMATION_RATE],
        len(pool.experiment.variants) - 1,
    )


def rate_line(name: str, hits: int, trials: int, truth: float) -> str:
    low, high = wilson(hits, trials, z_for(CONFIDENCE))
    inside = "inside" if low <= truth <= high else "OUTSIDE"
    return (
        f"    {name:<18} {hits:>5,} / {trials:>5,} = {hits / trials:6.2%}"
        f"  95% [{low:6.2%}, {high:6.2%}]  true {truth:6.2%}  {inside}"
    )


def describe(world: World, truth: Mapping[str, Truth]) -> list[str]:
    report = world.report()
    lines = []
    for arm in report.arms:
        lines.append(
            f"  arm {arm.variant}: {arm.appointments:,} appointments, opt-outs {arm.opt_outs}"
        )
        lines.append(
            rate_line("no_show_rate", arm.no_show, arm.with_outcome, truth[arm.variant].no_show)
        )
        lines.append(
            rate_line(
                "confirmation_rate", arm.confirmed, arm.appointments, truth[arm.variant].confirm
            )
        )
    for c in report.comparisons:
        inside = "inside" if holds(c, truth) else "OUTSIDE"
        lines.append(
            f"  {c.variant} - {CONTROL} {c.metric:<18} {c.difference:+.4f}"
            f"  [{c.low:+.4f}, {c.high:+.4f}]  true {true_difference(truth, c):+.4f} {inside}"
            f"  meaningful={c.meaningful}"
        )
    lines.append(f"  verdict: {report.verdict}, leader: {report.leader}")
    lines.append(f"  note: {report.note}")
    return lines


def mixed(rates: Mapping[str, float], weights: Mapping[str, int]) -> float:
    """The true rate of a mix of arms: each arm's, weighted by its count."""
    return sum(rates[v] * n for v, n in weights.items()) / sum(weights.values())


def describe_stats(world: World, truth: Mapping[str, Truth]) -> list[str]:
    report, stats = world.report(), world.stats()
    cohort = stats.rates.appointments
    outcomes = {arm.variant: arm.with_outcome for arm in report.arms}
    members = {arm.variant: arm.appointments for arm in report.arms}
    lines = [
        f"  rates.appointments: {cohort.appointments:,} appointments,"
        f" cancelled ahead {cohort.cancelled_ahead:,}, with outcome {cohort.with_outcome:,}",
        rate_line(
            "no_show_rate",
            cohort.no_show,
            cohort.with_outcome,
            mixed({v: t.no_show for v, t in truth.items()}, outcomes),
        ),
        rate_line(
            "confirmation_rate",
            cohort.confirmed,
            cohort.appointments,
            mixed({v: t.confirm for v, t in truth.items()}, members),
        ),
        rate_line("cancelled_ahead", cohort.cancelled_ahead, cohort.appointments, CANCELLED_AHEAD),
    ]
    names = {world.experiment.label(v): v for v in world.experiment.variant_names}
    for group in stats.by_variant:
        behaves = truth[names[group.key]]
        lines.append(
            f"  by_variant {group.key}: sent {group.sent:,}, segments {group.segments:,},"
            f" cost {group.cost} {stats.currency}, replies {group.replies:,},"
            f" opt-outs {group.opt_outs} ({group.opt_outs_per_1000} per 1,000,"
            f" true {behaves.opt_out * 1000:g})"
        )
        lines.append(
            rate_line("confirmation_rate", group.confirmations, group.sent, behaves.confirm)
        )
    agrees = all(
        group.confirmations == arm.confirmed
        and group.opt_outs == arm.opt_outs
        and group.sent == arm.texts
        for arm in report.arms
        for group in stats.by_variant
        if group.key == world.experiment.label(arm.variant)
    ) and (cohort.no_show, cohort.with_outcome) == (
        sum(arm.no_show for arm in report.arms),
        sum(arm.with_outcome for arm in report.arms),
    )
    lines.append(f"  the stats' counts agree with the report's arms: {agrees}")
    return lines


def summary(name: str, found: Repeated) -> list[str]:
    verdicts = ", ".join(f"{v} {n}" for v, n in sorted(found.verdicts.items()))
    leaders = ", ".join(f"{v} {n}" for v, n in sorted(found.leaders.items(), key=str))
    return [
        f"{name}: {found.runs:,} runs",
        f"  verdicts: {verdicts}",
        f"  leaders: {leaders}",
        f"  true no-show difference inside its interval: {found.covered(found.no_show_covered)}",
        "  true confirmation difference inside its interval: "
        + found.covered(found.confirmation_covered),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--appointments", type=int, default=10_000)
    args = parser.parse_args(argv)
    truths = ", ".join(
        f"{v} no-show {t.no_show:.0%} confirm {t.confirm:.0%} opt-out {t.opt_out:.1%}"
        for v, t in EXPERIMENT_TRUTH.items()
    )
    print(f"Experiment {EXPERIMENT_ID!r} on confirmation texts; true rates: {truths}")
    print(
        f"Shared: {CANCELLED_AHEAD:.0%} cancelled ahead, outcome recorded for"
        f" {OUTCOME_RECORDED:.0%} of the rest, {LATE_CANCEL:.0%} of outcomes late cancels"
    )
    print()
    print(f"One experiment, {args.appointments:,} appointments, seed {args.seed}:")
    world = simulate(args.appointments, EXPERIMENT_TRUTH, args.seed)
    print("\n".join(describe(world, EXPERIMENT_TRUTH)))
    print()
    print("GET /v1/stats' arithmetic (results_of) over the same appointments and replies:")
    print("\n".join(describe_stats(world, EXPERIMENT_TRUTH)))
    print()
    print("As the same experiment accrues (verdict after the first N appointments):")
    for n in (500, 1_000, 2_000, 4_000, 6_000, 8_000, 10_000):
        part = World(
            world.experiment,
            {k: v for k, v in world.members.items() if int(k[4:]) < n},
            {k: a for k, a in world.appointments.items() if int(k[4:]) < n},
            [e for e in world.replies if int((e.appointment_id or "sim-0")[4:]) < n],
        )
        report = part.report()
        no_show = next(c for c in report.comparisons if c.metric == "no_show_rate")
        print(
            f"  {n:>6,}: {report.verdict:<24} leader {report.leader!s:<5}"
            f" no-show difference {no_show.difference:+.4f}"
            f" [{no_show.low:+.4f}, {no_show.high:+.4f}]"
        )
    print()
    pool = Pool(args.appointments)
    print(
        "\n".join(
            summary(
                f"10% vs 8% ({args.appointments:,} appointments a run)",
                repeat(pool, EXPERIMENT_TRUTH, args.runs, args.seed),
            )
        )
    )
    print()
    aa = repeat(pool, A_A_TRUTH, args.runs, args.seed + 1)
    print("\n".join(summary(f"A/A 10% vs 10% ({args.appointments:,} appointments a run)", aa)))
    false = aa.verdicts["winner"]
    low, high = wilson(false, aa.runs, z_for(CONFIDENCE))
    print(
        f"  false winner: {false} of {aa.runs:,} = {aa.share(false):.1%}"
        f" (95% [{low:.1%}, {high:.1%}])"
    )
    print()
    three = repeat(
        Pool(args.appointments, (CONTROL, TREATMENT, THIRD)), A_A_A_TRUTH, args.runs, args.seed + 3
    )
    print("\n".join(summary(f"A/A/A 10% x 3 ({args.appointments:,} appointments a run)", three)))
    false = three.verdicts["winner"]
    low, high = wilson(false, three.runs, z_for(CONFIDENCE))
    print(
        f"  false winner (any of 2 comparisons, Bonferroni): {false} of {three.runs:,}"
        f" = {three.share(false):.1%} (95% [{low:.1%}, {high:.1%}])"
    )
    print()
    at = [args.appointments * k // 10 for k in range(1, 11)]
    runs = max(1, args.runs // 4)
    last, anywhere = peeking(pool, A_A_TRUTH, runs, args.seed + 4, at)
    print(f"Peeking: A/A read after every {at[0]:,} appointments up to {at[-1]:,}, {runs:,} runs")
    print(f"  false winner at the last look only: {last} ({last / runs:.1%})")
    print(
        f"  false winner at any of the {len(at)} looks (stopping at the first): {anywhere}"
        f" ({anywhere / runs:.1%})"
    )
    print()
    small = simulate(200, EXPERIMENT_TRUTH, args.seed)
    print(f"Small experiment, 200 appointments, seed {args.seed}:")
    print("\n".join(describe(small, EXPERIMENT_TRUTH)))
    print(
        "\n".join(
            summary(
                "Small 10% vs 8% (200 appointments a run)",
                repeat(Pool(200), EXPERIMENT_TRUTH, args.runs, args.seed + 2),
            )
        )
    )


if __name__ == "__main__":
    main()
