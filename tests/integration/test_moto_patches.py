"""The local stack's moto patches: TransactWriteItems with no table copies and the same
rollback; the server's list of its modules made once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import backends, mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from infra.local.moto_patches import dynamodb as dynamodb_patch
from infra.local.moto_patches import server as server_patch

TABLE = "patched"


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Undone after the test, so other tests see moto as it ships.
    monkeypatch.setattr(
        DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items
    )
    dynamodb_patch.apply()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def key(pk: str, sk: str = "a") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def items(db: Any) -> dict[tuple[str, str], dict[str, Any]]:
    found = db.scan(TableName=TABLE)["Items"]
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in found}


def test_a_transaction_copies_no_table(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(50):
        db.put_item(TableName=TABLE, Item={**key(f"p{n}"), "n": {"N": str(n)}})

    def refuse(self: Table, memo: Any) -> Table:
        raise AssertionError("the whole table was copied")

    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)

    db.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**key("new"), "n": {"N": "1"}}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("p1"),
                    "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "100"}},
                }
            },
        ]
    )

    assert items(db)[("new", "a")]["n"] == {"N": "1"}
    assert items(db)[("p1", "a")]["n"] == {"N": "100"}


def test_a_failed_transaction_undoes_its_puts_updates_and_deletes(db: Any) -> None:
    db.put_item(TableName=TABLE, Item={**key("kept"), "n": {"N": "1"}})
    db.put_item(TableName=TABLE, Item={**key("deleted"), "n": {"N": "2"}})
    db.put_item(TableName=TABLE, Item={**key("guard"), "n": {"N": "3"}})
    before = items(db)

    with pytest.raises(ClientError) as refused:
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**key("fresh"), "n": {"N": "9"}}}},
                {"Put": {"TableName": TABLE, "Item": {**key("fresh", "b"), "n": {"N": "9"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("kept"),
                        "UpdateExpression": "SET n = :n, extra = :n",
                        "ExpressionAttributeValues": {":n": {"N": "7"}},
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": key("deleted")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("guard"),
                        "ConditionExpression": "n = :other",
                        "ExpressionAttributeValues": {":other": {"N": "4"}},
                    }
                },
            ]
        )

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = refused.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None"] * 4 + ["ConditionalCheckFailed"]
    assert items(db) == before


def test_the_servers_module_list_is_moto_as_it_ships_listed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shipped = list(backends.list_of_moto_modules())
    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    server_patch.apply()

    assert list(backends.list_of_moto_modules()) == shipped
    assert {"dynamodb", "sqs", "scheduler"} <= set(shipped)
    assert backends.list_of_moto_modules() is backends.list_of_moto_modules()
