"""The digit's move on moto tables made from template.yaml, through the inbound webhook's
real handler: the opening is taken by the same TransactWriteItems that moves the
appointment and opens its old slot, so a failure or a faster taker leaves nothing half
written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import Customer
from rendezvous.domain.offers import TakeOutcome
from rendezvous.domain.reschedule import PAGE
from rendezvous.domain.vacancy import (
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
)
from rendezvous.runtime import Runtime
from tests.integration.test_twilio_inbound import CUSTOMER, INBOUND, book, inbound, replies
from tests.support.aws import at
from tests.support.events import appointment_event, invoke

VISIT = "2030-01-15T10:30:00-08:00"
SOONEST = "2030-01-11T09:00:00-08:00"
NEXT = "2030-01-12T14:15:00-08:00"
WAITING = "+14155550188"


@pytest.fixture
def vacancies(runtime: Runtime, store: DynamoAppointmentStore) -> DynamoVacancies:
    found = runtime.vacancy_store()
    assert isinstance(found, DynamoVacancies)
    return found


def open_slot(vacancies: DynamoVacancies, clock: FixedClock, opening_id: str, when: str) -> None:
    assert vacancies.create_opening(
        Opening(
            tenant_id="clinic-1",
            opening_id=opening_id,
            starts_at=at(when),
            source=OpeningSource.BOOKING,
            created_at=clock.now() - timedelta(hours=1),
        )
    )


@pytest.fixture
def offered(vacancies: DynamoVacancies, clock: FixedClock) -> None:
    """Ana's visit, two free slots, and her R answered with them as digits 1 and 2."""
    book("appt-1", VISIT)
    open_slot(vacancies, clock, "op-a", SOONEST)
    open_slot(vacancies, clock, "op-b", NEXT)
    [answer] = replies(invoke(INBOUND, inbound("R")))
    assert answer.startswith("Harbor Clinic: free times: reply 1 for Fri 11 Jan 9:00am, 2 for")


