"""/v1/experiments through the staff API's handler and the sender's, on moto with the
Twilio sandbox: the shapes, refusals that write nothing, retries that answer the same,
texts written with each appointment's variant, the report, the stop with a winner, and
the DynamoDB calls each costs."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from twilio.rest import Client

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.activity import ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.delivery import DeliveryReport, record_delivery_report
from rendezvous.domain.experiment_stats import variant_of
from rendezvous.domain.identity import status_callback_ref
from rendezvous.domain.models import MessageRecord
from rendezvous.runtime import Runtime
from tests.integration.test_message_sender import sqs_event
from tests.support.events import appointment_event, invoke, response_json, staff_event

STAFF = "StaffApiFunction"
SENDER = "MessageSenderFunction"
PLAIN = "{business}: {first_name}, booked {when}. Reply C to confirm, X to cancel."
COST = (
    "{business}: {first_name}, booked {when}. A missed visit keeps someone else from care. "
    "Reply C to confirm, X to cancel."
)
DEFINITION: dict[str, Any] = {
    "kind": "confirmation",
    "locale": "en",
    "description": "Does stating the cost of a missed visit cut no-shows?",
    "variants": [{"name": "plain", "template": PLAIN}, {"name": "cost", "template": COST}],
}
NAMES = ["plain", "cost"]


def call(method: str, path: str, body: Any = None, *, role: str = "manager") -> tuple[int, Any]:
    response = invoke(STAFF, staff_event(method, path, body, role=role, staff="manager-ines"))
    return response["statusCode"], response_json(response)


def phone(n: int) -> str:
    return f"+1415555{n:04d}"


def book(n: int) -> str:
    appointment_id = f"appt-{n}"
    booking = {
        "customer": {"phone": phone(n), "name": "Ana López"},
        "starts_at": "2030-01-15T10:30:00-08:00",
    }
    response = invoke("AppointmentsFunction", appointment_event("PUT", appointment_id, booking))
    assert response["statusCode"] == 201, response
    return appointment_id


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    from rendezvous.adapters import aws as aws_clients

    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    events = aws_clients.client("dynamodb").meta.events
    events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", count)


@pytest.fixture
def table(runtime: Runtime) -> Any:
    def items() -> list[str]:
        found = boto3.resource("dynamodb").Table(runtime.settings.table_name).scan()["Items"]
        return sorted(json.dumps(i, sort_keys=True, default=str) for i in found)

    return items


def message(store: DynamoAppointmentStore, appointment_id: str, kind: str) -> MessageRecord:
    found = store.get_appointment("clinic-1", appointment_id)
    assert found is not None
    [record] = [m for m in found[1] if m.kind == kind]
    return record


# -- the shapes and the refusals ----------------------------------------------------------------


def test_put_starts_it_and_answers_the_experiment_in_the_agreed_shape(
    store: DynamoAppointmentStore, clock: FixedClock
) -> None:
    status, body = call("PUT", "/v1/experiments/wording", DEFINITION)

    assert status == 201
    assert datetime.fromisoformat(body.pop("started_at")) == clock.now()
    assert body == {
        "experiment_id": "wording",
        "kind": "confirmation",
        "locale": "en",
        "description": DEFINITION["description"],
        "status": "running",
        "variants": [
            {"name": "plain", "template": PLAIN, "control": True},
            {"name": "cost", "template": COST, "control": False},
        ],
        "started_by": "manager-ines",
        "stopped_at": None,
        "stopped_by": None,
        "winner": None,
    }
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    assert tenant.experiments["confirmation/en"].experiment_id == "wording"


def test_the_same_put_twice_answers_200_with_the_same_experiment(
    store: DynamoAppointmentStore, clock: FixedClock, table: Any
) -> None:
    _, first = call("PUT", "/v1/experiments/wording", DEFINITION)
    after_first = table()
    clock.advance(minutes=5)

    answers = [call("PUT", "/v1/experiments/wording", DEFINITION) for _ in range(2)]

    assert answers == [(200, first), (200, first)]
    assert table() == after_first


@pytest.mark.parametrize(
    ("path", "body", "why"),
    [
        ("/v1/experiments/wording", {**DEFINITION, "description": "other"}, "another definition"),
        ("/v1/experiments/second", DEFINITION, "wording is running"),
    ],
)
def test_another_definition_or_a_taken_kind_and_locale_is_409_and_writes_nothing(
    store: DynamoAppointmentStore, table: Any, path: str, body: Any, why: str
) -> None:
    call("PUT", "/v1/experiments/wording", DEFINITION)
    before = table()

    status, answer = call("PUT", path, body)

    assert status == 409
    assert answer["error"]["code"] == "conflict"
    assert why in answer["error"]["message"]
    assert table() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "offer"}, "kind"),
        ({"locale": "de"}, "locale"),
        ({"description": "x" * 201}, "description"),
        ({"variants": DEFINITION["variants"][:1]}, "variants"),
        ({"variants": DEFINITION["variants"] * 2 + DEFINITION["variants"][:1]}, "variants"),
        ({"variants": DEFINITION["variants"] * 2}, "variants"),
        (
            {"variants": [{"name": "Plain", "template": PLAIN}, {"name": "b", "template": COST}]},
            "variants.0.name",
        ),
        (
            {"variants": [{"name": "a", "template": PLAIN}, {"name": "b", "template": ""}]},
            "variants.1.template",
        ),
        (
            {
                "variants": [
                    {"name": "a", "template": PLAIN},
                    {"name": "b", "template": "{business}: {x}"},
                ]
            },
            "variants.1.template",
        ),
        (
            {
                "variants": [
                    {"name": "a", "template": PLAIN},
                    {"name": "b", "template": "Hi {when}"},
                ]
            },
            "variants.1.template",
        ),
        ({"surprise": True}, "surprise"),
    ],
)
def test_a_bad_body_is_422_naming_the_field_and_writes_nothing(
    store: DynamoAppointmentStore, table: Any, change: dict[str, Any], field: str
) -> None:
    before = table()

    status, answer = call("PUT", "/v1/experiments/wording", {**DEFINITION, **change})

    assert status == 422, answer
    assert answer["error"]["code"] == "validation_failed"
    assert field in [d["field"] for d in answer["error"]["details"]]
    assert table() == before


def test_staff_may_not_start_read_or_stop_experiments(
    store: DynamoAppointmentStore, table: Any
) -> None:
    call("PUT", "/v1/experiments/wording", DEFINITION)
    before = table()

    started = call("PUT", "/v1/experiments/other", {**DEFINITION, "locale": "fr"}, role="staff")
    stopped = call("POST", "/v1/experiments/wording/stop", {"winner": None}, role="staff")
    listed = call("GET", "/v1/experiments", role="staff")
    one = call("GET", "/v1/experiments/wording", role="staff")

    assert [started[0], stopped[0], listed[0], one[0]] == [403, 403, 403, 403]
    assert listed[1]["error"]["code"] == "forbidden"
    assert "experiments" not in listed[1]
    assert call("GET", "/v1/experiments")[0] == 200
    assert table() == before


def test_the_list_is_newest_first(store: DynamoAppointmentStore, clock: FixedClock) -> None:
    call("PUT", "/v1/experiments/first", DEFINITION)
    clock.advance(hours=1)
    call("PUT", "/v1/experiments/second", {**DEFINITION, "locale": "fr"})

    _, body = call("GET", "/v1/experiments")

    assert [e["experiment_id"] for e in body["experiments"]] == ["second", "first"]


def test_an_unknown_experiment_is_404(store: DynamoAppointmentStore) -> None:
    assert call("GET", "/v1/experiments/nope")[0] == 404
    assert call("POST", "/v1/experiments/nope/stop", {"winner": None})[0] == 404


# -- texts, members, the report -----------------------------------------------------------------


def test_each_appointments_text_uses_its_variant_and_the_report_counts_them(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client, runtime: Runtime
) -> None:
    call("PUT", "/v1/experiments/wording", DEFINITION)
    ids = [book(n) for n in range(10)]

    invoke(SENDER, sqs_event(outbound()))

    for n, appointment_id in enumerate(ids):
        variant = variant_of("wording", appointment_id, NAMES)
        [text] = [m.body or "" for m in twilio.messages.list(to=phone(n))]
        assert ("missed visit" in text) is (variant == "cost"), text
        record = message(store, appointment_id, "confirmation")
        assert record.variant == f"wording/{variant}"
        assert record.body == text
        found = store.get_appointment("clinic-1", appointment_id)
        assert found is not None
        assert found[0].last_text is not None
        assert found[0].last_text.variant == f"wording/{variant}"
    status, body = call("GET", "/v1/experiments/wording")
    assert status == 200
    report = body["report"]
    arms = {arm["variant"]: arm for arm in report["arms"]}
    expected = Counter(variant_of("wording", a, NAMES) for a in ids)
    assert {name: arm["appointments"] for name, arm in arms.items()} == {
        name: expected[name] for name in NAMES
    }
    assert {name: arm["texts"] for name, arm in arms.items()} == {
        name: expected[name] for name in NAMES
    }
    assert set(report) == {
        "arms",
        "comparisons",
        "confidence",
        "min_per_arm",
        "verdict",
        "leader",
        "note",
    }
    assert set(arms["plain"]) == {
        "variant",
        "appointments",
        "texts",
        "confirmed",
        "confirmation_rate",
        "with_outcome",
        "no_show",
        "no_show_rate",
        "opt_outs",
    }
    assert [(c["variant"], c["metric"]) for c in report["comparisons"]] == [
        ("cost", "no_show_rate"),
        ("cost", "confirmation_rate"),
    ]
    assert report["comparisons"][0]["difference"] is None  # no outcomes yet
    assert report["verdict"] == "not_yet_meaningful"
    assert report["leader"] is None
    assert report["note"].startswith("Not yet meaningful: 0 of 100")


def test_a_status_callback_keeps_the_variant_on_the_appointments_last_text(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client, runtime: Runtime
) -> None:
    call("PUT", "/v1/experiments/wording", DEFINITION)
    book(1)
    invoke(SENDER, sqs_event(outbound()))
    record = message(store, "appt-1", "confirmation")

    record_delivery_report(
        runtime.store(),
        runtime.clock,
        DeliveryReport(
            ref=status_callback_ref(record),
            message_sid=record.sid or "",
            status="delivered",
            to=phone(1),
        ),
    )

    found = store.get_appointment("clinic-1", "appt-1")
    assert found is not None
    last = found[0].last_text
    assert last is not None
    assert (last.status, last.variant) == ("delivered", record.variant)
    assert record.variant is not None


def test_dynamodb_calls_per_send_with_and_without_an_experiment_and_per_report(
    store: DynamoAppointmentStore, outbound: Any, twilio: Client, runtime: Runtime
) -> None:
    book(1)
    with dynamodb_calls() as without:
        invoke(SENDER, sqs_event(outbound()))
    call("PUT", "/v1/experiments/wording", DEFINITION)
    book(2)
    with dynamodb_calls() as within:
        invoke(SENDER, sqs_event(outbound()))
    with dynamodb_calls() as report:
        assert call("GET", "/v1/experiments/wording")[0] == 200

    # The experiment is read with the tenant: one UpdateItem more (the member), no read.
    assert within - without == Counter({"UpdateItem": 1})
    assert within["BatchGetItem"] == without["BatchGetItem"]
    assert "GetItem" not in within - without
    # The report: the experiment, its members (one page), their appointments, a log day.
    assert report == Counter({"GetItem": 1, "Query": 2, "BatchGetItem": 1})
    assert "Scan" not in within + without + report
    print(f"\nDynamoDB calls per send: without {dict(without)}, with {dict(within)}")
    print(f"DynamoDB calls per report (1 member, 1 day): {dict(report)}")


# -- the stop -------------------------------------------------------------------------------------


def test_stop_with_a_winner_makes_it_the_template_and_the_next_confirmation_uses_it(
    store: DynamoAppointmentStore,
    outbound: Any,
    twilio: Client,
    runtime: Runtime,
    clock: FixedClock,
) -> None:
    call("PUT", "/v1/experiments/wording", DEFINITION)
    clock.advance(days=1)

    status, body = call("POST", "/v1/experiments/wording/stop", {"winner": "cost"})

    assert status == 200
    assert body["status"] == "stopped"
    assert body["winner"] == "cost"
    assert body["stopped_by"] == "manager-ines"
    settings = invoke(STAFF, staff_event("GET", "/v1/settings", role="manager"))
    assert settings["headers"]["ETag"] == '"1"'
    assert response_json(settings)["templates"]["en"]["confirmation"] == COST
    day = clock.now().date().isoformat()
    [entry] = [
        e
        for e in runtime.activity_log().day("clinic-1", day)
        if e.event is ActivityEvent.SETTINGS_CHANGED
    ]
    assert entry.settings_version == 1
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    assert tenant.experiments == {}

    book(7)
    invoke(SENDER, sqs_event(outbound()))
    [text] = [m.body or "" for m in twilio.messages.list(to=phone(7))]
    assert "missed visit" in text
    assert message(store, "appt-7", "confirmation").variant is None


def test_a_stop_retried_twice_answers_the_same_and_another_body_is_409(
    store: DynamoAppointmentStore, clock: FixedClock, table: Any
) -> None:
    call("PUT", "/v1/experiments/wording", DEFINITION)
    first = call("POST", "/v1/experiments/wording/stop", {"winner": "plain"})
    after = table()
    clock.advance(minutes=3)

    again = [call("POST", "/v1/experiments/wording/stop", {"winner": "plain"}) for _ in range(2)]
    other = call("POST", "/v1/experiments/wording/stop", {"winner": None})

    assert first[0] == 200
    assert again == [first, first]
    assert other[0] == 409
    assert other[1]["error"]["code"] == "conflict"
    assert table() == after


def test_an_unknown_winner_is_422_and_the_experiment_runs_on(
    store: DynamoAppointmentStore, table: Any
) -> None:
    call("PUT", "/v1/experiments/wording", DEFINITION)
    before = table()

    status, body = call("POST", "/v1/experiments/wording/stop", {"winner": "bold"})

    assert status == 422
    assert body["error"]["details"][0]["field"] == "winner"
    assert table() == before


# -- any PUT body ---------------------------------------------------------------------------------

NAME = st.one_of(st.from_regex(r"[a-z0-9][a-z0-9-]{0,19}", fullmatch=True), st.text(max_size=25))
TEMPLATE = st.one_of(
    st.sampled_from([PLAIN, COST, "{business}: {when}", "{business}: {nope}", "", "C"]),
    st.text(max_size=700),
)
VALID_VARIANTS = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.from_regex(r"[a-z0-9][a-z0-9-]{0,19}", fullmatch=True),
            "template": st.sampled_from([PLAIN, COST]),
        }
    ),
    min_size=2,
    max_size=4,
    unique_by=lambda v: str(v["name"]),
)
BODY = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["confirmation", "reminder", "moved"]),
            "locale": st.sampled_from(["en", "fr", "es"]),
            "variants": VALID_VARIANTS,
        },
        optional={"description": st.text(max_size=210)},
    ),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["confirmation", "reminder", "moved", "offer", "x"]),
            "locale": st.sampled_from(["en", "fr", "es", "de"]),
            "variants": st.lists(
                st.fixed_dictionaries({"name": NAME, "template": TEMPLATE}), max_size=5
            ),
        },
        optional={"description": st.text(max_size=210)},
    ),
    st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=5), max_size=3),
    st.lists(st.integers(), max_size=2),
)


EXAMPLES = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODY)
def test_any_put_body_is_created_or_refused_cleanly_and_a_refusal_writes_nothing(
    store: DynamoAppointmentStore, table: Any, body: Any
) -> None:
    experiment_id = f"prop-{next(EXAMPLES)}"
    before = table()

    status, answer = call("PUT", f"/v1/experiments/{experiment_id}", body)

    assert status in {201, 422}, answer
    event(f"answered {status}")
    if status == 201:
        assert answer["experiment_id"] == experiment_id
        assert [v["name"] for v in answer["variants"]] == [v["name"] for v in body["variants"]]
        # Leave the kind and locale free for the next example.
        stopped = call("POST", f"/v1/experiments/{experiment_id}/stop", {"winner": None})
        assert stopped[0] == 200
        return
    assert set(answer["error"]) >= {"code", "message"}
    assert table() == before


def test_a_tenant_written_before_experiments_existed_can_start_one(
    store: DynamoAppointmentStore, runtime: Runtime
) -> None:
    boto3.client("dynamodb").update_item(
        TableName=runtime.settings.table_name,
        Key={"pk": {"S": "T#clinic-1"}, "sk": {"S": "TENANT"}},
        UpdateExpression="REMOVE experiments",
    )

    status, _ = call("PUT", "/v1/experiments/wording", DEFINITION)

    assert status == 201
    tenant = store.get_tenant("clinic-1")
    assert tenant is not None
    assert list(tenant.experiments) == ["confirmation/en"]
