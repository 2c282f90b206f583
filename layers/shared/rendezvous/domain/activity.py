"""The activity and audit log's entries: typed events, so stats count them by their fields."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from rendezvous.domain.keywords import Intent


class ActivityEvent(StrEnum):
    TEXT_RECEIVED = "text_received"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    CLAIM = "claim"
    RELEASE = "release"
    RESOLVE = "resolve"
    STAFF_REPLY = "staff_reply"
    PAUSE = "pause"
    RESUME = "resume"
    REDRIVE = "redrive"
    SETTINGS_CHANGED = "settings_changed"
    WEBHOOK_CREATED = "webhook_created"
    WEBHOOK_CHANGED = "webhook_changed"
    WEBHOOK_DELETED = "webhook_deleted"
    WEBHOOK_RETRIED = "webhook_retried"
    OUTCOME_RECORDED = "outcome_recorded"
    # A customer's wish given by phone, recorded by a person (the entry's reason says so).
    OPTED_OUT_BY_STAFF = "opted_out_by_staff"
    OPTED_IN_BY_STAFF = "opted_in_by_staff"


class SettingChange(BaseModel):
    """One value a manager changed (a setting, an endpoint's field), as JSON values (None:
    absent, the default applies)."""

    model_config = ConfigDict(frozen=True)

    before: Any = None
    after: Any = None


class ActivityEntry(BaseModel):
    """One event: who did what, when, and the few facts each kind of event carries."""

    # The stored item also holds its keys and expiry.
    model_config = ConfigDict(frozen=True, extra="ignore")

    event: ActivityEvent
    actor: str
    at: datetime
    intent: Intent | None = None
    appointment_id: str | None = None
    item_id: str | None = None
    sid: str | None = None
    reason: str | None = None
    waited_minutes: float | None = None
    queued: int | None = None
    suppressed: int | None = None
    # A settings change: each changed setting by its path ("quiet_hours.start",
    # "templates.en.reminder"), and the settings version it produced.
    changes: dict[str, SettingChange] | None = None
    settings_version: int | None = None
    # A webhook endpoint made, changed or deleted (its changes as above: url, events,
    # description; never its secret), or one of its deliveries retried by hand.
    endpoint_id: str | None = None
    delivery_id: str | None = None

    def acted_on(self) -> Intent | None:
        """What a customer's text did: its intent, except a confirm or cancel that found no
        appointment (it did neither); None for any other event."""
        if self.event is not ActivityEvent.TEXT_RECEIVED:
            return None
        if self.intent in (Intent.CONFIRM, Intent.CANCEL) and not self.appointment_id:
            return None
        return self.intent
