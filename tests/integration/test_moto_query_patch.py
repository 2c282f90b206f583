"""moto's Query without a sort of the whole table (infra/local/moto_patches/dynamodb_query):
every Query answers exactly what moto's own answers, page by page, on the table and on an
index; and a table Query no longer lists the table."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from infra.local.moto_patches import dynamodb_query

TABLE = "queried"
ITEMS = 300


@pytest.fixture
def db() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gpk", "gsk")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_g",
                    "KeySchema": [
                        {"AttributeName": "gpk", "KeyType": "HASH"},
                        {"AttributeName": "gsk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        shuffled = random.Random(14)
        for n in shuffled.sample(range(ITEMS), ITEMS):
            item = {"pk": {"S": f"p{n % 7}"}, "sk": {"S": f"s{n:04d}"}, "n": {"N": str(n)}}
            if n % 3:  # a sparse index: one item in three is not in it
                # Equal index sort keys on purpose: their order comes from the table's keys.
                item |= {"gpk": {"S": f"g{n % 4}"}, "gsk": {"S": f"k{n % 10}"}}
            client.put_item(TableName=TABLE, Item=item)
        yield client


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :h", "ExpressionAttributeValues": {":h": {"S": "p3"}}},
    {
        "KeyConditionExpression": "pk = :h AND sk > :s",
        "ExpressionAttributeValues": {":h": {"S": "p1"}, ":s": {"S": "s0150"}},
        "ScanIndexForward": False,
    },
    {
        "KeyConditionExpression": "pk = :h",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {":h": {"S": "p5"}, ":n": {"N": "120"}},
    },
    {"KeyConditionExpression": "pk = :h", "ExpressionAttributeValues": {":h": {"S": "none"}}},
    {
        "IndexName": "by_g",
        "KeyConditionExpression": "gpk = :h",
        "ExpressionAttributeValues": {":h": {"S": "g2"}},
    },
    {
        "IndexName": "by_g",
        "KeyConditionExpression": "gpk = :h AND begins_with(gsk, :k)",
        "ExpressionAttributeValues": {":h": {"S": "g1"}, ":k": {"S": "k3"}},
        "ScanIndexForward": False,
    },
]


def every_page(db: Any, query: dict[str, Any]) -> list[list[dict[str, Any]]]:
    pages = db.get_paginator("query").paginate(
        TableName=TABLE, PaginationConfig={"PageSize": 7}, **query
    )
    return [page["Items"] for page in pages]


@pytest.mark.parametrize("query", QUERIES)
def test_every_page_of_a_query_is_what_moto_answers(
    db: Any, query: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = every_page(db, query)
    monkeypatch.setattr(Table, "query", Table.query)
    monkeypatch.setattr(Table, "all_items", Table.all_items)
    dynamodb_query.apply()

    assert every_page(db, query) == expected
    assert sum(len(page) for page in expected) > 0 or query is QUERIES[3]


def test_a_table_query_reads_its_partition_only_and_a_scan_still_sees_all(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Table, "query", Table.query)
    monkeypatch.setattr(Table, "all_items", Table.all_items)
    dynamodb_query.apply()
    listed: list[int] = []
    patched: Callable[[Table], list[Any]] = Table.all_items

    def counting(self: Table) -> list[Any]:
        found = patched(self)
        listed.append(len(found))
        return found

    monkeypatch.setattr(Table, "all_items", counting)

    db.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :h",
        ExpressionAttributeValues={":h": {"S": "p0"}},
    )
    scanned = db.scan(TableName=TABLE)["Items"]

    assert listed == [len(range(0, ITEMS, 7)), ITEMS]
    assert len(scanned) == ITEMS
