"""CloudWatch's tune-out figures, from the queue watcher's hourly check: how many tenants
fire (TuneOutAlarm watches it) and the highest opt-out rate. No tenant dimension: a
metric per tenant costs per tenant; the log names the tenants that fire."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.observability import logger, metrics

if TYPE_CHECKING:
    from rendezvous.domain.tune_out import TuneOutRound


def record_tune_out(checked: TuneOutRound) -> None:
    firing = checked.firing
    metrics.add_metric(name="TenantsTunedOut", unit=MetricUnit.Count, value=len(firing))
    metrics.add_metric(
        name="OptOutsPer1000Texts", unit=MetricUnit.NoUnit, value=checked.highest_per_1000
    )
    details = {
        "hour": checked.hour,
        "tenants_checked": checked.checked,
        "tenants_judged": len(checked.judged),
        "tenants_tuned_out": firing,
        "highest_opt_outs_per_1000": checked.highest_per_1000,
    }
    if firing:
        logger.warning("tenants tuned out", extra=details)
    else:
        logger.info("tune-out checked", extra=details)
