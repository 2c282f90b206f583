"""The webhook endpoint routes through the staff API's handler, on moto (DynamoDB, KMS,
SQS from template.yaml): the secret shown once and sealed, the idempotent upsert, the
URL rules with a resolver that gives addresses without DNS, the per-tenant limit, tenant
isolation, the delivery log newest first and paginated, and retry by hand."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.template import LocalStack, load_template
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.webhooks import DynamoDeliveryLog
from rendezvous.domain.activity import ActivityEntry, ActivityEvent
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.events import EventType, WebhookEvent
from rendezvous.domain.webhooks import MAX_ENDPOINTS_PER_TENANT, Delivery, DeliveryAttempt
from rendezvous.runtime import Runtime
from tests.support.aws import make_runtime
from tests.support.events import invoke, response_json, staff_event

STAFF = "StaffApiFunction"
HOOK = {
    "url": "https://hooks.booking.example.com/rendezvous",
    "events": ["appointment.confirmed", "appointment.cancelled"],
    "description": "Front desk scheduler",
}


class StaticResolver:
    """Names to addresses, as DNS would answer: a name it does not know does not resolve."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    def addresses(self, host: str) -> list[str]:
        return self.table.get(host, [])


@pytest.fixture
def resolver(runtime: Runtime, store: DynamoAppointmentStore) -> StaticResolver:
    found = StaticResolver(
        {
            "hooks.booking.example.com": ["93.184.215.14"],
            "other.booking.example.com": ["93.184.215.15"],
            "internal.booking.example.com": ["10.20.30.40"],
        }
    )
    runtime.override(host_resolver=found)
    return found


def call(
    method: str,
    path: str,
    body: Any = None,
    *,
    tenant: str = "clinic-1",
    manager: str = "ines@harbor.example",
    role: str = "manager",
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    event = staff_event(method, path, body, tenant=tenant, staff=manager, role=role, query=query)
    response = invoke(STAFF, event)
    return response["statusCode"], response_json(response)


def audit(runtime: Runtime, clock: FixedClock, tenant: str = "clinic-1") -> list[ActivityEntry]:
    log = runtime.activity_log()
    return [
        e
        for e in log.day(tenant, clock.now().date().isoformat())
        if e.event.value.startswith("webhook_")
    ]


def raw_endpoint(runtime: Runtime, tenant: str, endpoint_id: str) -> dict[str, Any]:
    got = boto3.client("dynamodb").get_item(
        TableName=runtime.settings.table_name,
        Key={"pk": {"S": f"T#{tenant}#WH"}, "sk": {"S": f"EP#{endpoint_id}"}},
    )
    return dict(got.get("Item", {}))


def table_text(runtime: Runtime) -> str:
    items = boto3.client("dynamodb").scan(TableName=runtime.settings.table_name)["Items"]
    return json.dumps(items)


# ---- register, change, read, delete ---------------------------------------------------------


def test_a_new_endpoint_is_201_with_its_secret_shown_once_and_audited(
    resolver: StaticResolver, runtime: Runtime, clock: FixedClock
) -> None:
    status, body = call("PUT", "/v1/webhooks/front-desk", HOOK)

    assert status == 201
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert body["url"] == HOOK["url"]
    assert body["events"] == HOOK["events"]
    assert body["description"] == HOOK["description"]
    assert body["endpoint_id"] == "front-desk"
    # Read back, alone or listed, it never shows the secret again.
    _, one = call("GET", "/v1/webhooks/front-desk")
    _, listed = call("GET", "/v1/webhooks")
    assert "secret" not in one
    assert [e["endpoint_id"] for e in listed["endpoints"]] == ["front-desk"]
    assert "secret" not in json.dumps(listed)
    [entry] = audit(runtime, clock)
    assert entry.event is ActivityEvent.WEBHOOK_CREATED
    assert (entry.actor, entry.endpoint_id, entry.at) == (
        "ines@harbor.example",
        "front-desk",
        clock.now(),
    )
    assert {name: c.after for name, c in (entry.changes or {}).items()} == HOOK


def test_the_stored_secret_is_sealed_by_kms_for_its_own_tenant_and_endpoint_only(
    resolver: StaticResolver, runtime: Runtime, stack: LocalStack
) -> None:
    _, body = call("PUT", "/v1/webhooks/front-desk", HOOK)
    secret = body["secret"]

    sealed = raw_endpoint(runtime, "clinic-1", "front-desk")["sealed_secret"]["S"]

    assert secret not in table_text(runtime)
    assert secret.removeprefix("whsec_") not in table_text(runtime)
    kms = boto3.client("kms")
    key_id = stack.resolver.ref("WebhookSecretsKey")
    blob = base64.b64decode(sealed)
    opened = kms.decrypt(
        CiphertextBlob=blob,
        KeyId=key_id,
        EncryptionContext={"tenant_id": "clinic-1", "endpoint_id": "front-desk"},
    )["Plaintext"]
    assert opened.decode() == secret
    assert (
        runtime.secret_sealer().open(sealed, {"tenant_id": "clinic-1", "endpoint_id": "front-desk"})
        == secret
    )
    with pytest.raises(ClientError) as refused:
        kms.decrypt(
            CiphertextBlob=blob,
            KeyId=key_id,
            EncryptionContext={"tenant_id": "salon-1", "endpoint_id": "front-desk"},
        )
    assert refused.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_the_same_put_again_is_200_changes_nothing_and_logs_nothing(
    resolver: StaticResolver, runtime: Runtime, clock: FixedClock
) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)
    before = raw_endpoint(runtime, "clinic-1", "front-desk")
    clock.advance(minutes=5)

    status, body = call("PUT", "/v1/webhooks/front-desk", HOOK)

    assert status == 200
    assert "secret" not in body
    assert raw_endpoint(runtime, "clinic-1", "front-desk") == before
    assert [e.event for e in audit(runtime, clock)] == [ActivityEvent.WEBHOOK_CREATED]


