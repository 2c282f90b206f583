"""The activity and audit log: the ActivityReader port."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from rendezvous.adapters.dynamodb.table import (
    Item,
    TableRepository,
    iso,
    log_key,
    query_all,
    serialize,
    values_of,
)


class DynamoActivityLog(TableRepository):
    """The append-only activity and audit log: one item per event, never updated.

    Partitioned by tenant and UTC day, so `GET /v1/stats` reads a day's events with one
    Query, and an audit of a day is one Query too.
    """

    RETENTION_DAYS = 400

    def append(self, tenant_id: str, at: datetime, event: str, actor: str, **detail: Any) -> None:
        item = {
            **log_key(tenant_id, at, uuid.uuid4().hex[:12]),
            "event": event,
            "actor": actor,
            "at": iso(at),
            "expires_at": int((at + timedelta(days=self.RETENTION_DAYS)).timestamp()),
            **{k: v for k, v in detail.items() if v is not None},
        }
        self._db.put_item(
            TableName=self._table,
            Item=serialize(item),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def day(self, tenant_id: str, day: str) -> list[Item]:
        return query_all(
            self._db,
            self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values_of({":pk": f"T#{tenant_id}#LOG#{day}"}),
        )
