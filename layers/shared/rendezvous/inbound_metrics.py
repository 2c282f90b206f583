"""CloudWatch metrics for customers' texts: replies by intent, opt-outs, acknowledgements."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.domain.inbound import InboundResult
from rendezvous.domain.keywords import Intent
from rendezvous.fill_metrics import record_take_metrics
from rendezvous.observability import add_breakdown, metrics


def record_inbound_metrics(result: InboundResult) -> None:
    if result.intent is None:
        metrics.add_metric(name="RepliesToUnknownNumber", unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name="RepliesReceived", unit=MetricUnit.Count, value=1)
    add_breakdown("RepliesReceived", "Intent", result.intent.value)
    if result.intent is Intent.OPT_OUT:
        metrics.add_metric(name="OptOuts", unit=MetricUnit.Count, value=1)
    if result.intent is Intent.OPT_IN:
        metrics.add_metric(name="OptIns", unit=MetricUnit.Count, value=1)
    if result.acknowledged:
        metrics.add_metric(name="Acknowledgements", unit=MetricUnit.Count, value=1)
    if result.opened_conversation:
        metrics.add_metric(name="QueueItemsOpened", unit=MetricUnit.Count, value=1)
    if result.take is not None:
        record_take_metrics(result.take)
