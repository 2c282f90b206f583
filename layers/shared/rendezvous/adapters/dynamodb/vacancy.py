"""The waitlist, openings and offers: the VacancyStore port. Keys and indexes are in
table.py's docstring."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from rendezvous.adapters.dynamodb.table import (
    QUEUE_INDEX,
    Item,
    TableRepository,
    batch_get,
    condition_failed,
    deserialize,
    iso,
    offer_key,
    opening_key,
    plain,
    query_all,
    recipient_item_key,
    serialize,
    stamp,
    transact_if,
    values_of,
    waitlist_key,
)
from rendezvous.domain.errors import ConcurrentModification, InvalidRequest
from rendezvous.domain.ports import OpeningDetail
from rendezvous.domain.vacancy import (
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    WaitlistEntry,
    WaitlistStatus,
    service_key,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
from rendezvous.json_input import decode_json

# How long vacancy fill keeps what it knew of people (names, numbers, who took what) once
# it is over: an entry removed or filled, an opening (and its offers) after its slot
# started. As long as a conversation is kept by default (queue_retention_days); the fill
# figures of GET /v1/stats live in the activity log.
RETENTION_DAYS = 90
# Keys-only: where every waitlist entry is listed by status.
LISTING_INDEX = "by_recipient"


def entry_item(entry: WaitlistEntry) -> Item:
    """The entry with the index keys its status gives it: listed by status always, and
    for matching only while it waits."""
    position = f"{stamp(entry.listed_at)}#{entry.entry_id}"
    if entry.status is not WaitlistStatus.OFFERED:
        # Which slot an offer was for means nothing once it ended.
        entry = entry.model_copy(update={"offered_opening_id": None, "offered_starts_at": None})
    item: Item = {
        **waitlist_key(entry.tenant_id, entry.entry_id),
        **plain(entry),
        "gsi1pk": f"T#{entry.tenant_id}#WL#S#{entry.status.value}",
        "gsi1sk": position,
    }
    if entry.status is WaitlistStatus.WAITING:
        item["qpk"] = matching_listing(entry.tenant_id, entry.service)
        item["qsk"] = position
    if entry.status in (WaitlistStatus.REMOVED, WaitlistStatus.FILLED):
        # Kept a while to answer GET and the console's history, then the table forgets it.
        item["expires_at"] = forgotten_at(entry.updated_at or entry.listed_at)
    return item


def forgotten_at(ended: datetime) -> int:
    """The TTL (epoch seconds) of a vacancy record whose business ended at `ended`."""
    return int((ended + timedelta(days=RETENTION_DAYS)).timestamp())


def matching_listing(tenant_id: str, service: str | None) -> str:
    """The `by_queue` partition of the entries waiting for `service` (None: no preference)."""
    return f"T#{tenant_id}#WM#" + ("-" if service is None else f"={service_key(service)}")


def opening_item(opening: Opening) -> Item:
    position = f"{stamp(opening.starts_at)}#{opening.opening_id}"
    return {
        **opening_key(opening.tenant_id, opening.opening_id),
        **plain(opening),
        "qpk": f"T#{opening.tenant_id}#OS#{opening.status.value}",
        "qsk": position,
        "tpk": f"T#{opening.tenant_id}#OD#{opening.starts_at.astimezone(UTC).date().isoformat()}",
        "tsk": position,
        # Every way an opening ends (filled, expired, withdrawn) comes before its slot.
        "expires_at": forgotten_at(opening.starts_at),
    }


def offer_item(offer: Offer) -> Item:
    # Forgotten with its opening; an offer stored before it knew the slot's start, from
    # when it was sent (which is before the start).
    return {
        **offer_key(offer.tenant_id, offer.opening_id, offer.entry_id),
        **plain(offer),
        "expires_at": forgotten_at(offer.starts_at or offer.sent_at),
    }


def opening_put(table: str, opening: Opening) -> dict[str, Any]:
    """The transaction entry that creates `opening`; it fails if the opening exists."""
    return {
        "Put": {
            "TableName": table,
            "Item": serialize(opening_item(opening)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def opening_partition(
    db: DynamoDBClient, table: str, tenant_id: str, opening_id: str
) -> list[Item]:
    """One consistent Query: the opening, its offers and their texts share a partition."""
    return query_all(
        db,
        table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=values_of({":p": opening_key(tenant_id, opening_id)["pk"]}),
        ConsistentRead=True,
    )


def opening_fill(
    table: str,
    tenant_id: str,
    opening_id: str,
    *,
    appointment_id: str,
    entry_id: str | None,
    not_before: datetime,
    now: datetime,
) -> dict[str, Any]:
    """The transaction entry that takes the opening for `appointment_id` (and the waitlist
    `entry_id` whose reply took it): only while it is open or offered and starts after
    `not_before`, so of two takers one wins and the other's whole transaction fails."""
    sets = (
        "SET #s = :filled, qpk = :qpk, filled_at = :now, filled_appointment_id = :appt, "
        "version = version + :one"
    )
    values: dict[str, Any] = {
        ":filled": OpeningStatus.FILLED.value,
        ":qpk": f"T#{tenant_id}#OS#{OpeningStatus.FILLED.value}",
        ":now": iso(now),
        ":appt": appointment_id,
        ":one": 1,
        ":open": OpeningStatus.OPEN.value,
        ":offered": OpeningStatus.OFFERED.value,
        # Starting strictly after `not_before` (the domain's check) is starting at least a
        # microsecond later: `tsk > stamp(not_before)` would admit a start equal to it, as
        # "<stamp>#<id>" sorts after "<stamp>".
        ":limit": stamp(not_before + timedelta(microseconds=1)),
    }
    if entry_id is not None:
        sets += ", filled_by_entry = :entry"
        values[":entry"] = entry_id
    return {
        "Update": {
            "TableName": table,
            "Key": serialize(opening_key(tenant_id, opening_id)),
            "UpdateExpression": sets,
            # `tsk` is "<start, fixed-width UTC to the microsecond>#<id>", compared as text.
            "ConditionExpression": "#s IN (:open, :offered) AND tsk >= :limit",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": values_of(values),
        }
    }


