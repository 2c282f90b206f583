"""Stand-in for hooks-events' domain/events.py (ISSUE11.md's shape), replaced when that
branch is merged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    tenant_id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]
    appointment_id: str | None = None
