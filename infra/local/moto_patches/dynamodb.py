"""TransactWriteItems without a copy of every table it touches.

moto 5.2.5's `DynamoDBBackend.transact_write_items` deep-copies each table a transaction
names, to roll back on failure. That costs time and memory in proportion to the whole
table on every transaction: the local stack grew 4-8 MB per booking, because a table
copy keeps its stream shard's back-reference (a cycle), so each copy waits for a full
garbage collection while the table keeps growing. This patch keeps moto's semantics
(the same checks, errors and order) but journals only the items the transaction writes
(a deep copy of each before it is changed, an update changing an Item in place) and puts
those back on failure, with the stream records the failed writes added.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})


@dataclass
class _Before:
    """One item as it was before the transaction wrote it (None: it did not exist)."""

    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None

    def restore(self) -> None:
        items: Any = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
            return
        same_hash = items.get(self.hash_key)
        if self.item is not None:
            items.setdefault(self.hash_key, {})[self.range_key] = self.item
        elif same_hash is not None:
            same_hash.pop(self.range_key, None)
            if not same_hash:
                del items[self.hash_key]


class _Journal:
    def __init__(self) -> None:
        self._before: list[_Before] = []
        self._stream_lengths: dict[int, tuple[Any, int]] = {}

    def remember(self, table: Table, key: dict[str, Any]) -> None:
        if table.stream_shard is not None and id(table) not in self._stream_lengths:
            shard = table.stream_shard
            self._stream_lengths[id(table)] = (shard, len(shard.items))
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        current = table.get_item(hash_key, range_key)
        self._before.append(_Before(table, hash_key, range_key, copy.deepcopy(current)))

    def roll_back(self) -> None:
        for before in reversed(self._before):
            before.restore()
        for shard, length in self._stream_lengths.values():
            del shard.items[length:]


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal()
    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in _OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            check_unicity(table_name, key)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(condition_expression, names, values)
                if not condition_op.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if op_type != "ConditionCheck":
                journal.remember(self.get_table(table_name), key)
            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            journal.roll_back()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))
        except Exception as e:  # moto reports any failure per item, as AWS does
            errors.append((type(e).__name__, str(e), original_item))

    if any(code is not None for code, _, _ in errors):
        journal.roll_back()
        raise TransactionCanceledException(errors)


def apply() -> None:
    """Replace moto's TransactWriteItems with the journaling one (idempotent)."""
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
