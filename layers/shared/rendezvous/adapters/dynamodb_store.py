"""AppointmentStore on one DynamoDB table. ClientError codes become domain exceptions here.

Keys (pk / sk):
  T#<tenant>              TENANT          tenant configuration and pause switch
  N#<e164>                NUMBER          which tenant owns a sending number
  T#<tenant>#A#<appt>     A               the appointment (gsi1: recipient, start time)
  T#<tenant>#A#<appt>     M#<ver>#<kind>  one automated text for one appointment version
  T#<tenant>#R#<rkey>     R               a recipient: opt-out, deliverability, daily count
  T#<tenant>#LOG#<day>    <at>#<id>       the append-only activity and audit log

Sparse index `by_time` holds message records by tenant and UTC day of sending, then time:
the outbox reads what is pending in the next hours, stats what happened in the last days.
A tenant record is also listed under gsi1pk TENANTS for the queue watcher.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.models import (
    DELIVERY_RANK,
    PENDING_STATUSES,
    Appointment,
    AppointmentStatus,
    MessageRecord,
    MessageStatus,
    Recipient,
    SendRequest,
    Tenant,
)
from rendezvous.domain.ports import RecipientClaim, SendContext
from rendezvous.phone import recipient_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Item = dict[str, Any]
NUMBER_CACHE_SECONDS = 300.0
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def tenant_key(tenant_id: str) -> Item:
    return {"pk": f"T#{tenant_id}", "sk": "TENANT"}


def number_key(e164: str) -> Item:
    return {"pk": f"N#{e164}", "sk": "NUMBER"}


def appointment_key(tenant_id: str, appointment_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#A#{appointment_id}", "sk": "A"}


def message_key(tenant_id: str, appointment_id: str, kind: str, version: int) -> Item:
    return {"pk": f"T#{tenant_id}#A#{appointment_id}", "sk": f"M#{version:05d}#{kind}"}


def time_keys(tenant_id: str, message: MessageRecord, send_at: datetime | None = None) -> Item:
    """Where a message sits in `by_time`: its tenant and UTC day of sending, then its time.

    The keys change only when a text is deferred, so recording what happened to a text
    costs one index write, not a move between indexes.
    """
    when = send_at or message.send_at
    return {
        "tpk": f"T#{tenant_id}#M#{when.astimezone(UTC).date().isoformat()}",
        "tsk": f"{_iso(when)}#{message.appointment_id}#{message.kind}#{message.version}",
    }


def log_key(tenant_id: str, at: datetime, entry_id: str) -> Item:
    return {
        "pk": f"T#{tenant_id}#LOG#{at.astimezone(UTC).date().isoformat()}",
        "sk": f"{_iso(at)}#{entry_id}",
    }


def recipient_item_key(tenant_id: str, rkey: str) -> Item:
    return {"pk": f"T#{tenant_id}#R#{rkey}", "sk": "R"}


def _number_safe(value: Any) -> Any:
    # DynamoDB numbers are Decimals; a float (a wait in minutes) goes through its text form.
    return Decimal(str(value)) if isinstance(value, float) else value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_number_safe(v)) for k, v in item.items() if v is not None}


def deserialize(raw: Mapping[str, Any]) -> Item:
    return {k: _deserializer.deserialize(v) for k, v in raw.items()}


def _plain(model: BaseModel) -> Item:
    return model.model_dump(mode="json", exclude_none=True)


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}


def _iso(instant: datetime) -> str:
    return instant.isoformat()


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _cancellation_codes(exc: ClientError) -> list[str]:
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        raise exc
    reasons = exc.response.get("CancellationReasons") or []
    return [r.get("Code", "None") for r in reasons]


def query_all(db: DynamoDBClient, table: str, **kwargs: Any) -> list[Item]:
    """Every item a Query finds, following its pages."""
    found: list[Item] = []
    while True:
        page = db.query(TableName=table, **kwargs)
        found.extend(deserialize(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def batch_get(
    db: DynamoDBClient, table: str, keys: list[Item], *, consistent: bool = False
) -> list[Item]:
    """The items under `keys` that exist, in batches of 100, retrying unprocessed keys."""
    found: list[Item] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {"Keys": [serialize(k) for k in keys[start : start + 100]]}
        if consistent:
            request["ConsistentRead"] = True
        pending: dict[str, Any] = {table: request}
        while pending:
            page = db.batch_get_item(RequestItems=pending)
            found.extend(deserialize(i) for i in page.get("Responses", {}).get(table, []))
            pending = page.get("UnprocessedKeys") or {}
    return found


def transact(db: DynamoDBClient, items: list[Any], conflict: str) -> None:
    """Write every item or none; a condition that fails is a ConcurrentModification."""
    try:
        db.transact_write_items(TransactItems=items)
    except ClientError as exc:
        if "ConditionalCheckFailed" in _cancellation_codes(exc):
            raise ConcurrentModification(conflict) from exc
        raise


class DynamoAppointmentStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name
        self._number_cache: dict[str, tuple[str, float]] = {}

    # -- tenants ------------------------------------------------------------------------

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(tenant_key(tenant_id))
        return Tenant.model_validate(item) if item else None

    def put_tenant(self, tenant: Tenant) -> None:
        self._db.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": serialize(
                            {
                                **tenant_key(tenant.tenant_id),
                                "gsi1pk": "TENANTS",
                                "gsi1sk": tenant.tenant_id,
                                **_plain(tenant),
                            }
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": serialize(
                            {**number_key(tenant.phone_number), "tenant_id": tenant.tenant_id}
                        ),
                    }
                },
            ]
        )

    def tenant_for_number(self, e164: str) -> str | None:
        # Which business owns a number changes about never: remember it for this container.
        now = time.monotonic()
        cached = self._number_cache.get(e164)
        if cached is not None and now - cached[1] < NUMBER_CACHE_SECONDS:
            return cached[0]
        item = self._get(number_key(e164))
        tenant_id = str(item["tenant_id"]) if item else None
        if tenant_id is not None:
            self._number_cache[e164] = (tenant_id, now)
        return tenant_id

    # -- appointments -------------------------------------------------------------------

    def get_appointment(
        self, tenant_id: str, appointment_id: str
    ) -> tuple[Appointment, list[MessageRecord]] | None:
        key = appointment_key(tenant_id, appointment_id)
        items = query_all(
            self._db,
            self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_values({":pk": key["pk"]}),
            ConsistentRead=True,
        )
        appointment = next((i for i in items if i["sk"] == "A"), None)
        if appointment is None:
            return None
        messages = [MessageRecord.model_validate(i) for i in items if i["sk"].startswith("M#")]
        messages.sort(key=lambda m: (m.version, m.send_at))
        return Appointment.model_validate(appointment), messages

    def _appointment_item(self, appointment: Appointment) -> Item:
        return {
            **appointment_key(appointment.tenant_id, appointment.appointment_id),
            "gsi1pk": f"T#{appointment.tenant_id}#R#{appointment.recipient_key}",
            "gsi1sk": f"{_iso(appointment.starts_at)}#{appointment.appointment_id}",
            **_plain(appointment),
        }

    def _message_item(self, message: MessageRecord) -> Item:
        item = {
            **message_key(message.tenant_id, message.appointment_id, message.kind, message.version),
            **_plain(message),
        }
        item.update(time_keys(message.tenant_id, message))
        return item

    def create_appointment(self, appointment: Appointment, messages: list[MessageRecord]) -> None:
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(self._appointment_item(appointment)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *(
                {"Put": {"TableName": self._table, "Item": serialize(self._message_item(m))}}
                for m in messages
            ),
        ]
        transact(self._db, items, "appointment already exists")

    def save_appointment(
        self,
        appointment: Appointment,
        *,
        expected_version: int,
        retire: list[MessageRecord],
        retire_as: MessageStatus,
        new_messages: list[MessageRecord],
        now: datetime,
    ) -> None:
        pending = sorted(s.value for s in PENDING_STATUSES)
        items: list[Item] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(self._appointment_item(appointment)),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": _values({":expected": expected_version}),
                }
            }
        ]
        for message in retire:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(
                            message_key(
                                message.tenant_id,
                                message.appointment_id,
                                message.kind,
                                message.version,
                            )
                        ),
                        "UpdateExpression": "SET #s = :retired, updated_at = :now",
                        "ConditionExpression": "#s IN (:p0, :p1)",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": _values(
                            {
                                ":retired": retire_as.value,
                                ":now": _iso(now),
                                ":p0": pending[0],
                                ":p1": pending[1],
                            }
                        ),
                    }
                }
            )
        items.extend(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(self._message_item(m)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for m in new_messages
        )
        transact(self._db, items, "appointment changed concurrently")

    # -- sending ------------------------------------------------------------------------

    def load_send_context(self, request: SendRequest) -> SendContext:
        keys = {
            "tenant": tenant_key(request.tenant_id),
            "appointment": appointment_key(request.tenant_id, request.appointment_id),
            "message": message_key(
                request.tenant_id, request.appointment_id, request.kind, request.version
            ),
            "recipient": recipient_item_key(request.tenant_id, request.recipient_key),
        }
        found_items = {
            f"{item['pk']}|{item['sk']}": item
            for item in batch_get(self._db, self._table, list(keys.values()), consistent=True)
        }

        def pick(name: str) -> Item | None:
            key = keys[name]
            return found_items.get(f"{key['pk']}|{key['sk']}")

        tenant, appointment, message, recipient = (
            pick("tenant"),
            pick("appointment"),
            pick("message"),
            pick("recipient"),
        )
        return SendContext(
            tenant=Tenant.model_validate(tenant) if tenant else None,
            appointment=Appointment.model_validate(appointment) if appointment else None,
            message=MessageRecord.model_validate(message) if message else None,
            recipient=Recipient.model_validate(recipient) if recipient else None,
        )

    def claim_message(self, recipient: Recipient, claim: RecipientClaim) -> None:
        rkey = recipient_item_key(recipient.tenant_id, recipient.recipient_key)
        if claim.expected_rev == 0:
            condition = "attribute_not_exists(pk)"
            expected: dict[str, Any] = {}
        else:
            condition = "rev = :expected"
            expected = {":expected": claim.expected_rev}
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(rkey),
                UpdateExpression="SET tenant_id = :t, recipient_key = :rk, phone = :phone, "
                "cap_day = :day, cap_count = :count, first_contact_at = :first, "
                "claims = :claims, rev = :next_rev",
                ConditionExpression=condition,
                ExpressionAttributeValues=_values(
                    {
                        ":t": recipient.tenant_id,
                        ":rk": recipient.recipient_key,
                        ":phone": recipient.phone,
                        ":day": claim.cap_day,
                        ":count": claim.cap_count,
                        ":first": _iso(claim.first_contact_at),
                        ":claims": claim.claims,
                        ":next_rev": claim.expected_rev + 1,
                        **expected,
                    }
                ),
            )
        except ClientError as exc:
            if _condition_failed(exc):
                raise ConcurrentModification("recipient changed since it was read") from exc
            raise

    def release_claim(self, recipient: Recipient, key: str) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(recipient_item_key(recipient.tenant_id, recipient.recipient_key)),
                UpdateExpression="REMOVE claims.#k SET cap_count = cap_count - :one, "
                "rev = rev + :one",
                ConditionExpression="attribute_exists(claims.#k)",
                ExpressionAttributeNames={"#k": key},
                ExpressionAttributeValues=_values({":one": 1}),
            )
        except ClientError as exc:
            if not _condition_failed(exc):
                raise

    def update_message(
        self,
        message: MessageRecord,
        *,
        status: MessageStatus,
        now: datetime,
        only_if: frozenset[MessageStatus] | None = None,
        reason_is: str | None = None,
        **fields: object,
    ) -> bool:
        names = {"#s": "status"}
        values: dict[str, Any] = {":status": status.value, ":now": _iso(now)}
        sets = ["#s = :status", "updated_at = :now"]
        send_at = fields.get("send_at")
        if isinstance(send_at, datetime):
            # Deferred: the message moves to its new time in `by_time`.
            for name, value in time_keys(message.tenant_id, message, send_at).items():
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = value
        if status in DELIVERY_RANK:
            sets.append("delivery_rank = :rank")
            values[":rank"] = DELIVERY_RANK[status]
        for i, (name, value) in enumerate(sorted(fields.items())):
            if value is None:
                continue
            names[f"#f{i}"] = name
            values[f":f{i}"] = _iso(value) if isinstance(value, datetime) else value
            sets.append(f"#f{i} = :f{i}")
        condition = "attribute_exists(pk)"
        if only_if:
            allowed = sorted(s.value for s in only_if)
            placeholders = []
            for i, value in enumerate(allowed):
                values[f":o{i}"] = value
                placeholders.append(f":o{i}")
            condition += f" AND #s IN ({', '.join(placeholders)})"
        if reason_is is not None:
            names["#r"] = "reason"
            values[":reason_is"] = reason_is
            condition += " AND #r = :reason_is"
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(
                    message_key(
                        message.tenant_id, message.appointment_id, message.kind, message.version
                    )
                ),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_values(values),
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def record_delivery_status(
        self,
        tenant_id: str,
        appointment_id: str,
        kind: str,
        version: int,
        *,
        status: MessageStatus,
        sid: str,
        error_code: int | None,
        now: datetime,
    ) -> bool:
        values: dict[str, Any] = {
            ":status": status.value,
            ":rank": DELIVERY_RANK[status],
            ":sid": sid,
            ":now": _iso(now),
        }
        sets = ["#s = :status", "delivery_rank = :rank", "sid = :sid", "updated_at = :now"]
        if error_code is not None:
            sets.append("error_code = :code")
            values[":code"] = error_code
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(message_key(tenant_id, appointment_id, kind, version)),
                UpdateExpression="SET " + ", ".join(sets),
                # Only forward: a late `sent` never overwrites `delivered`; finals stay final.
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(delivery_rank) OR delivery_rank < :rank)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_values(values),
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def mark_recipient(
        self,
        tenant_id: str,
        phone: str,
        *,
        now: datetime,
        opted_out: bool | None = None,
        undeliverable_code: int | None = None,
    ) -> None:
        rkey = recipient_key(tenant_id, phone)
        values: dict[str, Any] = {
            ":t": tenant_id,
            ":rk": rkey,
            ":phone": phone,
            ":zero": 0,
            ":one": 1,
        }
        sets = [
            "tenant_id = :t",
            "recipient_key = :rk",
            "phone = :phone",
            "rev = if_not_exists(rev, :zero) + :one",
        ]
        if opted_out is not None:
            sets.append("opted_out = :opted_out")
            values[":opted_out"] = opted_out
            if opted_out:
                sets.append("opted_out_at = :now")
                values[":now"] = _iso(now)
        if undeliverable_code is not None:
            sets.append("undeliverable_code = :code")
            values[":code"] = undeliverable_code
        self._db.update_item(
            TableName=self._table,
            Key=serialize(recipient_item_key(tenant_id, rkey)),
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeValues=_values(values),
        )

    def upcoming_appointments(
        self, tenant_id: str, recipient_key: str, now: datetime
    ) -> list[Appointment]:
        page = self._db.query(
            TableName=self._table,
            IndexName="by_recipient",
            KeyConditionExpression="gsi1pk = :r AND gsi1sk > :now",
            ExpressionAttributeValues=_values(
                {":r": f"T#{tenant_id}#R#{recipient_key}", ":now": _iso(now)}
            ),
            Limit=10,
        )
        keys = [{"pk": deserialize(i)["pk"], "sk": "A"} for i in page.get("Items", [])]
        found = [
            Appointment.model_validate(item)
            for item in batch_get(self._db, self._table, keys, consistent=True)
        ]
        live = [a for a in found if a.status is not AppointmentStatus.CANCELLED]
        return sorted(live, key=lambda a: a.starts_at)

    def confirm_appointment(self, appointment: Appointment, now: datetime) -> bool:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(appointment_key(appointment.tenant_id, appointment.appointment_id)),
                UpdateExpression="SET #s = :confirmed, confirmed_at = :now, updated_at = :now",
                ConditionExpression="#v = :v AND #s <> :cancelled",
                ExpressionAttributeNames={"#s": "status", "#v": "version"},
                ExpressionAttributeValues=_values(
                    {
                        ":confirmed": AppointmentStatus.CONFIRMED.value,
                        ":cancelled": AppointmentStatus.CANCELLED.value,
                        ":now": _iso(now),
                        ":v": appointment.version,
                    }
                ),
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def get_recipient(self, tenant_id: str, phone: str) -> Recipient | None:
        item = self._get(recipient_item_key(tenant_id, recipient_key(tenant_id, phone)))
        return Recipient.model_validate(item) if item else None

    # -- helpers ------------------------------------------------------------------------

    def _get(self, key: Item) -> Item | None:
        raw = self._db.get_item(TableName=self._table, Key=serialize(key), ConsistentRead=True)
        return deserialize(raw["Item"]) if "Item" in raw else None


class DynamoActivityLog:
    """The append-only activity and audit log: one item per event, never updated.

    Partitioned by tenant and UTC day, so `GET /v1/stats` reads a day's events with one
    Query, and an audit of a day is one Query too.
    """

    RETENTION_DAYS = 400

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def append(self, tenant_id: str, at: datetime, event: str, actor: str, **detail: Any) -> None:
        import uuid
        from datetime import timedelta

        item = {
            **log_key(tenant_id, at, uuid.uuid4().hex[:12]),
            "event": event,
            "actor": actor,
            "at": _iso(at),
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
            ExpressionAttributeValues=_values({":pk": f"T#{tenant_id}#LOG#{day}"}),
        )


class DynamoOversight:
    """Reads for owners and operators: the outbox, the day's decisions, the pause switch."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def messages_between(self, tenant_id: str, start: datetime, end: datetime) -> list[Item]:
        """Every automated text planned or sent between two instants, whatever its status:
        one Query per UTC day on `by_time`."""
        found: list[Item] = []
        day = start.astimezone(UTC).date()
        while day <= end.astimezone(UTC).date():
            found.extend(
                query_all(
                    self._db,
                    self._table,
                    IndexName="by_time",
                    KeyConditionExpression="tpk = :d AND tsk BETWEEN :start AND :end",
                    ExpressionAttributeValues=_values(
                        {
                            ":d": f"T#{tenant_id}#M#{day.isoformat()}",
                            ":start": _iso(start),
                            ":end": _iso(end) + "~",
                        }
                    ),
                )
            )
            day += timedelta(days=1)
        return found

    def appointments(self, tenant_id: str, ids: list[str]) -> dict[str, Appointment]:
        keys = [appointment_key(tenant_id, i) for i in sorted(set(ids))]
        found = [Appointment.model_validate(i) for i in batch_get(self._db, self._table, keys)]
        return {a.appointment_id: a for a in found}

    def set_pause(
        self, tenant_id: str, *, paused: bool, by: str, reason: str | None, at: datetime
    ) -> Tenant:
        # Who switched, when and why, under the switch's own names: after a resume the
        # status shows the resume, not the pause that is over.
        now_on, now_off = ("paused", "resumed") if paused else ("resumed", "paused")
        got = self._db.update_item(
            TableName=self._table,
            Key=serialize(tenant_key(tenant_id)),
            UpdateExpression=f"SET paused = :p, {now_on}_by = :by, {now_on}_at = :at, "
            f"{now_on}_reason = :why REMOVE {now_off}_by, {now_off}_at, {now_off}_reason",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=_values(
                {":p": paused, ":by": by, ":at": _iso(at), ":why": reason or ""}
            ),
            ReturnValues="ALL_NEW",
        )
        return Tenant.model_validate(deserialize(got["Attributes"]))

    def tenant_ids(self) -> list[str]:
        rows = query_all(
            self._db,
            self._table,
            IndexName="by_recipient",
            KeyConditionExpression="gsi1pk = :t",
            ExpressionAttributeValues=_values({":t": "TENANTS"}),
        )
        return [str(r["gsi1sk"]) for r in rows]
