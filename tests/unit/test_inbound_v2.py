"""CONTRACT.md v2 reply rules through the inbound service on in-memory ports."""

from __future__ import annotations

import pytest

from rendezvous.domain.events import EventType
from rendezvous.domain.inbound import InboundText
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import AppointmentStatus, QueueFlag, QueueStatus
from tests.support.aws import clinic
from tests.unit.test_services import CUSTOMER, MARIA, World


@pytest.fixture
def world() -> World:
    return World()


def _status(world: World) -> AppointmentStatus:
    found = world.store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    return found[0].status


def _opted_out(world: World) -> bool:
    recipient = world.store.get_recipient("clinic-1", CUSTOMER)
    return recipient is not None and recipient.opted_out


@pytest.mark.parametrize("body", ["Y", "ok", "Oui merci", "sí", "👍", "Confirmed", "yes!!"])
def test_confirm_words_confirm_the_coming_visit(world: World, body: str) -> None:
    world.book()

    replies = world.text_in(body)

    assert _status(world) is AppointmentStatus.CONFIRMED
    assert [r.split(":")[0] for r in replies] == ["Harbor Clinic"]
    assert len(world.store.events_of(EventType.APPOINTMENT_CONFIRMED)) == 1
    assert not world.queue.items


def test_yes_from_an_opted_out_number_opts_in_without_confirming(world: World) -> None:
    world.book()
    world.text_in("STOP")

    result = world.inbound.handle(_text("YES"))

    assert result.intent is Intent.OPT_IN
    assert not _opted_out(world)
    assert _status(world) is AppointmentStatus.SCHEDULED
    assert world.store.events_of(EventType.RECIPIENT_OPTED_IN)


def test_yes_with_no_visit_coming_is_an_opt_in(world: World) -> None:
    result = world.inbound.handle(_text("yes"))

    assert result.intent is Intent.OPT_IN
    assert not world.queue.items


@pytest.mark.parametrize("body", ["1", "2", "3"])
def test_a_digit_with_no_offer_open_is_free_text_for_a_person(world: World, body: str) -> None:
    world.book()

    result = world.inbound.handle(_text(body))

    assert result.intent is Intent.FREE_TEXT
    assert _status(world) is AppointmentStatus.SCHEDULED
    [item] = world.queue.items.values()
    assert item.preview == body


@pytest.mark.parametrize("body", ["CANCEL", "stop", "Quit."])
def test_an_opt_out_word_with_a_visit_coming_opts_out_and_queues_a_flagged_item(
    world: World, body: str
) -> None:
    world.book()

    replies = world.text_in(body)

    assert _opted_out(world)
    assert _status(world) is AppointmentStatus.SCHEDULED  # a person decides about the visit
    [item] = world.queue.items.values()
    assert item.flags == (QueueFlag.OPTED_OUT_WITH_APPOINTMENT,)
    assert item.appointment_id == "appt-1"
    assert not item.acknowledged  # opted out: heard, not answered
    assert replies == []  # answer_stop is off: Twilio's Advanced Opt-Out answers
    assert world.store.events_of(EventType.RECIPIENT_OPTED_OUT)
    assert world.store.events_of(EventType.QUEUE_ITEM_OPENED)


def test_an_opt_out_word_with_no_visit_coming_queues_nothing(world: World) -> None:
    world.text_in("CANCEL")

    assert _opted_out(world)
    assert not world.queue.items


def test_the_opt_out_confirmation_starts_with_the_business_name(world: World) -> None:
    world.store.put_tenant(clinic(answer_stop=True))
    world.book()

    [reply] = world.text_in("CANCEL")

    assert reply.startswith("Harbor Clinic: ")


@pytest.mark.parametrize(
    "body", ["please stop texting me", "stop pls", "arrête", "no más mensajes"]
)
def test_a_first_text_asking_to_stop_is_flagged(world: World, body: str) -> None:
    world.text_in(body)

    [item] = world.queue.items.values()
    assert QueueFlag.STOP_REQUEST in item.flags
    assert not _opted_out(world)


def test_a_follow_up_asking_to_stop_flags_the_open_conversation(world: World) -> None:
    world.text_in("Can I bring my dog?")

    later = world.text_in("please stop texting me")

    [item] = world.queue.items.values()
    assert item.flags == (QueueFlag.STOP_REQUEST,)
    assert item.message_count == 2
    assert later == []


def _answer_and_resolve(world: World) -> str:
    world.text_in("Can I bring my dog?")
    [item] = world.queue.items.values()
    world.staff.claim(MARIA, item.item_id)
    world.staff.reply(MARIA, item.item_id, "Yes, of course.")
    world.staff.resolve(MARIA, item.item_id)
    return item.item_id


