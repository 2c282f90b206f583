"""CloudWatch metrics for customers' texts: replies by intent, opt-outs, acknowledgements,
replies to an offer that found it taken by another."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.domain.inbound import InboundResult
from rendezvous.domain.keywords import Intent
from rendezvous.domain.offers import TakeOutcome
from rendezvous.observability import add_breakdown, metrics


def record_inbound_metrics(result: InboundResult) -> None:
    if result.intent is None:
        metrics.add_metric(name="RepliesToUnknownNumber", unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name="RepliesReceived", unit=MetricUnit.Count, value=1)
    add_breakdown("RepliesReceived", "Intent", result.intent.value)
    if result.intent is Intent.OPT_OUT and not result.already_opted_out:
        metrics.add_metric(name="OptOuts", unit=MetricUnit.Count, value=1)
    if result.intent is Intent.OPT_IN:
        metrics.add_metric(name="OptIns", unit=MetricUnit.Count, value=1)
    if result.acknowledged:
        metrics.add_metric(name="Acknowledgements", unit=MetricUnit.Count, value=1)
    if result.opened_conversation:
        metrics.add_metric(name="QueueItemsOpened", unit=MetricUnit.Count, value=1)
    # A winner's fill is counted with its log entry (fill_metrics); a repeated answer
    # counts nothing.
    if result.take is not None and result.take.outcome is TakeOutcome.TAKEN:
        metrics.add_metric(name="OfferTakenByAnother", unit=MetricUnit.Count, value=1)
