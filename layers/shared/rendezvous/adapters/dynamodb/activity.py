"""The activity and audit log: the ActivityReader port."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from rendezvous.adapters.dynamodb.table import (
    TableRepository,
    iso,
    log_key,
    query_all,
    serialize,
    values_of,
)
from rendezvous.domain.activity import ActivityEntry

RETENTION_DAYS = 400


def log_entry_put(table: str, tenant_id: str, entry: ActivityEntry) -> dict[str, Any]:
    """The Put of one new entry: for append, or for a transaction that logs what it does."""
    detail = entry.model_dump(mode="json", exclude={"event", "actor", "at"}, exclude_none=True)
    item = {
        **log_key(tenant_id, entry.at, uuid.uuid4().hex[:12]),
        "event": entry.event.value,
        "actor": entry.actor,
        "at": iso(entry.at),
        "expires_at": int((entry.at + timedelta(days=RETENTION_DAYS)).timestamp()),
        **detail,
    }
    return {
        "TableName": table,
        "Item": serialize(item),
        "ConditionExpression": "attribute_not_exists(pk)",
    }


class DynamoActivityLog(TableRepository):
    """The append-only activity and audit log: one item per event, never updated.

    Partitioned by tenant and UTC day, so `GET /v1/stats` reads a day's events with one
    Query, and an audit of a day is one Query too.
    """

    def append(self, tenant_id: str, entry: ActivityEntry) -> None:
        self._db.put_item(**log_entry_put(self._table, tenant_id, entry))

    def day(self, tenant_id: str, day: str) -> list[ActivityEntry]:
        items = query_all(
            self._db,
            self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values_of({":pk": f"T#{tenant_id}#LOG#{day}"}),
        )
        return [ActivityEntry.model_validate(i) for i in items]
