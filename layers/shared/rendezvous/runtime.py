"""Wires the domain to its adapters for a Lambda: built once per container, on first use.

Tests and the local stack replace pieces with `override`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from rendezvous.domain.clock import Clock, SystemClock
from rendezvous.settings import Settings, get_settings


def prepare_snapshot() -> None:
    """Under Lambda SnapStart, the init phase runs once per published version and every
    start restores its snapshot. What init leaves behind must be safe to share:

    - boto3 is imported here, so restored starts skip it; its clients stay lazy, made after
      restore with that environment's own credentials and connections.
    - every restored environment resumes with the same `random` state, so the jitter of
      Twilio and botocore retries would move in step across them: reseeded from
      os.urandom after each restore, by Lambda's runtime hook (snapshot_restore_py ships
      with the managed Python runtime, 3.12 and later).
    """
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "snap-start":
        return
    import random

    import boto3  # noqa: F401
    from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]

    register_after_restore(random.seed)


prepare_snapshot()


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    _cache: dict[str, Any] = field(default_factory=dict)

    def _once(self, name: str, build: Any) -> Any:
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    def store(self) -> Any:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb_store import DynamoAppointmentStore

        return self._once(
            "store", lambda: DynamoAppointmentStore(client("dynamodb"), self.settings.table_name)
        )

    def queue_store(self) -> Any:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb_queue import DynamoQueueStore

        return self._once(
            "queue_store", lambda: DynamoQueueStore(client("dynamodb"), self.settings.table_name)
        )

    def activity_log(self) -> Any:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb_store import DynamoActivityLog

        return self._once(
            "activity_log", lambda: DynamoActivityLog(client("dynamodb"), self.settings.table_name)
        )

    def oversight_store(self) -> Any:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.dynamodb_store import DynamoOversight

        return self._once(
            "oversight_store", lambda: DynamoOversight(client("dynamodb"), self.settings.table_name)
        )

    def idempotency_store(self) -> Any:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        from rendezvous.adapters.aws import client

        return self._once(
            "idempotency_store",
            lambda: DynamoDBPersistenceLayer(
                table_name=self.settings.idempotency_table, boto3_client=client("dynamodb")
            ),
        )

    def scheduler(self) -> Any:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.scheduler import EventBridgeReminderScheduler

        s = self.settings
        return self._once(
            "scheduler",
            lambda: EventBridgeReminderScheduler(
                client("scheduler"),
                group=s.schedule_group,
                target_arn=s.schedule_target_arn,
                role_arn=s.scheduler_role_arn,
                dead_letter_arn=s.scheduler_dlq_arn,
            ),
        )

    def queue(self) -> Any:
        from rendezvous.adapters.aws import client
        from rendezvous.adapters.sqs_queue import SqsOutboundQueue

        return self._once(
            "queue", lambda: SqsOutboundQueue(client("sqs"), self.settings.outbound_queue_url)
        )

    def public_base_url(self) -> str:
        from rendezvous.adapters.aws import parameter

        if "public_base_url" in self._cache:
            return str(self._cache["public_base_url"])
        return parameter(self.settings.public_base_url_param).rstrip("/")

    def twilio_auth_token(self) -> str:
        from rendezvous.adapters.aws import secure_parameter

        return secure_parameter(self.settings.twilio_auth_token_param)

    def gateway(self) -> Any:
        from rendezvous.adapters.twilio_gateway import TwilioSmsGateway

        return self._once(
            "gateway",
            lambda: TwilioSmsGateway(
                account_sid=self.settings.twilio_account_sid,
                auth_token_provider=self.twilio_auth_token,
                status_callback_url=f"{self.public_base_url()}/twilio/status",
                api_base_url=self.settings.twilio_api_base_url,
            ),
        )

    def override(self, **parts: Any) -> None:
        """Swap in a clock or a prepared adapter (tests, the local stack)."""
        if "clock" in parts:
            self.clock = parts.pop("clock")
        self._cache.update(parts)


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(settings=get_settings())
    return _runtime


def reset_runtime(runtime: Runtime | None = None) -> None:
    global _runtime
    _runtime = runtime
