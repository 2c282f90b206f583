"""What a delivery came to, told to operators: CloudWatch metrics (WebhookDeliveriesFailed
carries the alarm) and one log line per attempt, without the URL or the body."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.domain.webhook_delivery import DeliveryResult
from rendezvous.observability import logger, metrics

METRIC_BY_OUTCOME = {
    "delivered": "WebhooksDelivered",
    "retry_planned": "WebhookRetriesPlanned",
    "failed": "WebhookDeliveriesFailed",
    "skipped": "WebhookDuplicateReceives",
}


def record_delivery(result: DeliveryResult) -> None:
    metrics.add_metric(name=METRIC_BY_OUTCOME[result.outcome], unit=MetricUnit.Count, value=1)
    logger.info(
        "webhook delivery",
        extra={
            "delivery_id": result.delivery_id,
            "endpoint_id": result.endpoint_id,
            "outcome": result.outcome,
            "attempt": result.attempt,
            "status_code": result.status_code,
        },
    )
