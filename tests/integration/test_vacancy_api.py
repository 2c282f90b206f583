"""The waitlist and openings through the appointments function's real handler, against moto
tables made from template.yaml; and the opening a cancellation writes in its transaction.
Listings are counted call by call: Queries and BatchGetItems, never a Scan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.vacancy import DynamoVacancies
from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import Customer
from rendezvous.domain.vacancy import (
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from rendezvous.runtime import Runtime
from tests.integration.test_offers_one_per_number import made
from tests.integration.test_twilio_inbound import inbound, replies
from tests.support.aws import at, clinic, seed_tenant
from tests.support.events import invoke, response_json, staff_event
from tests.support.memory import RecordingStarter

FN = "AppointmentsFunction"
ANA = {"phone": "+14155550123", "name": "Ana María López"}


def call(
    method: str,
    path: str,
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    tenant: str = "clinic-1",
    role: str = "booking",
) -> tuple[int, Any]:
    event = staff_event(method, path, body, tenant=tenant, role=role, query=query)
    response = invoke(FN, event)
    return response["statusCode"], response_json(response)


def vacancies(runtime: Runtime) -> DynamoVacancies:
    store = runtime.vacancy_store()
    assert isinstance(store, DynamoVacancies)
    return store


@contextmanager
def dynamodb_calls(runtime: Runtime) -> Iterator[Counter[str]]:
    """The DynamoDB operations made inside the block, by name."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    events = vacancies(runtime)._db.meta.events
    events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", count)


@pytest.fixture
def starter(runtime: Runtime) -> RecordingStarter:
    recording = RecordingStarter()
    runtime.override(vacancy_starter=recording)
    return recording


# -- the waitlist ----------------------------------------------------------------------------


def test_listing_someone_answers_201_then_200_and_reads_back(
    store: DynamoAppointmentStore,
) -> None:
    entry = {"customer": ANA, "service": "Cleaning", "latest": "2030-02-01T00:00:00Z"}

    first, created = call("PUT", "/v1/waitlist/w-1", entry)
    second, again = call("PUT", "/v1/waitlist/w-1", entry)
    status, read = call("GET", "/v1/waitlist/w-1")

    assert (first, second, status) == (201, 200, 200)
    assert created == again == read
    assert (read["status"], read["version"], read["listed_at"]) == (
        "waiting",
        1,
        "2030-01-10T17:00:00Z",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer": {"phone": "12", "name": "Cy"}}, "customer.phone"),
        (
            {"customer": ANA, "earliest": "2030-02-02T00:00:00Z", "latest": "2030-02-01T00:00:00Z"},
            "latest",
        ),
        ({"customer": ANA, "latest": "2030-01-02T00:00:00Z"}, "latest"),
        ({"customer": ANA, "earliest": "2030-02-02T00:00:00"}, "earliest"),
        ({"customer": ANA, "service": "x" * 121}, "service"),
        ({"customer": ANA, "colour": "blue"}, "colour"),
    ],
)
def test_a_bad_entry_is_a_422_naming_its_field_and_nothing_is_written(
    store: DynamoAppointmentStore, runtime: Runtime, body: dict[str, Any], field: str
) -> None:
    status, answer = call("PUT", "/v1/waitlist/w-1", body)

    assert status == 422
    assert [d["field"] for d in answer["error"]["details"]] == [field]
    assert vacancies(runtime).get_entry("clinic-1", "w-1") is None


def test_another_tenants_entry_is_not_found(store: DynamoAppointmentStore) -> None:
    call("PUT", "/v1/waitlist/w-1", {"customer": ANA})

    assert call("GET", "/v1/waitlist/w-1", tenant="salon-1")[0] == 404
    assert call("DELETE", "/v1/waitlist/w-1", tenant="salon-1")[0] == 404
    assert call("GET", "/v1/waitlist/w-1")[1]["status"] == "waiting"