def test_an_update_changes_what_it_names_keeps_the_secret_and_is_audited(
    resolver: StaticResolver, runtime: Runtime, clock: FixedClock
) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)
    sealed = raw_endpoint(runtime, "clinic-1", "front-desk")["sealed_secret"]
    clock.advance(minutes=5)
    changed = {**HOOK, "url": "https://other.booking.example.com/in", "events": ["message.failed"]}

    status, body = call("PUT", "/v1/webhooks/front-desk", changed, manager="joe@harbor.example")

    assert status == 200
    assert "secret" not in body
    assert (body["url"], body["events"]) == (changed["url"], ["message.failed"])
    assert body["updated_at"] != body["created_at"]
    assert raw_endpoint(runtime, "clinic-1", "front-desk")["sealed_secret"] == sealed
    last = audit(runtime, clock)[-1]
    assert (last.event, last.actor) == (ActivityEvent.WEBHOOK_CHANGED, "joe@harbor.example")
    assert {n: (c.before, c.after) for n, c in (last.changes or {}).items()} == {
        "url": (HOOK["url"], changed["url"]),
        "events": (HOOK["events"], ["message.failed"]),
    }


def test_delete_is_204_then_404_and_is_audited(
    resolver: StaticResolver, runtime: Runtime, clock: FixedClock
) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)
    clock.advance(minutes=1)

    first, _ = call("DELETE", "/v1/webhooks/front-desk")
    again, body = call("DELETE", "/v1/webhooks/front-desk")
    read, _ = call("GET", "/v1/webhooks/front-desk")

    assert (first, again, read) == (204, 404, 404)
    assert body["error"]["code"] == "not_found"
    assert call("GET", "/v1/webhooks")[1] == {"endpoints": []}
    assert [e.event for e in audit(runtime, clock)] == [
        ActivityEvent.WEBHOOK_CREATED,
        ActivityEvent.WEBHOOK_DELETED,
    ]


