"""What a send decided, told to operators: CloudWatch metrics (sent, suppressed by reason,
deferred, failed by code) and one log line."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.domain.sending import Outcome, SendResult
from rendezvous.observability import add_breakdown, logger, metrics

METRIC_BY_OUTCOME = {
    Outcome.SENT: "MessagesSent",
    Outcome.SUPPRESSED: "MessagesSuppressed",
    Outcome.DEFERRED: "MessagesDeferred",
    Outcome.FAILED: "MessagesFailed",
    Outcome.UNKNOWN: "MessagesUnknown",
    Outcome.DUPLICATE: "DuplicateSendEvents",
}


def record_send_metrics(result: SendResult) -> None:
    name = METRIC_BY_OUTCOME[result.outcome]
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    if result.outcome is Outcome.SENT and result.segments:
        metrics.add_metric(name="SegmentsSent", unit=MetricUnit.Count, value=result.segments)
    detail = result.reason if result.outcome is not Outcome.FAILED else str(result.error_code)
    if result.outcome in {Outcome.SUPPRESSED, Outcome.DEFERRED, Outcome.FAILED} and detail:
        dimension = "ErrorCode" if result.outcome is Outcome.FAILED else "Reason"
        add_breakdown(name, dimension, detail)


def log_send_decision(result: SendResult) -> None:
    logger.info(
        "send decided",
        extra={
            "outcome": result.outcome.value,
            "reason": result.reason,
            "error_code": result.error_code,
            "segments": result.segments,
        },
    )
