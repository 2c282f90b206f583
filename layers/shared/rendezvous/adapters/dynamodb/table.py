"""The one DynamoDB table: its key layout, the codec, and the query/batch/transaction
helpers every repository shares. ClientError codes become domain exceptions in the
repositories; here only a failed transaction condition does.

Keys (pk / sk):
  T#<tenant>              TENANT          tenant configuration and pause switch
  N#<e164>                NUMBER          which tenant owns a sending number
  T#<tenant>#A#<appt>     A               the appointment (gsi1: recipient, start time)
  T#<tenant>#A#<appt>     M#<ver>#<kind>  one automated text for one appointment version
  T#<tenant>#R#<rkey>     R               a recipient: opt-out, deliverability, daily count
  T#<tenant>#R#<rkey>     TXT#<at>#<sid>#<n>  an inbound text (n = 0) or our answer to it
                                          (conversations.py; expires with the queue's data)
  T#<tenant>#R#<rkey>     SID#<sid>       keeps one inbound text once, whatever Twilio retries
  T#<tenant>#LOG#<day>    <at>#<id>       the append-only activity and audit log
  RUN#<job>               <UTC hour>      a once-an-hour job's claim on that hour (the
                                          queue watcher's tune-out check; hourly.py)
  T#<tenant>#Q#<item>     ITEM            a staff queue item (sparse index by_queue)
  T#<tenant>#Q#<item>     MSG#<at>#<n>    one text in its conversation
  T#<tenant>#EVT#<event>  EVT             a webhook event (the outbox; kind=webhook_event)
  T#<tenant>#WH           EP#<endpoint>   a webhook endpoint (URL, events, sealed secret)
  T#<tenant>#WH           COUNT           how many endpoints the tenant has (the limit's
                                          condition, kept in each create's and delete's
                                          transaction)
  T#<tenant>#WH#<endpoint>  D#<delivery>  one event's delivery to that endpoint, with its
                                          attempts (expires 30 days after its event or its
                                          last retry by hand)
  T#<tenant>#WL#<entry>   WL              a waitlist entry (vacancy.py)
  T#<tenant>#OP#<opening>  OP             an opening: a slot free to offer
  T#<tenant>#OP#<opening>  OT#<entry>#<kind>  an offer's text (offer, offer_taken): its plan
                                          and fate, as an appointment's M# records (and in
                                          `by_time` as they are: offer_time_keys)
  T#<tenant>#OP#<opening>  OF#<entry>     one offer of that opening to a waitlist entry, so
                                          an opening and its offers are one Query
  T#<tenant>#EXS          EX#<experiment>  a template experiment (experiments.py; the
                                          running one also rides on the tenant record)
  T#<tenant>#EX#<exp>     A#<appt>        a member of it: the appointment's variant, its texts

Sparse index `by_time` holds message records by tenant and UTC day of sending, then time:
the outbox reads what is pending in the next hours, stats what happened in the last days,
the queue watcher's sweep what is stuck and a redrive what failed. An offer's texts are
there too, in the same partitions (one Query a day still reads every text), under a sort
key no appointment's text can have (`<send_at>#offer~<opening>#<entry>#<kind>`: `~` is in
no appointment id); which one a row is, its table keys say (text_identity).
It also holds appointments (tpk T#<tenant>#AD#<UTC day of starts_at>, tsk `<start>#<id>`):
the day and week lists read one day per Query. Appointments saved before these keys
existed get them from the one-off `make backfill` (infra/backfill.py).
A tenant record is also listed under gsi1pk TENANTS for the queue watcher, and a
delivery under gsi1pk T#<tenant>#WH#<endpoint>#D with gsi1sk `<event time>#<delivery>`,
so an endpoint's deliveries newest first are one Query of that (keys-only) index and one
BatchGetItem, whatever form the delivery ids take. The `by_queue`
index holds only queue items (qpk = T#<tenant>#QS#<status>, qsk = due time and id), so
listing a tenant's open items most urgent first is one Query on a sparse index.

Vacancy fill (adapters/dynamodb/vacancy.py) lists through the same three indexes:
- a waitlist entry in status `waiting` is in `by_queue` (ALL) under qpk
  T#<tenant>#WM#=<service, case aside> (or T#<tenant>#WM#- when it has no preference),
  qsk `<listed_at>#<entry>`: the entries to offer a slot for a service, first listed
  first, are two Queries (that service's and the no-preference one), merged;
- every entry is in `by_recipient` under gsi1pk T#<tenant>#WL#S#<status>, gsi1sk
  `<listed_at>#<entry>`: GET /v1/waitlist (and matching `any`) is a keys-only Query and a
  BatchGetItem per page;
- an offer's text is in `by_recipient` under gsi1pk T#<tenant>#R#<rkey>#OT, gsi1sk
  `<created_at>#<opening>#<kind>`: the number's conversation reads them there;
- an opening is in `by_queue` under qpk T#<tenant>#OS#<status>, qsk `<starts_at>#<opening>`
  (openings in a status starting in a range: one Query), and in `by_time` under tpk
  T#<tenant>#OD#<UTC day of starts_at>, tsk the same (every status: one keys-only Query a
  day, then BatchGetItem).

A webhook event is keyed by its deterministic id alone (no time in the key): the same
action retried writes the same item, which the stream reports as a MODIFY, and the pipe
forwards INSERTs only. Nothing reads events back from the table; they expire after 14 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.identity import MessageIdentity, OfferIdentity, TextIdentity, TimedText
from rendezvous.domain.models import MessageRecord, OfferText

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Item = dict[str, Any]
QUEUE_INDEX = "by_queue"
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def tenant_key(tenant_id: str) -> Item:
    return {"pk": f"T#{tenant_id}", "sk": "TENANT"}


def number_key(e164: str) -> Item:
    return {"pk": f"N#{e164}", "sk": "NUMBER"}


def appointment_key(tenant_id: str, appointment_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#A#{appointment_id}", "sk": "A"}


def message_key(identity: MessageIdentity) -> Item:
    return {
        "pk": f"T#{identity.tenant_id}#A#{identity.appointment_id}",
        "sk": f"M#{identity.version:05d}#{identity.kind}",
    }


def time_keys(tenant_id: str, message: MessageRecord, send_at: datetime | None = None) -> Item:
    """Where a message sits in `by_time`: its tenant and UTC day of sending, then its time.

    The keys change only when a text is deferred, so recording what happened to a text
    costs one index write, not a move between indexes.
    """
    when = send_at or message.send_at
    return {
        "tpk": f"T#{tenant_id}#M#{when.astimezone(UTC).date().isoformat()}",
        "tsk": f"{iso(when)}#{message.appointment_id}#{message.kind}#{message.version}",
    }


# Marks an offer text's `tsk` (no appointment id holds a `~`: RESOURCE_ID_PATTERN).
_OFFER_TIME_TAG = "offer~"


def offer_time_keys(text: OfferText, send_at: datetime | None = None) -> Item:
    """Where an offer's text sits in `by_time`: the partition of an appointment's text of
    the same moment, under a sort key no appointment's text can have."""
    when = send_at or text.send_at
    return {
        "tpk": f"T#{text.tenant_id}#M#{when.astimezone(UTC).date().isoformat()}",
        "tsk": f"{iso(when)}#{_OFFER_TIME_TAG}{text.opening_id}#{text.entry_id}#{text.kind}",
    }


