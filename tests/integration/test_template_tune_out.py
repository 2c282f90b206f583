"""template.yaml's TuneOutAlarm watches exactly what the queue watcher writes, and goes off
on the hour a tenant fires."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from infra.local.triggers import rate_seconds
from infra.template import load_template
from rendezvous.domain.tune_out import TuneOut, TuneOutReason, TuneOutRound
from rendezvous.observability import metrics
from rendezvous.tune_out_metrics import record_tune_out

TEMPLATE = load_template()
ALARM = TEMPLATE["Resources"]["TuneOutAlarm"]["Properties"]


def _tenant(tenant_id: str, reason: TuneOutReason | None) -> TuneOut:
    return TuneOut(tenant_id, 10, 200, 4 if reason else 0, 800, 1, reason, ())


def test_the_alarm_goes_off_on_an_hour_with_a_tenant_tuned_out_and_treats_none_as_quiet() -> None:
    assert {k: ALARM[k] for k in ("Namespace", "MetricName", "Dimensions")} == {
        "Namespace": "Rendezvous",
        "MetricName": "TenantsTunedOut",
        "Dimensions": [{"Name": "service", "Value": "rendezvous"}],
    }
    assert (ALARM["Statistic"], ALARM["Period"], ALARM["EvaluationPeriods"]) == ("Maximum", 3600, 1)
    assert (ALARM["ComparisonOperator"], ALARM["Threshold"]) == (
        "GreaterThanOrEqualToThreshold",
        1,
    )
    assert ALARM["TreatMissingData"] == "notBreaching"
    assert ALARM["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_watcher_runs_every_hour_so_each_hour_has_a_first_run() -> None:
    events = TEMPLATE["Resources"]["QueueWatcherFunction"]["Properties"]["Events"]
    [schedule] = [e["Properties"]["ScheduleExpression"] for e in events.values()]
    seconds = rate_seconds(schedule)

    assert seconds is not None
    assert timedelta(hours=1) % timedelta(seconds=seconds) == timedelta(0)


@pytest.mark.parametrize(
    ("reasons", "breaching"),
    [([TuneOutReason.THRESHOLD, None], True), ([None, None], False)],
)
def test_what_the_watcher_writes_is_what_the_alarm_reads(
    reasons: list[TuneOutReason | None],
    breaching: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()
    capsys.readouterr()
    tenants = tuple(_tenant(f"t{n}", r) for n, r in enumerate(reasons))

    record_tune_out(TuneOutRound("2030-01-10T09", tenants))
    metrics.flush_metrics()

    [blob] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == ALARM["Namespace"]
    assert directive["Dimensions"] == [[d["Name"] for d in ALARM["Dimensions"]]]
    assert all(blob[d["Name"]] == d["Value"] for d in ALARM["Dimensions"])
    [value] = blob[ALARM["MetricName"]]
    assert (value >= ALARM["Threshold"]) is breaching
