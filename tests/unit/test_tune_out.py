"""The tune-out alarm's figures, its minimums and the texts that drew the opt-outs, on
in-memory ports: texts from the time index, opt-outs from the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import NotFound
from rendezvous.domain.experiments import Experiment, Variant
from rendezvous.domain.identity import MessageIdentity, TimedText
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import MessageKind
from rendezvous.domain.tune_out import (
    MAX_DRAWN_BY,
    TuneOutReason,
    TuneOutService,
    reason_for,
)
from rendezvous.messages.rules import SmsTemplateRules
from rendezvous.messages.templates import default_template
from tests.support.aws import at, clinic
from tests.support.memory import MemoryActivityLog, MemoryStore

NOW = at("2030-02-10T12:00:00+00:00")
COST_WORDS = "{business}: {first_name}, a missed visit costs us $60. {when}. Reply C to confirm."


@dataclass
class Texts:
    """The time index: rows as stats read them."""

    rows: list[TimedText] = field(default_factory=list)
    asked: list[tuple[datetime, datetime]] = field(default_factory=list)

    def add(
        self,
        send_at: datetime,
        status: str = "delivered",
        count: int = 1,
        tenant_id: str = "clinic-1",
    ) -> None:
        for _ in range(count):
            identity = MessageIdentity(tenant_id, f"a{len(self.rows)}", "confirmation", 1)
            self.rows.append(TimedText(identity, status, None, send_at))

    def messages_between(self, tenant_id: str, start: datetime, end: datetime) -> list[TimedText]:
        self.asked.append((start, end))
        return [
            r for r in self.rows if r.identity.tenant_id == tenant_id and start <= r.send_at <= end
        ]


@dataclass
class Experiments:
    found: dict[str, Experiment] = field(default_factory=dict)

    def get_experiment(self, tenant_id: str, experiment_id: str) -> Experiment | None:
        return self.found.get(experiment_id)


@dataclass
class World:
    texts: Texts = field(default_factory=Texts)
    log: MemoryActivityLog = field(default_factory=MemoryActivityLog)
    store: MemoryStore = field(default_factory=MemoryStore)
    experiments: Experiments = field(default_factory=Experiments)

    def __post_init__(self) -> None:
        self.store.put_tenant(clinic())
        self.service = TuneOutService(
            self.store,
            self.texts,
            self.log,
            FixedClock(NOW),
            SmsTemplateRules(),
            experiments=self.experiments,
        )

    def stop(
        self,
        at_: datetime,
        kind: str | None = "confirmation",
        variant: str | None = None,
        count: int = 1,
        intent: Intent = Intent.OPT_OUT,
        tenant_id: str = "clinic-1",
    ) -> None:
        for _ in range(count):
            entry = ActivityEntry(
                event=ActivityEvent.TEXT_RECEIVED,
                actor="customer",
                at=at_,
                intent=intent,
                answered_kind=kind,
                answered_variant=variant,
            )
            self.log.append(tenant_id, entry)


@pytest.fixture
def world() -> World:
    return World()


@pytest.mark.parametrize(
    ("texts", "opt_outs", "prior_texts", "prior_opt_outs", "reason"),
    [
        (99, 50, 0, 0, None),  # too few texts to judge, however many opt-outs
        (1000, 2, 0, 0, None),  # two STOPs wake nobody
        (200, 3, 0, 0, TuneOutReason.THRESHOLD),  # 15 per 1,000 > 10
        (300, 3, 0, 0, None),  # exactly 10 per 1,000 is not above it
        (301, 3, 3000, 1, TuneOutReason.DOUBLED),  # 9.97 against 0.33
        (400, 3, 4000, 0, None),  # nothing to double from
        (400, 3, 99, 1, None),  # too few prior texts to compare with
        (400, 3, 1000, 4, None),  # 7.5 is under twice 4
        (400, 4, 1000, 5, None),  # 10 is exactly twice 5, not more
        (400, 4, 1000, 4, TuneOutReason.DOUBLED),  # 10 against 4
        (100, 5, 1000, 1, TuneOutReason.THRESHOLD),  # both: the threshold is named
    ],
)
def test_the_alarm_fires_above_the_threshold_or_doubled_with_enough_to_judge(
    texts: int, opt_outs: int, prior_texts: int, prior_opt_outs: int, reason: TuneOutReason | None
) -> None:
    assert reason_for(10, texts, opt_outs, prior_texts, prior_opt_outs) is reason


def test_seven_days_and_the_28_before_are_split_at_their_edges(world: World) -> None:
    week = NOW - timedelta(days=7)
    world.texts.add(week, count=150)  # the first instant of the 7 days
    world.texts.add(week - timedelta(seconds=1), count=400)  # the prior period's last
    world.texts.add(NOW - timedelta(days=35), count=100)  # the prior period's first
    world.texts.add(NOW - timedelta(days=35, seconds=1), count=1000)  # before: not read
    world.stop(week, count=2)
    world.stop(week - timedelta(seconds=1))
    world.stop(NOW - timedelta(days=36), count=5)

    found = world.service.tune_out("clinic-1")

    assert (found.texts_7d, found.opt_outs_7d) == (150, 2)
    assert (found.texts_prior_28d, found.opt_outs_prior_28d) == (500, 1)
    assert (found.per_1000_7d, found.per_1000_prior_28d) == (13.3, 2.0)
    assert (found.firing, found.reason) == (False, None)  # two opt-outs wake nobody
    assert world.texts.asked == [(NOW - timedelta(days=35), NOW)]


def test_texts_count_as_stats_counts_sent_what_twilio_accepted(world: World) -> None:
    # `unknown`: Twilio may have it (a timeout after the request left), as stats counts.
    for status in ("queued", "sent", "delivered", "undelivered", "unknown"):
        world.texts.add(NOW - timedelta(days=1), status=status)
    for status in ("planned", "deferred", "suppressed", "failed", "superseded", "cancelled"):
        world.texts.add(NOW - timedelta(days=1), status=status)

    assert world.service.tune_out("clinic-1").texts_7d == 5


def test_only_opt_out_words_count_and_rates_are_null_without_texts(world: World) -> None:
    day = NOW - timedelta(days=1)
    world.stop(day, intent=Intent.CONFIRM)
    world.stop(day, intent=Intent.HELP)
    world.stop(day, intent=Intent.OPT_OUT)

    found = world.service.tune_out("clinic-1")

    assert (found.opt_outs_7d, found.per_1000_7d, found.per_1000_prior_28d) == (1, None, None)


def test_a_firing_tenant_sees_the_texts_that_drew_its_opt_outs_most_first(
    world: World,
) -> None:
    world.store.put_tenant(clinic(templates={"en": {"reminder": COST_WORDS}}))
    world.experiments.found["conf"] = experiment()
    day = NOW - timedelta(days=2)
    world.texts.add(day, count=200)
    world.stop(day, kind="reminder_24h", count=3)
    world.stop(day, kind="confirmation", variant="conf/cost", count=2)
    world.stop(day, kind="confirmation", count=1)
    world.stop(day, kind=None, count=4)  # never texted: counted, drawn by no text
    world.stop(NOW - timedelta(days=9), kind="moved", count=7)  # the prior period's

    found = world.service.tune_out("clinic-1")

    assert (found.firing, found.reason, found.opt_outs_7d) == (True, TuneOutReason.THRESHOLD, 10)
    assert [(d.kind, d.variant, d.opt_outs) for d in found.drawn_by] == [
        ("reminder_24h", None, 3),
        ("confirmation", "conf/cost", 2),
        ("confirmation", None, 1),
    ]
    assert [d.body for d in found.drawn_by] == [
        COST_WORDS,  # the tenant's own words for reminders, as it sends them now
        "cost words {when}. Reply C to confirm.",  # the variant's
        default_template("en", MessageKind.CONFIRMATION),
    ]


def test_drawn_by_names_at_most_ten_kinds_and_a_kind_no_template_writes_has_no_body(
    world: World,
) -> None:
    day = NOW - timedelta(days=1)
    for n in range(12):
        world.stop(day, kind=f"reminder_{n + 1}h", count=20 - n)
    world.stop(day, kind="something_new", count=30)
    world.stop(day, kind="confirmation", variant="gone/cost", count=1)

    drawn = world.service.tune_out("clinic-1").drawn_by

    assert len(drawn) == MAX_DRAWN_BY
    assert (drawn[0].kind, drawn[0].body) == ("something_new", None)
    assert [d.opt_outs for d in drawn] == sorted((d.opt_outs for d in drawn), reverse=True)


def test_a_template_unfit_to_send_shows_the_default_the_business_really_sends(
    world: World,
) -> None:
    world.store.put_tenant(clinic(templates={"en": {"confirmation": "Reply YES to confirm"}}))
    world.stop(NOW - timedelta(days=1), kind="confirmation")

    [drawn] = world.service.tune_out("clinic-1").drawn_by

    assert drawn.body == default_template("en", MessageKind.CONFIRMATION)


def test_an_unknown_tenant_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.service.tune_out("nobody")


def test_the_threshold_is_the_tenants(world: World) -> None:
    world.store.put_tenant(clinic(tune_out_per_1000=20))
    world.texts.add(NOW - timedelta(days=1), count=200)
    world.stop(NOW - timedelta(days=1), count=3)  # 15 per 1,000

    found = world.service.tune_out("clinic-1")

    assert (found.threshold_per_1000, found.firing) == (20, False)


def experiment() -> Experiment:
    return Experiment(
        tenant_id="clinic-1",
        experiment_id="conf",
        kind=MessageKind.CONFIRMATION,
        locale="en",
        variants=(
            Variant(name="plain", template="plain words {when}. Reply C to confirm."),
            Variant(name="cost", template="cost words {when}. Reply C to confirm."),
        ),
        started_at=NOW - timedelta(days=20),
        started_by="manager",
    )


@dataclass
class Runs:
    """HourlyRuns: the first claim of a (job, hour) wins."""

    claimed: set[tuple[str, str]] = field(default_factory=set)

    def first_run_of_hour(self, job: str, hour: str) -> bool:
        if (job, hour) in self.claimed:
            return False
        self.claimed.add((job, hour))
        return True

    def ran_in_hour(self, job: str, hour: str) -> bool:
        return (job, hour) in self.claimed


@dataclass
class FlakyLog:
    """The activity log, failing its first `failures` reads (a throttled Query)."""

    log: MemoryActivityLog
    failures: int = 1

    def append(self, tenant_id: str, entry: ActivityEntry) -> None:
        self.log.append(tenant_id, entry)

    def day(self, tenant_id: str, day: str) -> list[ActivityEntry]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("throttled")
        return self.log.day(tenant_id, day)


def test_the_hourly_check_runs_on_the_first_call_of_each_hour_only(world: World) -> None:
    runs = Runs()
    clock = FixedClock(NOW)
    service = TuneOutService(
        world.store, world.texts, world.log, clock, SmsTemplateRules(), runs=runs
    )

    first = service.hourly(["clinic-1"])
    again = service.hourly(["clinic-1"])
    clock.advance(minutes=59)
    same_hour = service.hourly(["clinic-1"])
    clock.advance(minutes=1)
    next_hour = service.hourly(["clinic-1", "gone-1"])  # a tenant deleted meanwhile

    assert first is not None
    assert first.hour == "2030-02-10T12"
    assert (again, same_hour) == (None, None)
    assert next_hour is not None
    assert next_hour.hour == "2030-02-10T13"
    assert next_hour.checked == 1


def test_the_round_names_the_tenants_firing_and_the_highest_rate_worth_judging(
    world: World,
) -> None:
    for tenant_id in ("salon-1", "tiny-1", "quiet-1", "two-1"):
        world.store.put_tenant(clinic(tenant_id=tenant_id))
    service = TuneOutService(
        world.store, world.texts, world.log, FixedClock(NOW), SmsTemplateRules(), runs=Runs()
    )
    day = NOW - timedelta(days=1)
    world.texts.add(day, count=200)
    world.stop(day, count=4)  # 20 per 1,000: fires
    world.texts.add(day, count=500, tenant_id="salon-1")
    world.stop(day, count=4, tenant_id="salon-1")  # 8 per 1,000: does not
    world.texts.add(day, count=10, tenant_id="tiny-1")
    world.stop(day, count=4, tenant_id="tiny-1")  # 400 per 1,000 of too few texts to judge
    world.texts.add(day, count=100, tenant_id="two-1")
    world.stop(day, count=2, tenant_id="two-1")  # 20 per 1,000, but two STOPs wake nobody
    asked = len(world.texts.asked)

    checked = service.hourly(["clinic-1", "salon-1", "tiny-1", "quiet-1", "two-1"])

    assert checked is not None
    assert checked.checked == 5
    # Only tenants with 3 opt-outs or more could fire: their figures alone are read whole.
    assert [(t.tenant_id, t.per_1000_7d) for t in checked.judged] == [
        ("clinic-1", 20.0),
        ("salon-1", 8.0),
        ("tiny-1", 400.0),
    ]
    assert len(world.texts.asked) - asked == 3
    assert (checked.firing, checked.highest_per_1000) == (["clinic-1"], 20.0)


def test_a_round_with_nothing_to_judge_reports_zero(world: World) -> None:
    service = TuneOutService(
        world.store, world.texts, world.log, FixedClock(NOW), SmsTemplateRules(), runs=Runs()
    )

    checked = service.hourly(["clinic-1"])

    assert checked is not None
    assert (checked.firing, checked.highest_per_1000) == ([], 0.0)


def test_an_hour_whose_check_failed_is_not_lost_the_next_run_checks_it(world: World) -> None:
    runs = Runs()
    clock = FixedClock(NOW)
    log = FlakyLog(world.log)
    service = TuneOutService(world.store, world.texts, log, clock, SmsTemplateRules(), runs=runs)
    world.texts.add(NOW - timedelta(days=1), count=200)
    world.stop(NOW - timedelta(days=1), count=4)

    with pytest.raises(ConnectionError):
        service.hourly(["clinic-1"])
    assert runs.claimed == set()  # nothing claimed: the hour is still to check
    clock.advance(minutes=5)
    retried = service.hourly(["clinic-1"])
    clock.advance(minutes=5)
    after = service.hourly(["clinic-1"])

    assert retried is not None
    assert (retried.hour, retried.firing) == ("2030-02-10T12", ["clinic-1"])
    assert after is None


@dataclass
class RacedRuns(Runs):
    """Another run claims the hour between this run's check and its claim."""

    def ran_in_hour(self, job: str, hour: str) -> bool:
        self.claimed.add((job, hour))
        return False


def test_a_round_another_run_claimed_first_is_not_reported_twice(world: World) -> None:
    service = TuneOutService(
        world.store, world.texts, world.log, FixedClock(NOW), SmsTemplateRules(), runs=RacedRuns()
    )

    assert service.hourly(["clinic-1"]) is None