def test_delete_removes_once_and_the_table_forgets_it_later(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    call("PUT", "/v1/waitlist/w-1", {"customer": ANA})

    first = call("DELETE", "/v1/waitlist/w-1")
    again = call("DELETE", "/v1/waitlist/w-1")

    assert first == again
    assert (first[0], first[1]["status"], first[1]["version"]) == (200, "removed", 2)
    stored = vacancies(runtime)._get({"pk": "T#clinic-1#WL#w-1", "sk": "WL"})
    assert stored is not None
    assert stored["expires_at"] == int(at("2030-04-10T17:00:00Z").timestamp())  # 90 days


def test_the_list_pages_by_status_then_time_listed_with_a_query_and_a_batch_get_a_page(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    for n in range(5):
        call("PUT", f"/v1/waitlist/w-{n}", {"customer": ANA})
        clock.set(at("2030-01-10T09:00:00-08:00").replace(minute=n + 1))
    call("DELETE", "/v1/waitlist/w-1")

    pages, cursor = [], None
    with dynamodb_calls(runtime) as calls:
        while True:
            _, page = call(
                "GET",
                "/v1/waitlist",
                query={"limit": "2", **({"cursor": cursor} if cursor else {})},
            )
            pages.append([e["entry_id"] for e in page["entries"]])
            cursor = page.get("next_cursor")
            if cursor is None:
                break

    assert pages == [["w-0", "w-2"], ["w-3", "w-4"], ["w-1"]]
    # One Query per status read: page 1 reads `waiting`; pages 2 and 3 read what is left of
    # it, then `offered` and `filled` (empty) and `removed`. Two BatchGetItems a page: the
    # entries, then their numbers (whether each opted out).
    assert calls == Counter({"Query": 1 + 4 + 4, "BatchGetItem": 3 + 3})
    _, removed = call("GET", "/v1/waitlist", query={"status": "removed"})
    assert [e["entry_id"] for e in removed["entries"]] == ["w-1"]


@pytest.mark.parametrize("cursor", ["nonsense", "WyJ3YWl0aW5nIiwiMjAzMCJd", "bnVsbA"])
def test_a_cursor_not_of_this_listing_is_a_400(store: DynamoAppointmentStore, cursor: str) -> None:
    status, body = call("GET", "/v1/waitlist", query={"cursor": cursor})

    assert status == 400
    assert "cursor" in body["error"]["message"]


def test_matching_is_two_queries_of_a_sparse_index_in_time_listed(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    wants = {"w-0": "Cleaning", "w-1": "Whitening", "w-2": None, "w-3": "cleaning ", "w-4": None}
    for n, (entry_id, service) in enumerate(wants.items()):
        body: dict[str, Any] = {"customer": ANA} | ({"service": service} if service else {})
        call("PUT", f"/v1/waitlist/{entry_id}", body)
        clock.set(at("2030-01-10T09:00:00-08:00").replace(minute=n + 1))
    call("DELETE", "/v1/waitlist/w-4")
    offered = vacancies(runtime).get_entry("clinic-1", "w-3")
    assert offered is not None
    vacancies(runtime).put_entry(
        offered.model_copy(update={"status": WaitlistStatus.OFFERED, "version": 2}),
        expected_version=1,
    )

    with dynamodb_calls(runtime) as calls:
        found, cursor = vacancies(runtime).waiting_for("clinic-1", "CLEANING", 10, None)

    assert [e.entry_id for e in found] == ["w-0", "w-2"]  # w-3 has an offer open, w-4 left
    assert cursor is None
    assert calls == Counter({"Query": 2})
    everyone, _ = vacancies(runtime).waiting_for("clinic-1", None, 10, None)
    assert [e.entry_id for e in everyone] == ["w-0", "w-1", "w-2"]
    back = offered.model_copy(update={"status": WaitlistStatus.WAITING, "version": 3})
    vacancies(runtime).put_entry(back, expected_version=2)
    again, _ = vacancies(runtime).waiting_for("clinic-1", "Cleaning", 10, None)
    assert [e.entry_id for e in again] == ["w-0", "w-2", "w-3"]  # back in its place


def test_a_stale_version_writes_nothing(store: DynamoAppointmentStore, runtime: Runtime) -> None:
    call("PUT", "/v1/waitlist/w-1", {"customer": ANA})
    stored = vacancies(runtime).get_entry("clinic-1", "w-1")
    assert isinstance(stored, WaitlistEntry)

    with pytest.raises(Exception, match="changed concurrently"):
        vacancies(runtime).put_entry(stored.model_copy(update={"version": 5}), expected_version=4)

    assert vacancies(runtime).get_entry("clinic-1", "w-1") == stored


# -- openings -------------------------------------------------------------------------------


def test_a_published_slot_is_one_opening_however_often_it_is_posted(
    store: DynamoAppointmentStore, starter: RecordingStarter
) -> None:
    slot = {"starts_at": "2030-01-12T10:00:00-08:00", "service": "Cleaning", "duration_minutes": 30}

    first, made = call("POST", "/v1/openings", slot)
    second, again = call("POST", "/v1/openings", slot)

    assert (first, second) == (201, 200)
    assert made == again
    assert (made["status"], made["source"], made["offers"]) == ("open", "booking", [])
    assert [o.opening_id for o in starter.started] == [made["opening_id"]]


def test_a_slot_under_a_used_id_is_a_409_and_a_slot_too_soon_a_422(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    slot = {"opening_id": "slot-9", "starts_at": "2030-01-12T10:00:00-08:00"}
    assert call("POST", "/v1/openings", slot)[0] == 201

    other = call("POST", "/v1/openings", {**slot, "service": "Whitening"})
    soon = call(
        "POST", "/v1/openings", {"opening_id": "slot-8", "starts_at": "2030-01-10T10:59:00-08:00"}
    )

    assert other[0] == 409
    assert (soon[0], [d["field"] for d in soon[1]["error"]["details"]]) == (422, ["starts_at"])
    assert call("GET", "/v1/openings/slot-8")[0] == 404
    assert call("GET", "/v1/openings/slot-9")[1].get("service") is None


def test_an_opening_and_its_offers_are_one_query_first_sent_first(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    call("POST", "/v1/openings", {"opening_id": "slot-1", "starts_at": "2030-01-12T10:00:00-08:00"})
    # Offered through the offer book's own transaction; w-2 first, so the partition's key
    # order (w-1 before w-2) is not the order sent.
    for n, name, sent in ((2, "Bea", "17:01"), (1, "Ana", "17:06")):
        entry = WaitlistEntry(
            tenant_id="clinic-1",
            entry_id=f"w-{n}",
            customer=Customer(phone=f"+1415555012{n}", name=name),
            listed_at=at("2030-01-09T17:00:00Z"),
        )
        vacancies(runtime).put_entry(entry, expected_version=None)
        sent_at = at(f"2030-01-10T{sent}:00Z")
        assert made(runtime, entry, "slot-1", sent_at, sent_at + timedelta(minutes=30))

    with dynamodb_calls(runtime) as calls:
        status, opening = call("GET", "/v1/openings/slot-1")

    assert status == 200
    assert opening["offers"] == [
        {
            "entry_id": "w-2",
            "name": "Bea",
            "phone": "+14155550122",
            "wave": 1,
            "sent_at": "2030-01-10T17:01:00Z",
            "status": "sent",
            "message_status": "planned",
        },
        {
            "entry_id": "w-1",
            "name": "Ana",
            "phone": "+14155550121",
            "wave": 1,
            "sent_at": "2030-01-10T17:06:00Z",
            "status": "sent",
            "message_status": "planned",
        },
    ]
    assert calls == Counter({"Query": 1})
    assert call("GET", "/v1/openings/slot-1", tenant="salon-1")[0] == 404


def test_openings_list_by_status_in_one_query_and_by_day_otherwise(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    for day in (14, 12, 13):
        call(
            "POST",
            "/v1/openings",
            {"opening_id": f"s-{day}", "starts_at": f"2030-01-{day}T10:00:00-08:00"},
        )
    opening = vacancies(runtime).get_opening("clinic-1", "s-13")
    assert opening is not None
    vacancies(runtime).save_opening(
        opening.opening.model_copy(update={"status": OpeningStatus.FILLED, "version": 2}),
        expected_version=1,
    )
    window = {"from": "2030-01-10T00:00:00Z", "to": "2030-01-20T00:00:00Z"}

    with dynamodb_calls(runtime) as by_status:
        _, still_open = call("GET", "/v1/openings", query={"status": "open", **window})
    pages, cursor = [], None
    with dynamodb_calls(runtime) as by_day:
        while True:
            query = {"limit": "2", **window} | ({"cursor": cursor} if cursor else {})
            _, page = call("GET", "/v1/openings", query=query)
            pages.append([o["opening_id"] for o in page["openings"]])
            cursor = page.get("next_cursor")
            if cursor is None:
                break

    assert [o["opening_id"] for o in still_open["openings"]] == ["s-12", "s-14"]
    assert by_status == Counter({"Query": 1})
    assert pages == [["s-12", "s-13"], ["s-14"]]
    # A keys-only Query a UTC day, empty days too: page 1 reads the 10th to the 14th, page 2
    # its cursor's day (the 13th) to the 19th. One BatchGetItem a page.
    assert by_day == Counter({"Query": 5 + 7, "BatchGetItem": 2})


def test_a_cursor_of_another_status_or_range_is_a_400(store: DynamoAppointmentStore) -> None:
    for day in (12, 13):
        call(
            "POST",
            "/v1/openings",
            {"opening_id": f"s-{day}", "starts_at": f"2030-01-{day}T10:00:00-08:00"},
        )
    _, page = call("GET", "/v1/openings", query={"limit": "1"})
    cursor = page["next_cursor"]

    assert call("GET", "/v1/openings", query={"status": "open", "cursor": cursor})[0] == 400
    later = {"from": "2030-01-13T00:00:00Z", "cursor": cursor}
    assert call("GET", "/v1/openings", query=later)[0] == 400


# -- the opening a cancellation frees --------------------------------------------------------


def test_a_cancel_writes_its_opening_in_its_transaction_and_starts_it(
    store: DynamoAppointmentStore, runtime: Runtime, starter: RecordingStarter
) -> None:
    booked = {"customer": ANA, "starts_at": "2030-01-12T10:00:00-08:00", "service": "Cleaning"}
    assert call("PUT", "/v1/appointments/appt-1", booked)[0] == 201

    with dynamodb_calls(runtime) as calls:
        cancelled = call("DELETE", "/v1/appointments/appt-1")
    repeated = call("DELETE", "/v1/appointments/appt-1")

    assert cancelled[0] == repeated[0] == 200
    assert calls["TransactWriteItems"] == 1
    status, opening = call("GET", "/v1/openings/op-appt-1-v2")
    assert status == 200
    assert (opening["source"], opening["replaces"], opening["service"]) == (
        "cancellation",
        "appt-1",
        "Cleaning",
    )
    assert [o.opening_id for o in starter.started] == ["op-appt-1-v2"]
    assert [o.opening_id for o in starter.ensured] == ["op-appt-1-v2"]  # the repeat
    logged = runtime.activity_log().day("clinic-1", "2030-01-10")
    assert [e.reason for e in logged if e.event is ActivityEvent.OPENING_CREATED] == [
        "cancellation"
    ]


def test_a_cancel_inside_the_notice_opens_nothing(
    store: DynamoAppointmentStore, starter: RecordingStarter
) -> None:
    booked = {"customer": ANA, "starts_at": "2030-01-10T10:59:00-08:00"}
    call("PUT", "/v1/appointments/appt-1", booked)

    call("DELETE", "/v1/appointments/appt-1")

    assert call("GET", "/v1/openings/op-appt-1-v2")[0] == 404
    assert starter.started == []


def test_a_customers_x_opens_the_slot(
    store: DynamoAppointmentStore, sandbox: Any, starter: RecordingStarter
) -> None:
    booked = {"customer": ANA, "starts_at": "2030-01-12T10:00:00-08:00"}
    call("PUT", "/v1/appointments/appt-1", booked)

    replies(invoke("TwilioInboundFunction", inbound("X")))

    assert call("GET", "/v1/openings/op-appt-1-v2")[0] == 200
    assert [o.replaces for o in starter.started] == ["appt-1"]


def test_a_tenant_with_fill_off_opens_nothing(
    store: DynamoAppointmentStore, starter: RecordingStarter
) -> None:
    seed_tenant(store, clinic(fill_enabled=False))
    call(
        "PUT",
        "/v1/appointments/appt-1",
        {"customer": ANA, "starts_at": "2030-01-12T10:00:00-08:00"},
    )

    call("DELETE", "/v1/appointments/appt-1")

    assert call("GET", "/v1/openings/op-appt-1-v2")[0] == 404
    assert starter.started == []


def test_stats_read_fill_from_the_log_s_day_queries_with_no_query_of_its_own(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    booked = {"customer": ANA, "starts_at": "2030-01-12T10:00:00-08:00", "service": "Cleaning"}
    call("PUT", "/v1/appointments/appt-1", booked)
    call("DELETE", "/v1/appointments/appt-1")

    with dynamodb_calls(runtime) as calls:
        response = invoke("StaffApiFunction", staff_event("GET", "/v1/stats", query={"days": "7"}))
        status, stats = response["statusCode"], response_json(response)

    assert status == 200
    assert stats["fill"]["openings"] == 1
    # The tenant; for each of the 8 UTC days the period touches, one Query of its texts
    # (`by_time`), one of its log and one of the appointments starting that day (results);
    # one per live queue status. No fill Query of its own (and nothing to BatchGet: no text
    # went out, no appointment started in the period).
    assert calls == Counter({"GetItem": 1, "Query": 8 + 8 + 8 + 2})
