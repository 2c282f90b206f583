"""POST /v1/appointments/{id}/outcome tells CloudWatch each outcome it records, once, by
outcome: the dashboard's no-show rate (no-shows over outcomes recorded) counts these."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from tests.integration.test_appointments_api import booking, put
from tests.integration.test_front_desk_api import outcome
from tests.support.aws import at


def _outcomes_emitted(printed: str) -> Counter[str]:
    """OutcomesRecorded as written: by its Outcome dimension, `all` for the plain one."""
    found: Counter[str] = Counter()
    for line in printed.splitlines():
        if not line.startswith("{"):
            continue
        blob = json.loads(line)
        for directive in blob.get("_aws", {}).get("CloudWatchMetrics", []):
            if any(m["Name"] == "OutcomesRecorded" for m in directive["Metrics"]):
                found[blob.get("Outcome", "all")] += int(sum(blob["OutcomesRecorded"]))
    return found


def test_each_outcome_recorded_is_counted_once_by_outcome(
    store: DynamoAppointmentStore, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    put("appt-1", booking())
    put(
        "appt-2",
        booking(),
    )
    clock.set(at("2030-01-15T10:40:00-08:00"))
    capsys.readouterr()

    assert outcome("appt-1", "no_show")[0] == 200
    assert outcome("appt-1", "no_show")[0] == 200  # the same again: nothing recorded
    assert outcome("appt-2", "attended")[0] == 200
    assert outcome("appt-2", "sometimes")[0] == 422

    assert _outcomes_emitted(capsys.readouterr().out) == {"all": 2, "no_show": 1, "attended": 1}