@pytest.mark.parametrize("body", ["thanks", "ok thanks", "merci", "gracias", "🙏"])
def test_a_closing_after_a_person_answered_joins_quietly_without_reopening(
    world: World, body: str
) -> None:
    item_id = _answer_and_resolve(world)

    replies = world.text_in(body)

    assert replies == []
    [item] = world.queue.items.values()
    assert item.item_id == item_id
    assert item.status is QueueStatus.RESOLVED
    assert [m.body for m in world.queue.messages("clinic-1", item_id)][-1] == body


def test_a_closing_when_nobody_answered_opens_a_conversation_as_free_text(world: World) -> None:
    replies = world.text_in("thanks")

    [item] = world.queue.items.values()
    assert item.status is QueueStatus.OPEN
    assert len(replies) == 1


def test_a_question_after_a_resolved_answer_opens_a_new_conversation(world: World) -> None:
    _answer_and_resolve(world)

    world.text_in("One more thing: is there parking?")

    statuses = sorted(i.status for i in world.queue.items.values())
    assert statuses == sorted([QueueStatus.RESOLVED, QueueStatus.OPEN])


@pytest.mark.parametrize("body", ["HELP", "START"])
def test_help_and_start_are_left_to_twilio_when_the_app_does_not_answer_stop(
    world: World, body: str
) -> None:
    assert world.text_in(body) == []


@pytest.mark.parametrize("body", ["HELP", "START"])
def test_help_and_start_are_answered_by_the_app_when_it_answers_stop(
    world: World, body: str
) -> None:
    world.store.put_tenant(clinic(answer_stop=True))

    [reply] = world.text_in(body)

    assert reply.startswith("Harbor Clinic: ")


def test_a_staff_reply_starts_with_the_business_name(world: World) -> None:
    _answer_and_resolve(world)

    assert [sms.body for sms in world.gateway.sent] == ["Harbor Clinic: Yes, of course."]


def _text(body: str) -> InboundText:
    return InboundText(f"SM{abs(hash(body)):032d}", CUSTOMER, "+14155550100", body)


@pytest.mark.parametrize("body", ["ok", "👍"])
def test_an_ok_after_a_person_answered_with_no_visit_to_confirm_is_a_closing(
    world: World, body: str
) -> None:
    item_id = _answer_and_resolve(world)

    result = world.inbound.handle(_text(body))

    assert (result.intent, result.replies, result.queue_item_id) == (Intent.CLOSING, [], item_id)
    [item] = world.queue.items.values()
    assert item.status is QueueStatus.RESOLVED


@pytest.mark.parametrize("body", ["yes please", "Yes thanks"])
def test_a_yes_sentence_with_nothing_to_confirm_is_read_by_a_person_not_an_opt_in(
    world: World, body: str
) -> None:
    # Only the one word YES opts in at the carrier; "yes please" to a staff question must
    # reach a person, and from an opted-out number must not re-subscribe it.
    world.book()
    world.text_in("STOP")

    result = world.inbound.handle(_text(body))

    assert result.intent is Intent.FREE_TEXT
    assert _opted_out(world)
    assert not world.store.events_of(EventType.RECIPIENT_OPTED_IN)
    assert any(i.preview == body for i in world.queue.items.values())


def test_a_yes_sentence_after_the_visit_is_confirmed_is_queued_for_a_person(world: World) -> None:
    world.book()
    world.text_in("C")

    result = world.inbound.handle(_text("yes please"))

    assert result.intent is Intent.FREE_TEXT
    [item] = world.queue.items.values()
    assert item.preview == "yes please"


def test_a_yes_sentence_confirms_an_unconfirmed_visit(world: World) -> None:
    world.book()

    result = world.inbound.handle(_text("yes see you then"))

    assert result.intent is Intent.CONFIRM
    assert _status(world) is AppointmentStatus.CONFIRMED


@pytest.mark.parametrize("body", ["ok", "👍"])
def test_an_ok_to_a_persons_answer_with_the_visit_already_confirmed_is_a_closing(
    world: World, body: str
) -> None:
    world.book()
    world.text_in("C")
    item_id = _answer_and_resolve(world)
    sent = len(world.gateway.sent)

    result = world.inbound.handle(_text(body))

    assert (result.intent, result.replies, result.queue_item_id) == (Intent.CLOSING, [], item_id)
    assert len(world.gateway.sent) == sent
    assert [m.body for m in world.queue.messages("clinic-1", item_id)][-1] == body
