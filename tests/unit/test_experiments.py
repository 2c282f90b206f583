"""Template experiments through in-memory ports: which texts a running experiment writes,
what the sender records of it, and how a manager starts, reads and stops one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.delivery import DeliveryReport, record_delivery_report
from rendezvous.domain.errors import Conflict, InvalidFields, InvalidSettings, NotFound
from rendezvous.domain.experiment_service import ExperimentService, Started
from rendezvous.domain.experiment_stats import variant_of
from rendezvous.domain.experiments import ExperimentStatus, Variant, assignment_for
from rendezvous.domain.identity import status_callback_ref
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Customer,
    MessageKind,
    RunningExperiment,
    experiment_slot,
)
from rendezvous.domain.sending import MessageSender, Outcome
from rendezvous.domain.staff import StaffMember
from rendezvous.domain.tenant_settings import SettingsService, template_text_problems
from rendezvous.messages.render import SmsRenderer
from rendezvous.messages.rules import SmsTemplateRules
from tests.support.aws import at, clinic
from tests.support.experiments_memory import MemoryExperiments
from tests.support.memory import (
    MemoryActivityLog,
    MemoryGateway,
    MemoryOutbound,
    MemoryScheduler,
    MemorySettings,
    MemoryStore,
)

PLAIN = "{business}: {first_name}, booked {when}. Reply C to confirm, X to cancel."
COST = (
    "{business}: {first_name}, booked {when}. A missed visit keeps someone else from "
    "care. Reply C to confirm, X to cancel."
)
VARIANTS = (Variant(name="plain", template=PLAIN), Variant(name="cost", template=COST))
INES = StaffMember("clinic-1", "manager-ines")


@dataclass
class World:
    clock: FixedClock = field(default_factory=lambda: FixedClock(at("2030-01-10T09:00:00-08:00")))
    store: MemoryStore = field(default_factory=MemoryStore)
    scheduler: MemoryScheduler = field(default_factory=MemoryScheduler)
    outbound: MemoryOutbound = field(default_factory=MemoryOutbound)
    gateway: MemoryGateway = field(default_factory=MemoryGateway)
    log: MemoryActivityLog = field(default_factory=MemoryActivityLog)

    def __post_init__(self) -> None:
        self.store.put_tenant(clinic())
        self.experiments = MemoryExperiments(self.store, self.log)
        self.service = ExperimentService(self.experiments, self.log, SmsTemplateRules(), self.clock)
        self.appointments = AppointmentService(
            self.store, self.scheduler, self.outbound, self.clock
        )
        self.sender = MessageSender(
            self.store,
            self.gateway,
            self.scheduler,
            self.clock,
            SmsRenderer(),
            experiments=self.experiments,
        )

    def start(
        self,
        experiment_id: str = "wording",
        *,
        locale: str = "en",
        description: str = "plain vs cost",
        variants: tuple[Variant, ...] = VARIANTS,
    ) -> Started:
        return self.service.start(
            INES,
            experiment_id,
            kind=MessageKind.CONFIRMATION,
            locale=locale,
            description=description,
            variants=variants,
        )

    def book(self, n: int) -> str:
        appointment_id = f"appt-{n}"
        draft = AppointmentDraft(
            customer=Customer(phone=f"+1415555{n:04d}", name="Ana López"),
            starts_at=datetime.fromisoformat("2030-01-15T10:30:00-08:00"),
        )
        self.appointments.upsert("clinic-1", appointment_id, draft)
        return appointment_id

    def send_queued(self) -> list[Outcome]:
        requests, self.outbound.sent = self.outbound.sent, []
        return [self.sender.deliver(r).outcome for r in requests]

    def appointment(self, appointment_id: str) -> Appointment:
        found = self.store.get_appointment("clinic-1", appointment_id)
        assert found is not None
        return found[0]


@pytest.fixture
def world() -> World:
    return World()


def appointment(
    status: AppointmentStatus = AppointmentStatus.SCHEDULED, **changes: object
) -> Appointment:
    now = at("2030-01-10T09:00:00-08:00")
    base = Appointment(
        tenant_id="clinic-1",
        appointment_id="appt-1",
        customer=Customer(phone="+14155550123", name="Ana"),
        starts_at=now + timedelta(days=3),
        created_at=now,
        updated_at=now,
        status=status,
    )
    return base.model_copy(update=changes)


def running(kind: str, locale: str = "en") -> dict[str, RunningExperiment]:
    return {
        experiment_slot(kind, locale): RunningExperiment(experiment_id="wording", variants=VARIANTS)
    }


# -- which texts an experiment writes ---------------------------------------------------------


def test_no_experiment_means_no_assignment() -> None:
    assert assignment_for(clinic(), "confirmation", appointment()) is None


def test_a_running_experiment_assigns_the_appointments_variant_by_its_hash() -> None:
    tenant = clinic(experiments=running("confirmation"))

    found = assignment_for(tenant, "confirmation", appointment())

    assert found is not None
    expected = variant_of("wording", "appt-1", ["plain", "cost"])
    assert found.variant.name == expected
    assert found.label == f"wording/{expected}"
    written = found.tenant_for(tenant)
    assert written.templates["en"]["confirmation"] == found.variant.template


def test_a_reminder_experiment_covers_every_reminder_offset_but_not_a_confirmed_visit() -> None:
    tenant = clinic(experiments=running("reminder"))

    assert assignment_for(tenant, "reminder_48h", appointment()) is not None
    assert assignment_for(tenant, "reminder_2h", appointment()) is not None
    assert assignment_for(tenant, "confirmation", appointment()) is None
    # A confirmed visit's reminder is written with reminder_confirmed's words.
    assert assignment_for(tenant, "reminder_48h", appointment(AppointmentStatus.CONFIRMED)) is None


def test_an_experiment_is_for_its_locale_only() -> None:
    tenant = clinic(experiments=running("confirmation", "fr"))
    french = appointment(customer=Customer(phone="+33612345678", name="Zoé", locale="fr"))

    assert assignment_for(tenant, "confirmation", french) is not None
    assert assignment_for(tenant, "confirmation", appointment()) is None


def test_a_moved_text_without_its_old_time_is_no_moved_experiments_text() -> None:
    tenant = clinic(experiments=running("moved"))
    moved_from = at("2030-01-12T10:30:00-08:00")

    assert assignment_for(tenant, "moved", appointment()) is None
    assert assignment_for(tenant, "moved", appointment(previous_starts_at=moved_from)) is not None


# -- what the sender writes and records --------------------------------------------------------


def test_each_confirmation_is_written_with_its_appointments_variant_and_recorded(
    world: World,
) -> None:
    world.start()
    ids = [world.book(n) for n in range(12)]

    assert set(world.send_queued()) == {Outcome.SENT}

    bodies = {sms.to: sms.body for sms in world.gateway.sent}
    seen = set()
    for n, appointment_id in enumerate(ids):
        variant = variant_of("wording", appointment_id, ["plain", "cost"])
        seen.add(variant)
        body = bodies[f"+1415555{n:04d}"]
        assert ("missed visit" in body) is (variant == "cost")
        found = world.store.get_appointment("clinic-1", appointment_id)
        assert found is not None
        stored, messages = found
        [record] = [m for m in messages if m.kind == "confirmation"]
        assert record.variant == f"wording/{variant}"
        assert record.body == body
        assert stored.last_text is not None
        assert stored.last_text.variant == f"wording/{variant}"
    assert seen == {"plain", "cost"}  # 12 appointments: both arms, whatever the hash
    membership = world.experiments.experiment_members("clinic-1", "wording")
    assert membership.variants == {a: variant_of("wording", a, ["plain", "cost"]) for a in ids}
    assert sum(membership.texts.values()) == 12


def test_a_retried_send_adds_no_member_and_no_text(world: World) -> None:
    world.start()
    world.book(1)
    [request] = world.outbound.sent

    world.sender.deliver(request)
    world.sender.deliver(request)

    assert len(world.gateway.sent) == 1
    membership = world.experiments.experiment_members("clinic-1", "wording")
    assert list(membership.variants) == ["appt-1"]
    assert sum(membership.texts.values()) == 1


def test_a_member_write_that_fails_leaves_no_claim_and_the_redelivery_sends(
    world: World,
) -> None:
    """The member is written before the recipient's claim: a claim left by a send that
    stopped at the member write would make the redelivery report the text unknown."""
    world.start()
    appointment_id = world.book(1)
    [request] = world.outbound.sent
    real = world.experiments.join_experiment
    calls: list[str] = []

    def failing_once(*args: object, **kwargs: object) -> None:
        calls.append(appointment_id)
        if len(calls) == 1:
            raise RuntimeError("throughput exceeded after boto3's retries")
        real(*args, **kwargs)  # type: ignore[arg-type]

    world.experiments.join_experiment = failing_once  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        world.sender.deliver(request)
    assert world.gateway.sent == []

    again = world.sender.deliver(request)  # SQS delivers the event again

    assert again.outcome is Outcome.SENT
    assert len(world.gateway.sent) == 1
    membership = world.experiments.experiment_members("clinic-1", "wording")
    variant = variant_of("wording", appointment_id, ["plain", "cost"])
    assert membership.variants == {appointment_id: variant}


def test_texts_of_other_kinds_and_tenants_without_experiments_record_no_variant(
    world: World,
) -> None:
    world.book(1)
    world.send_queued()

    [record] = [m for m in world.store.messages.values() if m.kind == "confirmation"]
    assert record.variant is None
    assert world.experiments.members == {}


def test_a_status_callback_keeps_the_variant_on_the_last_text(world: World) -> None:
    world.start()
    world.book(1)
    world.send_queued()
    [record] = [m for m in world.store.messages.values() if m.kind == "confirmation"]

    record_delivery_report(
        world.store,
        world.clock,
        DeliveryReport(
            ref=status_callback_ref(record),
            message_sid=record.sid or "",
            status="delivered",
            to="+14155550001",
        ),
    )

    last = world.appointment("appt-1").last_text
    assert last is not None
    assert last.status == "delivered"
    assert last.variant == record.variant is not None


# -- a manager's experiment ---------------------------------------------------------------------


def test_start_runs_at_once_and_a_retry_answers_the_same_experiment(world: World) -> None:
    first = world.start()
    world.clock.advance(minutes=5)
    again = world.start()

    assert first.created is True
    assert again.created is False
    assert again.experiment == first.experiment
    tenant = world.store.get_tenant("clinic-1")
    assert tenant is not None
    assert tenant.experiments["confirmation/en"].experiment_id == "wording"


def test_the_same_id_with_another_definition_is_a_conflict(world: World) -> None:
    world.start()

    with pytest.raises(Conflict, match="another definition"):
        world.start(description="changed")


def test_one_experiment_per_kind_and_locale(world: World) -> None:
    world.start()

    with pytest.raises(Conflict, match="wording is running"):
        world.start("second")
    world.start("french", locale="fr")  # another locale is another slot
    assert world.experiments.get_experiment("clinic-1", "second") is None


def test_a_template_a_setting_would_refuse_is_refused_by_field_and_nothing_is_written(
    world: World,
) -> None:
    long = "{business}: " + "a very long sentence that goes on " * 12 + "C to confirm"
    bad = (
        Variant(name="plain", template=PLAIN),
        Variant(name="odd", template="{business}: {nope}"),
        Variant(name="long", template=long),
    )

    with pytest.raises(InvalidFields) as refused:
        world.start(variants=bad)

    fields = [field for field, _ in refused.value.problems]
    assert fields == ["variants.1.template", "variants.2.template"]
    assert world.experiments.experiments == {}
    tenant = world.store.get_tenant("clinic-1")
    assert tenant is not None
    assert tenant.experiments == {}


def _longest_two_segment_variant(world: World) -> str:
    """A confirmation variant whose worst case is two segments for the tenant's name now."""
    rules = SmsTemplateRules()
    tenant = world.store.get_tenant("clinic-1")
    assert tenant is not None
    fits = ""
    for n in range(1, 300):
        text = PLAIN.replace("Reply C", "Note " + "w" * n + ". Reply C")
        if template_text_problems(tenant, "en", MessageKind.CONFIRMATION, text, rules):
            return fits
        fits = text
    raise AssertionError("no variant grew past two segments")


