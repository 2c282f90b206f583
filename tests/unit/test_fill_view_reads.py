"""What the console's Waitlist view reads beside the waitlist and openings: which slot a
person's open offer is for, whether their number opted out, and who took a filled opening
(by name; for a reschedule's digit, from when their appointment moved). In-memory ports."""

from __future__ import annotations

from datetime import UTC, datetime

from rendezvous.api.vacancies import OpeningOut, WaitlistEntryOut
from rendezvous.domain.conversation import ConversationReader
from rendezvous.domain.models import Recipient
from rendezvous.domain.vacancies import VacancyService
from rendezvous.domain.vacancy import WaitlistStatus
from rendezvous.phone import recipient_key
from tests.support.aws import at
from tests.support.memory import MemoryConversations, MemoryQueue
from tests.unit.test_offers import OPENING, SLOT, World, phone
from tests.unit.test_reschedule import VISIT, RWorld


def service_of(world: World) -> VacancyService:
    return VacancyService(world.vacancies, world.store, world.clock)


def test_an_offered_entry_names_the_slot_its_offer_is_for_until_the_offer_ends() -> None:
    world = World()
    world.wait(1)
    world.open()

    world.offers.run_wave("clinic-1", OPENING, 1)

    entry = world.vacancies.entries_by_id[("clinic-1", "e1")]
    shown = WaitlistEntryOut.of(entry)
    assert shown.status is WaitlistStatus.OFFERED
    assert (shown.offered_opening_id, shown.offered_starts_at) == (OPENING, SLOT)

    world.send_all()
    world.reply(phone(1), "Y", "1")

    filled = WaitlistEntryOut.of(world.vacancies.entries_by_id[("clinic-1", "e1")])
    assert filled.status is WaitlistStatus.FILLED
    assert (filled.offered_opening_id, filled.offered_starts_at) == (None, None)


def test_the_waitlist_flags_a_number_that_opted_out() -> None:
    world = World()
    stopped, listening = world.wait(1), world.wait(2)
    world.store.recipients[("clinic-1", recipient_key("clinic-1", phone(1)))] = Recipient(
        tenant_id="clinic-1",
        recipient_key=recipient_key("clinic-1", phone(1)),
        phone=phone(1),
        opted_out=True,
        opted_out_at=datetime(2030, 1, 9, tzinfo=UTC),
    )

    flagged = service_of(world).opted_out("clinic-1", [stopped, listening])

    assert flagged == {stopped.recipient_key}
    assert service_of(world).opted_out("clinic-1", []) == set()


def test_a_waitlist_winner_is_named_as_the_taker() -> None:
    world = World()
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()

    world.reply(phone(1), "Y", "1")

    opening = world.opening()
    [taker] = service_of(world).takers("clinic-1", [opening]).values()
    shown = OpeningOut.of(opening, taker=taker).taken_by
    assert shown is not None
    assert (shown.name, shown.phone, shown.moved_from) == ("Customer 1", phone(1), None)
    assert shown.appointment_id == opening.filled_appointment_id


def test_a_reschedule_s_taker_is_the_customer_moved_in_from_their_old_time() -> None:
    world = RWorld()
    world.book_service()
    world.opening("op-b", "2030-01-12T14:15:00-08:00")
    world.text_in("R")
    world.clock.advance(minutes=5)
    world.text_in("1")

    filled = world.store.openings[("clinic-1", "op-b")]
    still_open = world.store.openings[("clinic-1", "op-appt-1-v1")]
    view = VacancyService(world.vacancies, world.store, world.clock)

    takers = view.takers("clinic-1", [filled, still_open])

    assert list(takers) == ["op-b"]
    taker = takers["op-b"]
    assert (taker.appointment_id, taker.name) == ("appt-1", "Ana María López")
    assert taker.moved_from == at(VISIT)


def test_the_number_s_conversation_shows_its_offer_and_just_taken_texts() -> None:
    world = World()
    conversations = world.inbound.texts
    assert isinstance(conversations, MemoryConversations)
    conversations.offers = world.vacancies.texts
    reader = ConversationReader(conversations, MemoryQueue(world.store))
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.reply(phone(1), "Y", "1")
    world.reply(phone(2), "Y", "2")
    world.send_all()

    thread, _ = reader.read("clinic-1", recipient_key("clinic-1", phone(2)), [], world.clock.now())

    automated = [(m.message_kind, m.body) for m in thread if m.author == "automation"]
    kinds = [kind for kind, _ in automated]
    assert kinds[0] == "offer"
    assert automated[0][1].startswith("Harbor Clinic: a slot opened tomorrow at 10:30am.")
    assert "offer_taken" in kinds
    assert any(m.direction == "inbound" and m.body == "Y" for m in thread)
    # Only this number's: the winner's offer text is not in it.
    other, _ = reader.read("clinic-1", recipient_key("clinic-1", phone(1)), [], world.clock.now())
    assert [m.message_kind for m in other if m.message_kind].count("offer") == 1
