"""The queue watcher's hourly tune-out check on moto: EMF TenantsTunedOut and
OptOutsPer1000Texts with no tenant dimension on the first run of each hour only, however
often it runs, and a log line naming the tenants that fire."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.models import Tenant
from rendezvous.domain.tune_out import TuneOut, TuneOutService
from rendezvous.runtime import Runtime
from tests.integration.test_tune_out_api import _text_sent
from tests.integration.test_twilio_inbound import inbound
from tests.support.events import invoke

WATCHER = "QueueWatcherFunction"


def _run(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One run of the watcher: its answer and the EMF blobs it printed."""
    capsys.readouterr()
    answer = invoke(WATCHER, {"source": "aws.scheduler"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line[:1] == "{"]
    return answer, lines


def _tune_out_metrics(lines: list[dict[str, Any]]) -> dict[str, tuple[float, list[str]]]:
    """TenantsTunedOut and OptOutsPer1000Texts as emitted: value and dimension names."""
    found = {}
    for blob in lines:
        for directive in blob.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                if metric["Name"] in ("TenantsTunedOut", "OptOutsPer1000Texts"):
                    [value] = blob[metric["Name"]]
                    found[metric["Name"]] = (value, directive["Dimensions"][0])
    return found


@pytest.fixture
def tuned_out(store: DynamoAppointmentStore, clock: FixedClock) -> None:
    """The clinic: 150 texts this week, 3 of them drew a STOP (20 per 1,000). The salon:
    150 texts, no STOP."""
    now = clock.now()
    phones = [_text_sent(store, n, now - timedelta(days=1)) for n in range(150)]
    for phone in phones[:3]:
        assert invoke("TwilioInboundFunction", inbound("STOP", sender=phone))["statusCode"] == 200


def test_the_first_run_of_an_hour_counts_the_tenants_tuned_out_and_later_ones_nothing(
    tuned_out: None,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    answer, lines = _run(capsys)

    assert answer["tenants_tuned_out"] == 1
    assert _tune_out_metrics(lines) == {
        "TenantsTunedOut": (1.0, ["service"]),
        "OptOutsPer1000Texts": (20.0, ["service"]),
    }
    [warning] = [r for r in caplog.records if r.getMessage() == "tenants tuned out"]
    assert warning.__dict__["tenants_tuned_out"] == ["clinic-1"]
    assert warning.__dict__["tenants_checked"] == 2
    assert warning.__dict__["tenants_judged"] == 1

    clock.advance(minutes=5)
    again, later = _run(capsys)
    assert again["tenants_tuned_out"] == 0
    assert _tune_out_metrics(later) == {}

    clock.advance(hours=1)
    next_hour, lines = _run(capsys)
    assert next_hour["tenants_tuned_out"] == 1
    assert _tune_out_metrics(lines)["TenantsTunedOut"] == (1.0, ["service"])


def test_a_quiet_hour_reports_zero_so_the_alarm_has_data(
    store: DynamoAppointmentStore, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lines = _run(capsys)

    assert _tune_out_metrics(lines) == {
        "TenantsTunedOut": (0.0, ["service"]),
        "OptOutsPer1000Texts": (0.0, ["service"]),
    }


def test_the_hourly_check_reads_a_quiet_tenants_week_of_log_and_later_runs_the_claim(
    runtime: Runtime, store: DynamoAppointmentStore
) -> None:
    service = runtime.tune_out_service()

    first = _calls(store, lambda: service.hourly(["clinic-1", "salon-1"]))
    later = _calls(store, lambda: service.hourly(["clinic-1", "salon-1"]))

    # Whether the hour was claimed; each tenant's item and its 8 UTC days of the log (base
    # table); then the claim. No Scan. A later run reads that the hour was claimed.
    assert first == {"GetItem": 1 + 2, "Query": 16, "PutItem": 1}
    assert later == {"GetItem": 1}


def test_a_tenant_with_opt_outs_enough_to_fire_is_read_whole(
    runtime: Runtime, store: DynamoAppointmentStore, tuned_out: None
) -> None:
    calls = _calls(store, lambda: runtime.tune_out_service().hourly(["clinic-1", "salon-1"]))

    # The salon as above (1 + 8); the clinic's 8 days of log, then 36 days of the time
    # index and of the log (72 Queries).
    assert calls == {"PutItem": 1, "GetItem": 1 + 2, "Query": 8 + 8 + 72}


def test_a_failed_check_is_logged_the_watchers_run_ends_well_and_the_next_run_checks_the_hour(
    tuned_out: None,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def throttled(service: TuneOutService, tenant: Tenant) -> TuneOut:
        raise ConnectionError("throttled")

    with monkeypatch.context() as failing:
        failing.setattr(TuneOutService, "of", throttled)
        answer, lines = _run(capsys)

    assert answer["tenants_tuned_out"] == 0
    assert answer["depth"] == 3  # the queue still watched: the three STOPs' items
    assert _tune_out_metrics(lines) == {}
    [failed] = [r for r in caplog.records if r.getMessage() == "tune-out check failed"]
    assert failed.exc_info is not None
    assert failed.exc_info[0] is ConnectionError

    clock.advance(minutes=5)
    retried, lines = _run(capsys)
    assert retried["tenants_tuned_out"] == 1
    assert _tune_out_metrics(lines)["TenantsTunedOut"] == (1.0, ["service"])


def _calls(store: DynamoAppointmentStore, action: Callable[[], object]) -> dict[str, int]:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    store._db.meta.events.register("before-call.dynamodb", count)
    try:
        action()
    finally:
        store._db.meta.events.unregister("before-call.dynamodb", count)
    return dict(calls)
