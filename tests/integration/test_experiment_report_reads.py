"""An experiment report read from the table costs what the design says: one Query of the
members' partition (a page per ~1 MB), BatchGetItem of their appointments (100 keys a
call) and one Query per UTC day of the log since it started (the opt-outs), never a Scan;
and it says what the same report says in memory (benchmarks/experiment_report_reads.py
measures it at 10,000 members)."""

from __future__ import annotations

import math

from benchmarks.dynamodb_calls_per_action import DynamoCalls
from benchmarks.experiment_report_reads import seed
from benchmarks.experiment_simulation import EXPERIMENT_TRUTH, NOW, simulate, tenant
from infra.template import LocalStack
from rendezvous.adapters.aws import client
from rendezvous.domain.clock import FixedClock
from rendezvous.domain.experiment_report import ExperimentReport
from tests.support.aws import make_runtime

MEMBERS = 150


def test_a_report_reads_members_appointments_and_log_days_and_never_scans(
    stack: LocalStack,
) -> None:
    world = simulate(MEMBERS, EXPERIMENT_TRUTH, seed=4)
    runtime = make_runtime(stack, FixedClock(NOW))
    seed(runtime.settings.table_name, world)
    service = runtime.experiment_service()
    experiment = service.experiment(tenant().tenant_id, world.experiment.experiment_id)
    counter = DynamoCalls()
    client("dynamodb").meta.events.register("before-call", counter)

    reports: list[ExperimentReport] = []
    calls = counter.measure(lambda: reports.append(service.report(experiment)))
    (report,) = reports

    log_days = (NOW.date() - experiment.started_at.date()).days + 1
    assert calls == {
        "Query": 1 + log_days,
        "BatchGetItem": math.ceil(MEMBERS / 100),
    }
    expected = world.report()
    assert report.arms == expected.arms
    assert report.comparisons == expected.comparisons
    assert report.verdict == expected.verdict
    assert sum(arm.opt_outs for arm in report.arms) > 0
