"""Every five minutes: each tenant's queue depth and overdue items, as CloudWatch metrics;
the safety net under the sender: texts lost unrecorded past their retries are marked
failed (retries_exhausted), so they count, show in the console and can be redriven; the
one under the waves (OfferService.sweep); and, once each hour, the tune-out check
(TuneOutService.hourly) that TuneOutAlarm watches: a check that fails is logged and tried
again on the next run."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.domain.models import QueueStatus
from rendezvous.domain.oversight import live_items
from rendezvous.domain.redrive import mark_stuck
from rendezvous.observability import add_breakdown, logger, metrics, traced
from rendezvous.runtime import get_runtime
from rendezvous.tune_out_metrics import record_tune_out


def watch_queues() -> dict[str, int]:
    rt = get_runtime()
    now = rt.clock.now()
    depth = overdue = stuck = freed = started = 0
    offers = rt.offer_service() if rt.settings.fill_wave_target_arn else None
    tenant_ids = rt.store().tenant_ids()
    for tenant_id in tenant_ids:
        stuck += mark_stuck(rt.store(), rt.store(), rt.clock, tenant_id, rt.offer_book())
        if offers is not None:
            swept = offers.sweep(tenant_id)
            freed += swept.freed
            started += swept.started
        items = live_items(rt.queue_store(), tenant_id)
        late = sum(1 for i in items if i.due_by < now)
        waiting = sum(1 for i in items if i.status is QueueStatus.OPEN)
        add_breakdown("QueueItemsOverdue", "Tenant", tenant_id, value=late)
        add_breakdown("QueueDepth", "Tenant", tenant_id, value=len(items))
        logger.info(
            "queue",
            extra={"tenant_id": tenant_id, "live": len(items), "waiting": waiting, "overdue": late},
        )
        depth += len(items)
        overdue += late
    metrics.add_metric(name="QueueDepth", unit=MetricUnit.Count, value=depth)
    metrics.add_metric(name="QueueItemsOverdue", unit=MetricUnit.Count, value=overdue)
    metrics.add_metric(name="MessagesFailed", unit=MetricUnit.Count, value=stuck)
    try:
        checked = rt.tune_out_service().hourly(tenant_ids)
    except Exception:
        # The safety nets above are done and must not be undone by a failed check: its hour
        # stays unclaimed, so the next run (five minutes on) checks it again.
        logger.exception("tune-out check failed")
        checked = None
    if checked is not None:
        record_tune_out(checked)
    if freed or started:
        # Each one is a wave that did not run: its schedule's dead letter says why.
        logger.warning("wave chain repaired", extra={"entries_freed": freed, "started": started})
    return {
        "depth": depth,
        "overdue": overdue,
        "stuck_texts_failed": stuck,
        "waitlist_entries_freed": freed,
        "openings_started": started,
        "tenants_tuned_out": len(checked.firing) if checked is not None else 0,
    }


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return watch_queues()
