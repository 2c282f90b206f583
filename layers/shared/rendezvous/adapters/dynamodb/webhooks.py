"""Webhook endpoints and their deliveries: the WebhookEndpointStore and DeliveryHistory
ports. Keys in `table` (T#<tenant>#WH, T#<tenant>#WH#<endpoint>); listings are Queries."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb.activity import log_entry_put
from rendezvous.adapters.dynamodb.table import (
    Item,
    TableRepository,
    batch_get,
    cancellation_codes,
    condition_failed,
    delivery_key,
    delivery_listing,
    deserialize,
    query_all,
    serialize,
    stamp,
    transact,
    values_of,
    webhook_count_key,
    webhook_endpoint_key,
)
from rendezvous.domain.activity import ActivityEntry
from rendezvous.domain.errors import (
    ConcurrentModification,
    EndpointLimitReached,
    InvalidRequest,
    NotFound,
)
from rendezvous.domain.events import EventType, WebhookEvent
from rendezvous.domain.webhooks import Delivery, DeliveryAttempt, WebhookEndpoint
from rendezvous.json_input import decode_json

DELIVERY_RETENTION = timedelta(days=30)
_LISTING_INDEX = "by_recipient"


def _endpoint_of(item: Item) -> WebhookEndpoint:
    return WebhookEndpoint(
        tenant_id=str(item["tenant_id"]),
        endpoint_id=str(item["endpoint_id"]),
        url=str(item["url"]),
        events=tuple(str(e) for e in item["events"]),
        description=str(item.get("description", "")),
        sealed_secret=str(item["sealed_secret"]),
        created_at=datetime.fromisoformat(str(item["created_at"])),
        updated_at=datetime.fromisoformat(str(item["updated_at"])),
        version=int(item["version"]),
    )


class DynamoWebhookEndpoints(TableRepository):
    """A tenant's endpoints under one partition: listing them is one Query."""

    def endpoints(self, tenant_id: str) -> list[WebhookEndpoint]:
        items = query_all(
            self._db,
            self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :ep)",
            ExpressionAttributeValues=values_of({":pk": f"T#{tenant_id}#WH", ":ep": "EP#"}),
            ConsistentRead=True,
        )
        return [_endpoint_of(i) for i in items]

    def endpoints_for(self, tenant_id: str, event_type: str) -> list[WebhookEndpoint]:
        # At most a handful per tenant (MAX_ENDPOINTS_PER_TENANT): filtered here.
        return [e for e in self.endpoints(tenant_id) if e.subscribes_to(event_type)]

    def get_endpoint(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        item = self._get(webhook_endpoint_key(tenant_id, endpoint_id))
        return _endpoint_of(item) if item else None

    def create_endpoint(
        self, endpoint: WebhookEndpoint, *, limit: int, audit: ActivityEntry
    ) -> None:
        item = {
            **webhook_endpoint_key(endpoint.tenant_id, endpoint.endpoint_id),
            "tenant_id": endpoint.tenant_id,
            "endpoint_id": endpoint.endpoint_id,
            "url": endpoint.url,
            "events": list(endpoint.events),
            "description": endpoint.description,
            "sealed_secret": endpoint.sealed_secret,
            "created_at": stamp(endpoint.created_at),
            "updated_at": stamp(endpoint.updated_at),
            "version": endpoint.version,
        }
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": serialize(webhook_count_key(endpoint.tenant_id)),
                    "UpdateExpression": "SET endpoints = if_not_exists(endpoints, :zero) + :one",
                    "ConditionExpression": "attribute_not_exists(endpoints) OR endpoints < :limit",
                    "ExpressionAttributeValues": values_of(
                        {":zero": 0, ":one": 1, ":limit": limit}
                    ),
                }
            },
            {"Put": log_entry_put(self._table, endpoint.tenant_id, audit)},
        ]
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            codes = cancellation_codes(exc)
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise ConcurrentModification("the endpoint exists already") from exc
            if codes[1:2] == ["ConditionalCheckFailed"]:
                raise EndpointLimitReached(
                    f"a tenant may have at most {limit} webhook endpoints: delete one first"
                ) from exc
            raise

    def update_endpoint(
        self, endpoint: WebhookEndpoint, *, expected_version: int, audit: ActivityEntry
    ) -> None:
        transact(
            self._db,
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(
                            webhook_endpoint_key(endpoint.tenant_id, endpoint.endpoint_id)
                        ),
                        "UpdateExpression": "SET #url = :url, events = :events, "
                        "description = :description, updated_at = :at, version = :next",
                        "ConditionExpression": "version = :expected",
                        "ExpressionAttributeNames": {"#url": "url"},
                        "ExpressionAttributeValues": values_of(
                            {
                                ":url": endpoint.url,
                                ":events": list(endpoint.events),
                                ":description": endpoint.description,
                                ":at": stamp(endpoint.updated_at),
                                ":next": endpoint.version,
                                ":expected": expected_version,
                            }
                        ),
                    }
                },
                {"Put": log_entry_put(self._table, endpoint.tenant_id, audit)},
            ],
            "the endpoint changed since it was read",
        )

    def delete_endpoint(self, tenant_id: str, endpoint_id: str, *, audit: ActivityEntry) -> bool:
        try:
            transact(
                self._db,
                [
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": serialize(webhook_endpoint_key(tenant_id, endpoint_id)),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": serialize(webhook_count_key(tenant_id)),
                            "UpdateExpression": "ADD endpoints :minus_one",
                            "ExpressionAttributeValues": values_of({":minus_one": -1}),
                        }
                    },
                    {"Put": log_entry_put(self._table, tenant_id, audit)},
                ],
                "the endpoint is gone",
            )
        except ConcurrentModification:
            return False
        return True