def test_a_tenant_has_at_most_ten_endpoints_and_a_delete_makes_room(
    resolver: StaticResolver, runtime: Runtime, clock: FixedClock
) -> None:
    for n in range(MAX_ENDPOINTS_PER_TENANT):
        assert call("PUT", f"/v1/webhooks/hook-{n}", HOOK)[0] == 201

    refused, body = call("PUT", "/v1/webhooks/one-too-many", HOOK)
    updated, _ = call("PUT", "/v1/webhooks/hook-3", {**HOOK, "description": "still fine"})
    call("DELETE", "/v1/webhooks/hook-0")
    made, _ = call("PUT", "/v1/webhooks/one-too-many", HOOK)

    assert (refused, updated, made) == (409, 200, 201)
    assert body["error"]["code"] == "endpoint_limit_reached"
    assert "at most 10" in body["error"]["message"]
    # The refused one wrote nothing: neither the endpoint nor an audit entry.
    created = [
        e.endpoint_id for e in audit(runtime, clock) if e.event is ActivityEvent.WEBHOOK_CREATED
    ]
    assert created.count("one-too-many") == 1
    # The other tenant's limit is its own.
    assert call("PUT", "/v1/webhooks/hook-0", HOOK, tenant="salon-1")[0] == 201


# ---- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({**HOOK, "url": "http://hooks.booking.example.com/in"}, "url", "https://"),
        ({**HOOK, "url": "https://u:p@hooks.booking.example.com/"}, "url", "credentials"),
        ({**HOOK, "url": "https://internal.booking.example.com/"}, "url", "10.20.30.40"),
        ({**HOOK, "url": "https://nowhere.booking.example.com/"}, "url", "does not resolve"),
        ({**HOOK, "url": "https://169.254.169.254/latest"}, "url", "metadata"),
        ({**HOOK, "url": "https://[::ffff:127.0.0.1]/"}, "url", "loopback"),
        ({**HOOK, "url": "https://2130706433/"}, "url", "four decimal numbers"),
        ({**HOOK, "url": "http://127.0.0.1:4010/hook"}, "url", "https://"),
        ({**HOOK, "events": ["appointment.exploded"]}, "events.0", ""),
        ({**HOOK, "events": []}, "events", ""),
        ({**HOOK, "description": "x" * 201}, "description", ""),
        ({"events": HOOK["events"]}, "url", ""),
        ({**HOOK, "secret": "whsec_mine"}, "secret", ""),
    ],
)
def test_an_invalid_endpoint_is_422_naming_the_field_and_writes_nothing(
    resolver: StaticResolver,
    runtime: Runtime,
    clock: FixedClock,
    body: dict[str, Any],
    field: str,
    says: str,
) -> None:
    status, answer = call("PUT", "/v1/webhooks/front-desk", body)

    assert status == 422
    assert answer["error"]["code"] == "validation_failed"
    [detail] = [d for d in answer["error"]["details"] if d["field"] == field]
    assert says in detail["problem"]
    assert raw_endpoint(runtime, "clinic-1", "front-desk") == {}
    assert audit(runtime, clock) == []


def test_the_local_stack_setting_accepts_http_to_127_0_0_1(
    stack: LocalStack, clock: FixedClock, store: DynamoAppointmentStore
) -> None:
    make_runtime(stack, clock, webhook_allow_loopback=True).override(
        host_resolver=StaticResolver({})
    )

    status, body = call("PUT", "/v1/webhooks/sandbox", {**HOOK, "url": "http://127.0.0.1:4010/in"})

    assert status == 201
    assert body["url"] == "http://127.0.0.1:4010/in"


@pytest.mark.parametrize("role", ["staff", "booking"])
def test_only_managers_reach_the_routes(
    resolver: StaticResolver, runtime: Runtime, role: str
) -> None:
    status, body = call("PUT", "/v1/webhooks/front-desk", HOOK, role=role)

    assert status == 403
    assert body["error"]["code"] == "forbidden"
    assert raw_endpoint(runtime, "clinic-1", "front-desk") == {}


