"""GET /v1/stats' `fill` block, counted from the activity log alone: each opening, offer,
fill and expiry once, however often the call that made it is retried."""

from __future__ import annotations

from datetime import timedelta

from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.models import Customer
from rendezvous.domain.oversight import FillNumbers, OversightService
from rendezvous.domain.redrive import LateTexts
from rendezvous.domain.sending import Outcome
from rendezvous.domain.vacancies import VacancyService
from rendezvous.domain.vacancy import OpeningStatus
from tests.support.memory import (
    MemoryActivityLog,
    MemoryQueue,
    MemoryScheduler,
    MemoryStore,
    MemoryVacancies,
    RecordingStarter,
)
from tests.unit import test_offers
from tests.unit.test_offers import OPENING, SLOT, phone
from tests.unit.test_vacancies import NOW, slot


def oversight(store: MemoryStore, log: MemoryActivityLog, world: test_offers.World) -> FillNumbers:
    late = LateTexts(store, store, world.outbound, world.clock)
    service = OversightService(store, store, MemoryQueue(store), log, world.clock, lambda: late)
    return service.stats("clinic-1", 7).fill


def test_an_opening_is_counted_once_however_often_its_cancel_or_publication_repeats() -> None:
    world = test_offers.World()
    store, log, starter = world.store, world.log, RecordingStarter()
    vacancies = MemoryVacancies(store)
    appointments = AppointmentService(
        store, MemoryScheduler(), world.outbound, world.clock, activity=log, starter=starter
    )
    publisher = VacancyService(vacancies, store, world.clock, starter, activity=log)
    draft = AppointmentDraft(
        customer=Customer(phone=phone(9), name="Ana"), starts_at=NOW + timedelta(days=2)
    )
    appointments.upsert("clinic-1", "visit-9", draft)

    for _ in range(2):
        appointments.cancel("clinic-1", "visit-9", source="staff")
        publisher.publish("clinic-1", slot(), None)

    assert len({o.opening_id for o in starter.started}) == 2
    assert oversight(store, log, world).openings == 2


def test_a_fill_an_expiry_and_a_retried_wave_are_each_counted_as_often_as_they_happened() -> None:
    world = test_offers.World()  # waves of two
    for n in (1, 2, 3):
        world.wait(n)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.offers.run_wave("clinic-1", OPENING, 1)  # a retried schedule: the same wave again
    world.send_all()
    world.clock.advance(minutes=30)
    world.reply(phone(1), "Y", "1")
    world.reply(phone(1), "Y", "2")  # Twilio retried the webhook
    world.reply(phone(2), "Y", "3")  # too late: just taken
    world.offers.run_wave("clinic-1", OPENING, 2)  # finds it filled

    later = "op-later"
    world.vacancies.create_opening(world.opening().model_copy(update=_fresh(later, world)))
    world.clock.set(SLOT - timedelta(minutes=100))  # within the 120 minutes' notice
    world.offers.run_wave("clinic-1", later, 1)
    world.offers.run_wave("clinic-1", later, 1)  # retried: expired already

    fill = oversight(world.store, world.log, world)

    assert (fill.offers_sent, fill.filled, fill.expired_unfilled) == (2, 1, 1)
    assert fill.median_time_to_fill_minutes == 30.0


def _fresh(opening_id: str, world: test_offers.World) -> dict[str, object]:
    return {
        "opening_id": opening_id,
        "status": OpeningStatus.OPEN,
        "waves_sent": 0,
        "offered_to": 0,
        "version": 1,
        "filled_at": None,
        "filled_by_entry": None,
        "filled_appointment_id": None,
        "created_at": world.clock.now(),
    }


def test_offers_sent_counts_the_offer_texts_twilio_took_each_once() -> None:
    world = test_offers.World()  # waves of two
    for n in (1, 2):
        world.wait(n)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    # Told by phone after the wave picked the number, before its offer text left.
    world.store.mark_recipient("clinic-1", phone(2), now=world.clock.now(), opted_out=True)
    requests = list(world.outbound.sent)

    results = world.send_all()
    for request in requests:  # the queue delivers each event again
        world.sender.deliver(request)

    assert sorted(r.outcome for r in results) == [Outcome.SENT, Outcome.SUPPRESSED]
    assert len(world.gateway.sent) == 1
    assert oversight(world.store, world.log, world).offers_sent == 1


def test_an_offer_held_by_a_pause_counts_when_it_leaves_not_when_it_is_made() -> None:
    world = test_offers.World()
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    tenant = world.store.get_tenant("clinic-1")
    assert tenant is not None
    world.store.put_tenant(tenant.model_copy(update={"paused": True}))
    [request] = world.outbound.sent

    [held] = world.send_all()
    counted_while_held = oversight(world.store, world.log, world).offers_sent
    world.store.put_tenant(tenant)  # resumed: the held text is handed to the sender again
    resent = world.sender.deliver(request)

    assert (held.outcome, held.reason) == (Outcome.DEFERRED, "tenant_paused")
    assert counted_while_held == 0
    assert resent.outcome is Outcome.SENT
    assert oversight(world.store, world.log, world).offers_sent == 1
