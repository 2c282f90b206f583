"""The take's edges: a loser racing the winner, the same number's two Ys at once, the
other offers closed as soon as someone wins, a removed entry's offer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.events import WebhookEvent
from rendezvous.domain.freed_slot import slot_item_id
from rendezvous.domain.models import (
    Appointment,
    Customer,
    MessageRecord,
    OfferSendRequest,
    QueueStatus,
    Recipient,
    SendRequest,
    Tenant,
)
from rendezvous.domain.offers import TakeOutcome, TakeResult
from rendezvous.domain.sending import Outcome
from rendezvous.domain.vacancies import VacancyService
from rendezvous.domain.vacancy import (
    Offer,
    OfferStatus,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistStatus,
)
from rendezvous.phone import recipient_key
from tests.unit.test_offers import NOW, OPENING, SLOT, World, phone


def offered(w: World, *numbers: int) -> Tenant:
    """`numbers` on the list, the opening made and its first wave's offers texted."""
    for n in numbers:
        w.wait(n)
    if w.vacancies.get_opening("clinic-1", OPENING) is None:  # a cancel may have made it
        w.open()
    w.offers.run_wave("clinic-1", OPENING, 1)
    w.send_all()
    tenant = w.store.get_tenant("clinic-1")
    assert tenant is not None
    return tenant


def recipient(w: World, n: int) -> Recipient:
    found = w.store.get_recipient("clinic-1", phone(n))
    assert found is not None
    return found


def offer_of(w: World, entry_id: str) -> Offer:
    detail = w.vacancies.get_opening("clinic-1", OPENING)
    assert detail is not None
    return next(o for o in detail.offers if o.entry_id == entry_id)


def handed(w: World, entry_id: str) -> list[str]:
    return [
        r.kind
        for r in w.outbound.sent
        if isinstance(r, OfferSendRequest) and r.entry_id == entry_id
    ]


def test_a_loser_whose_write_fails_under_the_winner_leaves_the_winners_reminders() -> None:
    """Both read the opening open; the winner's write lands while the loser is taking it.
    The reminders are the winner's: scheduled, and for the winner's number (a schedule's
    request names the number the sender checks opt-out and claims on)."""
    w = World()
    tenant = offered(w, 1, 2)
    winner, loser = recipient(w, 1), recipient(w, 2)
    real_fill = w.vacancies.fill
    won: list[TakeResult | None] = []

    def fill_after_the_winner(
        opening: Opening,
        *,
        offer: Offer,
        appointment: Appointment,
        messages: Sequence[MessageRecord],
        events: Sequence[WebhookEvent],
        not_before: datetime,
        now: datetime,
    ) -> bool:
        if offer.entry_id == "e2" and not won:
            won.append(w.offers.take(tenant, winner, OPENING))
        return real_fill(
            opening,
            offer=offer,
            appointment=appointment,
            messages=messages,
            events=events,
            not_before=not_before,
            now=now,
        )

    w.vacancies.fill = fill_after_the_winner  # type: ignore[method-assign]
    lost = w.offers.take(tenant, loser, OPENING)

    assert won
    assert won[0] is not None
    assert won[0].outcome is TakeOutcome.WON
    assert lost is not None
    assert lost.outcome is TakeOutcome.TAKEN
    assert w.scheduler.schedules, "the winner's reminders are scheduled"
    for _, request in w.scheduler.schedules.values():
        assert isinstance(request, SendRequest)
        assert request.appointment_id == f"fill-{OPENING}"
        assert request.recipient_key == recipient_key("clinic-1", phone(1))


def test_a_loser_that_read_the_opening_open_does_not_unschedule_the_winners_reminders() -> None:
    w = World()
    tenant = offered(w, 1, 2)
    stale = w.vacancies.get_opening("clinic-1", OPENING)
    won = w.offers.take(tenant, recipient(w, 1), OPENING)
    assert won is not None
    assert won.outcome is TakeOutcome.WON
    scheduled = dict(w.scheduler.schedules)
    assert scheduled

    w.vacancies.get_opening = lambda tenant_id, opening_id: stale  # type: ignore[method-assign]
    lost = w.offers.take(tenant, recipient(w, 2), OPENING)

    assert lost is not None
    assert lost.outcome is TakeOutcome.TAKEN
    assert w.scheduler.schedules == scheduled


