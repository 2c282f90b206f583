"""When waves offer and how long an offer holds its entry: quiet hours, the hold of one
interval, the backoff's cap, which listing a wave reads, and what `offered_to` counts."""

from __future__ import annotations

from datetime import timedelta

from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import Customer
from rendezvous.domain.offers import TakeOutcome, WaveOutcome
from rendezvous.domain.vacancy import (
    OfferStatus,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.phone import recipient_key
from tests.support.aws import at, clinic
from tests.unit.test_offers import NOW, OPENING, SLOT, World, phone, world

__all__ = ["world"]

LATER = "op-later"


def later_opening(world: World, *, service: str | None = None) -> Opening:
    opening = Opening(
        tenant_id="clinic-1",
        opening_id=LATER,
        starts_at=SLOT + timedelta(hours=2),
        service=service,
        source=OpeningSource.BOOKING,
        created_at=world.clock.now(),
    )
    assert world.vacancies.create_opening(opening)
    return opening


def entry(world: World, entry_id: str) -> WaitlistEntry:
    return world.vacancies.entries_by_id[("clinic-1", entry_id)]


# -- quiet hours (R3) -------------------------------------------------------------------------


def test_a_wave_in_quiet_hours_offers_nothing_and_comes_back_when_they_end(world: World) -> None:
    world.clock.set(at("2030-01-10T22:00:00-08:00"))
    for n in range(1, 21):
        world.wait(n)
    world.open(at("2030-01-11T15:00:00-08:00"))

    night = world.offers.run_wave("clinic-1", OPENING, 1)

    morning = at("2030-01-11T08:00:00-08:00")
    assert night.outcome is WaveOutcome.QUIET
    assert night.offers_sent == 0
    assert night.next_wave_at == morning
    assert world.waves.planned[("clinic-1", OPENING, 2)] == morning
    assert world.vacancies.offers == {}
    assert world.outbound.sent == []
    world.clock.set(morning)
    day = world.offers.run_wave("clinic-1", OPENING, 2)
    world.send_all()
    assert day.offers_sent == 2  # one wave's worth, not one per quarter hour of the night
    assert len(world.gateway.sent) == 2


def test_the_next_wave_is_planned_past_quiet_hours_not_into_them(world: World) -> None:
    world.clock.set(at("2030-01-10T20:50:00-08:00"))
    world.wait(1)
    world.open(at("2030-01-11T15:00:00-08:00"))

    result = world.offers.run_wave("clinic-1", OPENING, 1)

    assert result.offers_sent == 1
    assert result.next_wave_at == at("2030-01-11T08:00:00-08:00")


def test_a_number_whose_own_zone_is_at_night_is_not_offered_now(world: World) -> None:
    # 09:00 in Los Angeles is 02:00 in Tokyo: the sender would hold that text till morning.
    tokyo = WaitlistEntry(
        tenant_id="clinic-1",
        entry_id="e-tokyo",
        customer=Customer(phone="+81312345678", name="Customer T"),
        listed_at=NOW - timedelta(days=2),
    )
    world.vacancies.put_entry(tokyo, expected_version=None)
    world.wait(1)
    world.open()

    result = world.offers.run_wave("clinic-1", OPENING, 1)

    assert result.offers_sent == 1
    assert entry(world, "e-tokyo").status is WaitlistStatus.WAITING
    assert entry(world, "e1").status is WaitlistStatus.OFFERED


# -- an offer holds its entry one interval (T3, R8) -------------------------------------------


def test_an_unanswered_offer_frees_its_entry_and_number_at_the_next_wave(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=15)

    world.offers.run_wave("clinic-1", OPENING, 2)

    assert entry(world, "e1").status is WaitlistStatus.WAITING
    assert world.vacancies.offers[("clinic-1", OPENING, "e1")].status is OfferStatus.EXPIRED
    later_opening(world)
    other = world.offers.run_wave("clinic-1", LATER, 1)
    assert other.offers_sent == 2  # the same two people hear of the other slot at once
    choice = world.store.recipients[("clinic-1", recipient_key("clinic-1", phone(1)))]
    assert choice.waitlist_offer is not None
    assert choice.waitlist_offer.opening_id == LATER


def test_an_offer_holds_until_its_interval_is_over_not_merely_the_next_run(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=14)

    world.offers.run_wave("clinic-1", OPENING, 2)  # run early (a join prompted it)

    assert entry(world, "e1").status is WaitlistStatus.OFFERED


def test_an_offer_whose_text_has_not_left_keeps_holding(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)  # its text still with the sender
    world.clock.advance(minutes=30)

    world.offers.run_wave("clinic-1", OPENING, 2)

    assert entry(world, "e1").status is WaitlistStatus.OFFERED


def test_a_late_y_to_an_open_opening_still_wins_it(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=15)
    world.offers.run_wave("clinic-1", OPENING, 2)
    assert entry(world, "e1").status is WaitlistStatus.WAITING
    world.clock.advance(minutes=20)

    late = world.reply(phone(1), "Y", "1")

    assert late.intent is Intent.TAKE_OFFER
    assert late.take is not None
    assert late.take.outcome is TakeOutcome.WON
    assert world.opening().status is OpeningStatus.FILLED
    assert entry(world, "e1").status is WaitlistStatus.FILLED


def test_a_late_y_to_an_opening_filled_meanwhile_hears_it_was_just_taken(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=15)
    world.offers.run_wave("clinic-1", OPENING, 2)
    world.reply(phone(1), "Y", "1")

    late = world.reply(phone(2), "Y", "2")
    world.send_all()

    assert late.take is not None
    assert late.take.outcome is TakeOutcome.TAKEN
    assert [t for t in world.texts_to(phone(2)) if "You stay on the waitlist" in t]


# -- the backoff's cap --------------------------------------------------------------------------


def test_waves_that_find_nobody_look_again_at_least_every_four_intervals(world: World) -> None:
    world.open(NOW + timedelta(days=14))
    gaps = []
    for wave in range(1, 7):
        result = world.offers.run_wave("clinic-1", OPENING, wave)
        assert result.next_wave_at is not None
        gaps.append(result.next_wave_at - world.clock.now())
        world.clock.set(result.next_wave_at)

    assert gaps == [timedelta(minutes=m) for m in (30, 60, 60, 60, 60, 60)]


# -- which listing a wave reads (R16) ---------------------------------------------------------


def test_a_slot_of_no_named_service_reads_only_the_no_preference_listing(world: World) -> None:
    for n in range(1, 21):
        world.wait(n, service="Cleaning")
    world.wait(21)
    world.open()  # no service; the tenant matches by service
    pages: list[str] = []

    def everyone(*args: object) -> tuple[list[WaitlistEntry], None]:
        pages.append("everyone")
        return [], None

    world.vacancies.waiting_for = everyone  # type: ignore[method-assign,assignment]
    real = world.vacancies.waiting_without_preference

    def counted(tenant_id: str, limit: int, cursor: str | None) -> object:
        pages.append("no preference")
        return real(tenant_id, limit, cursor)

    world.vacancies.waiting_without_preference = counted  # type: ignore[method-assign,assignment]

    result = world.offers.run_wave("clinic-1", OPENING, 1)

    assert result.offers_sent == 1
    assert entry(world, "e21").status is WaitlistStatus.OFFERED
    assert pages == ["no preference"]


def test_a_slot_of_a_named_service_still_reads_that_service_and_no_preference(
    world: World,
) -> None:
    world.wait(1, service="Whitening")
    world.wait(2, service="cleaning")
    world.wait(3)
    world.open()
    world.vacancies.openings_by_id[("clinic-1", OPENING)] = world.opening().model_copy(
        update={"service": "Cleaning"}
    )

    world.offers.run_wave("clinic-1", OPENING, 1)

    assert [entry(world, e).status for e in ("e1", "e2", "e3")] == [
        WaitlistStatus.WAITING,
        WaitlistStatus.OFFERED,
        WaitlistStatus.OFFERED,
    ]


# -- offered_to (R17) -------------------------------------------------------------------------


def test_offered_to_counts_offers_made_not_entries_picked(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    make_offer = world.vacancies.make_offer

    def gone_meanwhile(offer, text, entry, choice):  # type: ignore[no-untyped-def]
        if entry.entry_id == "e2":  # taken off the list between the pick and the offer
            return False
        return make_offer(offer, text, entry, choice)

    world.vacancies.make_offer = gone_meanwhile  # type: ignore[method-assign]

    result = world.offers.run_wave("clinic-1", OPENING, 1)

    assert result.offers_sent == 1
    assert world.opening().offered_to == 1
    assert world.opening().waves_sent == 1


def test_offered_to_adds_up_across_waves(world: World) -> None:
    world.store.put_tenant(clinic(fill_wave_size=1))
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=15)

    world.offers.run_wave("clinic-1", OPENING, 2)

    assert world.opening().offered_to == 2


# -- a wave soon when someone waits (T3) ------------------------------------------------------


def test_someone_joining_hurries_the_next_wave_of_a_slot_that_found_nobody(world: World) -> None:
    world.open(NOW + timedelta(days=3))
    first = world.offers.run_wave("clinic-1", OPENING, 1)
    assert first.next_wave_at == NOW + timedelta(minutes=30)  # backing off
    world.clock.advance(minutes=5)

    world.offers.entry_waiting(world.wait(1))

    soon = NOW + timedelta(minutes=6)
    assert world.waves.hurried == {("clinic-1", OPENING, 2): soon}
    world.clock.set(soon)
    hurried = world.offers.run_wave("clinic-1", OPENING, 2)
    assert hurried.offers_sent == 1
    assert entry(world, "e1").status is WaitlistStatus.OFFERED
    # Its own schedule, later, is a repeat that plans nothing more.
    world.waves.calls.clear()
    world.clock.set(NOW + timedelta(minutes=30))
    again = world.offers.run_wave("clinic-1", OPENING, 2)
    assert again.outcome is WaveOutcome.REPEATED
    assert world.waves.calls == [(OPENING, 3)]  # the one plan wave 2 made: unchanged
    assert world.waves.planned[("clinic-1", OPENING, 3)] == soon + timedelta(minutes=15)


def test_a_wave_that_a_later_wave_overtook_plans_nothing(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.offers.run_wave("clinic-1", OPENING, 2)
    world.waves.calls.clear()

    late = world.offers.run_wave("clinic-1", OPENING, 1)

    assert late.outcome is WaveOutcome.REPEATED
    assert world.waves.calls == []


def test_only_a_few_suitable_openings_are_hurried(world: World) -> None:
    for n, service in enumerate(["Cleaning"] * 4 + ["Whitening"], start=1):
        opening = Opening(
            tenant_id="clinic-1",
            opening_id=f"op-{n}",
            starts_at=SLOT + timedelta(hours=n),
            service=service,
            source=OpeningSource.BOOKING,
            created_at=NOW,
            waves_sent=1,
        )
        assert world.vacancies.create_opening(opening)

    world.offers.entry_waiting(world.wait(1, service="Whitening"))
    world.offers.entry_waiting(world.wait(2, service="Cleaning"))

    assert sorted(o for _, o, _ in world.waves.hurried) == ["op-1", "op-2", "op-3", "op-5"]
    assert {w for _, _, w in world.waves.hurried} == {2}


def test_nothing_is_hurried_while_nothing_would_be_offered(world: World) -> None:
    world.open()
    world.store.set_pause("clinic-1", paused=True, by="owner", reason="test", at=NOW)
    world.offers.entry_waiting(world.wait(1))
    world.store.set_pause("clinic-1", paused=False, by="owner", reason="test", at=NOW)
    world.clock.set(at("2030-01-10T22:00:00-08:00"))
    world.offers.entry_waiting(world.wait(2))

    assert world.waves.hurried == {}


def test_an_offer_that_ends_hurries_the_other_slots_its_entry_suits(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    other = later_opening(world)
    world.offers.run_wave("clinic-1", LATER, 1)  # e1 holds the first offer: nobody here
    world.clock.advance(minutes=15)

    world.offers.run_wave("clinic-1", OPENING, 2)  # e1's hold ends

    assert world.waves.hurried == {
        ("clinic-1", LATER, other.waves_sent + 2): NOW + timedelta(minutes=16)
    }


# -- the sweep under a broken wave chain (R8, R6) ---------------------------------------------


def test_the_sweep_frees_entries_whose_offer_ended_when_no_wave_came(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    # Wave 2 never runs (its schedule went to the dead-letter queue).
    world.clock.advance(minutes=20)
    early = world.offers.sweep("clinic-1")
    world.clock.advance(minutes=10)

    swept = world.offers.sweep("clinic-1")

    assert early.freed == 0  # a wave on time would have done it: left to the wave
    assert swept.freed == 2
    assert [entry(world, e).status for e in ("e1", "e2")] == [WaitlistStatus.WAITING] * 2
    later_opening(world)
    assert world.offers.run_wave("clinic-1", LATER, 1).offers_sent == 2  # numbers free
    assert world.offers.sweep("clinic-1").freed == 0


def test_the_sweep_leaves_an_offer_whose_text_has_not_gone_out(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)  # its text still with the sender
    world.clock.advance(hours=2)

    assert world.offers.sweep("clinic-1").freed == 0
    assert entry(world, "e1").status is WaitlistStatus.OFFERED


def test_the_sweep_frees_an_entry_no_open_offer_holds(world: World) -> None:
    stuck = world.wait(1).model_copy(update={"status": WaitlistStatus.OFFERED, "version": 2})
    world.vacancies.put_entry(stuck, expected_version=1)

    assert world.offers.sweep("clinic-1").freed == 1
    assert entry(world, "e1").status is WaitlistStatus.WAITING


def test_the_sweep_starts_an_opening_whose_start_was_lost(world: World) -> None:
    world.open()  # written, never started
    world.clock.advance(minutes=5)
    early = world.offers.sweep("clinic-1")
    world.clock.advance(minutes=6)

    swept = world.offers.sweep("clinic-1")

    assert early.started == 0
    assert swept.started == 1
    assert world.waves.calls == [(OPENING, 1)]
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.clock.advance(minutes=5)
    assert world.offers.sweep("clinic-1").started == 0  # its wave ran: nothing to start


def test_a_person_listed_twice_is_offered_a_slot_once(world: World) -> None:
    """Two entries of one number (two services, or added twice): once the first offer's
    hold ends, the next wave must not text the same slot to the same number again."""
    for entry_id, minute in (("a", 1), ("b", 50)):
        world.vacancies.put_entry(
            WaitlistEntry(
                tenant_id="clinic-1",
                entry_id=entry_id,
                customer=Customer(phone=phone(1), name="Ana"),
                listed_at=NOW - timedelta(days=1) + timedelta(minutes=minute),
            ),
            expected_version=None,
        )
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=15)
    world.offers.run_wave("clinic-1", OPENING, 2)
    world.send_all()

    assert len(world.texts_to(phone(1))) == 1