def test_a_settings_change_that_would_push_a_running_variant_past_two_segments_is_refused(
    world: World,
) -> None:
    long = _longest_two_segment_variant(world)
    world.start(
        variants=(Variant(name="plain", template=PLAIN), Variant(name="long", template=long))
    )
    settings = SettingsService(
        MemorySettings(world.store, world.log), SmsTemplateRules(), world.clock
    )
    before = world.store.get_tenant("clinic-1")
    assert before is not None

    with pytest.raises(InvalidSettings) as refused:
        settings.change(INES, {"name": "N" * 60}, before.settings_version)

    [(field, problem)] = refused.value.problems
    assert field == "name"
    assert "experiment wording, variant long" in problem
    assert "3 SMS segments" in problem
    after = world.store.get_tenant("clinic-1")
    assert after is not None
    assert (after.name, after.settings_version) == (before.name, before.settings_version)
    # A change that keeps every variant within two segments goes through.
    settings.change(INES, {"name": "Harbor"}, before.settings_version)


def test_details_shown_that_push_a_running_variant_past_two_segments_name_that_setting(
    world: World,
) -> None:
    tenant = world.store.get_tenant("clinic-1")
    assert tenant is not None
    world.store.put_tenant(tenant.model_copy(update={"include_service_details": False}))
    long = _longest_two_segment_variant(world).replace("{when}", "{when} {details}")
    world.start(
        variants=(Variant(name="plain", template=PLAIN), Variant(name="long", template=long))
    )
    settings = SettingsService(
        MemorySettings(world.store, world.log), SmsTemplateRules(), world.clock
    )

    with pytest.raises(InvalidSettings) as refused:
        settings.change(INES, {"include_service_details": True}, tenant.settings_version)

    assert [field for field, _ in refused.value.problems] == ["include_service_details"]