def test_the_same_numbers_second_y_at_once_leaves_the_winner_taken_and_untold() -> None:
    """Its second Y read the opening (and its offer) before the first Y's write."""
    w = World()
    tenant = offered(w, 1, 2)
    stale = w.vacancies.get_opening("clinic-1", OPENING)
    first = w.offers.take(tenant, recipient(w, 1), OPENING)
    assert first is not None
    assert first.outcome is TakeOutcome.WON
    w.outbound.sent.clear()

    real = w.vacancies.get_opening
    w.vacancies.get_opening = lambda tenant_id, opening_id: stale  # type: ignore[method-assign]
    second = w.offers.take(tenant, recipient(w, 1), OPENING)
    w.vacancies.get_opening = real  # type: ignore[method-assign]

    assert second is not None
    assert second.outcome is TakeOutcome.REPEATED
    assert offer_of(w, "e1").status is OfferStatus.TAKEN
    assert handed(w, "e1") == []
    entry = w.vacancies.get_entry("clinic-1", "e1")
    assert entry is not None
    assert entry.status is WaitlistStatus.FILLED


def test_a_y_that_reads_the_opening_filled_by_its_own_entry_is_a_repeat() -> None:
    """A Query is not isolated from a transaction: it can read the opening filled by this
    entry next to its offer not yet taken. That reply is the winner's own, answered once."""
    w = World()
    tenant = offered(w, 1, 2)
    before = w.vacancies.get_opening("clinic-1", OPENING)
    assert before is not None
    w.offers.take(tenant, recipient(w, 1), OPENING)
    w.outbound.sent.clear()
    after = w.vacancies.get_opening("clinic-1", OPENING)
    assert after is not None
    half = type(after)(after.opening, before.offers)  # the opening new, its offers old
    w.vacancies.get_opening = lambda tenant_id, opening_id: half  # type: ignore[method-assign]

    again = w.offers.take(tenant, recipient(w, 1), OPENING)

    assert again is not None
    assert again.outcome is TakeOutcome.REPEATED
    assert again.appointment_id == f"fill-{OPENING}"
    assert handed(w, "e1") == []


def test_a_win_closes_the_other_offers_at_once_and_their_late_y_hears_once() -> None:
    w = World()
    tenant = offered(w, 1, 2)
    assert recipient(w, 2).waitlist_offer is not None

    won = w.offers.take(tenant, recipient(w, 1), OPENING)

    assert won is not None
    assert won.outcome is TakeOutcome.WON
    entry = w.vacancies.get_entry("clinic-1", "e2")
    assert entry is not None
    assert entry.status is WaitlistStatus.WAITING
    assert offer_of(w, "e2").status is OfferStatus.EXPIRED
    choice = recipient(w, 2).waitlist_offer
    assert choice is None or not choice.is_open(NOW)

    w.outbound.sent.clear()
    late = w.offers.take(tenant, recipient(w, 2), OPENING)
    again = w.offers.take(tenant, recipient(w, 2), OPENING)
    assert late is not None
    assert late.outcome is TakeOutcome.TAKEN
    assert again is not None
    assert again.outcome is TakeOutcome.REPEATED
    assert handed(w, "e2") == ["offer_taken"]
    assert offer_of(w, "e2").status is OfferStatus.LOST


def test_a_removed_entry_cannot_take_the_opening() -> None:
    w = World()
    tenant = offered(w, 1, 2)
    entry = w.vacancies.get_entry("clinic-1", "e1")
    assert entry is not None
    w.vacancies.put_entry(
        entry.model_copy(update={"status": WaitlistStatus.REMOVED, "version": entry.version + 1}),
        expected_version=entry.version,
    )

    taken = w.offers.take(tenant, recipient(w, 1), OPENING)

    assert taken is None or taken.outcome is not TakeOutcome.WON
    assert w.store.get_appointment("clinic-1", f"fill-{OPENING}") is None
    won = w.offers.take(tenant, recipient(w, 2), OPENING)
    assert won is not None
    assert won.outcome is TakeOutcome.WON


def test_a_fill_resolves_the_slot_freed_item_of_the_customers_cancellation() -> None:
    """The front desk must not go on to fill a slot the waitlist filled."""
    w = World()
    w.offers.desk = w.inbound.queue
    w.appointments.upsert(
        "clinic-1",
        "visit-1",
        AppointmentDraft(Customer(phone=phone(9), name="Ana"), SLOT),
    )
    w.send_all()
    w.reply(phone(9), "X", "9")
    item = w.inbound.queue.get("clinic-1", slot_item_id("clinic-1", "visit-1"))
    assert item is not None
    assert item.status is QueueStatus.OPEN
    w.wait(1)
    # The opening the cancel freed, in the store the offers share.
    freed = w.vacancies.get_opening("clinic-1", OPENING)
    assert freed is not None
    assert freed.opening.replaces == "visit-1"
    w.offers.run_wave("clinic-1", OPENING, 1)
    w.send_all()

    w.reply(phone(1), "Y", "1")

    settled = w.inbound.queue.get("clinic-1", item.item_id)
    assert settled is not None
    assert settled.status is QueueStatus.RESOLVED
    assert settled.resolved_by == "automation"
    assert settled.preview.endswith("filled from the waitlist by Customer 1")


