"""The local stack's demo day: each visit carries the confirmation its customer got, so its
conversation shows that text and a move from the console sends the "moved" text."""

from __future__ import annotations

from datetime import timedelta

from infra.local.demo_day import seed_demo_day
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import MessageKind, MessageStatus
from rendezvous.runtime import Runtime
from tests.support.aws import clinic


def test_each_demo_visit_keeps_the_confirmation_it_was_sent(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    made = seed_demo_day(store, runtime.renderer(), clinic(), clock.now())

    for appointment in made:
        found = store.get_appointment(appointment.tenant_id, appointment.appointment_id)
        assert found is not None
        (sent,) = found[1]
        assert appointment.last_text is not None
        assert (sent.kind, sent.status.value) == ("confirmation", appointment.last_text.status)
        assert sent.send_at == appointment.last_text.at
        assert sent.body is not None
        assert appointment.customer.name is not None
        assert appointment.customer.name.split()[0] in sent.body
    undelivered = [a for a in made if a.last_text and a.last_text.status == "undelivered"]
    assert undelivered, "the demo day has a number that cannot take texts"
    for appointment in undelivered:
        found = store.get_appointment(appointment.tenant_id, appointment.appointment_id)
        assert found is not None
        assert found[1][0].error_code == 30003


def test_moving_a_demo_visit_sends_the_moved_text_not_a_second_confirmation(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    made = seed_demo_day(store, runtime.renderer(), clinic(), clock.now())
    visit = next(
        a
        for a in made
        if a.starts_at > clock.now() and a.last_text and a.last_text.status == "delivered"
    )

    view = runtime.appointment_service().upsert(
        visit.tenant_id,
        visit.appointment_id,
        AppointmentDraft(
            customer=visit.customer,
            starts_at=visit.starts_at + timedelta(hours=1),
            duration_minutes=visit.duration_minutes,
            service=visit.service,
        ),
    )

    notices = [
        m
        for m in view.messages
        if m.version == view.appointment.version and m.status is not MessageStatus.SUPERSEDED
    ]
    kinds = {m.kind for m in notices}
    assert MessageKind.MOVED.value in kinds
    assert MessageKind.CONFIRMATION.value not in kinds
