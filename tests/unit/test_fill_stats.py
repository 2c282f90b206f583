"""What GET /v1/stats counts of vacancy fill: each offer text sent, the fill with its time
(opening to fill), the opening that expired unfilled, the openings made by a cancellation
and by the booking system; the offers part's and the lists part's services write them."""

from __future__ import annotations

from datetime import timedelta

from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.models import Customer
from rendezvous.domain.offers import OfferService
from rendezvous.domain.oversight import FillNumbers, OversightService
from rendezvous.domain.redrive import LateTexts
from rendezvous.domain.vacancies import OpeningDraft, VacancyService
from tests.support.memory import MemoryQueue
from tests.unit.test_offers import OPENING, SLOT, World, phone


def _counted(world: World) -> OfferService:
    offers = OfferService(
        world.store,
        world.vacancies,
        world.vacancies,
        world.waves,
        world.outbound,
        world.appointments,
        world.clock,
        log=world.log,
    )
    world.offers = offers
    world.inbound.offers = offers
    return offers


def _stats(world: World) -> FillNumbers:
    late = LateTexts(world.store, world.store, world.outbound, world.clock)
    oversight = OversightService(
        world.store, world.store, MemoryQueue(world.store), world.log, world.clock, lambda: late
    )
    return oversight.stats("clinic-1", 7).fill


def test_offers_sent_and_the_fill_with_its_time_are_counted() -> None:
    world = World()
    offers = _counted(world)
    world.wait(1)
    world.wait(2)
    world.open()
    offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=25)

    world.reply(phone(2), "Y", "1")

    fill = _stats(world)
    assert (fill.offers_sent, fill.filled) == (2, 1)
    assert fill.median_time_to_fill_minutes == 25.0


def test_an_opening_too_close_to_offer_is_counted_expired_unfilled() -> None:
    world = World()
    offers = _counted(world)
    world.wait(1)
    world.open(starts_at=world.clock.now() + timedelta(hours=3))
    world.clock.advance(hours=2)

    offers.run_wave("clinic-1", OPENING, 1)

    assert ActivityEvent.OPENING_EXPIRED in world.log.events()
    assert _stats(world).expired_unfilled == 1


def test_openings_made_by_a_cancellation_and_by_the_booking_system_are_counted() -> None:
    world = World()
    appointments = AppointmentService(
        world.store, world.scheduler, world.outbound, world.clock, activity=world.log
    )
    draft = AppointmentDraft(customer=Customer(phone=phone(9), name="Ana"), starts_at=SLOT)
    appointments.upsert("clinic-1", "visit-9", draft)
    appointments.cancel("clinic-1", "visit-9", source="booking")
    published = VacancyService(world.vacancies, world.store, world.clock, log=world.log)

    published.publish("clinic-1", OpeningDraft(starts_at=SLOT + timedelta(hours=1)), None)

    assert _stats(world).openings == 2
