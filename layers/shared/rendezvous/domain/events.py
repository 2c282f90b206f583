"""Stand-in for hooks-events' domain/events.py (ISSUE11.md: W1 owns it): only the names the
endpoints code uses, spelled as that branch spells them. Take hooks-events' file whole
when merging."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    APPOINTMENT_CONFIRMED = "appointment.confirmed"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    APPOINTMENT_RESCHEDULE_REQUESTED = "appointment.reschedule_requested"
    APPOINTMENT_CREATED = "appointment.created"
    APPOINTMENT_OUTCOME_RECORDED = "appointment.outcome_recorded"
    OPENING_FILLED = "opening.filled"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_FAILED = "message.failed"
    MESSAGE_SUPPRESSED = "message.suppressed"
    RECIPIENT_OPTED_OUT = "recipient.opted_out"
    RECIPIENT_OPTED_IN = "recipient.opted_in"
    QUEUE_ITEM_OPENED = "queue.item_opened"
    QUEUE_ITEM_RESOLVED = "queue.item_resolved"


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    tenant_id: str
    type: EventType
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    appointment_id: str | None = None
