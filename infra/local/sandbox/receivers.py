"""The sandbox's booking-system receivers: named webhook endpoints that verify Standard
Webhooks signatures with the secret they are given, keep what arrived, and answer as told
(fail the next N requests with a status, answer after a delay)."""

from __future__ import annotations

import random
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook

from .core import SandboxInputError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_ARRIVALS = 1000  # per receiver: the oldest go first (benchmarks post thousands)
MAX_DELAY_SECONDS = 60.0
_KEPT_HEADERS = (
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
    "user-agent",
)


@dataclass
class ReceiverConfig:
    secret: str | None = None
    fail_next: int = 0
    status: int = 500
    delay_seconds: float = 0.0
    # Besides `fail_next`: the share of the other requests answered with `status`, drawn
    # at random (a flaky endpoint, as the webhook benchmark runs it).
    fail_ratio: float = 0.0

    def to_json(self) -> dict[str, Any]:
        # The secret is write-only: the page and the API say only whether one is set.
        return {
            "has_secret": self.secret is not None,
            "fail_next": self.fail_next,
            "status": self.status,
            "delay_seconds": self.delay_seconds,
            "fail_ratio": self.fail_ratio,
        }


@dataclass(frozen=True)
class Answer:
    status: int
    delay_seconds: float
    arrival: dict[str, Any]


@dataclass
class Receiver:
    config: ReceiverConfig = field(default_factory=ReceiverConfig)
    arrivals: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_ARRIVALS))
    received: int = 0


def receiver_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise SandboxInputError("a receiver name is 1-64 letters, digits, '.', '_' or '-'")
    return name


def _config_from(payload: object, current: ReceiverConfig) -> ReceiverConfig:
    if not isinstance(payload, dict):
        raise SandboxInputError(
            'expected a JSON object {"secret", "fail_next", "status", "delay_seconds", '
            '"fail_ratio"}'
        )
    unknown = set(payload) - {"secret", "fail_next", "status", "delay_seconds", "fail_ratio"}
    if unknown:
        raise SandboxInputError(f"unknown field(s): {', '.join(sorted(unknown))}")
    config = ReceiverConfig(**current.__dict__)
    if "secret" in payload:
        secret = payload["secret"]
        if secret is not None:
            if not isinstance(secret, str):
                raise SandboxInputError("'secret' must be a whsec_ string or null")
            try:
                Webhook(secret)
            except Exception as exc:
                raise SandboxInputError("'secret' is not a Standard Webhooks secret") from exc
        config.secret = secret
    if "fail_next" in payload:
        value = payload["fail_next"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise SandboxInputError("'fail_next' must be an integer from 0 to 1000000")
        config.fail_next = value
    if "status" in payload:
        value = payload["status"]
        if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
            raise SandboxInputError("'status' must be an HTTP status code")
        config.status = value
    if "delay_seconds" in payload:
        value = payload["delay_seconds"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SandboxInputError("'delay_seconds' must be a number")
        if not 0 <= value <= MAX_DELAY_SECONDS:
            raise SandboxInputError(f"'delay_seconds' must be 0 to {MAX_DELAY_SECONDS:g}")
        config.delay_seconds = float(value)
    if "fail_ratio" in payload:
        value = payload["fail_ratio"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise SandboxInputError("'fail_ratio' must be a number from 0 to 1")
        config.fail_ratio = float(value)
    return config


class WebhookReceivers:
    def __init__(self, now: Callable[[], datetime], seed: int | None = None) -> None:
        self._now = now
        self._random = random.Random(seed)  # noqa: S311 (which requests fail, not a secret)
        self._lock = threading.Lock()
        self._receivers: dict[str, Receiver] = {}

    def configure(self, name: str, payload: object) -> dict[str, Any]:
        name = receiver_name(name)
        with self._lock:
            current = self._receivers.get(name)
            config = _config_from(payload, current.config if current else ReceiverConfig())
            self._receivers.setdefault(name, Receiver()).config = config
            return config.to_json()

    def receive(self, name: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Verify, record and decide the answer of one POST."""
        name = receiver_name(name)
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            receiver = self._receivers.setdefault(name, Receiver())
            config = receiver.config
            verified, problem = _verify(config.secret, body, lowered)
            if config.fail_next > 0:
                config.fail_next -= 1
                status = config.status
            elif config.fail_ratio and self._random.random() < config.fail_ratio:
                status = config.status
            else:
                status = 200
            receiver.received += 1
            text = body.decode("utf-8", errors="replace")
            arrival = {
                "receiver": name,
                "number": receiver.received,
                "received_at": self._now().isoformat(),
                "webhook_id": lowered.get("webhook-id"),
                "verified": verified,
                "problem": problem,
                "answered": status,
                "headers": {k: lowered[k] for k in _KEPT_HEADERS if k in lowered},
                "body": text,
            }
            receiver.arrivals.append(arrival)
            return Answer(status, config.delay_seconds, arrival)

    def receiver(self, name: str) -> dict[str, Any]:
        name = receiver_name(name)
        with self._lock:
            receiver = self._receivers.get(name) or Receiver()
            return {
                "name": name,
                "config": receiver.config.to_json(),
                "received": receiver.received,
                "arrivals": list(receiver.arrivals),
            }

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            names = sorted(self._receivers)
        return [self.receiver(name) for name in names]

    def forget(self, name: str) -> bool:
        with self._lock:
            return self._receivers.pop(receiver_name(name), None) is not None

    def clear(self) -> None:
        with self._lock:
            self._receivers.clear()


def _verify(secret: str | None, body: bytes, headers: dict[str, str]) -> tuple[bool, str | None]:
    if secret is None:
        return False, "no secret configured"
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except Exception as exc:
        return False, str(exc) or type(exc).__name__
    return True, None