def test_only_a_template_kind_can_be_experimented_on(world: World) -> None:
    with pytest.raises(InvalidFields) as refused:
        world.service.start(
            INES,
            "offers",
            kind=MessageKind.OFFER,
            locale="en",
            description="",
            variants=VARIANTS,
        )

    assert refused.value.problems[0][0] == "kind"
    assert world.experiments.experiments == {}


def test_stop_with_a_winner_makes_its_words_the_template_in_one_settings_change(
    world: World,
) -> None:
    world.start()
    world.clock.advance(days=1)

    stopped = world.service.stop(INES, "wording", "cost")

    assert stopped.status is ExperimentStatus.STOPPED
    assert stopped.winner == "cost"
    assert stopped.stopped_by == "manager-ines"
    tenant = world.store.get_tenant("clinic-1")
    assert tenant is not None
    assert tenant.experiments == {}
    assert tenant.templates["en"]["confirmation"] == COST
    assert tenant.settings_version == 1
    [entry] = [e for _, e in world.log.entries if e.event is ActivityEvent.SETTINGS_CHANGED]
    assert entry.settings_version == 1
    assert entry.actor == "manager-ines"
    assert entry.changes is not None
    assert entry.changes["templates.en.confirmation"].after == COST


def test_the_next_confirmation_after_a_winner_uses_its_words_and_no_variant(world: World) -> None:
    world.start()
    world.service.stop(INES, "wording", "cost")

    world.book(1)
    world.send_queued()

    [sms] = world.gateway.sent
    assert "missed visit" in sms.body
    [record] = [m for m in world.store.messages.values() if m.kind == "confirmation"]
    assert record.variant is None