# ---- deliveries ----------------------------------------------------------------------------


def _attempt_item(attempt: DeliveryAttempt) -> Item:
    item: Item = {
        "number": attempt.number,
        "at": stamp(attempt.at),
        "duration_ms": attempt.duration_ms,
        "response_excerpt": attempt.response_excerpt,
    }
    if attempt.status_code is not None:
        item["status_code"] = attempt.status_code
    if attempt.error is not None:
        item["error"] = attempt.error
    return item


def _attempt_of(item: Item) -> DeliveryAttempt:
    status = item.get("status_code")
    return DeliveryAttempt(
        number=int(item["number"]),
        at=datetime.fromisoformat(str(item["at"])),
        status_code=int(status) if status is not None else None,
        duration_ms=int(item["duration_ms"]),
        error=str(item["error"]) if item.get("error") is not None else None,
        response_excerpt=str(item.get("response_excerpt", "")),
    )


def _delivery_of(item: Item) -> Delivery:
    next_at = item.get("next_attempt_at")
    return Delivery(
        tenant_id=str(item["tenant_id"]),
        endpoint_id=str(item["endpoint_id"]),
        delivery_id=str(item["delivery_id"]),
        event=WebhookEvent(
            event_id=str(item["event_id"]),
            tenant_id=str(item["tenant_id"]),
            type=EventType(str(item["event_type"])),
            occurred_at=datetime.fromisoformat(str(item["occurred_at"])),
            data=json.loads(str(item["data"])),
            appointment_id=str(item["appointment_id"]) if item.get("appointment_id") else None,
        ),
        state=item["state"],
        attempts=tuple(_attempt_of(a) for a in item.get("attempts", [])),
        next_attempt_at=datetime.fromisoformat(str(next_at)) if next_at else None,
    )


def _expiry(at: datetime) -> int:
    return int((at + DELIVERY_RETENTION).timestamp())