# A cursor is a position in one listing (a status, or none, and the index sort key of the
# last item given), never a key or a tenant: the tenant comes from the token, so an
# edited cursor can only move within the caller's own list.
_POSITION = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00#[A-Za-z0-9][A-Za-z0-9._:-]{0,99}"
)


def encode_cursor(status: str | None, position: str) -> str:
    raw = json.dumps([status, position], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, statuses: Iterable[str]) -> tuple[str | None, str]:
    """The (status, position) a cursor of this listing names; anything else is a 400."""
    try:
        status, position = decode_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise InvalidRequest("cursor is not valid") from exc
    if (status is not None and status not in set(statuses)) or not (
        isinstance(position, str) and _POSITION.fullmatch(position)
    ):
        raise InvalidRequest("cursor is not valid for this listing")
    return status, position


class DynamoVacancies(TableRepository):
    def get_entry(self, tenant_id: str, entry_id: str) -> WaitlistEntry | None:
        item = self._get(waitlist_key(tenant_id, entry_id))
        return WaitlistEntry.model_validate(item) if item else None

    def put_entry(self, entry: WaitlistEntry, *, expected_version: int | None) -> None:
        self._put_versioned(entry_item(entry), expected_version, f"entry {entry.entry_id}")

    def remove_offered_entry(self, removed: WaitlistEntry, *, expected_version: int) -> None:
        tenant_id = removed.tenant_id
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": serialize(entry_item(removed)),
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": values_of({":v": expected_version}),
                }
            }
        ]
        # The offer holding the entry is the number's waitlist offer (one at a time).
        recipient = self._get(recipient_item_key(tenant_id, removed.recipient_key)) or {}
        choice = recipient.get("waitlist_offer") or {}
        held = str(choice.get("opening_id", ""))
        offer = self._get(offer_key(tenant_id, held, removed.entry_id)) if held else None
        if offer is not None and offer.get("status") == OfferStatus.SENT.value:
            items += [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(offer_key(tenant_id, held, removed.entry_id)),
                        "UpdateExpression": "SET #s = :expired",
                        "ConditionExpression": "#s = :sent",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values_of(
                            {
                                ":expired": OfferStatus.EXPIRED.value,
                                ":sent": OfferStatus.SENT.value,
                            }
                        ),
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(recipient_item_key(tenant_id, removed.recipient_key)),
                        "UpdateExpression": "SET rev = rev + :one REMOVE waitlist_offer",
                        "ConditionExpression": "waitlist_offer.opening_id = :opening",
                        "ExpressionAttributeValues": values_of({":one": 1, ":opening": held}),
                    }
                },
            ]
        if not transact_if(self._db, items):
            raise ConcurrentModification(f"entry {removed.entry_id} changed concurrently")

    def _put_versioned(self, item: Item, expected_version: int | None, what: str) -> None:
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if expected_version is None
            else {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": values_of({":v": expected_version}),
            }
        )
        try:
            self._db.put_item(TableName=self._table, Item=serialize(item), **condition)
        except ClientError as exc:
            if condition_failed(exc):
                raise ConcurrentModification(f"{what} changed concurrently") from exc
            raise

    def entries(
        self, tenant_id: str, status: WaitlistStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        """One keys-only Query of `by_recipient` per status read (one, unless a status runs
        out mid-page), then one BatchGetItem."""
        statuses = [s.value for s in WaitlistStatus]
        at, after = (None, None) if cursor is None else decode_cursor(cursor, statuses)
        if status is not None and at not in (None, status.value):
            raise InvalidRequest("cursor is not valid for this listing")
        todo = (
            [status.value] if status is not None else statuses[statuses.index(at or statuses[0]) :]
        )
        found: list[tuple[str, Item]] = []
        for listed in todo:
            condition = "gsi1pk = :p"
            values: dict[str, Any] = {":p": f"T#{tenant_id}#WL#S#{listed}"}
            if after is not None:
                condition += " AND gsi1sk > :after"
                values[":after"] = after
                after = None  # only the cursor's own status continues after it
            found.extend(
                (listed, i)
                for i in self._query_up_to(
                    limit + 1 - len(found),
                    IndexName=LISTING_INDEX,
                    KeyConditionExpression=condition,
                    ExpressionAttributeValues=values_of(values),
                )
            )
            if len(found) > limit:
                break
        page = found[:limit]
        by_key = {
            i["pk"]: i
            for i in batch_get(
                self._db, self._table, [{"pk": k["pk"], "sk": "WL"} for _, k in page]
            )
        }
        # An entry that changed status since the index was read is shown as it is now.
        entries = [
            WaitlistEntry.model_validate(by_key[k["pk"]]) for _, k in page if k["pk"] in by_key
        ]
        more = len(found) > limit
        return entries, encode_cursor(page[-1][0], page[-1][1]["gsi1sk"]) if more else None

    def waiting_for(
        self, tenant_id: str, service: str | None, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        """Two Queries of `by_queue` (the service's waiting entries and the no-preference
        ones, full items), merged by time listed; for any service, entries(waiting)."""
        if service is None:
            return self.entries(tenant_id, WaitlistStatus.WAITING, limit, cursor)
        return self._waiting_in(
            [matching_listing(tenant_id, service), matching_listing(tenant_id, None)],
            limit,
            cursor,
        )

    def waiting_without_preference(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        """One Query of `by_queue`: the no-preference listing alone."""
        return self._waiting_in([matching_listing(tenant_id, None)], limit, cursor)

    def _waiting_in(
        self, listings: list[str], limit: int, cursor: str | None
    ) -> tuple[list[WaitlistEntry], str | None]:
        _, after = (None, None) if cursor is None else decode_cursor(cursor, ["waiting"])
        found: list[Item] = []
        for listing in listings:
            condition = "qpk = :p"
            values: dict[str, Any] = {":p": listing}
            if after is not None:
                condition += " AND qsk > :after"
                values[":after"] = after
            found.extend(
                self._query_up_to(
                    limit + 1,
                    IndexName=QUEUE_INDEX,
                    KeyConditionExpression=condition,
                    ExpressionAttributeValues=values_of(values),
                )
            )
        found.sort(key=lambda i: str(i["qsk"]))
        page = found[:limit]
        more = len(found) > limit
        return (
            [WaitlistEntry.model_validate(i) for i in page],
            encode_cursor("waiting", page[-1]["qsk"]) if more else None,
        )

    def _query_up_to(self, count: int, **query: Any) -> list[Item]:
        """Up to `count` items of a Query, following its pages only as far as needed."""
        found: list[Item] = []
        while len(found) < count:
            page = self._db.query(TableName=self._table, Limit=count - len(found), **query)
            found.extend(deserialize(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def get_opening(self, tenant_id: str, opening_id: str) -> OpeningDetail | None:
        """One Query: the opening and its offers share a partition."""
        items = opening_partition(self._db, self._table, tenant_id, opening_id)
        opening = next((i for i in items if i["sk"] == "OP"), None)
        if opening is None:
            return None
        offers = [Offer.model_validate(i) for i in items if i["sk"].startswith("OF#")]
        offers.sort(key=lambda o: (o.sent_at, o.entry_id))
        return OpeningDetail(Opening.model_validate(opening), offers)

    def create_opening(self, opening: Opening) -> bool:
        return self._put_new(opening_item(opening))

    def save_opening(self, opening: Opening, *, expected_version: int) -> None:
        self._put_versioned(
            opening_item(opening), expected_version, f"opening {opening.opening_id}"
        )

    def openings(
        self,
        tenant_id: str,
        *,
        status: OpeningStatus | None,
        start: datetime,
        end: datetime,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Opening], str | None]:
        """In a status: one Query of `by_queue` (full items) per page. In every status: one
        keys-only Query of `by_time` per UTC day, then one BatchGetItem."""
        at, after = (
            (None, None)
            if cursor is None
            else decode_cursor(cursor, [s.value for s in OpeningStatus])
        )
        if at != (None if status is None else status.value) and cursor is not None:
            raise InvalidRequest("cursor is not valid for this listing")
        if after is not None and not stamp(start) <= after < stamp(end):
            raise InvalidRequest("cursor does not belong to this from and to")
        low, high = after or stamp(start), stamp(end)
        if status is not None:
            found = [
                i
                for i in self._query_up_to(
                    limit + 2,
                    IndexName=QUEUE_INDEX,
                    KeyConditionExpression="qpk = :p AND qsk BETWEEN :low AND :high",
                    ExpressionAttributeValues=values_of(
                        {":p": f"T#{tenant_id}#OS#{status.value}", ":low": low, ":high": high}
                    ),
                )
                if i["qsk"] != after
            ]
            page = [Opening.model_validate(i) for i in found[:limit]]
        else:
            found = []
            day = datetime.fromisoformat(low.split("#")[0]).date()
            while len(found) <= limit and datetime.combine(day, time(), UTC) < end:
                found.extend(
                    i
                    for i in self._query_up_to(
                        limit + 2 - len(found),
                        IndexName="by_time",
                        KeyConditionExpression="tpk = :d AND tsk BETWEEN :low AND :high",
                        ExpressionAttributeValues=values_of(
                            {
                                ":d": f"T#{tenant_id}#OD#{day.isoformat()}",
                                ":low": low,
                                ":high": high,
                            }
                        ),
                        ProjectionExpression="pk, tsk",
                    )
                    if i["tsk"] != after
                )
                day += timedelta(days=1)
            by_key = {
                i["pk"]: i
                for i in batch_get(
                    self._db, self._table, [{"pk": i["pk"], "sk": "OP"} for i in found[:limit]]
                )
            }
            page = [
                Opening.model_validate(by_key[i["pk"]]) for i in found[:limit] if i["pk"] in by_key
            ]
        more = len(found) > limit
        last = found[limit - 1] if more else None
        return page, (
            encode_cursor(at if status is None else status.value, last["qsk" if status else "tsk"])
            if last
            else None
        )