def timed_text(row: Mapping[str, Any]) -> TimedText:
    """A `by_time` row of a text as the domain reads it: whose it is (from its table keys,
    so the index projects nothing more for offers) and where it stands."""
    tenant_id = str(row["pk"]).split("#", 2)[1]
    sk = str(row["sk"])
    identity: TextIdentity
    if sk.startswith("OT#"):
        opening_id = str(row["pk"]).split("#OP#", 1)[1]
        entry_id, kind = sk.removeprefix("OT#").split("#", 1)
        identity = OfferIdentity(tenant_id, opening_id, entry_id, kind)
    else:
        identity = MessageIdentity(
            tenant_id, str(row["appointment_id"]), str(row["kind"]), int(row["version"])
        )
    return TimedText(
        identity=identity,
        status=str(row["status"]),
        reason=str(row["reason"]) if row.get("reason") else None,
        send_at=datetime.fromisoformat(str(row["send_at"])),
    )


def day_listing(tenant_id: str, day: date) -> str:
    """The `by_time` partition of a tenant's appointments starting on a UTC day."""
    return f"T#{tenant_id}#AD#{day.isoformat()}"


def day_keys(tenant_id: str, starts_at: datetime, appointment_id: str) -> Item:
    """Where an appointment sits in `by_time`: its tenant and UTC day of starting, then its
    start (fixed width, so text order is time order) and id."""
    return {
        "tpk": day_listing(tenant_id, starts_at.astimezone(UTC).date()),
        "tsk": f"{stamp(starts_at)}#{appointment_id}",
    }


