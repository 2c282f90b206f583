"""GET /v1/stats' results and GET /v1/stats/export through the Staff API's handler on moto:
the small tenant of tests/support/results_seed.py, whose figures were worked out by hand,
read back from the table (the time index, the texts' records, the log, the day index)."""

from __future__ import annotations

import csv
import io
from typing import Any

import boto3
import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.adapters.dynamodb.table import offer_text_key, offer_time_keys, plain, serialize
from rendezvous.api.stats_export import columns, safe_cell
from rendezvous.domain.clock import FixedClock
from rendezvous.runtime import Runtime
from tests.support.aws import clinic
from tests.support.events import invoke, response_json, staff_event
from tests.support.results_seed import (
    DAYS,
    EXPECTED_APPOINTMENTS,
    EXPECTED_BY_CADENCE,
    EXPECTED_BY_KIND,
    EXPECTED_BY_VARIANT,
    EXPECTED_DAILY,
    EXPECTED_TEXTS,
    NOW,
    TENANT_ID,
    period,
    priced,
)

STAFF = "StaffApiFunction"


@pytest.fixture
def seeded(store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock) -> None:
    assert clock.now() == NOW  # the period's figures are worked out for this instant
    store.put_tenant(priced(clinic()))
    seed = period()
    for appointment, records in seed.appointments:
        store.create_appointment(appointment, records)
    db = boto3.client("dynamodb")
    for text in seed.offer_texts:
        item = {
            **offer_text_key(TENANT_ID, text.opening_id, text.entry_id, text.kind),
            **offer_time_keys(text),
            **plain(text),
        }
        db.put_item(TableName=runtime.settings.table_name, Item=serialize(item))
    log = runtime.activity_log()
    for entry in seed.entries:
        log.append(TENANT_ID, entry)


def get(path: str, days: str = str(DAYS), role: str | None = "staff") -> dict[str, Any]:
    response: dict[str, Any] = invoke(
        STAFF, staff_event("GET", path, query={"days": days}, role=role)
    )
    return response


@pytest.mark.usefixtures("seeded")
def test_stats_answer_the_figures_worked_out_by_hand() -> None:
    response = get("/v1/stats")
    stats = response_json(response)

    assert response["statusCode"] == 200
    assert stats["rates"] == {"texts": EXPECTED_TEXTS, "appointments": EXPECTED_APPOINTMENTS}
    assert stats["by_kind"] == EXPECTED_BY_KIND
    assert stats["by_variant"] == EXPECTED_BY_VARIANT
    assert stats["by_cadence"] == EXPECTED_BY_CADENCE
    assert stats["daily"] == EXPECTED_DAILY
    assert stats["currency"] == "EUR"
    # The older members still count the same texts.
    assert (stats["sent"], stats["delivered"], stats["failed"]) == (5, 3, 2)


@pytest.mark.usefixtures("seeded")
def test_a_rate_with_nothing_to_divide_by_is_null_in_the_answer_not_left_out() -> None:
    stats = response_json(get("/v1/stats"))
    [moved] = [g for g in stats["by_kind"] if g["key"] == "moved"]

    assert "delivery_rate" in moved
    assert moved["delivery_rate"] is None
    # Elsewhere empty members are still left out (no fill happened: no median).
    assert "median_time_to_fill_minutes" not in stats["fill"]


@pytest.mark.usefixtures("seeded")
def test_the_export_is_the_same_figures_as_one_csv_table() -> None:
    response = get("/v1/stats/export", role="manager")

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/csv; charset=utf-8"
    assert response["headers"]["Content-Disposition"] == (
        f'attachment; filename="rendezvous-stats-{TENANT_ID}-{DAYS}d.csv"'
    )
    table = list(csv.DictReader(io.StringIO(response["body"])))
    header = next(csv.reader(io.StringIO(response["body"])))
    assert header == columns()
    assert header[:2] == ["group", "key"]
    assert {"no_show_rate", "opt_outs_per_1000", "cancelled_ahead"} <= set(header)

    def cells(figures: dict[str, Any]) -> dict[str, str]:
        values = {**figures, "key": figures.get("key", figures.get("day"))}
        values.pop("day", None)
        return {k: "" if v is None else str(v) for k, v in values.items()}

    expected = [
        ("texts", EXPECTED_TEXTS),
        ("appointments", EXPECTED_APPOINTMENTS),
        *(("kind", g) for g in EXPECTED_BY_KIND),
        *(("variant", g) for g in EXPECTED_BY_VARIANT),
        *(("cadence", c) for c in EXPECTED_BY_CADENCE),
        *(("day", d) for d in EXPECTED_DAILY),
    ]
    assert [(row["group"], row["key"]) for row in table] == [
        (group, cells(figures)["key"]) for group, figures in expected
    ]
    for row, (_, figures) in zip(table, expected, strict=True):
        given = cells(figures)
        assert {k: row[k] for k in given} == given
        # A column that does not apply to the row's group is empty.
        assert all(row[k] == "" for k in header if k not in given and k != "group")


def test_a_cell_a_spreadsheet_would_run_is_defused() -> None:
    assert [safe_cell(v) for v in ("=HYPERLINK(1)", "+1", "-2", "@x", "ex/plain", 0.5)] == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-2",
        "'@x",
        "ex/plain",
        "0.5",
    ]


@pytest.mark.parametrize("days", ["0", "32", "seven", "-1"])
@pytest.mark.parametrize("path", ["/v1/stats", "/v1/stats/export"])
def test_days_outside_1_to_31_are_400(store: DynamoAppointmentStore, path: str, days: str) -> None:
    response = get(path, days=days)

    assert response["statusCode"] == 400
    assert response_json(response)["error"]["code"]


@pytest.mark.parametrize("role", ["booking", None])
def test_the_export_is_for_people_not_booking_systems(
    store: DynamoAppointmentStore, role: str | None
) -> None:
    response = get("/v1/stats/export", role=role)

    assert response["statusCode"] == 403
    assert response_json(response)["error"]["code"] == "forbidden"
