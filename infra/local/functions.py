"""The template's functions, run in this process one invocation at a time.

Every function shares one interpreter here, and with it the shared layer's module-level
state (the Powertools logger and metrics, the runtime). One lock serialises invocations,
so each call sees that state as a Lambda container would: nobody else's request in it.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from infra.handlers import Handler, LambdaContext, load_handler
from infra.template import ACCOUNT_ID, REGION, LocalStack, resources_of

log = logging.getLogger("infra.local.functions")


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_uri: str
    handler: str
    memory_mb: int
    max_retries: int  # async invocations (EventBridge Scheduler): Lambda's retries
    dead_letter_arn: str | None  # async invocations that failed every attempt go here


def function_specs(stack: LocalStack) -> dict[str, FunctionSpec]:
    template = stack.template
    globals_fn = template.get("Globals", {}).get("Function", {})
    specs: dict[str, FunctionSpec] = {}
    for logical, res in resources_of(template, "AWS::Serverless::Function").items():
        props = res["Properties"]
        name = stack.function_names[logical]
        invoke_config = props.get("EventInvokeConfig") or {}
        dlq = props.get("DeadLetterQueue") or {}
        dead_letter = stack.resolver.resolve(dlq["TargetArn"]) if dlq.get("Type") == "SQS" else None
        specs[logical] = FunctionSpec(
            logical_id=logical,
            name=name,
            arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}",
            code_uri=props["CodeUri"],
            handler=props.get("Handler") or globals_fn["Handler"],
            memory_mb=int(props.get("MemorySize") or globals_fn.get("MemorySize") or 128),
            max_retries=int(invoke_config.get("MaximumRetryAttempts", 2)),
            dead_letter_arn=str(dead_letter) if dead_letter else None,
        )
    return specs


class Activity:
    """A counter bumped whenever something may have created work (a message sent, a
    schedule made): the local stack's pumps sleep on it instead of polling moto."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._changed:
            return self._generation

    def notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Until the counter moves past `seen` (True) or `timeout` seconds pass (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._generation != seen, timeout)


class FunctionInvoker:
    def __init__(self, stack: LocalStack) -> None:
        self.specs = function_specs(stack)
        self._by_name = {spec.name: spec.logical_id for spec in self.specs.values()}
        self._lock = threading.Lock()
        # Functions are what send messages and make schedules here, so every invocation
        # wakes the pumps.
        self.activity = Activity()

    def handler(self, logical_id: str) -> Handler:
        spec = self.specs[logical_id]
        return load_handler(spec.code_uri, spec.handler)

    def preload(self) -> dict[str, BaseException]:
        """Import every function now (a cold start each); what fails is reported, not fatal."""
        failures: dict[str, BaseException] = {}
        for logical in self.specs:
            try:
                self.handler(logical)
            except Exception as exc:
                failures[logical] = exc
        return failures

    def logical_for_arn(self, arn: str) -> str | None:
        """The function a Lambda ARN (optionally qualified) names, if it is one of ours."""
        parts = arn.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            return None
        return self._by_name.get(parts[6])

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Run the function's handler on `event`; its exception propagates."""
        spec = self.specs[logical_id]
        handler = self.handler(logical_id)
        context = LambdaContext(spec.name, spec.memory_mb)
        context.aws_request_id = str(uuid.uuid4())
        try:
            with self._lock:
                return handler(event, context)
        finally:
            self.activity.notify()