def offer_thread_keys(text: OfferText) -> Item:
    """Where an offer's text is listed under its number in `by_recipient` (keys only), so
    the conversation with that number reads its offer texts newest first: one Query and
    one BatchGetItem. Written with the text itself, by the same Put."""
    return {
        "gsi1pk": f"T#{text.tenant_id}#R#{text.recipient_key}#OT",
        "gsi1sk": f"{iso(text.created_at)}#{text.opening_id}#{text.kind}",
    }


def log_key(tenant_id: str, at: datetime, entry_id: str) -> Item:
    return {
        "pk": f"T#{tenant_id}#LOG#{at.astimezone(UTC).date().isoformat()}",
        "sk": f"{iso(at)}#{entry_id}",
    }


def event_key(tenant_id: str, event_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#EVT#{event_id}", "sk": "EVT"}


def recipient_item_key(tenant_id: str, rkey: str) -> Item:
    return {"pk": f"T#{tenant_id}#R#{rkey}", "sk": "R"}


def queue_key(tenant_id: str, item_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#Q#{item_id}", "sk": "ITEM"}


def webhook_endpoint_key(tenant_id: str, endpoint_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#WH", "sk": f"EP#{endpoint_id}"}


def webhook_count_key(tenant_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#WH", "sk": "COUNT"}


def delivery_key(tenant_id: str, endpoint_id: str, delivery_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#WH#{endpoint_id}", "sk": f"D#{delivery_id}"}


def delivery_listing(tenant_id: str, endpoint_id: str) -> str:
    """The gsi1pk under which an endpoint's deliveries are listed."""
    return f"T#{tenant_id}#WH#{endpoint_id}#D"


def waitlist_key(tenant_id: str, entry_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#WL#{entry_id}", "sk": "WL"}


def opening_key(tenant_id: str, opening_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#OP#{opening_id}", "sk": "OP"}


def offer_key(tenant_id: str, opening_id: str, entry_id: str) -> Item:
    return {"pk": f"T#{tenant_id}#OP#{opening_id}", "sk": f"OF#{entry_id}"}


def offer_text_key(tenant_id: str, opening_id: str, entry_id: str, kind: str) -> Item:
    """An offer's text (`offer`, `offer_taken`), with its opening and offer."""
    return {"pk": f"T#{tenant_id}#OP#{opening_id}", "sk": f"OT#{entry_id}#{kind}"}


def stamp(instant: datetime) -> str:
    """An instant as a fixed-width UTC string: compared and sorted as text in conditions
    and keys, where `iso` (no fraction when it is zero, any offset) would misorder."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def number_safe(value: Any) -> Any:
    """DynamoDB numbers are Decimals; a float (a wait in minutes, a segment price, and
    inside a settings change's before and after) goes through its text form."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: number_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [number_safe(v) for v in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(number_safe(v)) for k, v in item.items() if v is not None}


def deserialize(raw: Mapping[str, Any]) -> Item:
    return {k: _deserializer.deserialize(v) for k, v in raw.items()}


def plain(model: BaseModel) -> Item:
    return model.model_dump(mode="json", exclude_none=True)


def values_of(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(number_safe(v)) for k, v in values.items()}


def iso(instant: datetime) -> str:
    return instant.isoformat()


def condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def cancellation_codes(exc: ClientError) -> list[str]:
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
    db: DynamoDBClient,
    table: str,
    keys: list[Item],
    *,
    consistent: bool = False,
    attributes: tuple[str, ...] = (),
) -> list[Item]:
    """The items under `keys` that exist, in batches of 100, retrying unprocessed keys;
    only `attributes` of each (and its keys) when some are named."""
    found: list[Item] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {"Keys": [serialize(k) for k in keys[start : start + 100]]}
        if consistent:
            request["ConsistentRead"] = True
        if attributes:
            names = {f"#a{n}": name for n, name in enumerate(("pk", "sk", *attributes))}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
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
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            raise ConcurrentModification(conflict) from exc
        raise


def transact_if(db: DynamoDBClient, items: list[Any]) -> bool:
    """Write every item or none; False when a condition failed (nothing was written)."""
    try:
        db.transact_write_items(TransactItems=items)
    except ClientError as exc:
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            return False
        raise
    return True


class TableRepository:
    """What every repository on the table holds: the client and the table's name."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def _get(self, key: Item) -> Item | None:
        raw = self._db.get_item(TableName=self._table, Key=serialize(key), ConsistentRead=True)
        return deserialize(raw["Item"]) if "Item" in raw else None

    def _put_new(self, item: Item) -> bool:
        """Put `item` only where no item is; False when one is (nothing was written)."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=serialize(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True