class DynamoDeliveryLog(TableRepository):
    """One item per delivery (its attempts in a list on it), listed newest event first
    through the keys-only `by_recipient` index."""

    def begin(self, delivery: Delivery) -> bool:
        key = delivery_key(delivery.tenant_id, delivery.endpoint_id, delivery.delivery_id)
        event = delivery.event
        item = {
            **key,
            "gsi1pk": delivery_listing(delivery.tenant_id, delivery.endpoint_id),
            "gsi1sk": f"{stamp(event.occurred_at)}#{delivery.delivery_id}",
            "tenant_id": delivery.tenant_id,
            "endpoint_id": delivery.endpoint_id,
            "delivery_id": delivery.delivery_id,
            "event_id": event.event_id,
            "event_type": str(event.type),
            "occurred_at": stamp(event.occurred_at),
            "data": json.dumps(event.data, separators=(",", ":"), ensure_ascii=False),
            "appointment_id": event.appointment_id,
            "state": delivery.state,
            "attempts": [_attempt_item(a) for a in delivery.attempts],
            "attempt_count": len(delivery.attempts),
            "next_attempt_at": stamp(delivery.next_attempt_at)
            if delivery.next_attempt_at
            else None,
            "expires_at": _expiry(event.occurred_at),
        }
        return self._put_new(item)

    def get(self, tenant_id: str, endpoint_id: str, delivery_id: str) -> Delivery | None:
        item = self._get(delivery_key(tenant_id, endpoint_id, delivery_id))
        return _delivery_of(item) if item else None

    def claim_attempt(
        self, delivery: Delivery, number: int, now: datetime, until: datetime
    ) -> bool:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(
                    delivery_key(delivery.tenant_id, delivery.endpoint_id, delivery.delivery_id)
                ),
                UpdateExpression="SET claimed_attempt = :number, claim_expires_at = :until",
                ConditionExpression="attempt_count = :before AND (attribute_not_exists("
                "claimed_attempt) OR claimed_attempt < :number OR claim_expires_at < :now)",
                ExpressionAttributeValues=values_of(
                    {
                        ":number": number,
                        ":before": number - 1,
                        ":now": stamp(now),
                        ":until": stamp(until),
                    }
                ),
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def record_attempt(self, delivery: Delivery, attempt: DeliveryAttempt) -> Delivery:
        values: dict[str, Any] = {
            ":attempt": [_attempt_item(attempt)],
            ":number": attempt.number,
            ":before": attempt.number - 1,
            ":state": delivery.state,
        }
        update = (
            "SET attempts = list_append(attempts, :attempt), attempt_count = :number, "
            "#state = :state"
        )
        if delivery.next_attempt_at is None:
            update += " REMOVE next_attempt_at"
        else:
            update += ", next_attempt_at = :next"
            values[":next"] = stamp(delivery.next_attempt_at)
        try:
            got = self._db.update_item(
                TableName=self._table,
                Key=serialize(
                    delivery_key(delivery.tenant_id, delivery.endpoint_id, delivery.delivery_id)
                ),
                UpdateExpression=update,
                ConditionExpression="attempt_count = :before",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values_of(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if condition_failed(exc):
                raise ConcurrentModification(
                    f"attempt {attempt.number} of {delivery.delivery_id} is logged already"
                ) from exc
            raise
        return _delivery_of(deserialize(got["Attributes"]))

    def deliveries(
        self, tenant_id: str, endpoint_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Delivery], str | None]:
        listing = delivery_listing(tenant_id, endpoint_id)
        query: dict[str, Any] = {
            "IndexName": _LISTING_INDEX,
            "KeyConditionExpression": "gsi1pk = :listing",
            "ExpressionAttributeValues": values_of({":listing": listing}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            query["ExclusiveStartKey"] = serialize(
                _start_key(cursor, listing, delivery_key(tenant_id, endpoint_id, "")["pk"])
            )
        page = self._db.query(TableName=self._table, **query)
        keys = [deserialize(k) for k in page.get("Items", [])]
        found = {
            (i["pk"], i["sk"]): i
            for i in batch_get(
                self._db, self._table, [{"pk": k["pk"], "sk": k["sk"]} for k in keys]
            )
        }
        # A delivery that expired between the index and the read is left out.
        deliveries = [
            _delivery_of(found[(k["pk"], k["sk"])]) for k in keys if (k["pk"], k["sk"]) in found
        ]
        last = page.get("LastEvaluatedKey")
        return deliveries, _cursor_of(deserialize(last)) if last else None

    def reopen(
        self,
        tenant_id: str,
        endpoint_id: str,
        delivery_id: str,
        *,
        stale_before: datetime,
        audit: ActivityEntry,
    ) -> Delivery:
        key = delivery_key(tenant_id, endpoint_id, delivery_id)
        current = self.get(tenant_id, endpoint_id, delivery_id)
        if current is None:
            raise NotFound("no such delivery for this endpoint")
        transact(
            self._db,
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(key),
                        "UpdateExpression": "SET #state = :pending, next_attempt_at = :now, "
                        "expires_at = :expires",
                        "ConditionExpression": "attribute_exists(pk) AND (#state IN "
                        "(:delivered, :failed) OR (#state = :pending AND next_attempt_at < "
                        ":stale))",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": values_of(
                            {
                                ":pending": "pending",
                                ":delivered": "delivered",
                                ":failed": "failed",
                                ":now": stamp(audit.at),
                                ":stale": stamp(stale_before),
                                ":expires": _expiry(audit.at),
                            }
                        ),
                    }
                },
                {"Put": log_entry_put(self._table, tenant_id, audit)},
            ],
            "the delivery is pending",
        )
        return Delivery(
            tenant_id=current.tenant_id,
            endpoint_id=current.endpoint_id,
            delivery_id=current.delivery_id,
            event=current.event,
            state="pending",
            attempts=current.attempts,
            next_attempt_at=audit.at,
        )


def _cursor_of(key: Item) -> str:
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _start_key(cursor: str, listing: str, delivery_pk: str) -> Item:
    """The index key a cursor of this listing names; any other cursor is a 400."""
    try:
        key = decode_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as exc:
        raise InvalidRequest("cursor is not valid") from exc
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk", "gsi1pk", "gsi1sk"}
        # DynamoDB refuses an empty key attribute: a 5xx, were it let through.
        or not all(isinstance(v, str) and v for v in key.values())
        or key["gsi1pk"] != listing
        or key["pk"] != delivery_pk
        or not key["sk"].startswith("D#")
    ):
        raise InvalidRequest("cursor is not valid for this listing")
    return key
