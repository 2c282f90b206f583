"""A customer's text through POST /twilio/inbound on moto is logged with the automated text
it answered, read with one more call (two for an opt-out about no appointment), once
however often Twilio retries."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.last_text import last_text_order
from rendezvous.domain.models import LastText, MessageStatus
from rendezvous.runtime import Runtime
from tests.integration.test_twilio_inbound import book, inbound
from tests.support.events import invoke

INBOUND = "TwilioInboundFunction"


def _delivered(
    store: DynamoAppointmentStore, appointment_id: str, kind: str, clock: FixedClock
) -> None:
    """The appointment's last text as the sender and status callback leave it."""
    now = clock.now()
    text = LastText(kind=kind, status="delivered", at=now, variant="words/cost")
    order = last_text_order(kind, 1, MessageStatus.DELIVERED, now)
    assert store.note_last_text("clinic-1", appointment_id, text, order=order)


def _received(runtime: Runtime, clock: FixedClock) -> list[ActivityEntry]:
    day = clock.now().date().isoformat()
    entries = runtime.activity_log().day("clinic-1", day)
    return [e for e in entries if e.event is ActivityEvent.TEXT_RECEIVED]


def _counted(store: DynamoAppointmentStore, body: str, sid: str | None = None) -> Counter[str]:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    store._db.meta.events.register("before-call.dynamodb", count)
    try:
        assert invoke(INBOUND, inbound(body, sid=sid))["statusCode"] == 200
    finally:
        store._db.meta.events.unregister("before-call.dynamodb", count)
    return calls


def test_a_stop_about_a_coming_visit_is_logged_with_the_text_it_answered(
    runtime: Runtime, store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    book("appt-1")
    _delivered(store, "appt-1", "confirmation", clock)

    _counted(store, "STOP")

    [entry] = _received(runtime, clock)
    assert (entry.answered_kind, entry.answered_variant) == ("confirmation", "words/cost")
    assert entry.appointment_id == "appt-1"


def test_a_stop_after_the_visit_answers_the_latest_appointments_text_for_two_more_reads(
    runtime: Runtime, store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    book("appt-1", starts_at="2030-01-11T10:30:00-08:00")
    _delivered(store, "appt-1", "reminder_24h", clock)
    clock.set(clock.now() + timedelta(days=3))

    calls = _counted(store, "STOP")

    [entry] = _received(runtime, clock)
    assert (entry.intent, entry.appointment_id) == ("opt_out", None)
    assert (entry.answered_kind, entry.answered_variant) == ("reminder_24h", "words/cost")
    # The upcoming list's Query finds nothing; the attribution reads the latest
    # appointment's key (a Query of one key) and the appointment (a BatchGetItem).
    assert (calls["Query"], calls["BatchGetItem"], calls["Scan"]) == (2, 1, 0)


def test_a_question_about_a_coming_visit_costs_one_more_read(
    runtime: Runtime, store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    book("appt-1")
    _delivered(store, "appt-1", "reminder_48h", clock)

    calls = _counted(store, "Where do I park?")

    [entry] = _received(runtime, clock)
    assert (entry.appointment_id, entry.answered_kind) == ("appt-1", "reminder_48h")
    # One BatchGetItem is the upcoming list's; the other reads the appointment answered.
    assert (calls["Query"], calls["BatchGetItem"], calls["Scan"]) == (1, 2, 0)


def test_twilio_retrying_a_reply_logs_it_once(
    runtime: Runtime, store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    book("appt-1")
    _delivered(store, "appt-1", "confirmation", clock)

    _counted(store, "C", sid="SM" + "c" * 32)
    _counted(store, "C", sid="SM" + "c" * 32)

    [entry] = _received(runtime, clock)
    assert (entry.intent, entry.answered_kind) == ("confirm", "confirmation")
