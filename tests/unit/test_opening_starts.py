"""A written opening always gets its waves: a publish started whatever the fill switch
says, a retried publish or a repeated cancel starting an opening the first call never got
to start, and never planning again a wave that ran (R6, R23)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.models import Customer
from rendezvous.domain.offers import WaveOutcome
from rendezvous.domain.vacancies import EntryDraft, OpeningDraft
from rendezvous.domain.vacancy import Opening
from tests.support.aws import clinic
from tests.unit.test_offers import NOW, World, phone
from tests.unit.test_vacancies import World as ListsWorld


class StarterDown(Exception):
    pass


def slot() -> OpeningDraft:
    return OpeningDraft(starts_at=NOW + timedelta(days=1), service="Cleaning")


def test_a_slot_published_while_fill_is_off_is_started_all_the_same() -> None:
    world = ListsWorld()
    world.store.put_tenant(clinic(fill_enabled=False))

    published = world.service.publish("clinic-1", slot(), "slot-1")

    assert world.starter.started == [published.value]


def test_a_publish_retried_after_its_start_failed_starts_it() -> None:
    world = ListsWorld()
    start = world.starter.start

    def down(opening: Opening) -> None:
        raise StarterDown

    world.starter.start = down  # type: ignore[method-assign]
    with pytest.raises(StarterDown):
        world.service.publish("clinic-1", slot(), "slot-1")
    world.starter.start = start  # type: ignore[method-assign]

    again = world.service.publish("clinic-1", slot(), "slot-1")

    assert again.created is False
    assert world.starter.ensured == [again.value]


def test_waves_offer_nothing_while_fill_is_off_and_start_once_it_is_on() -> None:
    world = World()
    world.store.put_tenant(clinic(fill_wave_size=2, fill_enabled=False))
    world.wait(1)
    world.open()

    off = world.offers.run_wave("clinic-1", "op-visit-1-v2", 1)
    world.store.put_tenant(clinic(fill_wave_size=2))
    assert off.next_wave_at is not None
    world.clock.set(off.next_wave_at)
    on = world.offers.run_wave("clinic-1", "op-visit-1-v2", 2)

    assert off.outcome is WaveOutcome.STOPPED
    assert off.next_wave_at - NOW <= timedelta(hours=1)
    assert on.offers_sent == 1


def cancelled_with_waves(world: World) -> str:
    world.appointments.starter = world.offers
    world.appointments.upsert(
        "clinic-1",
        "visit-1",
        AppointmentDraft(Customer(phone=phone(9), name="Customer 9"), NOW + timedelta(days=2)),
    )
    world.wait(1)
    world.appointments.cancel("clinic-1", "visit-1", source="staff")
    [(opening_id, wave)] = world.waves.calls
    assert wave == 1
    # The cancel wrote it to the store the offers' fake shares.
    assert world.vacancies.get_opening("clinic-1", opening_id) is not None
    return opening_id


def test_a_repeated_cancel_does_not_plan_a_wave_that_ran_again() -> None:
    world = World()
    opening_id = cancelled_with_waves(world)
    assert world.offers.run_wave("clinic-1", opening_id, 1).offers_sent == 1
    # EventBridge deletes a one-time schedule once it ran: planning wave 1 again would run it.
    del world.waves.planned[("clinic-1", opening_id, 1)]
    world.waves.calls.clear()

    world.appointments.cancel("clinic-1", "visit-1", source="staff")
    world.appointments.cancel("clinic-1", "visit-1", source="booking")

    assert world.waves.calls == []


def test_a_repeated_cancel_starts_an_opening_the_first_cancel_never_started() -> None:
    world = World()
    opening_id = cancelled_with_waves(world)
    # The first cancel stopped between its write and the start: no wave planned.
    world.waves.planned.clear()
    world.waves.calls.clear()

    world.appointments.cancel("clinic-1", "visit-1", source="staff")

    assert world.waves.calls == [(opening_id, 1)]


def test_someone_joining_or_listed_again_is_announced_to_the_starter_once() -> None:
    world = ListsWorld()
    ana = EntryDraft(customer=Customer(phone="+14155550123", name="Ana"))

    joined = world.service.put_entry("clinic-1", "w-1", ana)
    world.service.put_entry("clinic-1", "w-1", ana)  # a retry: nothing changed
    world.service.remove_entry("clinic-1", "w-1")
    again = world.service.put_entry("clinic-1", "w-1", ana)

    assert world.starter.waiting == [joined.value, again.value]
