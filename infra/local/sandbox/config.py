"""Settings of the Twilio sandbox. Read live: changing a field affects the next request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SandboxConfig:
    """How the sandbox authenticates callers and where it delivers what it emits.

    `inbound_webhook_url` is the app's `POST /twilio/inbound` URL, exactly as the app
    validates signatures against it; it may be set after the sandbox has started.
    """

    account_sid: str
    auth_token: str
    inbound_webhook_url: str = ""
    # The businesses' numbers offered by the phone page (numbers seen on messages are added).
    business_numbers: list[str] = field(default_factory=list)
    # Recipients whose messages end `undelivered` with ErrorCode 30006 (landline).
    undelivered_numbers: set[str] = field(default_factory=set)
    # Pause before each simulated status change (and its callback).
    callback_interval_seconds: float = 0.05
    callback_timeout_seconds: float = 15.0
    webhook_timeout_seconds: float = 15.0
    # Twilio's default STOP/START/HELP handling on long codes: block list and auto-replies.
    emulate_opt_out_keywords: bool = True
    # Sender picked for a message sent with only a MessagingServiceSid.
    messaging_service_sender: str = "+15005550006"
    # Source of time for date_created/date_sent/date_updated (inject a virtual clock here).
    now: Callable[[], datetime] = utc_now
