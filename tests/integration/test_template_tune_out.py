"""template.yaml's TuneOutAlarm watches exactly what the queue watcher writes, and goes off
on the hour a tenant fires; the dashboard's rates across tenants divide metrics the code
writes, with dimension values the code uses."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from infra.local.triggers import rate_seconds
from infra.template import load_template
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.delivery_metrics import record_delivery_metrics
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.delivery import DeliveryUpdate
from rendezvous.domain.inbound import InboundResult
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import AppointmentOutcome, MessageStatus
from rendezvous.domain.sending import Outcome, SendResult
from rendezvous.domain.tune_out import TuneOut, TuneOutReason, TuneOutRound
from rendezvous.inbound_metrics import record_inbound_metrics
from rendezvous.observability import metrics
from rendezvous.sending_metrics import record_send_metrics
from rendezvous.tune_out_metrics import record_tune_out
from tests.integration.test_appointments_api import booking, put
from tests.integration.test_front_desk_api import outcome
from tests.support.aws import at
from tests.support.metric_names import emitted_metric_names

# A metric as CloudWatch keys it: namespace, name and the exact set of its dimensions.
MetricKey = tuple[str, str, frozenset[tuple[str, str]]]

TEMPLATE = load_template()
ALARM = TEMPLATE["Resources"]["TuneOutAlarm"]["Properties"]
FUNCTION_ENV = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]


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

    record_tune_out(TuneOutRound("2030-01-10T09", len(tenants), tenants))
    metrics.flush_metrics()

    [blob] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == ALARM["Namespace"]
    assert directive["Dimensions"] == [[d["Name"] for d in ALARM["Dimensions"]]]
    assert all(blob[d["Name"]] == d["Value"] for d in ALARM["Dimensions"])
    [value] = blob[ALARM["MetricName"]]
    assert (value >= ALARM["Threshold"]) is breaching


def _rates_widget() -> dict[str, Any]:
    body = TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    [rates] = [w for w in widgets if w["properties"]["title"].startswith("Rates across")]
    return dict(rates["properties"])


def test_the_rates_across_tenants_are_ratios_of_metrics_the_code_writes() -> None:
    widget = _rates_widget()
    rows = widget["metrics"]
    metrics_by_id = {r[-1]["id"]: tuple(r[1:-1]) for r in rows if len(r) > 1}
    expressions = {r[0]["id"]: r[0]["expression"] for r in rows if len(r) == 1}

    assert expressions == {
        "delivery_rate": "delivered / sent",
        "reply_rate": "replies / sent",
        "confirmation_rate": "confirms / sent",
        "no_show_rate": "noshows / outcomes",
        "opt_outs_per_1000": "1000 * optouts / sent",
    }
    for expression in expressions.values():
        assert set(re.findall(r"[a-z_]+", expression)) <= set(metrics_by_id)
    # "." repeats the row above's value; spelled out, each is a metric the code writes.
    assert {m[0] for m in metrics_by_id.values() if m[0] != "."} <= emitted_metric_names()
    assert metrics_by_id["confirms"][:3] == ("RepliesReceived", "Intent", Intent.CONFIRM.value)
    assert metrics_by_id["noshows"][:3] == (
        "OutcomesRecorded",
        "Outcome",
        AppointmentOutcome.NO_SHOW.value,
    )
    # Only the ratios are drawn, by day; the counts they divide are hidden.
    assert all(r[-1]["visible"] is False for r in rows if len(r) > 1)
    assert (widget["period"], widget["stat"]) == (86400, "Sum")


def _widget_metrics(rows: list[list[Any]]) -> dict[str, MetricKey]:
    """Each metric row by its id, with "." read as the value in the same place of the
    metric row above (as CloudWatch reads it)."""
    found: dict[str, MetricKey] = {}
    above: list[Any] = []
    for row in rows:
        if len(row) == 1:  # an expression
            continue
        assert "..." not in row, "read only the '.' shorthand here"
        fields = [above[n] if value == "." else value for n, value in enumerate(row[:-1])]
        namespace, name, *dimensions = fields
        found[row[-1]["id"]] = (
            namespace,
            name,
            frozenset(zip(dimensions[::2], dimensions[1::2], strict=True)),
        )
        above = fields
    return found


def _printed_metrics(printed: str) -> set[MetricKey]:
    """Each metric the EMF blobs printed, keyed as CloudWatch keys it."""
    found: set[MetricKey] = set()
    for line in printed.splitlines():
        if not line.startswith("{"):
            continue
        blob = json.loads(line)
        for directive in blob.get("_aws", {}).get("CloudWatchMetrics", []):
            for names in directive["Dimensions"]:
                dimensions = frozenset((name, blob[name]) for name in names)
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], dimensions))
    return found


def test_each_rate_metric_is_asked_for_with_the_dimensions_the_code_prints(
    store: DynamoAppointmentStore,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CloudWatch matches a metric's exact set of dimensions: a row that leaves one out
    (the breakdowns carry `service` too) is a row that is always empty."""
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    # A breakdown's blob takes `service` from the environment the template gives the
    # functions (Powertools' single_metric reads it there), as deployed.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", FUNCTION_ENV["POWERTOOLS_SERVICE_NAME"])
    metrics.clear_metrics()
    put("appt-1", booking())
    clock.set(at("2030-01-15T10:40:00-08:00"))
    capsys.readouterr()

    record_send_metrics(SendResult(Outcome.SENT, "reminder"))
    record_delivery_metrics(DeliveryUpdate(MessageStatus.DELIVERED, applied=True, error_code=None))
    record_inbound_metrics(InboundResult(Intent.CONFIRM, tenant_id="clinic-1"))
    record_inbound_metrics(InboundResult(Intent.OPT_OUT, tenant_id="clinic-1"))
    metrics.flush_metrics()
    assert outcome("appt-1", AppointmentOutcome.NO_SHOW.value)[0] == 200
    printed = _printed_metrics(capsys.readouterr().out)

    asked = _widget_metrics(_rates_widget()["metrics"])
    assert set(asked) == {
        "sent",
        "delivered",
        "replies",
        "confirms",
        "optouts",
        "outcomes",
        "noshows",
    }
    missing = {row_id: key for row_id, key in asked.items() if key not in printed}
    assert missing == {}
