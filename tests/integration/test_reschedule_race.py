"""A waitlist Y and a reply digit for the same opening at the same moment, truly
concurrent: two threads call the inbound service against moto's server on 127.0.0.1, each
over its own HTTP requests. Exactly one wins, through the opening's conditional update in
its transaction (the waitlist fill's, or the move's); the other's transaction writes
nothing and that customer hears the slot was just taken."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from infra.template import LocalStack
from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.inbound import InboundResult, InboundText
from rendezvous.domain.models import Customer
from rendezvous.domain.offers import TakeOutcome
from rendezvous.domain.vacancy import (
    OfferStatus,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.runtime import Runtime, reset_runtime
from tests.support.aws import at, clinic, make_runtime, moto_server_stack, seed_tenant
from tests.support.events import invoke

CLINIC = "+14155550100"
VISIT = "2030-01-15T10:30:00-08:00"
SLOT = "2030-01-11T09:00:00-08:00"
# How long the Y waits after the digit set off, per round: a Y's take reads less than a
# move does, so with no head start it always wins; with some, either may.
HEAD_STARTS = (0.0, 0.02, 0.05, 0.1)
TIMEOUT_SECONDS = 60.0


@pytest.fixture(scope="module")
def server_stack() -> Iterator[LocalStack]:
    with moto_server_stack() as (stack, _url):
        yield stack


@pytest.fixture
def runtime(server_stack: LocalStack) -> Iterator[Runtime]:
    clock = FixedClock(at("2030-01-10T09:00:00-08:00"))
    runtime = make_runtime(server_stack, clock, twilio_api_base_url="http://127.0.0.1:9")
    seed_tenant(runtime.store(), clinic())
    try:
        yield runtime
    finally:
        reset_runtime()


def text(n: int, sender: str, body: str) -> InboundText:
    return InboundText(f"SM{n:02d}{body.encode().hex():0>30}", sender, CLINIC, body)


@pytest.mark.parametrize("round_", range(len(HEAD_STARTS)))
def test_a_waitlist_y_and_a_digit_for_one_opening_make_exactly_one_winner(
    runtime: Runtime, round_: int
) -> None:
    clock = runtime.clock
    service = f"Service {round_}"  # each round's opening fits only its own two customers
    mover, waiting = f"+1415555{4000 + round_:04d}", f"+1415555{5000 + round_:04d}"
    appointment_id, opening_id = f"appt-{round_}", f"op-{round_}"
    runtime.appointment_service().upsert(
        "clinic-1",
        appointment_id,
        AppointmentDraft(
            customer=Customer(phone=mover, name="Ana López"),
            starts_at=at(VISIT),
            service=service,
        ),
    )
    vacancies = runtime.vacancy_store()
    assert vacancies.create_opening(
        Opening(
            tenant_id="clinic-1",
            opening_id=opening_id,
            starts_at=at(SLOT),
            service=service,
            source=OpeningSource.BOOKING,
            created_at=clock.now(),
        )
    )
    vacancies.put_entry(
        WaitlistEntry(
            tenant_id="clinic-1",
            entry_id=f"e{round_}",
            customer=Customer(phone=waiting, name="Bo Chen"),
            service=service,
            listed_at=clock.now() - timedelta(days=1),
        ),
        expected_version=None,
    )
    wave = {"tenant_id": "clinic-1", "opening_id": opening_id, "wave": 1}
    assert invoke("VacancyFillerFunction", wave)["offers_sent"] == 1
    inbound = runtime.inbound_service()
    [options] = inbound.handle(text(round_, mover, "R")).replies
    assert "reply 1 for Fri 11 Jan 9:00am, or" in options

    barrier = threading.Barrier(2)
    results: dict[str, InboundResult | BaseException] = {}
    spans: dict[str, tuple[float, float]] = {}

    def reply(who: str, sender: str, body: str, after: float) -> None:
        try:
            barrier.wait(timeout=TIMEOUT_SECONDS)
            time.sleep(after)
            began = time.monotonic()
            results[who] = inbound.handle(text(round_ + 50, sender, body))
            spans[who] = (began, time.monotonic())
        except BaseException as exc:  # reported below
            results[who] = exc

    threads = [
        threading.Thread(target=reply, args=("mover", mover, "1", 0.0)),
        threading.Thread(target=reply, args=("waiting", waiting, "Y", HEAD_STARTS[round_])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS)
        assert not thread.is_alive(), "an answer did not finish in time"
    moved, took = results["mover"], results["waiting"]
    assert isinstance(moved, InboundResult), results
    assert isinstance(took, InboundResult), results
    assert max(b for b, _ in spans.values()) < min(e for _, e in spans.values()), spans

    detail = vacancies.get_opening("clinic-1", opening_id)
    assert detail is not None
    opening = detail.opening
    assert opening.status is OpeningStatus.FILLED
    store = runtime.store()
    found = store.get_appointment("clinic-1", appointment_id)
    assert found is not None
    visit = found[0]
    entry = vacancies.get_entry("clinic-1", f"e{round_}")
    assert entry is not None
    [offer] = detail.offers
    assert took.take is not None
    if opening.filled_appointment_id == appointment_id:  # the digit won
        assert (visit.starts_at, visit.version) == (at(SLOT), 2)
        assert took.take.outcome is TakeOutcome.TAKEN
        assert (offer.status, entry.status) == (OfferStatus.LOST, WaitlistStatus.WAITING)
        assert store.get_appointment("clinic-1", f"fill-{opening_id}") is None
        assert moved.replies == []
    else:  # the Y won
        assert opening.filled_appointment_id == f"fill-{opening_id}"
        assert took.take.outcome is TakeOutcome.WON
        assert (offer.status, entry.status) == (OfferStatus.TAKEN, WaitlistStatus.FILLED)
        assert (visit.starts_at, visit.version) == (at(VISIT), 1)
        assert vacancies.get_opening("clinic-1", f"op-{appointment_id}-v1") is None
        [answer] = moved.replies
        assert answer.startswith("Harbor Clinic: sorry, just taken."), answer
