"""What reading an experiment's report costs: DynamoDB calls by operation and wall time of
`ExperimentService.report` on moto (made from template.yaml), for an experiment with
10,000 members.

The simulated experiment of benchmarks/experiment_simulation.py (10,000 appointments,
their customers' texts in the activity log) is written to the table: the appointments
and the log entries in batches (seeding is not what is measured), the members through
the store's own `join_experiment`, as the sender writes them. Then the report is read a
few times with every DynamoDB call counted by a botocore `before-call` hook. moto's own
Query sorts the whole table (~30,000 items here) on every call, so the run applies
`infra/local/moto_patches/dynamodb_query.py` as benchmarks/vacancy_fill.py does: the same
answers and calls, a time that is moto's per-call cost rather than its sort.

    python -m benchmarks.experiment_report_reads [--appointments 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from benchmarks.dynamodb_calls_per_action import DynamoCalls
from benchmarks.experiment_simulation import EXPERIMENT_TRUTH, NOW, World, simulate, tenant
from infra.local.moto_patches import dynamodb_query
from rendezvous.adapters.aws import client
from rendezvous.adapters.dynamodb.activity import log_entry_put
from rendezvous.adapters.dynamodb.experiments import DynamoExperiments
from rendezvous.adapters.dynamodb.store import DynamoAppointmentStore
from rendezvous.domain.clock import FixedClock
from tests.support.aws import make_runtime, moto_stack


def batch_write(table: str, items: list[dict[str, Any]]) -> None:
    db = client("dynamodb")
    for start in range(0, len(items), 25):
        requests: Any = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while requests:
            answer = db.batch_write_item(RequestItems=requests)
            requests = answer.get("UnprocessedItems") or None


def seed(table: str, world: World) -> None:
    store = DynamoAppointmentStore(client("dynamodb"), table)
    store.put_tenant(tenant())
    experiments = DynamoExperiments(client("dynamodb"), table)
    experiments.start_experiment(world.experiment)
    batch_write(
        table,
        [store.creation(a, [])[0]["Put"]["Item"] for a in world.appointments.values()],
    )
    batch_write(table, [log_entry_put(table, tenant().tenant_id, e)["Item"] for e in world.replies])
    for appointment_id, variant in world.members.items():
        appointment = world.appointments[appointment_id]
        experiments.join_experiment(
            tenant().tenant_id,
            world.experiment.experiment_id,
            appointment_id,
            variant=variant,
            text=f"confirmation#{appointment.version}",
            at=appointment.created_at,
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appointments", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    world = simulate(args.appointments, EXPERIMENT_TRUTH, args.seed)
    counter = DynamoCalls()
    dynamodb_query.apply()
    with moto_stack() as stack:
        runtime = make_runtime(stack, FixedClock(NOW))
        started = time.perf_counter()
        seed(runtime.settings.table_name, world)
        seeding = time.perf_counter() - started
        client("dynamodb").meta.events.register("before-call", counter)
        service = runtime.experiment_service()
        experiment = service.experiment(tenant().tenant_id, world.experiment.experiment_id)
        calls: list[Counter[str]] = []
        walls: list[float] = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            found = counter.measure(lambda: service.report(experiment))
            walls.append(time.perf_counter() - started)
            calls.append(found)
        report = service.report(experiment)
    expected = world.report()
    days = (NOW.date() - experiment.started_at.date()).days + 1
    print(
        f"Experiment report on moto: {len(world.members):,} members, "
        f"{len(world.replies):,} customers' texts in the log over {days} days "
        f"(seeded in {seeding:.1f} s)"
    )
    print(f"DynamoDB calls per report: {dict(sorted(calls[-1].items()))}")
    print(f"  total {sum(calls[-1].values())}; Scan: {calls[-1]['Scan']}")
    print(
        f"Wall time per report (moto, in process, {args.rounds} rounds): median "
        f"{statistics.median(walls):.2f} s, min {min(walls):.2f} s, max {max(walls):.2f} s"
    )
    same = report.arms == expected.arms and report.verdict == expected.verdict
    print(f"Report read from the table equals the in-memory report: {same} ({report.verdict})")
    if any(c["Scan"] for c in calls) or not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
