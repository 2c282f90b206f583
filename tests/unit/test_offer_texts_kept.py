"""Nothing lost, for an offer's texts too: the outbox shows them (as a waitlist offer's,
not an appointment's), the queue watcher's sweep marks a stuck one failed, and a redrive
sends a failed one again only while its opening can still be had, saying why not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rendezvous.domain.errors import GatewayUnavailable
from rendezvous.domain.events import EventType
from rendezvous.domain.identity import claim_key
from rendezvous.domain.models import (
    CLAIMED_WITHOUT_RESULT,
    RETRIES_EXHAUSTED,
    MessageStatus,
    OfferSendRequest,
    OfferText,
)
from rendezvous.domain.oversight import OversightService
from rendezvous.domain.ports import RecipientClaim
from rendezvous.domain.redrive import STUCK_AFTER, LateTexts, mark_stuck
from rendezvous.domain.sending import Outcome
from rendezvous.domain.vacancy import OpeningStatus
from rendezvous.phone import recipient_key
from tests.support.memory import MemoryActivityLog, MemoryQueue
from tests.unit.test_offers import NOW, OPENING, World, phone


@pytest.fixture
def world() -> World:
    return World()


def late(world: World) -> LateTexts:
    return LateTexts(world.store, world.store, world.outbound, world.clock, world.vacancies)


def oversight(world: World) -> OversightService:
    return OversightService(
        world.store,
        world.store,
        MemoryQueue(world.store),
        MemoryActivityLog(),
        world.clock,
        lambda: late(world),
        offers=world.vacancies,
    )


def text(world: World, entry_id: str = "e1", kind: str = "offer") -> OfferText:
    return world.vacancies.texts[("clinic-1", OPENING, entry_id, kind)]


def offered_in_an_outage(world: World) -> None:
    """One offer to e1 whose every send met a Twilio outage: failed, retries_exhausted."""
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.gateway.failure = GatewayUnavailable("twilio is down", error_code=20503)
    [request] = world.outbound.sent
    world.outbound.sent.clear()
    with pytest.raises(GatewayUnavailable):
        world.sender.deliver(request, final_attempt=True)
    world.gateway.failure = None


def test_the_outbox_shows_a_failed_offer_text_as_a_waitlist_offers(world: World) -> None:
    offered_in_an_outage(world)

    [entry] = oversight(world).outbox("clinic-1", 1)

    assert (entry.kind, entry.status, entry.reason) == ("offer", "failed", RETRIES_EXHAUSTED)
    assert (entry.appointment_id, entry.opening_id, entry.entry_id) == (None, OPENING, "e1")
    assert (entry.customer_name, entry.phone) == ("Customer 1", phone(1))


def test_the_outbox_shows_a_held_offer_text_and_one_due_now(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    first, _ = world.outbound.sent
    world.outbound.sent.clear()
    world.store.set_pause("clinic-1", paused=True, by="owner", reason="test", at=NOW)
    world.sender.deliver(first)

    shown = {(e.entry_id, e.status, e.reason) for e in oversight(world).outbox("clinic-1", 1)}

    assert shown == {("e1", "deferred", "tenant_paused"), ("e2", "planned", None)}


def test_the_sweep_marks_a_stuck_offer_text_failed_so_a_redrive_can_reach_it(
    world: World,
) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.outbound.sent.clear()  # every receive of it crashed, unrecorded
    world.clock.advance(minutes=int(STUCK_AFTER.total_seconds() // 60) + 1)

    marked = mark_stuck(world.store, world.store, world.clock, "clinic-1", world.vacancies)

    assert marked == 1
    stuck = text(world)
    assert (stuck.status, stuck.reason) == (MessageStatus.FAILED, RETRIES_EXHAUSTED)
    assert [e.type for e in world.store.outbox] == [EventType.MESSAGE_FAILED]
    # The offer, as GET /v1/openings/{id} shows it, says so too.
    offer = world.vacancies.offers[("clinic-1", OPENING, "e1")]
    assert (offer.message_status, offer.message_reason) == ("failed", RETRIES_EXHAUSTED)


def test_the_sweep_leaves_an_offer_text_under_its_time_alone(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.clock.advance(minutes=int(STUCK_AFTER.total_seconds() // 60) - 1)

    assert mark_stuck(world.store, world.store, world.clock, "clinic-1", world.vacancies) == 0
    assert text(world).status is MessageStatus.PLANNED


def test_the_sweep_says_unknown_for_a_claimed_stuck_offer_text(world: World) -> None:
    world.wait(1)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.outbound.sent.clear()
    rkey = recipient_key("clinic-1", phone(1))
    recipient = world.store.recipients[("clinic-1", rkey)]
    claim = RecipientClaim(
        expected_rev=recipient.rev,
        cap_day="2030-01-10",
        cap_count=1,
        first_contact_at=NOW,
        claims={claim_key(text(world)): "2030-01-10"},
    )
    world.store.claim_message(recipient, claim)
    world.clock.advance(minutes=int(STUCK_AFTER.total_seconds() // 60) + 1)

    assert mark_stuck(world.store, world.store, world.clock, "clinic-1", world.vacancies) == 0
    stuck = text(world)
    assert (stuck.status, stuck.reason) == (MessageStatus.UNKNOWN, CLAIMED_WITHOUT_RESULT)


def test_a_redrive_sends_a_failed_offer_text_once_while_its_opening_is_open(
    world: World,
) -> None:
    offered_in_an_outage(world)
    world.clock.advance(minutes=10)

    first = late(world).redrive("clinic-1")
    # A second redrive before the sender ran hands it again: the sender sends it once.
    second = late(world).redrive("clinic-1")
    results = world.send_all()
    after = late(world).redrive("clinic-1")

    assert (first.queued, first.suppressed) == (1, {})
    assert second.queued == 1
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.DUPLICATE]
    assert (after.queued, after.suppressed) == (0, {})
    assert len(world.texts_to(phone(1))) == 1
    assert text(world).status is MessageStatus.QUEUED


@pytest.mark.parametrize(
    ("status", "why"),
    [(OpeningStatus.FILLED, "opening_filled"), (OpeningStatus.EXPIRED, "opening_expired")],
)
def test_a_redrive_drops_a_failed_offer_whose_opening_is_gone_and_says_why(
    world: World, status: OpeningStatus, why: str
) -> None:
    offered_in_an_outage(world)
    opening = world.opening()
    world.vacancies.save_opening(
        opening.model_copy(update={"status": status, "version": opening.version + 1}),
        expected_version=opening.version,
    )

    released = late(world).redrive("clinic-1")

    assert (released.queued, released.suppressed) == (0, {why: 1})
    assert world.outbound.sent == []
    assert world.texts_to(phone(1)) == []
    dropped = text(world)
    assert (dropped.status, dropped.reason) == (MessageStatus.SUPPRESSED, why)
    assert world.store.outbox[-1].type is EventType.MESSAGE_SUPPRESSED


def test_a_redrive_drops_an_offer_whose_slot_is_now_too_close(world: World) -> None:
    offered_in_an_outage(world)
    # Within the tenant's notice of the slot: nobody could make it now.
    world.clock.set(world.opening().starts_at - timedelta(minutes=60))

    released = late(world).redrive("clinic-1")

    assert released.suppressed == {"opening_expired": 1}


def test_a_redrive_says_expired_for_an_offer_its_expiring_wave_closed(world: World) -> None:
    offered_in_an_outage(world)
    # The next wave runs within the notice: it marks the opening expired and closes the offer.
    world.clock.set(world.opening().starts_at - timedelta(minutes=60))
    world.offers.run_wave("clinic-1", OPENING, 2)

    released = late(world).redrive("clinic-1")

    assert world.opening().status is OpeningStatus.EXPIRED
    assert released.suppressed == {"opening_expired": 1}


def test_a_redrive_sends_a_failed_just_taken_text_again(world: World) -> None:
    world.wait(1)
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.reply(phone(2), "Y", "1")
    world.gateway.failure = GatewayUnavailable("twilio is down", error_code=20503)
    world.reply(phone(1), "Y", "2")
    taken = [r for r in world.outbound.sent if isinstance(r, OfferSendRequest)]
    world.outbound.sent.clear()
    with pytest.raises(GatewayUnavailable):
        world.sender.deliver(taken[0], final_attempt=True)
    world.gateway.failure = None

    released = late(world).redrive("clinic-1")
    world.send_all()

    assert [r.kind for r in taken] == ["offer_taken"]
    assert released.queued == 1
    assert [t for t in world.texts_to(phone(1)) if "is taken. You stay" in t]


def test_stats_count_offer_texts_with_the_rest(world: World) -> None:
    offered_in_an_outage(world)

    stats = oversight(world).stats("clinic-1", 1)

    assert stats.failed == 1
