"""The sandbox's in-memory world: messages, injected faults and the STOP block list."""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import format_datetime

API_VERSION = "2010-04-01"

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime | None) -> str | None:
    return None if moment is None else format_datetime(moment)


def count_segments(body: str) -> int:
    """SMS segments as carriers count them: GSM-7 (160/153) or UCS-2 (70/67)."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in body):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


@dataclass
class CallbackAttempt:
    status: str
    url: str
    http_status: int | None
    error: str | None
    at: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "url": self.url,
            "http_status": self.http_status,
            "error": self.error,
            "at": self.at.isoformat(),
        }


@dataclass
class StoredMessage:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    direction: str  # outbound-api, outbound-reply or inbound
    status: str
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None = None
    error_code: int | None = None
    error_message: str | None = None
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    callbacks: list[CallbackAttempt] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    @property
    def customer(self) -> str:
        """The other party: the recipient of an outbound message, the sender of an inbound."""
        if self.direction == "inbound":
            return self.from_ or ""
        return self.to

    @property
    def business(self) -> str | None:
        return self.to if self.direction == "inbound" else self.from_

    def to_twilio(self) -> dict[str, object]:
        """The Message resource as Twilio's REST API renders it."""
        base = self.uri.removesuffix(".json")
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(count_segments(self.body)),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {
                "media": f"{base}/Media.json",
                "feedback": f"{base}/Feedback.json",
            },
            "to": self.to,
            "uri": self.uri,
        }

    def to_sandbox_json(self) -> dict[str, object]:
        """Twilio's rendering plus what only the sandbox knows."""
        return {
            **self.to_twilio(),
            "sandbox": {
                "created_at": self.date_created.isoformat(),
                "customer": self.customer,
                "business": self.business,
                "status_callback": self.status_callback,
                "callbacks": [attempt.to_json() for attempt in self.callbacks],
            },
        }


@dataclass
class Fault:
    """Make the next `remaining` Messages POSTs slow and/or fail with `status`."""

    remaining: int
    status: int | None = None
    code: int | None = None
    message: str | None = None
    delay_seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "count": self.remaining,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "delay_seconds": self.delay_seconds,
        }


class SandboxState:
    """Thread-safe store; every read returns copies of the data, never live references."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: dict[str, StoredMessage] = {}
        self._faults: list[Fault] = []
        self._blocked: set[tuple[str, str]] = set()  # (business number, customer number)

    # messages
    def add(self, message: StoredMessage) -> dict[str, object]:
        with self._lock:
            self._messages[message.sid] = message
            return message.to_twilio()

    def get(self, sid: str) -> dict[str, object] | None:
        with self._lock:
            message = self._messages.get(sid)
            return None if message is None else message.to_twilio()

    def update(self, sid: str, change: Callable[[StoredMessage], None]) -> StoredMessage | None:
        """Apply `change` under the lock; returns a snapshot (shallow copy) or None."""
        with self._lock:
            message = self._messages.get(sid)
            if message is None:
                return None
            change(message)
            return replace(message, callbacks=list(message.callbacks))

    def select(
        self, predicate: Callable[[StoredMessage], bool], *, newest_first: bool = False
    ) -> list[dict[str, object]]:
        with self._lock:
            chosen = [m for m in self._messages.values() if predicate(m)]
            ordered = reversed(chosen) if newest_first else iter(chosen)
            return [m.to_twilio() for m in ordered]

    def dump(self) -> list[dict[str, object]]:
        with self._lock:
            return [m.to_sandbox_json() for m in self._messages.values()]

    def conversations(self) -> list[dict[str, object]]:
        """One entry per customer number, most recent activity first."""
        with self._lock:
            latest: dict[str, StoredMessage] = {}
            counts: dict[str, int] = {}
            businesses: dict[str, set[str]] = {}
            for message in self._messages.values():
                customer = message.customer
                latest[customer] = message
                counts[customer] = counts.get(customer, 0) + 1
                if message.business:
                    businesses.setdefault(customer, set()).add(message.business)
            ordered = sorted(latest.values(), key=lambda m: m.date_created, reverse=True)
            return [
                {
                    "number": m.customer,
                    "message_count": counts[m.customer],
                    "business_numbers": sorted(businesses.get(m.customer, set())),
                    "last_body": m.body,
                    "last_direction": m.direction,
                    "last_at": m.date_created.isoformat(),
                }
                for m in ordered
            ]

    def thread(self, customer: str) -> list[dict[str, object]]:
        with self._lock:
            return [m.to_sandbox_json() for m in self._messages.values() if m.customer == customer]

    def business_numbers(self) -> set[str]:
        with self._lock:
            return {m.business for m in self._messages.values() if m.business}

    def clear_messages(self) -> int:
        with self._lock:
            count = len(self._messages)
            self._messages.clear()
            return count

    # faults
    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take_fault(self) -> Fault | None:
        """Consume one use of the oldest fault, if any."""
        with self._lock:
            if not self._faults:
                return None
            head = self._faults[0]
            head.remaining -= 1
            if head.remaining <= 0:
                self._faults.pop(0)
            return Fault(1, head.status, head.code, head.message, head.delay_seconds)

    def faults(self) -> list[dict[str, object]]:
        with self._lock:
            return [fault.to_json() for fault in self._faults]

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # STOP block list
    def block(self, business: str, customer: str) -> None:
        with self._lock:
            self._blocked.add((business, customer))

    def unblock(self, business: str, customer: str) -> None:
        with self._lock:
            self._blocked.discard((business, customer))

    def is_blocked(self, business: str, customer: str) -> bool:
        with self._lock:
            return (business, customer) in self._blocked

    def blocked(self) -> list[dict[str, str]]:
        with self._lock:
            return [{"business": b, "customer": c} for b, c in sorted(self._blocked)]

    def clear_blocked(self) -> None:
        with self._lock:
            self._blocked.clear()
