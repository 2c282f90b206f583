"""A customer's text is logged with the automated text it answered (kind and variant), so
results count replies, confirmations and opt-outs against the texts that drew them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.models import Appointment, WaitlistOffer
from rendezvous.domain.sending import Outcome
from tests.unit.test_services import CUSTOMER, World


@pytest.fixture
def world() -> World:
    return World()


def _received(world: World) -> ActivityEntry:
    *_, entry = (e for _, e in world.log.entries if e.event is ActivityEvent.TEXT_RECEIVED)
    return entry


def _appointment(world: World, appointment_id: str = "appt-1") -> Appointment:
    found = world.store.get_appointment("clinic-1", appointment_id)
    assert found is not None
    return found[0]


def _with_variant(world: World, variant: str, appointment_id: str = "appt-1") -> None:
    """The sender's last_text as part B writes it for a text rendered from an experiment."""
    key = ("clinic-1", appointment_id)
    stored = world.store.appointments_by_id[key]
    assert stored.last_text is not None
    world.store.appointments_by_id[key] = stored.model_copy(
        update={"last_text": stored.last_text.model_copy(update={"variant": variant})}
    )


def _offered(world: World, after: timedelta) -> None:
    key = next(k for k in world.store.recipients if k[0] == "clinic-1")
    recipient = world.store.recipients[key]
    at = world.clock.now() + after
    offer = WaitlistOffer(opening_id="op-1", offered_at=at, expires_at=at + timedelta(hours=1))
    world.store.recipients[key] = recipient.model_copy(update={"waitlist_offer": offer})


def test_a_confirmation_answers_the_confirmation_text_with_its_variant(world: World) -> None:
    world.book()
    assert world.send_queued() == [Outcome.SENT]
    _with_variant(world, "conf-words/cost")

    world.text_in("C")

    entry = _received(world)
    assert (entry.answered_kind, entry.answered_variant) == ("confirmation", "conf-words/cost")
    assert entry.appointment_id == "appt-1"


def test_a_stop_with_a_visit_coming_answers_that_visits_last_text(world: World) -> None:
    world.book()
    world.send_queued()

    world.text_in("STOP")

    entry = _received(world)
    assert (entry.answered_kind, entry.answered_variant) == ("confirmation", None)


def test_a_stop_after_the_visit_answers_the_numbers_latest_appointments_text(
    world: World,
) -> None:
    world.book("appt-old", starts_at="2030-01-11T10:30:00-08:00")
    world.book("appt-new", starts_at="2030-01-12T10:30:00-08:00")
    world.send_queued()
    _with_variant(world, "conf-words/old", "appt-old")
    _with_variant(world, "conf-words/new", "appt-new")
    world.clock.advance(days=3)  # both visits are over: none is coming

    world.text_in("STOP")

    entry = _received(world)
    assert entry.appointment_id is None
    assert (entry.answered_kind, entry.answered_variant) == ("confirmation", "conf-words/new")


def test_a_stop_from_a_number_we_never_texted_answers_nothing(world: World) -> None:
    world.text_in("STOP")

    entry = _received(world)
    assert (entry.answered_kind, entry.answered_variant) == (None, None)


def test_a_text_that_never_reached_the_number_is_not_what_was_answered(world: World) -> None:
    world.book()
    world.store.mark_recipient("clinic-1", CUSTOMER, now=world.clock.now(), opted_out=True)
    assert world.send_queued() == [Outcome.SUPPRESSED]  # recorded as last_text, not sent
    assert _appointment(world).last_text is not None

    world.text_in("Can I bring my dog?")

    assert _received(world).answered_kind is None


def test_a_question_with_nothing_texted_answers_nothing(world: World) -> None:
    world.text_in("What are your hours?")

    assert _received(world).answered_kind is None


def test_a_stop_after_a_waitlist_offer_answers_the_offer(world: World) -> None:
    world.book()
    world.send_queued()
    _offered(world, after=timedelta(minutes=5))

    world.text_in("STOP")

    assert (_received(world).answered_kind, _received(world).answered_variant) == ("offer", None)


def test_an_offer_older_than_the_appointments_text_is_not_what_a_stop_answered(
    world: World,
) -> None:
    world.book()
    world.send_queued()
    _offered(world, after=timedelta(minutes=-5))

    world.text_in("STOP")

    assert _received(world).answered_kind == "confirmation"


def test_a_c_confirms_the_visit_and_answers_its_text_even_after_an_offer(world: World) -> None:
    world.book()
    world.send_queued()
    _offered(world, after=timedelta(minutes=5))

    world.text_in("C")

    assert _received(world).answered_kind == "confirmation"
