"""Query without sorting the whole table.

moto 5.2.5's `Table.query` starts from `all_items()`, which lists every item of the table
and sorts them all (by key, casting each value) before the query keeps one partition and
sorts that again. At 30,000 items one Query took ~0.9 s, so a benchmark of thousands of
Queries against a table of that size could not finish. This patch answers `all_items()`
inside a Query with the one partition a table Query asks for, or, for an index Query,
with the items whose index keys equal the Query's (by moto's own equality, strings
compared without a cast), unsorted: `query` checks and sorts them itself (an index's
order by its keys, then the table's), so its answers are the same. A Scan still gets the
sorted list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_ORIGINAL_QUERY: Callable[..., Any] = Table.query
_ORIGINAL_ALL_ITEMS: Callable[[Table], list[Item]] = Table.all_items
# moto's server answers requests on threads: each Query says what it wants on its own.
_querying = threading.local()


def _every_item(table: Table) -> list[Item]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())  # type: ignore[arg-type]


def _same(found: DynamoType | None, wanted: DynamoType) -> bool:
    """moto's equality (type, then the cast value); a string's cast value is itself, so
    the common case skips the cast."""
    if found is None or found.type != wanted.type:
        return False
    return bool(found.value == wanted.value) if found.type == "S" else found == wanted


def all_items(self: Table) -> list[Item]:
    wanted: _Wanted | None = getattr(_querying, "wanted", None)
    if wanted is None or wanted.table is not self:
        return _ORIGINAL_ALL_ITEMS(self)
    hash_key = wanted.hash_key
    if wanted.index_name is not None or hash_key is None:
        conditions = wanted.index_keys
        if len(conditions) == 1 and conditions[0][1].type == "S":
            # The common index Query, one string key, inlined: this loop is the cost.
            name, key = conditions[0][0], conditions[0][1].value
            return [
                item
                for item in _every_item(self)
                if (found := item.attrs.get(name)) is not None
                and found.value == key
                and found.type == "S"
            ]
        return [
            item
            for item in _every_item(self)
            if all(_same(item.attrs.get(name), value) for name, value in conditions)
        ]
    partition: Any = self.items.get(hash_key)
    if partition is None:
        return []
    return list(partition.values()) if self.range_key_attr else [partition]


@dataclass(frozen=True)
class _Wanted:
    table: Table
    hash_key: DynamoType | None
    index_name: str | None
    index_keys: tuple[tuple[str, DynamoType], ...]


def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    # index_name is query's 8th parameter (7th after hash_key); the backend passes it
    # positionally, and an index's key conditions by name.
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    previous = getattr(_querying, "wanted", None)
    _querying.wanted = _Wanted(
        self, hash_key, index_name, tuple(kwargs.get("hash_key_conditions") or ())
    )
    try:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    finally:
        _querying.wanted = previous


def apply() -> None:
    """Make moto's Query independent of the table's size outside its partition
    (idempotent)."""
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