# ---- tenant isolation ----------------------------------------------------------------------


def test_another_tenants_endpoint_is_404_on_every_route(
    resolver: StaticResolver, runtime: Runtime
) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)
    log = runtime.delivery_log()
    log.begin(delivery("clinic-1", "front-desk", "dlv_a", at(0), state="failed"))

    def as_salon(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return call(method, path, body, tenant="salon-1", manager="amelie@salon.example")

    answers = [
        as_salon("GET", "/v1/webhooks/front-desk"),
        as_salon("DELETE", "/v1/webhooks/front-desk"),
        as_salon("GET", "/v1/webhooks/front-desk/deliveries"),
        as_salon("POST", "/v1/webhooks/front-desk/deliveries/dlv_a/retry"),
    ]

    assert [status for status, _ in answers] == [404, 404, 404, 404]
    assert as_salon("GET", "/v1/webhooks")[1] == {"endpoints": []}
    assert call("GET", "/v1/webhooks/front-desk")[0] == 200
    assert received(runtime) == []
    # The same id in the other tenant is that tenant's own endpoint.
    made, _ = as_salon("PUT", "/v1/webhooks/front-desk", HOOK)
    assert made == 201
    assert raw_endpoint(runtime, "clinic-1", "front-desk")["version"] == {"N": "1"}


# ---- deliveries ------------------------------------------------------------------------------


def at(minutes: int) -> datetime:
    return datetime(2030, 1, 10, 17, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def delivery(
    tenant: str,
    endpoint_id: str,
    delivery_id: str,
    occurred_at: datetime,
    *,
    state: str = "pending",
    next_attempt_at: datetime | None = None,
) -> Delivery:
    return Delivery(
        tenant_id=tenant,
        endpoint_id=endpoint_id,
        delivery_id=delivery_id,
        event=WebhookEvent(
            event_id=f"evt_{delivery_id}",
            tenant_id=tenant,
            type=EventType.APPOINTMENT_CONFIRMED,
            occurred_at=occurred_at,
            data={"appointment_id": "a-1", "note": None},
            appointment_id="a-1",
        ),
        state=state,  # type: ignore[arg-type]
        attempts=(),
        next_attempt_at=next_attempt_at,
    )


def attempt(number: int, when: datetime, status: int | None = 500) -> DeliveryAttempt:
    return DeliveryAttempt(
        number=number,
        at=when,
        status_code=status,
        duration_ms=120,
        error=None if status else "timed out after 10 s",
        response_excerpt="upstream down" if status else "",
    )


def test_deliveries_are_listed_newest_event_first_with_their_attempts_and_paginated(
    resolver: StaticResolver, runtime: Runtime
) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)
    call("PUT", "/v1/webhooks/other", HOOK)
    log = runtime.delivery_log()
    # Ids that sort against time: the order must come from the event's time.
    for n, delivery_id in enumerate(["dlv_z", "dlv_m", "dlv_a"]):
        log.begin(delivery("clinic-1", "front-desk", delivery_id, at(n)))
    log.begin(delivery("clinic-1", "other", "dlv_other", at(9)))
    first = log.get("clinic-1", "front-desk", "dlv_z")
    assert first is not None
    log.record_attempt(
        Delivery(**{**first.__dict__, "attempts": (attempt(1, at(1)),), "next_attempt_at": at(2)}),
        attempt(1, at(1)),
    )

    status, page = call("GET", "/v1/webhooks/front-desk/deliveries", query={"limit": "2"})
    _, rest = call(
        "GET",
        "/v1/webhooks/front-desk/deliveries",
        query={"limit": "2", "cursor": page["next_cursor"]},
    )

    assert status == 200
    assert [d["delivery_id"] for d in page["deliveries"]] == ["dlv_a", "dlv_m"]
    assert [d["delivery_id"] for d in rest["deliveries"]] == ["dlv_z"]
    assert "next_cursor" not in rest
    oldest = rest["deliveries"][0]
    assert oldest["event_id"] == "evt_dlv_z"
    assert oldest["type"] == "appointment.confirmed"
    assert oldest["data"] == {"appointment_id": "a-1", "note": None}
    assert oldest["state"] == "pending"
    [tried] = oldest["attempts"]
    assert (tried["number"], tried["status_code"], tried["duration_ms"]) == (1, 500, 120)
    assert tried["response_excerpt"] == "upstream down"


def test_a_cursor_of_another_listing_is_400(resolver: StaticResolver, runtime: Runtime) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)
    call("PUT", "/v1/webhooks/other", HOOK)
    log = runtime.delivery_log()
    for n in range(2):
        log.begin(delivery("clinic-1", "other", f"dlv_{n}", at(n)))
    _, page = call("GET", "/v1/webhooks/other/deliveries", query={"limit": "1"})

    status, body = call(
        "GET", "/v1/webhooks/front-desk/deliveries", query={"cursor": page["next_cursor"]}
    )
    garbage, _ = call("GET", "/v1/webhooks/front-desk/deliveries", query={"cursor": "bm9wZQ"})

    assert (status, garbage) == (400, 400)
    assert body["error"]["code"] == "invalid_request"


