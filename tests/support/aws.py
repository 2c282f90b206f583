"""moto, set up from template.yaml, for integration tests and benchmarks."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
from typing import Any

import boto3
import requests
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from infra.local.moto_patches import dynamodb as dynamodb_patch
from infra.template import LocalStack, provision, resources_of
from rendezvous.adapters import aws as aws_clients
from rendezvous.adapters.dynamodb.queue import DynamoConversationQueue
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import OpeningHours, QuietHours, Tenant
from rendezvous.domain.ports import TenantStore
from rendezvous.runtime import Runtime, reset_runtime
from rendezvous.settings import Settings

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-not-a-secret"
# The discard port: status callbacks the sandbox sends here are refused at once.
PUBLIC_BASE_URL = "http://127.0.0.1:9"
FUNCTIONS = (
    "AppointmentsFunction",
    "MessageSenderFunction",
    "TwilioStatusFunction",
    "TwilioInboundFunction",
    "StaffApiFunction",
    "QueueWatcherFunction",
    "ConsoleFunction",
    "WebhookDelivererFunction",
    "IntegrationsFunction",
    "VacancyFillerFunction",
)


def template_parameters(public_base_url: str = PUBLIC_BASE_URL) -> dict[str, str]:
    return {
        "TwilioAccountSid": ACCOUNT_SID,
        "TwilioAuthTokenParameterName": "/rendezvous/twilio/auth-token",
        "PublicBaseUrl": public_base_url,
        "LogRetentionDays": "30",
        "AlarmEmail": "",
        "EnableTracing": "false",
    }


def settings_for(stack: LocalStack, **overrides: Any) -> Settings:
    """The union of every function's environment, as the template declares it."""
    env: dict[str, str] = {}
    for function in FUNCTIONS:
        env.update(stack.function_environment(function))
    fields = {name: env.get(name.upper()) for name in Settings.model_fields}
    values = {k: v for k, v in fields.items() if v}
    values.update(overrides)
    return Settings.model_validate(values)


@contextmanager
def moto_stack(public_base_url: str = PUBLIC_BASE_URL) -> Iterator[LocalStack]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    # AWS refuses a second purge of a queue within 60 s; `empty_stack` purges between tests.
    os.environ["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"
    # The table has a stream now: moto's own TransactWriteItems deep-copies the table, stream
    # and all, on every transaction, and a module's tests grew pytest past 12 GB. The local
    # stack runs with the journaling patch; so do the tests.
    original = DynamoDBBackend.transact_write_items
    dynamodb_patch.apply()
    with mock_aws():
        aws_clients.client.cache_clear()
        try:
            yield provision(
                boto3,
                parameters=template_parameters(public_base_url),
                twilio_auth_token=AUTH_TOKEN,
            )
        finally:
            aws_clients.client.cache_clear()
            reset_runtime()
            DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


# DynamoDB applies each write, conditional or in a transaction, to an item as one isolated
# step; moto's server runs requests on threads and checks a condition, then writes, with
# nothing between two requests. Held around every write, this lock gives moto DynamoDB's
# isolation, so a test of concurrent writers tests the code, not moto's thread switches.
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def _isolated(write: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return write(*args, **kwargs)

    return locked


@contextmanager
def moto_server_stack(
    public_base_url: str = PUBLIC_BASE_URL,
) -> Iterator[tuple[LocalStack, str]]:
    """The template in moto's server on 127.0.0.1 (real HTTP, a thread per request), every
    boto3 client of this process pointed at it; the stack and the server's URL."""
    from moto.server import ThreadedMotoServer

    from infra.local.moto_patches import server as server_patch

    originals = {name: getattr(DynamoDBBackend, name) for name in _WRITES}
    dynamodb_patch.apply()
    server_patch.apply()
    # Re-entrant: a transaction's writes go through put_item and update_item themselves.
    lock = threading.RLock()
    for name in _WRITES:
        setattr(DynamoDBBackend, name, _isolated(getattr(DynamoDBBackend, name), lock))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # Backends are per process: start from none of what an earlier mock_aws left behind.
    requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    environment = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        # Nothing from ~/.aws may point this process at a real account.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    saved = {name: os.environ.get(name) for name in (*environment, "AWS_PROFILE")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(environment)
    aws_clients.client.cache_clear()
    try:
        yield (
            provision(
                boto3, parameters=template_parameters(public_base_url), twilio_auth_token=AUTH_TOKEN
            ),
            url,
        )
    finally:
        aws_clients.client.cache_clear()
        reset_runtime()
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for name, write in originals.items():
            setattr(DynamoDBBackend, name, write)


def empty_stack(stack: LocalStack) -> None:
    """Delete every item, message and schedule the template's resources hold, keeping the
    resources: tests share one provisioned stack and each starts from an empty one."""
    ddb = aws_clients.client("dynamodb")
    for logical, resource in resources_of(stack.template, "AWS::DynamoDB::Table").items():
        table = stack.resolver.ref(logical)
        keys = [k["AttributeName"] for k in resource["Properties"]["KeySchema"]]
        names = {f"#k{i}": key for i, key in enumerate(keys)}
        for page in ddb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression=", ".join(names), ExpressionAttributeNames=names
        ):
            items = page["Items"]
            for start in range(0, len(items), 25):
                ddb.batch_write_item(
                    RequestItems={
                        table: [
                            {"DeleteRequest": {"Key": item}} for item in items[start : start + 25]
                        ]
                    }
                )
    sqs = aws_clients.client("sqs")
    for url in stack.queue_urls.values():
        sqs.purge_queue(QueueUrl=url)
    scheduler = aws_clients.client("scheduler")
    for page in scheduler.get_paginator("list_schedules").paginate():
        for schedule in page["Schedules"]:
            scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])


def make_runtime(stack: LocalStack, clock: FixedClock, **overrides: Any) -> Runtime:
    runtime = Runtime(settings=settings_for(stack, **overrides), clock=clock)
    reset_runtime(runtime)
    return runtime


def dynamo_store(runtime: Runtime) -> DynamoAppointmentStore:
    """The runtime's store as its DynamoDB adapter, for tests that read the table's rows."""
    store = DynamoAppointmentStore(aws_clients.client("dynamodb"), runtime.settings.table_name)
    runtime.override(store=store)
    return store


def dynamo_queue(runtime: Runtime) -> DynamoConversationQueue:
    queue = DynamoConversationQueue(aws_clients.client("dynamodb"), runtime.settings.table_name)
    runtime.override(queue_store=queue)
    return queue


def clinic(**changes: Any) -> Tenant:
    base = Tenant(
        tenant_id="clinic-1",
        name="Harbor Clinic",
        phone_number="+14155550100",
        timezone="America/Los_Angeles",
        contact="+14155550100",
        quiet_hours=QuietHours(start=time(21, 0), end=time(8, 0)),
        opening_hours=OpeningHours(),
        reminder_offsets_minutes=(2880, 120),
        daily_cap=3,
    )
    return base.model_copy(update=changes)


def seed_tenant(store: TenantStore, tenant: Tenant) -> Tenant:
    store.put_tenant(tenant)
    return tenant


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
