"""C (and CONFIRM, in any of its forms) is what a reminder asks for: it confirms the visit
even while a waitlist offer to the number is open. Y and the other confirm words answer the
offer first (CONTRACT.md: "Y and the digits answer the offer, not a pending confirmation")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.keywords import Intent, confirms_the_visit
from rendezvous.domain.models import Appointment, Customer
from rendezvous.domain.offers import TakeOutcome
from rendezvous.domain.vacancy import OfferStatus
from rendezvous.phone import recipient_key
from tests.unit.test_offers import NOW, OPENING, World, phone

OWN_VISIT = NOW + timedelta(days=14)

CONFIRM_WORDS = ["C", "c", "CONFIRM", "Confirm.", "Confirmed", "Confirmé", "confirmo", "C thanks"]
OFFER_ANSWERS = ["Y", "y", "OK", "Oui", "OUI merci", "Sí", "si", "👍", "YES"]


@pytest.fixture
def world() -> World:
    """phone(1) has a visit two weeks out (its texts sent) and an open offer of tomorrow's
    slot."""
    w = World()
    w.appointments.upsert(
        "clinic-1",
        "own-visit",
        AppointmentDraft(Customer(phone=phone(1), name="Customer 1"), OWN_VISIT),
    )
    w.send_all()
    w.wait(1)
    w.open()
    w.offers.run_wave("clinic-1", OPENING, 1)
    w.send_all()
    return w


def own_visit(world: World) -> Appointment:
    return world.store.appointments_by_id[("clinic-1", "own-visit")]


def offer_status(world: World) -> OfferStatus:
    return world.vacancies.offers[("clinic-1", OPENING, "e1")].status


@pytest.mark.parametrize("body", CONFIRM_WORDS)
def test_c_confirms_the_visit_and_leaves_the_open_offer_for_y(world: World, body: str) -> None:
    answered = world.reply(phone(1), body, "1")

    assert answered.intent is Intent.CONFIRM
    assert answered.take is None
    assert answered.appointment_id == "own-visit"
    assert own_visit(world).confirmed_at == NOW
    assert offer_status(world) is OfferStatus.SENT
    assert ("clinic-1", f"fill-{OPENING}") not in world.store.appointments_by_id
    number = world.store.recipients[("clinic-1", recipient_key("clinic-1", phone(1)))]
    assert number.waitlist_offer is not None
    assert number.waitlist_offer.is_open(NOW)

    taken = world.reply(phone(1), "Y", "2")

    assert taken.take is not None
    assert taken.take.outcome is TakeOutcome.WON
    assert own_visit(world).confirmed_at == NOW


@pytest.mark.parametrize("body", OFFER_ANSWERS)
def test_the_other_confirm_words_answer_the_open_offer(world: World, body: str) -> None:
    answered = world.reply(phone(1), body, "1")

    assert answered.intent is Intent.TAKE_OFFER
    assert answered.take is not None
    assert answered.take.outcome is TakeOutcome.WON
    assert offer_status(world) is OfferStatus.TAKEN
    assert own_visit(world).confirmed_at is None


def test_c_with_no_visit_to_confirm_still_leaves_the_offer_alone() -> None:
    world = World()
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()

    answered = world.reply(phone(1), "C", "1")

    assert answered.take is None
    assert answered.intent is Intent.CONFIRM
    assert offer_status(world) is OfferStatus.SENT
    assert ("clinic-1", f"fill-{OPENING}") not in world.store.appointments_by_id


def test_c_after_the_offer_ended_confirms_the_visit_and_hears_no_just_taken(
    world: World,
) -> None:
    world.wait(2)
    world.offers.run_wave("clinic-1", OPENING, 2)
    world.send_all()
    world.reply(phone(2), "Y", "1")
    world.offers.run_wave("clinic-1", OPENING, 3)

    answered = world.reply(phone(1), "C", "2")
    world.send_all()

    assert answered.take is None
    assert own_visit(world).confirmed_at == NOW
    assert not [t for t in world.texts_to(phone(1)) if "You stay on the waitlist" in t]
    assert offer_status(world) is not OfferStatus.LOST
    assert ("clinic-1", OPENING, "e1", "offer_taken") not in world.vacancies.texts
    # The offer's late Y would still hear it is gone (the offer is not forgotten).
    late = world.reply(phone(1), "Y", "3")
    assert late.take is not None
    assert late.take.outcome is TakeOutcome.TAKEN


@pytest.mark.parametrize(
    ("body", "visit"),
    [
        ("C", True),
        ("confirmado!", True),
        ("yes confirm", True),
        ("ok, confirmed", True),
        ("Y", False),
        ("YES", False),
        ("👍", False),
        ("can you confirm the time?", False),  # a question for a person, no keyword
    ],
)
def test_which_confirmations_are_the_visits_whatever_is_offered(body: str, visit: bool) -> None:
    assert confirms_the_visit(body) is visit
