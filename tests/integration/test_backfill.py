"""The day-index migration (`make backfill`) on the template's table in moto: appointments
saved before issue 13 (written here by the real repository, then stripped of tpk/tsk) are
listed after it, a second run changes nothing, and a save meanwhile wins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from infra.backfill import backfill, main
from infra.template import REGION
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.table import appointment_key, serialize
from rendezvous.domain.models import Appointment, Customer, MessageStatus
from tests.support.aws import at

NOW = at("2030-01-10T09:00:00-08:00")
DAY_15 = at("2030-01-15T00:00:00-08:00")


def appointment(n: int, starts_at: datetime, tenant: str = "clinic-1") -> Appointment:
    return Appointment(
        tenant_id=tenant,
        appointment_id=f"a{n:04d}",
        customer=Customer(phone=f"+1415555{n:04d}", name=f"Person {n}"),
        starts_at=starts_at,
        created_at=NOW,
        updated_at=NOW,
    )


def strip_day_keys(store: DynamoAppointmentStore, a: Appointment) -> None:
    """The appointment as code before issue 13 left it: no tpk/tsk."""
    store._db.update_item(
        TableName=store._table,
        Key=serialize(appointment_key(a.tenant_id, a.appointment_id)),
        UpdateExpression="REMOVE tpk, tsk",
    )


def saved_the_old_way(store: DynamoAppointmentStore, *appointments: Appointment) -> None:
    for a in appointments:
        store.create_appointment(a, [])
        strip_day_keys(store, a)


def listed(store: DynamoAppointmentStore, day: datetime, tenant: str = "clinic-1") -> list[str]:
    found, more = store.appointments_starting(tenant, day, day + timedelta(days=1), limit=100)
    assert not more
    return [a.appointment_id for a in found]


def table_items(store: DynamoAppointmentStore) -> list[dict[str, Any]]:
    items = store._db.scan(TableName=store._table)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def client() -> Any:
    """The migration's own client, as `main` makes one: hooks on it see only its calls."""
    return boto3.client("dynamodb", region_name=REGION)


def before_first_update(db: Any, action: Callable[[], object]) -> None:
    """Run `action` once, between the migration's Scan and its first UpdateItem."""
    done: list[bool] = []

    def hook(**_: Any) -> None:
        if not done:
            done.append(True)
            action()

    db.meta.events.register("before-call.dynamodb.UpdateItem", hook)


def test_appointments_saved_before_the_index_are_listed_after_the_backfill(
    store: DynamoAppointmentStore,
) -> None:
    old = [appointment(n, DAY_15 + timedelta(hours=8, minutes=n)) for n in range(5)]
    # 23:30 in Paris on the 15th is the 15th in UTC too; 00:30 on the 16th is the 15th in UTC.
    salon = [
        appointment(10, at("2030-01-15T23:30:00+01:00"), "salon-1"),
        appointment(11, at("2030-01-16T00:30:00+01:00"), "salon-1"),
    ]
    saved_the_old_way(store, *old, *salon)
    new = appointment(20, DAY_15 + timedelta(hours=12))
    store.create_appointment(new, [])
    expected = table_items(store)
    assert listed(store, DAY_15) == ["a0020"]

    counts = backfill(client(), store._table, page_size=2)

    assert (counts.lacking, counts.indexed, counts.changed_meanwhile) == (7, 7, 0)
    assert counts.scanned == len(expected)
    assert listed(store, DAY_15) == ["a0000", "a0001", "a0002", "a0003", "a0004", "a0020"]
    salon_day = at("2030-01-15T00:00:00+00:00")
    assert listed(store, salon_day, "salon-1") == ["a0010", "a0011"]


def test_the_keys_are_those_a_save_writes(store: DynamoAppointmentStore) -> None:
    a = appointment(1, DAY_15 + timedelta(hours=9, seconds=1, microseconds=5))
    store.create_appointment(a, [])
    as_saved = table_items(store)
    strip_day_keys(store, a)

    backfill(client(), store._table)

    assert table_items(store) == as_saved


def test_a_second_run_changes_nothing(store: DynamoAppointmentStore) -> None:
    saved_the_old_way(store, *(appointment(n, DAY_15 + timedelta(hours=n)) for n in range(4)))
    backfill(client(), store._table)
    after_first = table_items(store)

    again = backfill(client(), store._table)

    assert (again.lacking, again.indexed, again.changed_meanwhile) == (0, 0, 0)
    assert table_items(store) == after_first


