"""Webhook events on the data table: the outbox item each state change writes in its own
transaction, and the way back from the stream record the pipe delivers to the deliverer.

The item is all strings (and a TTL number) so the pipe's filter and the deliverer read it
without the domain's models: `kind` = webhook_event is what the pipe matches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from rendezvous.adapters.dynamodb.table import Item, deserialize, event_key, serialize
from rendezvous.domain.events import EventType, WebhookEvent, iso_z

EVENT_KIND = "webhook_event"
RETENTION_DAYS = 14


def event_item(event: WebhookEvent) -> Item:
    return {
        **event_key(event.tenant_id, event.event_id),
        "kind": EVENT_KIND,
        "event_id": event.event_id,
        "tenant_id": event.tenant_id,
        "type": event.type.value,
        "occurred_at": iso_z(event.occurred_at),
        "data": json.dumps(event.data, separators=(",", ":"), sort_keys=True),
        "appointment_id": event.appointment_id,
        "expires_at": int((event.occurred_at + timedelta(days=RETENTION_DAYS)).timestamp()),
    }


def event_puts(table: str, events: Iterable[WebhookEvent]) -> list[dict[str, Any]]:
    """The transaction entries that record `events` beside the change they report.

    No condition: a retried action puts the same item again, a MODIFY the pipe ignores, so
    the transaction never fails on its own event.
    """
    return [{"Put": {"TableName": table, "Item": serialize(event_item(e))}} for e in events]


def event_from_stream_record(record: Mapping[str, Any]) -> WebhookEvent:
    """The event in a DynamoDB stream record, as EventBridge Pipes puts it on the queue
    (no input template): `record["dynamodb"]["NewImage"]` holds the typed attributes."""
    image = deserialize(record["dynamodb"]["NewImage"])
    if image.get("kind") != EVENT_KIND:
        raise ValueError("the stream record is not a webhook event")
    data = json.loads(image["data"])
    if not isinstance(data, dict):
        raise ValueError("a webhook event's data is a JSON object")
    return WebhookEvent(
        event_id=str(image["event_id"]),
        tenant_id=str(image["tenant_id"]),
        type=EventType(image["type"]),
        occurred_at=datetime.fromisoformat(str(image["occurred_at"])),
        data=data,
        appointment_id=str(image["appointment_id"]) if image.get("appointment_id") else None,
    )
