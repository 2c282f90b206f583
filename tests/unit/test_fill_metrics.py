"""CloudWatch's fill metrics, as Powertools writes them (EMF on stdout): each told with the
activity log entry GET /v1/stats counts, so both count the same events, once each."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.inbound import InboundResult
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import Customer
from rendezvous.domain.offers import TakeOutcome, TakeResult
from rendezvous.domain.vacancies import VacancyService
from rendezvous.fill_metrics import MeteredActivityLog
from rendezvous.inbound_metrics import record_inbound_metrics
from rendezvous.observability import metrics
from tests.support.aws import at
from tests.support.memory import MemoryScheduler, RecordingStarter
from tests.unit import test_offers, test_reschedule
from tests.unit.test_offers import OPENING, phone
from tests.unit.test_vacancies import NOW, slot

# (metric, its dimensions other than `service`) -> the sum of its values.
Emitted = Counter[tuple[str, tuple[tuple[str, str], ...]]]


@pytest.fixture
def emitted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], Emitted]]:
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()
    capsys.readouterr()

    def read() -> Emitted:
        metrics.flush_metrics()
        out = capsys.readouterr().out
        found: Emitted = Counter()
        decoder, at = json.JSONDecoder(), 0
        while (at := out.find("{", at)) != -1:
            blob, at = decoder.raw_decode(out, at)
            [directive] = blob["_aws"]["CloudWatchMetrics"]
            names = [d for d in directive["Dimensions"][0] if d != "service"]
            dimensions = tuple((d, blob[d]) for d in names)
            for metric in directive["Metrics"]:
                values = blob[metric["Name"]]
                found[metric["Name"], dimensions] += sum(
                    values if isinstance(values, list) else [values]
                )
        return found

    yield read
    metrics.clear_metrics()


def metered(world: test_offers.World) -> None:
    log = MeteredActivityLog(world.log)
    world.offers.activity = log
    world.sender.activity = log
    world.inbound.log = log


def test_a_waitlist_fill_counts_texts_sent_the_fill_its_time_and_one_loser_once_each(
    emitted: Callable[[], Emitted],
) -> None:
    world = test_offers.World()  # waves of two
    metered(world)
    for n in (1, 2):
        world.wait(n)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.clock.advance(minutes=30)

    results = [world.reply(phone(1), "Y", "1"), world.reply(phone(2), "Y", "2")]
    for result in results:
        record_inbound_metrics(result)
    world.send_all()

    assert [r.take.outcome for r in results if r.take] == [TakeOutcome.WON, TakeOutcome.TAKEN]
    counted = emitted()
    assert counted["OffersSent", ()] == 2  # the two offer texts; not the "just taken" one
    assert counted["OpeningsFilled", ()] == 1
    assert counted["OpeningsFilled", (("Via", "waitlist"),)] == 1
    assert counted["TimeToFillSeconds", ()] == 1800
    assert counted["TimeToFillSeconds", (("Via", "waitlist"),)] == 1800
    assert counted["OfferTakenByAnother", ()] == 1


@pytest.mark.parametrize("outcome", [TakeOutcome.REPEATED, TakeOutcome.WON])
def test_only_a_reply_that_found_the_slot_taken_by_another_counts_as_one(
    emitted: Callable[[], Emitted], outcome: TakeOutcome
) -> None:
    # REPEATED: the same number's second Y (two at once, or one racing its own offer's
    # close); WON is counted by the fill's log entry, not here.
    answered = InboundResult(Intent.TAKE_OFFER, take=TakeResult(outcome, OPENING))
    taken = InboundResult(Intent.TAKE_OFFER, take=TakeResult(TakeOutcome.TAKEN, OPENING))

    record_inbound_metrics(answered)
    record_inbound_metrics(taken)

    counted = emitted()
    assert counted["OfferTakenByAnother", ()] == 1
    assert counted["OpeningsFilled", ()] == 0


def test_a_reschedule_fill_is_counted_as_a_fill_told_apart_and_its_old_slot_as_an_opening(
    emitted: Callable[[], Emitted],
) -> None:
    world = test_reschedule.RWorld()
    log = MeteredActivityLog(world.log)
    world.reschedule.log = log
    world.inbound.log = log
    world.book_service()
    world.opening("op-b", "2030-01-12T14:15:00-08:00")  # opened an hour ago
    world.text_in("R")
    world.clock.advance(minutes=5)

    world.text_in("1")

    counted = emitted()
    assert world.appointment().starts_at == at("2030-01-12T14:15:00-08:00")
    assert counted["OpeningsFilled", ()] == 1
    assert counted["OpeningsFilled", (("Via", "reschedule"),)] == 1
    assert counted["TimeToFillSeconds", (("Via", "reschedule"),)] == 65 * 60
    assert counted["OpeningsCreated", (("Source", "reschedule"),)] == 1


def test_each_opening_is_counted_once_by_its_source_however_often_it_is_made_again(
    emitted: Callable[[], Emitted],
) -> None:
    world = test_offers.World()
    log = MeteredActivityLog(world.log)
    appointments = AppointmentService(
        world.store,
        MemoryScheduler(),
        world.outbound,
        world.clock,
        activity=log,
        starter=RecordingStarter(),
    )
    publisher = VacancyService(world.vacancies, world.store, world.clock, activity=log)
    draft = AppointmentDraft(
        customer=Customer(phone=phone(9), name="Ana"), starts_at=NOW + timedelta(days=2)
    )
    appointments.upsert("clinic-1", "visit-9", draft)

    for _ in range(2):
        appointments.cancel("clinic-1", "visit-9", source="staff")
        publisher.publish("clinic-1", slot(), None)

    counted = emitted()
    assert counted["OpeningsCreated", ()] == 2
    assert counted["OpeningsCreated", (("Source", "cancellation"),)] == 1
    assert counted["OpeningsCreated", (("Source", "booking"),)] == 1
