"""The waitlist, openings and offers: the VacancyStore port. Keys and indexes are in
table.py's docstring."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from rendezvous.adapters.dynamodb.table import (
    Item,
    offer_key,
    opening_key,
    plain,
    serialize,
    stamp,
    waitlist_key,
)
from rendezvous.domain.vacancy import (
    Offer,
    Opening,
    WaitlistEntry,
    WaitlistStatus,
    service_key,
)


def entry_item(entry: WaitlistEntry) -> Item:
    """The entry with the index keys its status gives it: listed by status always, and
    for matching only while it waits."""
    position = f"{stamp(entry.listed_at)}#{entry.entry_id}"
    item: Item = {
        **waitlist_key(entry.tenant_id, entry.entry_id),
        **plain(entry),
        "gsi1pk": f"T#{entry.tenant_id}#WL#S#{entry.status.value}",
        "gsi1sk": position,
    }
    if entry.status is WaitlistStatus.WAITING:
        item["qpk"] = matching_listing(entry.tenant_id, entry.service)
        item["qsk"] = position
    return item


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
    }


def offer_item(offer: Offer) -> Item:
    return {**offer_key(offer.tenant_id, offer.opening_id, offer.entry_id), **plain(offer)}


def opening_put(table: str, opening: Opening) -> dict[str, Any]:
    """The transaction entry that creates `opening`; it fails if the opening exists."""
    return {
        "Put": {
            "TableName": table,
            "Item": serialize(opening_item(opening)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