def test_a_dry_run_counts_and_writes_nothing(store: DynamoAppointmentStore) -> None:
    saved_the_old_way(store, *(appointment(n, DAY_15 + timedelta(hours=n)) for n in range(3)))
    before = table_items(store)

    counts = backfill(client(), store._table, dry_run=True)

    assert (counts.lacking, counts.indexed) == (3, 0)
    assert table_items(store) == before
    assert listed(store, DAY_15) == []


def test_parallel_segments_index_each_appointment_once(store: DynamoAppointmentStore) -> None:
    saved_the_old_way(store, *(appointment(n, DAY_15 + timedelta(minutes=n)) for n in range(30)))

    counts = backfill(client(), store._table, page_size=4, segments=3)

    assert (counts.lacking, counts.indexed, counts.changed_meanwhile) == (30, 30, 0)
    assert len(listed(store, DAY_15)) == 30


@pytest.mark.parametrize("moved", [True, False], ids=["moved", "same-start"])
def test_a_newer_save_meanwhile_is_not_overwritten(
    store: DynamoAppointmentStore, moved: bool
) -> None:
    a = appointment(1, DAY_15 + timedelta(hours=9))
    saved_the_old_way(store, a)
    day_17 = DAY_15 + timedelta(days=2)
    starts_at = day_17 + timedelta(hours=9) if moved else a.starts_at
    newer = a.model_copy(update={"starts_at": starts_at, "location": "Room 2", "version": 2})
    db = client()
    # The Scan has read the appointment; the new code saves it, its keys and all.
    before_first_update(
        db,
        lambda: store.save_appointment(
            newer,
            expected_version=1,
            retire=[],
            retire_as=MessageStatus.SUPERSEDED,
            new_messages=[],
            now=NOW,
        ),
    )

    counts = backfill(db, store._table)

    assert (counts.lacking, counts.indexed, counts.changed_meanwhile) == (1, 0, 1)
    assert listed(store, DAY_15) == ([] if moved else ["a0001"])
    assert listed(store, day_17) == (["a0001"] if moved else [])


def test_a_move_by_older_code_meanwhile_is_indexed_by_the_next_run(
    store: DynamoAppointmentStore,
) -> None:
    a = appointment(1, DAY_15 + timedelta(hours=9))
    saved_the_old_way(store, a)
    day_17 = DAY_15 + timedelta(days=2)
    moved = (day_17 + timedelta(hours=9)).isoformat()
    db = client()
    # A function still running the code before the index moves it, writing no keys.
    before_first_update(
        db,
        lambda: store._db.update_item(
            TableName=store._table,
            Key=serialize(appointment_key(a.tenant_id, a.appointment_id)),
            UpdateExpression="SET starts_at = :s",
            ExpressionAttributeValues={":s": {"S": moved}},
        ),
    )

    first = backfill(db, store._table)
    assert (first.indexed, first.changed_meanwhile) == (0, 1)
    assert listed(store, DAY_15) == []

    second = backfill(client(), store._table)
    assert (second.indexed, second.changed_meanwhile) == (1, 0)
    assert listed(store, DAY_15) == []
    assert listed(store, day_17) == ["a0001"]


def test_an_appointment_deleted_meanwhile_is_not_made_again(
    store: DynamoAppointmentStore,
) -> None:
    a = appointment(1, DAY_15 + timedelta(hours=9))
    saved_the_old_way(store, a)
    key = serialize(appointment_key(a.tenant_id, a.appointment_id))
    db = client()
    before_first_update(db, lambda: store._db.delete_item(TableName=store._table, Key=key))

    counts = backfill(db, store._table)

    assert counts.changed_meanwhile == 1
    assert "Item" not in store._db.get_item(TableName=store._table, Key=key)


def test_the_command_prints_counts_and_progress_without_phone_numbers(
    store: DynamoAppointmentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    saved_the_old_way(store, *(appointment(n, DAY_15 + timedelta(hours=n)) for n in range(3)))

    assert main(["--table", store._table, "--region", REGION, "--dry-run"]) == 0
    dry = capsys.readouterr()
    assert main(["--table", store._table, "--region", REGION, "--page-size", "1"]) == 0
    real = capsys.readouterr()

    assert dry.out.startswith("dry run: ")
    assert "3 appointment(s) lacked the day index" in dry.out
    assert "3 indexed, 0 changed meanwhile" in real.out
    assert real.err.count("segment 0/1") >= 3  # a line per page
    for text in (dry.out, dry.err, real.out, real.err):
        assert "+1415" not in text
    assert listed(store, DAY_15) == ["a0000", "a0001", "a0002"]
    with pytest.raises(SystemExit):
        main(["--table", store._table, "--page-size", "0"])
