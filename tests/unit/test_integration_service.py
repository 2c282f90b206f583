"""IntegrationService on in-memory ports: what Cal.com's and FHIR's changes do to
appointments, idempotently, in milliseconds (the handlers are tested through moto)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import Conflict, Forbidden, NotFound, Unprocessable
from rendezvous.domain.events import EventType
from rendezvous.domain.integrations import (
    CalcomAction,
    CalcomChange,
    FhirAction,
    FhirChange,
    IntegrationService,
    Outcome,
)
from rendezvous.domain.models import AppointmentOutcome, AppointmentStatus, Customer, SendRequest
from tests.support.aws import at, clinic
from tests.support.memory import (
    MemoryActivityLog,
    MemoryCalcomIntegrations,
    MemoryFhirResources,
    MemoryOutbound,
    MemoryScheduler,
    MemoryStore,
)
from tests.support.webhooks_memory import PlainSealer


def draft(starts_at: str = "2030-01-15T10:30:00-08:00") -> AppointmentDraft:
    return AppointmentDraft(
        customer=Customer(phone="+14155550123", name="Ana López"),
        starts_at=datetime.fromisoformat(starts_at),
    )


@dataclass
class World:
    clock: FixedClock = field(default_factory=lambda: FixedClock(at("2030-01-10T09:00:00-08:00")))
    store: MemoryStore = field(default_factory=MemoryStore)
    outbound: MemoryOutbound = field(default_factory=MemoryOutbound)
    integrations: MemoryCalcomIntegrations = field(default_factory=MemoryCalcomIntegrations)
    sealer: PlainSealer = field(default_factory=PlainSealer)
    fhir: MemoryFhirResources = field(default_factory=MemoryFhirResources)
    log: MemoryActivityLog = field(default_factory=MemoryActivityLog)

    def __post_init__(self) -> None:
        self.store.put_tenant(clinic())
        self.store.put_tenant(clinic(tenant_id="salon-1", phone_number="+33612345678"))
        appointments = AppointmentService(
            self.store, MemoryScheduler(), self.outbound, self.clock, activity=self.log
        )
        self.service = IntegrationService(
            appointments, self.integrations, self.sealer, self.fhir, self.clock
        )

    def status(self, appointment_id: str) -> AppointmentStatus | None:
        found = self.store.get_appointment("clinic-1", appointment_id)
        return None if found is None else found[0].status


@pytest.fixture
def world() -> World:
    return World()


def test_an_integration_is_made_once_sealed_to_its_tenant_and_id(world: World) -> None:
    made = world.service.register_calcom("clinic-1", "cal", by="boss@clinic.example")
    again = world.service.register_calcom("clinic-1", "cal", by="boss@clinic.example")

    assert made.created
    assert made.secret is not None
    assert (again.created, again.secret) == (False, None)
    sealed = made.integration.sealed_secret
    assert world.sealer.open(sealed, {"tenant_id": "clinic-1", "integration_id": "cal"}) == (
        made.secret
    )
    with pytest.raises(ValueError, match="wrong encryption context"):
        world.sealer.open(sealed, {"tenant_id": "salon-1", "integration_id": "cal"})
    with pytest.raises(Conflict):
        world.service.register_calcom("salon-1", "cal", by="boss@salon.example")
    with pytest.raises(NotFound):
        world.service.get_calcom("salon-1", "cal")


def test_a_delivery_is_for_the_tenant_whose_secret_signed_it(world: World) -> None:
    secret = world.service.register_calcom("clinic-1", "cal", by="boss").secret
    assert secret is not None
    body = b'{"triggerEvent":"PING"}'
    good = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    assert world.service.calcom_tenant("cal", body, good) == "clinic-1"
    for integration_id, signature in [("cal", "0" * 64), ("cal", None), ("other", good)]:
        with pytest.raises(Forbidden):
            world.service.calcom_tenant(integration_id, body, signature)


def test_a_reschedule_books_the_new_uid_before_cancelling_the_old(world: World) -> None:
    book = CalcomChange("BOOKING_CREATED", CalcomAction.BOOK, "old", draft())
    move = CalcomChange(
        "BOOKING_RESCHEDULED", CalcomAction.BOOK, "new", draft("2030-01-16T10:30:00-08:00"), "old"
    )
    world.service.apply_calcom("clinic-1", "cal", book)

    result = world.service.apply_calcom("clinic-1", "cal", move)

    assert (result.result, result.replaced) == ("created", "old")
    assert (world.status("old"), world.status("new")) == (
        AppointmentStatus.CANCELLED,
        AppointmentStatus.SCHEDULED,
    )
    cancelled = [e for _, e in world.log.entries if e.event is ActivityEvent.APPOINTMENT_CANCELLED]
    assert [(e.actor, e.appointment_id) for e in cancelled] == [("calcom:cal", "old")]


def test_a_reschedule_to_the_past_leaves_the_old_booking_standing(world: World) -> None:
    world.service.apply_calcom(
        "clinic-1", "cal", CalcomChange("BOOKING_CREATED", CalcomAction.BOOK, "old", draft())
    )
    past = CalcomChange(
        "BOOKING_RESCHEDULED", CalcomAction.BOOK, "new", draft("2029-01-01T10:00:00-08:00"), "old"
    )

    with pytest.raises(Unprocessable, match="past"):
        world.service.apply_calcom("clinic-1", "cal", past)
    assert world.status("old") is AppointmentStatus.SCHEDULED


def test_a_fhir_resource_gets_a_new_version_only_when_it_changes(world: World) -> None:
    booked = FhirChange(FhirAction.BOOK, draft=draft())
    resource = {"resourceType": "Appointment", "id": "a", "status": "booked"}

    first, created = world.service.put_fhir_appointment("clinic-1", "a", booked, resource, by="b")
    same, created_again = world.service.put_fhir_appointment(
        "clinic-1", "a", booked, dict(resource), by="b"
    )
    cancelled, _ = world.service.put_fhir_appointment(
        "clinic-1", "a", FhirChange(FhirAction.CANCEL), {**resource, "status": "cancelled"}, by="b"
    )

    assert (created, created_again) == (True, False)
    assert (first.version_id, same.version_id, cancelled.version_id) == (1, 1, 2)
    assert world.status("a") is AppointmentStatus.CANCELLED
    # The repeat hands the due confirmation off again (as a repeated PUT does): one send.
    assert {(r.kind, r.version) for r in world.outbound.sent if isinstance(r, SendRequest)} == {
        ("confirmation", 1)
    }


def book_and_pass(world: World, appointment_id: str = "a") -> None:
    """Book `appointment_id` through FHIR, then move the clock past its start."""
    resource = {"resourceType": "Appointment", "id": appointment_id, "status": "booked"}
    booked = FhirChange(FhirAction.BOOK, draft=draft())
    world.service.put_fhir_appointment("clinic-1", appointment_id, booked, resource, by="ehr")
    world.clock.set(at("2030-01-15T11:00:00-08:00"))


def test_an_outcome_is_logged_once_per_change(world: World) -> None:
    book_and_pass(world)
    noshow = FhirChange(FhirAction.OUTCOME, outcome=Outcome.NO_SHOW)
    resource = {"resourceType": "Appointment", "id": "a", "status": "noshow"}

    world.service.put_fhir_appointment("clinic-1", "a", noshow, resource, by="ehr")
    world.service.put_fhir_appointment("clinic-1", "a", noshow, resource, by="ehr")

    outcomes = [e for _, e in world.store.audit if e.event is ActivityEvent.OUTCOME_RECORDED]
    assert [(e.actor, e.appointment_id, e.reason) for e in outcomes] == [("ehr", "a", "no_show")]


def test_fhir_resources_are_kept_per_tenant(world: World) -> None:
    resource = {"resourceType": "Appointment", "id": "a", "status": "arrived"}
    world.service.put_fhir_appointment(
        "clinic-1", "a", FhirChange(FhirAction.KEEP), resource, by="b"
    )

    with pytest.raises(NotFound):
        world.service.get_fhir_appointment("salon-1", "a")
    assert world.service.get_fhir_appointment("clinic-1", "a").resource == resource


def test_calcom_and_fhir_cancellations_tell_the_webhooks_the_booking_system_cancelled(
    world: World,
) -> None:
    book = CalcomChange("BOOKING_CREATED", CalcomAction.BOOK, "cal-1", draft())
    world.service.apply_calcom("clinic-1", "cal", book)
    world.service.apply_calcom(
        "clinic-1", "cal", CalcomChange("BOOKING_CANCELLED", CalcomAction.CANCEL, "cal-1")
    )
    resource = {"resourceType": "Appointment", "id": "fhir-1", "status": "booked"}
    world.service.put_fhir_appointment(
        "clinic-1", "fhir-1", FhirChange(FhirAction.BOOK, draft=draft()), resource, by="ehr"
    )
    world.service.put_fhir_appointment(
        "clinic-1",
        "fhir-1",
        FhirChange(FhirAction.CANCEL),
        {**resource, "status": "cancelled"},
        by="ehr",
    )

    cancelled = world.store.events_of(EventType.APPOINTMENT_CANCELLED)
    assert [(e.appointment_id, e.data["by"]) for e in cancelled] == [
        ("cal-1", "booking"),
        ("fhir-1", "booking"),
    ]


@pytest.mark.parametrize("signature", ["é" * 64, "0" * 63 + "\u00ff", "\u2603"])
def test_a_signature_header_with_characters_beyond_ascii_is_refused_not_a_crash(
    world: World, signature: str
) -> None:
    world.service.register_calcom("clinic-1", "cal", by="boss")

    with pytest.raises(Forbidden):
        world.service.calcom_tenant("cal", b'{"triggerEvent":"PING"}', signature)


def test_a_fhir_outcome_is_stored_on_the_appointment_as_the_api_stores_it(world: World) -> None:
    book_and_pass(world)
    resource = {"resourceType": "Appointment", "id": "a", "status": "noshow"}
    noshow = FhirChange(FhirAction.OUTCOME, outcome=Outcome.NO_SHOW)

    world.service.put_fhir_appointment("clinic-1", "a", noshow, resource, by="ehr")

    found = world.store.get_appointment("clinic-1", "a")
    assert found is not None
    assert (found[0].outcome, found[0].outcome_by) == (AppointmentOutcome.NO_SHOW, "ehr")
    assert found[0].outcome_at == world.clock.now()


def test_a_fhir_outcome_for_an_appointment_never_booked_keeps_the_resource_only(
    world: World,
) -> None:
    resource = {"resourceType": "Appointment", "id": "ghost", "status": "noshow"}
    noshow = FhirChange(FhirAction.OUTCOME, outcome=Outcome.NO_SHOW)

    world.service.put_fhir_appointment("clinic-1", "ghost", noshow, resource, by="ehr")

    assert world.service.get_fhir_appointment("clinic-1", "ghost").resource == resource
    assert world.store.events_of(EventType.APPOINTMENT_OUTCOME_RECORDED) == []


def test_a_fhir_outcome_is_told_to_the_webhooks_once_per_change(world: World) -> None:
    book_and_pass(world)
    resource = {"resourceType": "Appointment", "id": "a", "status": "noshow"}
    noshow = FhirChange(FhirAction.OUTCOME, outcome=Outcome.NO_SHOW)
    attended = FhirChange(FhirAction.OUTCOME, outcome=Outcome.ATTENDED)

    world.service.put_fhir_appointment("clinic-1", "a", noshow, resource, by="ehr")
    world.service.put_fhir_appointment("clinic-1", "a", noshow, dict(resource), by="ehr")
    world.service.put_fhir_appointment(
        "clinic-1", "a", attended, {**resource, "status": "fulfilled"}, by="ehr"
    )

    outcomes = world.store.events_of(EventType.APPOINTMENT_OUTCOME_RECORDED)
    assert [(e.type, e.appointment_id, e.data) for e in outcomes] == [
        (
            EventType.APPOINTMENT_OUTCOME_RECORDED,
            "a",
            {"appointment_id": "a", "outcome": "no_show", "by": "booking"},
        ),
        (
            EventType.APPOINTMENT_OUTCOME_RECORDED,
            "a",
            {"appointment_id": "a", "outcome": "attended", "by": "booking"},
        ),
    ]
    assert outcomes[0].event_id != outcomes[1].event_id
