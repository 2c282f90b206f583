"""Due-by: an answer promised before the visit the text is about, and the queue in that
order (CONTRACT.md v2, SMS behaviour)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rendezvous.api.staff import QueueItemOut
from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.models import Customer, DueReason, QueueStatus
from rendezvous.domain.timing import VISIT_SOON, answer_due_before_visit
from tests.support.aws import at
from tests.unit.test_services import CUSTOMER, World

OTHER = "+14155550177"
FRIDAY_EVENING = at("2030-01-11T18:00:00-08:00")
MONDAY_1030 = "2030-01-14T10:30:00-08:00"


@pytest.fixture
def world() -> World:
    return World()


def test_a_visit_sooner_than_the_usual_answer_pulls_the_promise_before_it() -> None:
    usual = at("2030-01-14T11:00:00-08:00")

    due = answer_due_before_visit(usual, at(MONDAY_1030), FRIDAY_EVENING)

    assert (due.at, due.reason) == (at("2030-01-14T10:00:00-08:00"), DueReason.VISIT)


def test_a_visit_just_after_the_usual_answer_still_leaves_time_before_it() -> None:
    usual = at("2030-01-14T11:00:00-08:00")

    due = answer_due_before_visit(usual, at("2030-01-14T11:10:00-08:00"), FRIDAY_EVENING)

    assert due.at == at("2030-01-14T10:40:00-08:00")


def test_a_visit_well_after_the_usual_answer_keeps_the_usual_promise() -> None:
    usual = at("2030-01-14T11:00:00-08:00")

    for visit in (at("2030-01-15T10:30:00-08:00"), None):
        due = answer_due_before_visit(usual, visit, FRIDAY_EVENING)
        assert (due.at, due.reason) == (usual, DueReason.RESPONSE_TIME)


def test_a_visit_within_the_hour_is_still_due_its_lead_before_it() -> None:
    now = at("2030-01-14T09:01:00-08:00")

    due = answer_due_before_visit(
        at("2030-01-14T11:01:00-08:00"), at("2030-01-14T10:00:00-08:00"), now
    )

    assert due.at == at("2030-01-14T09:30:00-08:00")


def test_a_visit_minutes_away_is_due_before_it_and_not_in_the_past() -> None:
    now = at("2030-01-14T10:10:00-08:00")

    due = answer_due_before_visit(now + timedelta(hours=2), at(MONDAY_1030), now)

    assert now < due.at < at(MONDAY_1030)
    assert due.reason is DueReason.VISIT


def test_the_acknowledgement_promises_an_answer_before_the_visit(world: World) -> None:
    world.book(starts_at=MONDAY_1030)
    world.clock.set(FRIDAY_EVENING)

    [ack] = world.text_in("Is there parking near you?")

    [item] = world.queue.items.values()
    assert item.due_by == at("2030-01-14T10:00:00-08:00")
    assert item.due_reason is DueReason.VISIT
    assert item.visit_at == at(MONDAY_1030)
    assert "Mon 14 Jan 10:00" in ack
    assert "11:00" not in ack


def test_without_a_visit_soon_the_usual_response_time_is_promised(world: World) -> None:
    world.book(starts_at="2030-01-16T10:30:00-08:00")
    world.clock.set(FRIDAY_EVENING)

    [ack] = world.text_in("Is there parking near you?")

    [item] = world.queue.items.values()
    # Two hours of opening hours after Friday's closing: Monday 11:00.
    assert item.due_by == at("2030-01-14T11:00:00-08:00")
    assert item.due_reason is DueReason.RESPONSE_TIME
    assert "Mon 14 Jan 11:00" in ack


def test_a_freed_slot_is_due_before_the_visit_it_frees(world: World) -> None:
    world.book(starts_at=MONDAY_1030)
    world.clock.set(FRIDAY_EVENING)

    world.text_in("X")

    [slot] = world.queue.items.values()
    assert slot.due_by == at("2030-01-14T10:00:00-08:00")
    assert slot.due_reason is DueReason.VISIT


def test_the_queue_lists_the_soonest_due_first_not_the_oldest(world: World) -> None:
    world.book("far", starts_at="2030-01-17T10:30:00-08:00")
    world.appointments.upsert(
        "clinic-1",
        "soon",
        AppointmentDraft(customer=Customer(phone=OTHER, name="Bo"), starts_at=at(MONDAY_1030)),
    )
    world.clock.set(FRIDAY_EVENING)
    world.text_in("About my visit on Thursday")
    world.clock.advance(minutes=5)
    world.text_in("About my visit on Monday", sender=OTHER)

    items, _, _ = world.queue.page("clinic-1", QueueStatus.OPEN, 10, None)

    assert [i.phone for i in items] == [OTHER, CUSTOMER]


def test_an_item_about_a_visit_in_the_next_hours_says_so(world: World) -> None:
    world.book(starts_at="2030-01-16T10:30:00-08:00")
    world.clock.set(FRIDAY_EVENING)
    world.text_in("Is there parking near you?")
    [item] = world.queue.items.values()

    days_before = QueueItemOut.of(item, FRIDAY_EVENING)
    hours_before = QueueItemOut.of(item, at("2030-01-16T10:30:00-08:00") - VISIT_SOON / 2)
    after = QueueItemOut.of(item, at("2030-01-16T11:00:00-08:00"))

    assert (days_before.visit_soon, hours_before.visit_soon, after.visit_soon) == (
        False,
        True,
        False,
    )
    assert days_before.due_reason == "response_time"
    assert days_before.visit_at == at("2030-01-16T10:30:00-08:00")


def test_an_item_whose_promise_was_pulled_before_the_visit_is_flagged_soon(
    world: World,
) -> None:
    world.book(starts_at=MONDAY_1030)
    world.clock.set(FRIDAY_EVENING)
    world.text_in("Is there parking near you?")
    [item] = world.queue.items.values()

    out = QueueItemOut.of(item, FRIDAY_EVENING)

    assert (out.visit_soon, out.due_reason) == (True, "visit")
