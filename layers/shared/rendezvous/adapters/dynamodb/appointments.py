"""Appointments with their message records (one partition each), and the by_time index of
those records: the AppointmentRecords port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb.activity import log_entry_put
from rendezvous.adapters.dynamodb.events import event_puts
from rendezvous.adapters.dynamodb.table import (
    Item,
    TableRepository,
    appointment_key,
    batch_get,
    cancellation_codes,
    condition_failed,
    day_keys,
    day_listing,
    deserialize,
    iso,
    message_key,
    offer_text_key,
    plain,
    query_all,
    recipient_item_key,
    serialize,
    stamp,
    tenant_key,
    time_keys,
    timed_text,
    transact,
    transact_if,
    values_of,
)
from rendezvous.adapters.dynamodb.vacancy import opening_fill, opening_put
from rendezvous.domain.activity import ActivityEntry
from rendezvous.domain.errors import ConcurrentModification, OpeningTaken
from rendezvous.domain.events import WebhookEvent
from rendezvous.domain.identity import MessageIdentity, TextIdentity, TimedText, identity_of
from rendezvous.domain.last_text import text_of
from rendezvous.domain.models import (
    DELIVERY_RANK,
    PENDING_STATUSES,
    Appointment,
    AppointmentStatus,
    LastText,
    MessageRecord,
    MessageStatus,
    Recipient,
    SendRequest,
    Tenant,
)
from rendezvous.domain.ports import SendContext
from rendezvous.domain.results import TextFacts
from rendezvous.domain.vacancy import Opening, OpeningTake

# Appointment fields no save writes (see _appointment_update).
SEPARATELY_WRITTEN = frozenset({"last_text", "outcome", "outcome_at", "outcome_by"})


class DynamoAppointments(TableRepository):
    def get_appointment(
        self, tenant_id: str, appointment_id: str
    ) -> tuple[Appointment, list[MessageRecord]] | None:
        key = appointment_key(tenant_id, appointment_id)
        items = query_all(
            self._db,
            self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=values_of({":pk": key["pk"]}),
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
            "gsi1sk": f"{iso(appointment.starts_at)}#{appointment.appointment_id}",
            **day_keys(appointment.tenant_id, appointment.starts_at, appointment.appointment_id),
            **plain(appointment),
        }

    def _appointment_update(self, appointment: Appointment) -> Item:
        """The appointment's item as one Update: every field it holds set, every field it
        lacks removed, except those with writers of their own (the last text: the sender
        and the status callback; the outcome: record_outcome), which change without a new
        version: a save that read older values must not put them back."""
        item = self._appointment_item(appointment)
        for name in SEPARATELY_WRITTEN:
            item.pop(name, None)
        key = {name: item.pop(name) for name in ("pk", "sk")}
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets: list[str] = []
        for i, (name, value) in enumerate(sorted(item.items())):
            names[f"#a{i}"] = name
            values[f":a{i}"] = value
            sets.append(f"#a{i} = :a{i}")
        absent = sorted(set(Appointment.model_fields) - set(item) - SEPARATELY_WRITTEN)
        removes = []
        for i, name in enumerate(absent):
            names[f"#n{i}"] = name
            removes.append(f"#n{i}")
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        return {
            "TableName": self._table,
            "Key": serialize(key),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values_of(values),
        }

    def _message_item(self, message: MessageRecord) -> Item:
        item = {
            **message_key(identity_of(message)),
            **plain(message),
        }
        item.update(time_keys(message.tenant_id, message))
        return item

    def creation(
        self, appointment: Appointment, messages: Sequence[MessageRecord]
    ) -> list[dict[str, Any]]:
        """The transaction entries that create the appointment (only where none is) with
        its planned texts: a booking's own transaction, or a waitlist fill's."""
        return [
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

    def create_appointment(self, appointment: Appointment, messages: list[MessageRecord]) -> None:
        transact(self._db, self.creation(appointment, messages), "appointment already exists")

    def save_appointment(
        self,
        appointment: Appointment,
        *,
        expected_version: int,
        retire: list[MessageRecord],
        retire_as: MessageStatus,
        new_messages: list[MessageRecord],
        now: datetime,
        events: Sequence[WebhookEvent] = (),
        opening: Opening | None = None,
        takes: OpeningTake | None = None,
    ) -> None:
        pending = sorted(s.value for s in PENDING_STATUSES)
        update = self._appointment_update(appointment)
        update["ConditionExpression"] = "#v = :expected"
        update["ExpressionAttributeNames"]["#v"] = "version"
        update["ExpressionAttributeValues"].update(values_of({":expected": expected_version}))
        items: list[Item] = [{"Update": update}]
        for message in retire:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(message_key(identity_of(message))),
                        "UpdateExpression": "SET #s = :retired, updated_at = :now",
                        "ConditionExpression": "#s IN (:p0, :p1)",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values_of(
                            {
                                ":retired": retire_as.value,
                                ":now": iso(now),
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
        items.extend(event_puts(self._table, events))
        if opening is not None:
            items.append(opening_put(self._table, opening))
        if takes is None:
            transact(self._db, items, "appointment changed concurrently")
            return
        items.append(
            opening_fill(
                self._table,
                takes.tenant_id,
                takes.opening_id,
                appointment_id=takes.appointment_id,
                entry_id=None,
                not_before=takes.not_before,
                now=takes.at,
            )
        )
        writes: list[Any] = items
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            codes = cancellation_codes(exc)
            # The appointment's own change first: a retry reads it again and tells.
            if codes[0] != "ConditionalCheckFailed" and codes[-1] == "ConditionalCheckFailed":
                raise OpeningTaken(f"opening {takes.opening_id} was just taken") from exc
            if "ConditionalCheckFailed" in codes:
                raise ConcurrentModification("appointment changed concurrently") from exc
            raise

    def load_send_context(self, request: SendRequest) -> SendContext:
        keys = {
            "tenant": tenant_key(request.tenant_id),
            "appointment": appointment_key(request.tenant_id, request.appointment_id),
            "message": message_key(identity_of(request)),
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

    def update_message(
        self,
        message: MessageRecord,
        *,
        status: MessageStatus,
        now: datetime,
        only_if: frozenset[MessageStatus] | None = None,
        reason_is: str | None = None,
        event: WebhookEvent | None = None,
        **fields: object,
    ) -> bool:
        names = {"#s": "status"}
        values: dict[str, Any] = {":status": status.value, ":now": iso(now)}
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
            values[f":f{i}"] = iso(value) if isinstance(value, datetime) else value
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
        return self._update_with_event(
            {
                "Key": serialize(message_key(identity_of(message))),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values_of(values),
            },
            event,
        )

    def _update_with_event(self, update: Item, event: WebhookEvent | None) -> bool:
        """One conditional update, and the event it causes in the same transaction when
        there is one (a transaction costs twice the write units: only then). False when
        the condition failed, and then nothing was written."""
        if event is not None:
            return transact_if(
                self._db,
                [
                    {"Update": {"TableName": self._table, **update}},
                    *event_puts(self._table, [event]),
                ],
            )
        try:
            self._db.update_item(TableName=self._table, **update)
        except ClientError as exc:
            if condition_failed(exc):
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
        event: WebhookEvent | None = None,
    ) -> bool:
        values: dict[str, Any] = {
            ":status": status.value,
            ":rank": DELIVERY_RANK[status],
            ":sid": sid,
            ":now": iso(now),
        }
        sets = ["#s = :status", "delivery_rank = :rank", "sid = :sid", "updated_at = :now"]
        if error_code is not None:
            sets.append("error_code = :code")
            values[":code"] = error_code
        return self._update_with_event(
            {
                "Key": serialize(
                    message_key(MessageIdentity(tenant_id, appointment_id, kind, version))
                ),
                "UpdateExpression": "SET " + ", ".join(sets),
                # Only forward: a late `sent` never overwrites `delivered`; finals stay final,
                # so a repeated callback writes neither the status nor its event again.
                "ConditionExpression": "attribute_exists(pk) AND "
                "(attribute_not_exists(delivery_rank) OR delivery_rank < :rank)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": values_of(values),
            },
            event,
        )

    def upcoming_appointments(
        self, tenant_id: str, recipient_key: str, now: datetime
    ) -> list[Appointment]:
        page = self._db.query(
            TableName=self._table,
            IndexName="by_recipient",
            KeyConditionExpression="gsi1pk = :r AND gsi1sk > :now",
            ExpressionAttributeValues=values_of(
                {":r": f"T#{tenant_id}#R#{recipient_key}", ":now": iso(now)}
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

    def last_appointment(self, tenant_id: str, recipient_key: str) -> Appointment | None:
        # The recipient's partition of the (keys-only) index sorts by start: newest first,
        # one key, then that item.
        page = self._db.query(
            TableName=self._table,
            IndexName="by_recipient",
            KeyConditionExpression="gsi1pk = :r",
            ExpressionAttributeValues=values_of({":r": f"T#{tenant_id}#R#{recipient_key}"}),
            ScanIndexForward=False,
            Limit=1,
        )
        keys = [{"pk": deserialize(i)["pk"], "sk": "A"} for i in page.get("Items", [])]
        found = batch_get(self._db, self._table, keys)
        return Appointment.model_validate(found[0]) if found else None

    def confirm_appointment(
        self, appointment: Appointment, now: datetime, event: WebhookEvent
    ) -> bool:
        # Only a scheduled version is confirmed: a second C finds it confirmed and writes
        # nothing, neither a later confirmed_at nor its event again.
        return self._update_with_event(
            {
                "Key": serialize(
                    appointment_key(appointment.tenant_id, appointment.appointment_id)
                ),
                "UpdateExpression": "SET #s = :confirmed, confirmed_at = :now, updated_at = :now",
                "ConditionExpression": "#v = :v AND #s = :scheduled",
                "ExpressionAttributeNames": {"#s": "status", "#v": "version"},
                "ExpressionAttributeValues": values_of(
                    {
                        ":confirmed": AppointmentStatus.CONFIRMED.value,
                        ":scheduled": AppointmentStatus.SCHEDULED.value,
                        ":now": iso(now),
                        ":v": appointment.version,
                    }
                ),
            },
            event,
        )

    def record_outcome(
        self,
        appointment: Appointment,
        *,
        previous: Appointment,
        event: WebhookEvent,
        audit: ActivityEntry,
    ) -> bool:
        names = {"#s": "status", "#v": "version", "#o": "outcome"}
        values: dict[str, Any] = {
            ":status": previous.status.value,
            ":v": previous.version,
            ":outcome": appointment.outcome.value if appointment.outcome else None,
            ":at": iso(appointment.outcome_at) if appointment.outcome_at else None,
            ":by": appointment.outcome_by,
            ":now": iso(appointment.updated_at),
        }
        condition = "#s = :status AND #v = :v AND "
        if previous.outcome is None:
            condition += "attribute_not_exists(#o)"
        else:
            condition += "#o = :previous"
            values[":previous"] = previous.outcome.value
        update: Item = {
            "TableName": self._table,
            "Key": serialize(appointment_key(appointment.tenant_id, appointment.appointment_id)),
            "UpdateExpression": "SET #o = :outcome, outcome_at = :at, outcome_by = :by, "
            "updated_at = :now",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values_of(values),
        }
        # One transaction: a function stopped after a separate audit write would leave the
        # outcome unaudited for good (its retry finds the same outcome and writes nothing).
        return transact_if(
            self._db,
            [
                {"Update": update},
                *event_puts(self._table, [event]),
                {"Put": log_entry_put(self._table, appointment.tenant_id, audit)},
            ],
        )

    def note_last_text(
        self,
        tenant_id: str,
        appointment_id: str,
        text: LastText,
        *,
        order: str,
        keep_variant: bool = False,
    ) -> bool:
        """Keep `text` as the appointment's last text unless what it holds is newer by
        `order` (see rendezvous.domain.last_text): one conditional write, no read. With
        `keep_variant`, first a write of the status alone, if the stored text is this one,
        so the variant it was written with stays; a second write only if it is not."""
        value = {**plain(text), "at": stamp(text.at)}
        if keep_variant and self._note_status_of_same_text(tenant_id, appointment_id, value, order):
            return True
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(appointment_key(tenant_id, appointment_id)),
                UpdateExpression="SET last_text = :text, last_text_order = :order",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(last_text_order) OR last_text_order < :order)",
                ExpressionAttributeValues=values_of({":text": value, ":order": order}),
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def _note_status_of_same_text(
        self, tenant_id: str, appointment_id: str, value: Item, order: str
    ) -> bool:
        sets = ", ".join(f"last_text.#{name} = :{name}" for name in value)
        removes = [f"last_text.#{name}" for name in ("reason",) if name not in value]
        update = f"SET {sets}, last_text_order = :order"
        if removes:
            update += " REMOVE " + ", ".join(removes)
        names = {f"#{name}": name for name in {*value, "reason"}}
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(appointment_key(tenant_id, appointment_id)),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(last_text) AND "
                "begins_with(last_text_order, :same) AND last_text_order < :order",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values_of(
                    {
                        **{f":{name}": v for name, v in value.items()},
                        ":order": order,
                        ":same": text_of(order) + "#",
                    }
                ),
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def appointments_starting(
        self,
        tenant_id: str,
        start: datetime,
        end: datetime,
        *,
        limit: int,
        after: tuple[datetime, str] | None = None,
    ) -> tuple[list[Appointment], bool]:
        """Up to `limit` appointments starting in [start, end) (after `after`, a start and
        id), soonest first, and whether more follow: one Query of `by_time` per UTC day
        (keys only), then BatchGetItem of the appointments themselves."""
        found: list[Item] = []
        low = stamp(start)
        if after is not None:
            low = max(low, f"{stamp(after[0])}#{after[1]}")
        high = stamp(end)  # "<start>#<id>" sorts after "<start>": `end` itself is excluded
        first = (after[0] if after is not None else start).astimezone(UTC).date()
        # The UTC day of the last instant before `end`: counted, not stepped past, so a
        # range ending on 9999-12-31 never asks for a day after it.
        last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
        # The first Query meets the `after` item itself again (BETWEEN is inclusive): one
        # more, so a full page still takes one Query.
        again = 0 if after is None else 1
        for offset in range((last - first).days + 1):
            if len(found) > limit:
                break
            day = first + timedelta(days=offset)
            query: dict[str, Any] = {
                "IndexName": "by_time",
                "KeyConditionExpression": "tpk = :d AND tsk BETWEEN :low AND :high",
                "ExpressionAttributeValues": values_of(
                    {":d": day_listing(tenant_id, day), ":low": low, ":high": high}
                ),
                "ProjectionExpression": "pk, tsk",
            }
            while len(found) <= limit:
                page = self._db.query(
                    TableName=self._table, Limit=limit + 1 + again - len(found), **query
                )
                again = 0
                found.extend(
                    i
                    for i in (deserialize(raw) for raw in page.get("Items", []))
                    if after is None or i["tsk"] != low
                )
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        more = len(found) > limit
        keys = [{"pk": i["pk"], "sk": "A"} for i in found[:limit]]
        appointments = [
            Appointment.model_validate(i) for i in batch_get(self._db, self._table, keys)
        ]
        # The index lags the table a little: one moved out of the range since is left out.
        listed = [a for a in appointments if start <= a.starts_at < end]
        return sorted(listed, key=lambda a: (a.starts_at, a.appointment_id)), more

    def recipients_by_key(self, tenant_id: str, keys: list[str]) -> dict[str, Recipient]:
        wanted = [recipient_item_key(tenant_id, k) for k in sorted(set(keys))]
        found = [Recipient.model_validate(i) for i in batch_get(self._db, self._table, wanted)]
        return {r.recipient_key: r for r in found}

    def messages_between(self, tenant_id: str, start: datetime, end: datetime) -> list[TimedText]:
        """Every automated text (an appointment's or an offer's) planned or sent between two
        instants, whatever its status: one Query per UTC day on `by_time`."""
        found: list[Item] = []
        day = start.astimezone(UTC).date()
        while day <= end.astimezone(UTC).date():
            found.extend(
                query_all(
                    self._db,
                    self._table,
                    IndexName="by_time",
                    KeyConditionExpression="tpk = :d AND tsk BETWEEN :start AND :end",
                    ExpressionAttributeValues=values_of(
                        {
                            ":d": f"T#{tenant_id}#M#{day.isoformat()}",
                            ":start": iso(start),
                            ":end": iso(end) + "~",
                        }
                    ),
                )
            )
            day += timedelta(days=1)
        return [timed_text(row) for row in found]

    def text_facts(
        self, tenant_id: str, identities: Sequence[TextIdentity]
    ) -> dict[TextIdentity, TextFacts]:
        """BatchGetItem of the texts' records, projected to their segments and variant."""
        wanted: dict[tuple[str, str], TextIdentity] = {}
        for identity in identities:
            if isinstance(identity, MessageIdentity):
                key = message_key(identity)
            else:
                key = offer_text_key(tenant_id, *identity[1:])
            wanted[(key["pk"], key["sk"])] = identity
        keys = [{"pk": pk, "sk": sk} for pk, sk in wanted]
        found = batch_get(self._db, self._table, keys, attributes=("segments", "variant"))
        return {
            wanted[(row["pk"], row["sk"])]: TextFacts(
                segments=int(row["segments"]) if row.get("segments") is not None else None,
                variant=str(row["variant"]) if row.get("variant") else None,
            )
            for row in found
        }

    def appointments(self, tenant_id: str, ids: list[str]) -> dict[str, Appointment]:
        keys = [appointment_key(tenant_id, i) for i in sorted(set(ids))]
        found = [Appointment.model_validate(i) for i in batch_get(self._db, self._table, keys)]
        return {a.appointment_id: a for a in found}