def test_begin_is_idempotent_and_an_attempt_is_logged_once(runtime: Runtime) -> None:
    log = runtime.delivery_log()
    assert isinstance(log, DynamoDeliveryLog)
    pending = delivery("clinic-1", "front-desk", "dlv_a", at(0), next_attempt_at=at(0))

    assert log.begin(pending) is True
    assert log.begin(pending) is False
    failed = Delivery(
        **{
            **pending.__dict__,
            "state": "failed",
            "attempts": (attempt(1, at(1)),),
            "next_attempt_at": None,
        }
    )
    stored = log.record_attempt(failed, attempt(1, at(1)))
    with pytest.raises(ConcurrentModification):
        log.record_attempt(failed, attempt(1, at(1)))

    assert stored.state == "failed"
    assert stored.next_attempt_at is None
    assert [a.number for a in stored.attempts] == [1]
    again = log.get("clinic-1", "front-desk", "dlv_a")
    assert again == stored


def received(runtime: Runtime) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    got = sqs.receive_message(
        QueueUrl=runtime.settings.webhook_deliveries_queue_url, MaxNumberOfMessages=10
    )
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


@pytest.mark.parametrize("state", ["failed", "delivered"])
def test_retry_puts_a_settled_delivery_on_the_deliveries_queue_once(
    resolver: StaticResolver, runtime: Runtime, clock: FixedClock, state: str
) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)
    runtime.delivery_log().begin(delivery("clinic-1", "front-desk", "dlv_a", at(0), state=state))

    status, body = call("POST", "/v1/webhooks/front-desk/deliveries/dlv_a/retry")
    twice, refusal = call("POST", "/v1/webhooks/front-desk/deliveries/dlv_a/retry")

    assert (status, twice) == (202, 409)
    assert body["delivery_id"] == "dlv_a"
    assert body["state"] == "pending"
    assert datetime.fromisoformat(body["next_attempt_at"]) == clock.now()
    assert refusal["error"]["code"] == "delivery_pending"
    assert received(runtime) == [
        {"tenant_id": "clinic-1", "endpoint_id": "front-desk", "delivery_id": "dlv_a"}
    ]
    [retried] = [e for e in audit(runtime, clock) if e.event is ActivityEvent.WEBHOOK_RETRIED]
    assert (retried.actor, retried.endpoint_id, retried.delivery_id) == (
        "ines@harbor.example",
        "front-desk",
        "dlv_a",
    )


