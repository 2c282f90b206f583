"""CloudWatch metrics for Twilio's delivery reports: delivered, undelivered, failed by code."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.domain.delivery import DeliveryUpdate
from rendezvous.domain.models import MessageStatus
from rendezvous.observability import add_breakdown, metrics

METRIC_BY_STATUS = {
    MessageStatus.DELIVERED: "MessagesDelivered",
    MessageStatus.UNDELIVERED: "MessagesUndelivered",
    MessageStatus.FAILED: "MessagesFailedAfterSend",
}


def record_delivery_metrics(update: DeliveryUpdate) -> None:
    """Only a report that moved its record forward counts: a repeat or a late one does not."""
    if update.applied and update.status in METRIC_BY_STATUS:
        metrics.add_metric(METRIC_BY_STATUS[update.status], MetricUnit.Count, 1)
    if update.applied and update.error_code is not None:
        add_breakdown("MessagesFailedAfterSend", "ErrorCode", str(update.error_code))