def test_a_fill_tells_the_person_holding_the_slot_freed_item_in_its_thread_once() -> None:
    """They may be phoning people to fill that very slot: their claim stays theirs, but
    its thread says the slot is filled, once however often the aftermath is retried."""
    w = World()
    w.offers.desk = w.inbound.queue
    w.appointments.upsert(
        "clinic-1", "visit-1", AppointmentDraft(Customer(phone=phone(9), name="Ana"), SLOT)
    )
    w.send_all()
    w.reply(phone(9), "X", "9")
    item_id = slot_item_id("clinic-1", "visit-1")
    now = w.clock.now()
    held = w.inbound.queue.claim("clinic-1", item_id, "desk-bea", now, now + timedelta(hours=1))
    assert held is not None
    w.wait(1)
    w.offers.run_wave("clinic-1", OPENING, 1)
    w.send_all()

    w.reply(phone(1), "Y", "1")
    filled = w.vacancies.get_opening("clinic-1", OPENING)
    assert filled is not None
    w.offers.filled(filled.opening, "from the waitlist by Customer 1")  # a retried aftermath

    item = w.inbound.queue.get("clinic-1", item_id)
    assert item is not None
    assert (item.status, item.claimed_by) == (QueueStatus.CLAIMED, "desk-bea")
    lines = [(m.author, m.body) for m in w.inbound.queue.messages("clinic-1", item_id)]
    assert lines == [("automation", "Filled from the waitlist by Customer 1")]


def test_a_slot_a_reschedule_took_closes_its_offers_and_settles_its_slot_freed_item() -> None:
    w = World()
    w.offers.desk = w.inbound.queue
    w.appointments.upsert(
        "clinic-1", "visit-1", AppointmentDraft(Customer(phone=phone(9), name="Ana"), SLOT)
    )
    w.send_all()
    w.reply(phone(9), "X", "9")
    tenant = offered(w, 1, 2)
    assert tenant.fill_enabled
    opening = w.vacancies.get_opening("clinic-1", OPENING)
    assert opening is not None
    taken = opening.opening.model_copy(
        update={
            "status": OpeningStatus.FILLED,
            "filled_appointment_id": "appt-7",
            "version": opening.opening.version + 1,
        }
    )
    w.vacancies.save_opening(taken, expected_version=opening.opening.version)

    w.offers.filled(taken, "by rescheduling Bea")

    for entry_id in ("e1", "e2"):
        entry = w.vacancies.get_entry("clinic-1", entry_id)
        assert entry is not None
        assert entry.status is WaitlistStatus.WAITING
        assert offer_of(w, entry_id).status is OfferStatus.EXPIRED
    settled = w.inbound.queue.get("clinic-1", slot_item_id("clinic-1", "visit-1"))
    assert settled is not None
    assert settled.status is QueueStatus.RESOLVED
    assert settled.preview.endswith(" · filled by rescheduling Bea")


def test_removing_an_offered_entry_ends_its_offer_and_a_y_takes_nothing() -> None:
    w = World()
    w.wait(1)
    w.open()
    w.offers.run_wave("clinic-1", OPENING, 1)
    tenant = w.store.get_tenant("clinic-1")
    assert tenant is not None
    assert recipient(w, 1).waitlist_offer is not None

    removed = VacancyService(w.vacancies, w.store, w.clock).remove_entry("clinic-1", "e1")

    assert removed.status is WaitlistStatus.REMOVED
    assert offer_of(w, "e1").status is OfferStatus.EXPIRED
    assert recipient(w, 1).waitlist_offer is None
    [result] = w.send_all()  # the offer's text, planned before the removal: not sent
    assert result.outcome is not Outcome.SENT
    assert w.gateway.sent == []
    assert w.offers.take(tenant, recipient(w, 1), OPENING) is None
    assert w.store.get_appointment("clinic-1", f"fill-{OPENING}") is None


def test_entries_a_win_frees_hurry_the_next_wave_of_openings_they_suit() -> None:
    w = World()
    tenant = offered(w, 1, 2)
    later = Opening(
        tenant_id="clinic-1",
        opening_id="op-visit-2-v2",
        starts_at=SLOT + timedelta(days=1),
        source=OpeningSource.CANCELLATION,
        replaces="visit-2",
        created_at=NOW,
    )
    assert w.vacancies.create_opening(later)

    w.offers.take(tenant, recipient(w, 1), OPENING)

    assert ("clinic-1", "op-visit-2-v2", 1) in w.waves.hurried
    assert not any(key[1] == OPENING for key in w.waves.hurried)