def test_a_pending_delivery_is_retried_by_hand_only_once_its_attempt_is_long_overdue(
    resolver: StaticResolver, runtime: Runtime, clock: FixedClock
) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)
    log = runtime.delivery_log()
    log.begin(delivery("clinic-1", "front-desk", "dlv_a", at(0), next_attempt_at=clock.now()))

    running, _ = call("POST", "/v1/webhooks/front-desk/deliveries/dlv_a/retry")
    clock.advance(minutes=16)
    lost, _ = call("POST", "/v1/webhooks/front-desk/deliveries/dlv_a/retry")

    assert (running, lost) == (409, 202)
    assert len(received(runtime)) == 1


def test_retrying_an_unknown_delivery_is_404_and_sends_nothing(
    resolver: StaticResolver, runtime: Runtime, clock: FixedClock
) -> None:
    call("PUT", "/v1/webhooks/front-desk", HOOK)

    status, body = call("POST", "/v1/webhooks/front-desk/deliveries/dlv_nope/retry")

    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert received(runtime) == []
    assert [e.event for e in audit(runtime, clock)] == [ActivityEvent.WEBHOOK_CREATED]


# ---- the template's key and queue ------------------------------------------------------------


def test_the_staff_api_may_seal_secrets_and_never_open_them() -> None:
    resources = load_template()["Resources"]
    policies = resources["StaffApiFunction"]["Properties"]["Policies"]
    key = resources["WebhookSecretsKey"]["Properties"]
    denies = [s for s in key["KeyPolicy"]["Statement"] if s["Effect"] == "Deny"]

    assert "kms:Encrypt" in json.dumps(policies)
    assert "Decrypt" not in json.dumps(policies)
    assert key["EnableKeyRotation"] is True
    # Encrypt and Decrypt without the tenant, or without an owner (an endpoint, or a Cal.com
    # integration: the same key seals its secret), in the context are refused. Keys under
    # one "Null" are ANDed: the owner deny applies only when both are missing.
    assert sorted(sorted(s["Condition"]["Null"].items()) for s in denies) == [
        [
            ("kms:EncryptionContext:endpoint_id", "true"),
            ("kms:EncryptionContext:integration_id", "true"),
        ],
        [("kms:EncryptionContext:tenant_id", "true")],
    ]
    assert all(sorted(s["Action"]) == ["kms:Decrypt", "kms:Encrypt"] for s in denies)


def test_retries_by_hand_go_to_a_queue_with_a_dead_letter_queue_the_staff_api_may_send_to() -> None:
    resources = load_template()["Resources"]
    staff = resources["StaffApiFunction"]["Properties"]
    queue = resources["WebhookDeliveriesQueue"]["Properties"]

    assert staff["Environment"]["Variables"]["WEBHOOK_DELIVERIES_QUEUE_URL"] == {
        "Ref": "WebhookDeliveriesQueue"
    }
    assert {
        "SQSSendMessagePolicy": {
            "QueueName": {"Fn::GetAtt": ["WebhookDeliveriesQueue", "QueueName"]}
        }
    } in staff["Policies"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WebhookDeliveriesDeadLetterQueue", "Arn"]
    }


def test_an_attempt_is_claimed_once_until_its_lease_ends_and_only_while_it_is_due(
    runtime: Runtime,
) -> None:
    log = runtime.delivery_log()
    pending = delivery("clinic-1", "front-desk", "dlv_a", at(0), next_attempt_at=at(0))
    log.begin(pending)

    first = log.claim_attempt(pending, 1, at(0), at(1))
    while_held = log.claim_attempt(pending, 1, at(0), at(1))
    after_lease = log.claim_attempt(pending, 1, at(2), at(3))
    log.record_attempt(
        Delivery(**{**pending.__dict__, "attempts": (attempt(1, at(2)),)}), attempt(1, at(2))
    )
    logged_already = log.claim_attempt(pending, 1, at(9), at(10))
    next_one = log.claim_attempt(pending, 2, at(2), at(3))

    assert (first, while_held, after_lease) == (True, False, True)
    assert (logged_already, next_one) == (False, True)
