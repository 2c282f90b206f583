"""The activity and audit log's entries: typed events, so stats count them by their fields."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from rendezvous.domain.keywords import Intent
from rendezvous.domain.vacancy import Opening


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
    # Vacancy fill, counted by GET /v1/stats and CloudWatch (its one record: no counters
    # elsewhere), each by the one call whose conditional write did it, so a retry counts
    # nothing twice: an opening written (`reason` its source), one offer text Twilio took
    # (by the sender, once per claim), an opening filled (`waited_minutes` from opening to
    # fill, `reason` a FillVia), an opening that ended unfilled.
    OPENING_CREATED = "opening_created"
    OFFER_SENT = "offer_sent"
    OPENING_FILLED = "opening_filled"
    OPENING_EXPIRED = "opening_expired"


class FillVia(StrEnum):
    """How an opening was filled, the `reason` of its `opening_filled` entry."""

    WAITLIST = "waitlist"  # a waitlist entry's Y (or digit) took the offer
    RESCHEDULE = "reschedule"  # an R's digit moved an appointment into it


def opening_entry(
    event: ActivityEvent,
    opening_id: str,
    at: datetime,
    *,
    waited_minutes: float | None = None,
    source: str | None = None,
    via: FillVia | None = None,
) -> ActivityEntry:
    """A vacancy fill entry of the log (`waited_minutes`: opening to fill; `source`: where
    the opening came from; `via`: how it was filled)."""
    return ActivityEntry(
        event=event,
        actor="automation",
        at=at,
        opening_id=opening_id,
        waited_minutes=None if waited_minutes is None else round(waited_minutes, 1),
        reason=source or (via.value if via is not None else None),
    )


def opening_created(opening: Opening, at: datetime) -> ActivityEntry:
    """The log's entry for an opening just written (a cancel, a publication or a move's
    freed slot): one per opening, with where it came from."""
    return opening_entry(
        ActivityEvent.OPENING_CREATED, opening.opening_id, at, source=opening.source.value
    )


class SettingChange(BaseModel):
    """One value a manager changed (a setting, an endpoint's field), as JSON values (None:
    absent, the default applies)."""

    model_config = ConfigDict(frozen=True)

    before: Any = None
    after: Any = None


# The reason on a customer's opt-out from a number opted out already: a reply, not a new
# opt-out, so one customer's repeated STOP is counted once.
ALREADY_OPTED_OUT: Final = "already_opted_out"


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
    opening_id: str | None = None
    # A customer's text: the automated text it answered (the last one to reach that
    # number for the appointment it was about), by kind and template variant, so replies,
    # confirmations and opt-outs are counted against the texts that drew them.
    answered_kind: str | None = None
    answered_variant: str | None = None

    def acted_on(self) -> Intent | None:
        """What a customer's text did: its intent, except a confirm or cancel that found no
        appointment (it did neither) and an opt-out from a number opted out already (it
        changed nothing); None for any other event."""
        if self.event is not ActivityEvent.TEXT_RECEIVED:
            return None
        if self.intent in (Intent.CONFIRM, Intent.CANCEL) and not self.appointment_id:
            return None
        if self.intent is Intent.OPT_OUT and self.reason == ALREADY_OPTED_OUT:
            return None
        return self.intent
