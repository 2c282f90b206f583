"""Logger, metrics and tracer, shared by every function. Phone numbers never reach a log."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import PowertoolsLogRecord

from rendezvous.phone import mask_in_text


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Masks every E.164 number in the serialized record: message, extras and exceptions."""

    def serialize(self, log: dict[str, Any] | PowertoolsLogRecord) -> str:
        return mask_in_text(super().serialize(log))


SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "rendezvous")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Rendezvous")

logger = Logger(service=SERVICE, logger_formatter=MaskingFormatter())
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)
tracer = Tracer(service=SERVICE)


def add_breakdown(name: str, dimension: str, value: str) -> None:
    """One count with its own dimension (a reason, an error code), in its own EMF blob so
    the function's shared dimensions stay low-cardinality."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics.namespace,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        metric.add_dimension(name=dimension, value=value)