def test_a_stop_retried_answers_the_same_and_another_stop_is_a_conflict(world: World) -> None:
    world.start()
    first = world.service.stop(INES, "wording", None)
    world.clock.advance(minutes=1)

    again = world.service.stop(INES, "wording", None)

    assert again == first
    with pytest.raises(Conflict, match="winner none"):
        world.service.stop(INES, "wording", "cost")
    tenant = world.store.get_tenant("clinic-1")
    assert tenant is not None
    assert tenant.settings_version == 0


def test_an_unknown_winner_is_refused_by_field_and_the_experiment_runs_on(world: World) -> None:
    world.start()

    with pytest.raises(InvalidFields) as refused:
        world.service.stop(INES, "wording", "bold")

    assert refused.value.problems[0][0] == "winner"
    assert world.service.experiment("clinic-1", "wording").status is ExperimentStatus.RUNNING


def test_an_unknown_experiment_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        world.service.experiment("clinic-1", "nope")
    with pytest.raises(NotFound):
        world.service.stop(INES, "nope", None)


def test_the_report_counts_members_outcomes_and_the_opt_outs_their_texts_drew(
    world: World,
) -> None:
    world.start()
    ids = [world.book(n) for n in range(6)]
    world.send_queued()
    for appointment_id in ids:
        stored = world.appointment(appointment_id)
        world.store.appointments_by_id[("clinic-1", appointment_id)] = stored.model_copy(
            update={"outcome": AppointmentOutcome.NO_SHOW}
        )
    cost_member = next(a for a in ids if variant_of("wording", a, ["plain", "cost"]) == "cost")
    for answered in ("wording/cost", "other/cost", None):
        world.log.append(
            "clinic-1",
            ActivityEntry(
                event=ActivityEvent.TEXT_RECEIVED,
                actor="customer",
                at=world.clock.now(),
                intent=Intent.OPT_OUT,
                appointment_id=cost_member,
                answered_variant=answered,
            ),
        )

    report = world.service.report(world.service.experiment("clinic-1", "wording"))

    arms = {arm.variant: arm for arm in report.arms}
    assert arms["plain"].appointments + arms["cost"].appointments == 6
    assert arms["plain"].texts + arms["cost"].texts == 6
    assert arms["cost"].no_show == arms["cost"].with_outcome == arms["cost"].appointments
    assert arms["cost"].opt_outs == 1
    assert arms["plain"].opt_outs == 0
    assert report.verdict.value == "not_yet_meaningful"
