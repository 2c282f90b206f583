"""One open waitlist offer per number, made sure by the offer's write and not only by the
wave's read: two waves for different openings that both read the number as free offer it
one slot, so its Y means that slot."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import OfferSendRequest, Recipient
from rendezvous.domain.offers import TakeOutcome, WaveResult
from rendezvous.domain.vacancy import Opening, OpeningSource, WaitlistEntry, WaitlistStatus
from rendezvous.phone import recipient_key
from tests.unit.test_offers import NOW, SLOT, World, phone

# The same customer waits for two services; a slot of each opens.
FIRST, SECOND = "op-cleaning", "op-whitening"


@pytest.fixture
def world() -> World:
    w = World()
    for n, service in ((1, "Cleaning"), (2, "Whitening")):
        entry = w.wait(n, service=service)
        same_number = entry.customer.model_copy(update={"phone": phone(1)})
        w.vacancies.put_entry(
            entry.model_copy(update={"customer": same_number, "version": 2}),
            expected_version=1,
        )
    return w


def open_slot(world: World, opening_id: str, service: str, starts_at: datetime) -> None:
    assert world.vacancies.create_opening(
        Opening(
            tenant_id="clinic-1",
            opening_id=opening_id,
            starts_at=starts_at,
            service=service,
            source=OpeningSource.BOOKING,
            created_at=NOW,
        )
    )


def race(world: World) -> tuple[WaveResult, WaveResult]:
    """FIRST's wave 1 reads the waiting entries' numbers, then SECOND's wave 1 runs whole
    (two filler invocations at once), then FIRST's goes on with what it read: the number
    free."""
    read = world.store.recipients_by_key
    inner: list[WaveResult] = []
    started = False

    def stale(tenant_id: str, keys: list[str]) -> dict[str, Recipient]:
        nonlocal started
        found = read(tenant_id, keys)
        if not started:
            started = True
            inner.append(world.offers.run_wave("clinic-1", SECOND, 1))
        return found

    world.store.recipients_by_key = stale  # type: ignore[method-assign]
    try:
        outer = world.offers.run_wave("clinic-1", FIRST, 1)
    finally:
        world.store.recipients_by_key = read  # type: ignore[method-assign]
    return outer, inner[0]


def entry(world: World, entry_id: str) -> WaitlistEntry:
    return world.vacancies.entries_by_id[("clinic-1", entry_id)]


def test_two_waves_at_once_offer_the_number_one_slot_and_its_y_takes_that_one(
    world: World,
) -> None:
    open_slot(world, FIRST, "Cleaning", SLOT)
    open_slot(world, SECOND, "Whitening", SLOT + timedelta(hours=5))

    first, second = race(world)

    assert (first.offers_sent, second.offers_sent) == (0, 1)
    assert [(o, e) for (_, o, e) in world.vacancies.offers] == [(SECOND, "e2")]
    # The lost offer wrote nothing: no text planned or handed to the sender, its entry
    # still waiting for the next wave.
    assert [t.opening_id for t in world.vacancies.texts.values()] == [SECOND]
    handed = [r for r in world.outbound.sent if isinstance(r, OfferSendRequest)]
    assert [r.opening_id for r in handed] == [SECOND]
    assert entry(world, "e1").status is WaitlistStatus.WAITING
    assert entry(world, "e2").status is WaitlistStatus.OFFERED
    choice = world.store.recipients[("clinic-1", recipient_key("clinic-1", phone(1)))]
    assert choice.waitlist_offer is not None
    assert choice.waitlist_offer.opening_id == SECOND

    world.send_all()
    answered = world.reply(phone(1), "Y", "1")

    assert answered.intent is Intent.TAKE_OFFER
    assert answered.take is not None
    assert (answered.take.outcome, answered.take.opening_id) == (TakeOutcome.WON, SECOND)
    assert ("clinic-1", f"fill-{FIRST}") not in world.store.appointments_by_id


@pytest.mark.parametrize(("later", "offered"), [(timedelta(seconds=-1), 0), (timedelta(0), 1)])
def test_the_skipped_entry_is_offered_by_a_later_wave_once_the_other_offer_expired(
    world: World, later: timedelta, offered: int
) -> None:
    # SECOND starts sooner: its offer to the number stops at its start less the notice.
    open_slot(world, FIRST, "Cleaning", SLOT)
    soon = NOW + timedelta(hours=4)
    open_slot(world, SECOND, "Whitening", soon)
    race(world)
    world.clock.set(soon - timedelta(minutes=120) + later)

    result = world.offers.run_wave("clinic-1", FIRST, 2)

    assert result.offers_sent == offered
    assert (("clinic-1", FIRST, "e1") in world.vacancies.offers) is bool(offered)


def test_a_number_whose_offer_was_taken_by_another_may_be_offered_the_next_slot(
    world: World,
) -> None:
    open_slot(world, FIRST, "Cleaning", SLOT)
    open_slot(world, SECOND, "Whitening", SLOT + timedelta(hours=5))
    race(world)
    [offer] = [o for (_, op, _), o in world.vacancies.offers.items() if op == SECOND]
    # Closed unanswered (the slot went to someone else, or it came too close): ended.
    world.vacancies.release(offer, world.clock.now())

    result = world.offers.run_wave("clinic-1", FIRST, 2)

    assert result.offers_sent == 1
    assert entry(world, "e1").status is WaitlistStatus.OFFERED