@contextmanager
def transactions() -> Iterator[list[dict[str, Any]]]:
    """Every DynamoDB call's name and parameters made inside the block."""
    from rendezvous.adapters import aws as aws_clients

    calls: list[dict[str, Any]] = []

    def keep(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append({"operation": model.name, "params": params})

    events = aws_clients.client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb", keep)
    try:
        yield calls
    finally:
        events.unregister("before-parameter-build.dynamodb", keep)


def keys_written(call: dict[str, Any]) -> list[str]:
    """The pk of each item a write call to the table writes."""
    params = call["params"]
    if call["operation"] == "TransactWriteItems":
        writes = [next(iter(item.values())) for item in params["TransactItems"]]
    elif call["operation"] in {"PutItem", "UpdateItem", "DeleteItem"}:
        writes = [params]
    else:
        return []
    return [
        (w.get("Key") or w["Item"])["pk"]["S"]
        for w in writes
        if "pk" in (w.get("Key") or w["Item"])
    ]


def status_of(vacancies: DynamoVacancies, opening_id: str) -> OpeningStatus:
    detail = vacancies.get_opening("clinic-1", opening_id)
    assert detail is not None
    return detail.opening.status


def visit(store: DynamoAppointmentStore) -> tuple[datetime, int]:
    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    return found[0].starts_at, found[0].version


@pytest.mark.usefixtures("offered")
def test_the_digit_takes_the_slot_in_the_transaction_that_moves_the_visit(
    vacancies: DynamoVacancies, store: DynamoAppointmentStore
) -> None:
    with transactions() as calls:
        assert replies(invoke(INBOUND, inbound("1"))) == []

    assert visit(store) == (at(SOONEST), 2)
    assert status_of(vacancies, "op-a") is OpeningStatus.FILLED
    assert status_of(vacancies, "op-appt-1-v1") is OpeningStatus.OPEN
    writes = [c for c in calls if any(k.endswith("#OP#op-a") for k in keys_written(c))]
    [move] = writes  # the opening is written once: by the move's own transaction
    assert move["operation"] == "TransactWriteItems"
    pks = keys_written(move)
    assert "T#clinic-1#A#appt-1" in pks
    assert "T#clinic-1#OP#op-appt-1-v1" in pks


@pytest.mark.usefixtures("offered")
def test_a_failure_of_the_moves_transaction_leaves_nothing_filled(
    vacancies: DynamoVacancies, store: DynamoAppointmentStore
) -> None:
    from rendezvous.adapters import aws as aws_clients

    def down(model: Any, params: dict[str, Any], **_: Any) -> None:
        written = keys_written({"operation": model.name, "params": params})
        if "T#clinic-1#A#appt-1" in written:  # the write that moves the visit
            raise ConnectionError("DynamoDB is not answering")

    events = aws_clients.client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb", down)
    try:
        with pytest.raises(ConnectionError):
            invoke(INBOUND, inbound("1"))
    finally:
        events.unregister("before-parameter-build.dynamodb", down)

    assert status_of(vacancies, "op-a") is OpeningStatus.OPEN
    assert visit(store) == (at(VISIT), 1)
    assert vacancies.get_opening("clinic-1", "op-appt-1-v1") is None
    # The slot is still Ana's to take: the digit again moves her.
    assert replies(invoke(INBOUND, inbound("1"))) == []
    assert visit(store) == (at(SOONEST), 2)


@pytest.mark.usefixtures("offered")
def test_a_waitlist_y_landing_before_the_moves_transaction_wins_and_the_mover_hears_just_taken(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
) -> None:
    from rendezvous.adapters import aws as aws_clients

    vacancies.put_entry(
        WaitlistEntry(
            tenant_id="clinic-1",
            entry_id="e1",
            customer=Customer(phone=WAITING, name="Bo Chen"),
            listed_at=clock.now() - timedelta(days=1),
        ),
        expected_version=None,
    )
    wave = {"tenant_id": "clinic-1", "opening_id": "op-a", "wave": 1}
    assert invoke("VacancyFillerFunction", wave)["offers_sent"] == 1
    tenant = store.get_tenant("clinic-1")
    bo = store.get_recipient("clinic-1", WAITING)
    assert tenant is not None
    assert bo is not None
    taken: list[Any] = []

    def bo_first(model: Any, params: dict[str, Any], **_: Any) -> None:
        call = {"operation": model.name, "params": params}
        if not taken and "T#clinic-1#A#appt-1" in keys_written(call):
            taken.append(runtime.offer_service().take(tenant, bo, "op-a"))

    events = aws_clients.client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb", bo_first)
    try:
        [answer] = replies(invoke(INBOUND, inbound("1")))
    finally:
        events.unregister("before-parameter-build.dynamodb", bo_first)

    assert [t.outcome for t in taken] == [TakeOutcome.WON]
    assert answer.startswith("Harbor Clinic: sorry, just taken. Reply 1 for Sat 12 Jan 2:15pm")
    detail = vacancies.get_opening("clinic-1", "op-a")
    assert detail is not None
    assert (detail.opening.status, detail.opening.filled_appointment_id) == (
        OpeningStatus.FILLED,
        "fill-op-a",
    )
    assert visit(store) == (at(VISIT), 1)
    assert vacancies.get_opening("clinic-1", "op-appt-1-v1") is None


@pytest.mark.usefixtures("offered")
def test_a_staff_move_after_the_options_is_kept_and_the_digit_goes_to_a_person(
    vacancies: DynamoVacancies, store: DynamoAppointmentStore
) -> None:
    # The desk moves it by phone; the booking system says so through the API.
    moved = appointment_event(
        "PUT",
        "appt-1",
        {
            "customer": {"phone": CUSTOMER, "name": "Ana López"},
            "starts_at": "2030-01-17T08:00:00-08:00",
            "location": "Harbor Clinic",
        },
    )
    assert invoke("AppointmentsFunction", moved)["statusCode"] == 200

    [answer] = replies(invoke(INBOUND, inbound("1")))

    assert answer.startswith(
        "Harbor Clinic: your visit was just changed to Thu 17 Jan 8:00am. A person will reply by "
    ), answer
    assert visit(store) == (at("2030-01-17T08:00:00-08:00"), 2)
    assert status_of(vacancies, "op-a") is OpeningStatus.OPEN
    recipient = store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert recipient.reschedule_options is None


def test_r_finds_the_opening_that_fits_behind_many_that_do_not_in_few_queries(
    runtime: Runtime,
    vacancies: DynamoVacancies,
    store: DynamoAppointmentStore,
    clock: FixedClock,
) -> None:
    runtime.appointment_service().upsert(
        "clinic-1",
        "appt-1",
        AppointmentDraft(
            customer=Customer(phone=CUSTOMER, name="Ana López"),
            starts_at=at(VISIT),
            service="Cleaning",
        ),
    )
    first = at("2030-01-11T00:00:00-08:00")
    for n in range(PAGE + 20):
        assert vacancies.create_opening(
            Opening(
                tenant_id="clinic-1",
                opening_id=f"op-w{n:03d}",
                starts_at=first + timedelta(minutes=n),
                service="Whitening",
                source=OpeningSource.BOOKING,
                created_at=clock.now(),
            )
        )
    assert vacancies.create_opening(
        Opening(
            tenant_id="clinic-1",
            opening_id="op-fit",
            starts_at=at("2030-01-13T10:00:00-08:00"),
            service="cleaning",
            source=OpeningSource.BOOKING,
            created_at=clock.now(),
        )
    )

    with transactions() as calls:
        [answer] = replies(invoke(INBOUND, inbound("R")))

    assert answer.startswith("Harbor Clinic: free times: reply 1 for Sun 13 Jan 10:00am, or")
    listings = [
        c["params"]["KeyConditionExpression"]
        for c in calls
        if c["operation"] == "Query" and c["params"].get("IndexName") == "by_queue"
    ]
    # Open: two pages (the second finds it); offered: one, empty. Never a Scan.
    assert len(listings) == 3
    assert not [c for c in calls if c["operation"] == "Scan"]
