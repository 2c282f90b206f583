"""PATCH /v1/settings with the results' settings on moto: a value out of bounds is a 422
naming its field and writes nothing; a taken one is in GET /v1/settings and prices and
labels GET /v1/stats."""

from __future__ import annotations

from typing import Any

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from rendezvous.runtime import Runtime
from tests.integration.test_settings_api import change, settings_call, settings_log
from tests.support.events import invoke, response_json, staff_event


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"segment_price": -0.01}, "segment_price"),
        ({"segment_price": 1.5}, "segment_price"),
        ({"segment_price": "cheap"}, "segment_price"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"tune_out_per_1000": 0}, "tune_out_per_1000"),
        ({"tune_out_per_1000": 201}, "tune_out_per_1000"),
        ({"tune_out_per_1000": "ten"}, "tune_out_per_1000"),
    ],
)
def test_a_results_setting_out_of_bounds_is_422_naming_it_and_writes_nothing(
    store: DynamoAppointmentStore,
    runtime: Runtime,
    clock: FixedClock,
    patch: dict[str, Any],
    field: str,
) -> None:
    before = store.get_tenant("clinic-1")

    status, body, _ = settings_call("PATCH", patch, if_match='"0"')

    assert status == 422, body
    assert body["error"]["code"] == "validation_failed"
    assert [d["field"] for d in body["error"]["details"]] == [field]
    assert store.get_tenant("clinic-1") == before
    assert settings_log(runtime, clock) == []


def test_taken_results_settings_are_in_the_settings_and_price_the_stats(
    store: DynamoAppointmentStore, runtime: Runtime, clock: FixedClock
) -> None:
    status, body, _ = change({"segment_price": 0.05, "currency": "EUR", "tune_out_per_1000": 25})
    _, settings, _ = settings_call("GET")
    stats = response_json(invoke("StaffApiFunction", staff_event("GET", "/v1/stats")))

    assert status == 200, body
    assert (settings["segment_price"], settings["currency"], settings["tune_out_per_1000"]) == (
        0.05,
        "EUR",
        25,
    )
    assert stats["currency"] == "EUR"
    # A price is a float: stored (and audited, before and after) as a DynamoDB number.
    [audit] = settings_log(runtime, clock)
    assert audit.changes is not None
    price = audit.changes["segment_price"]
    assert (float(price.before), float(price.after)) == (0.0083, 0.05)
