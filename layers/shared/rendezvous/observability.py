"""Logger, metrics and tracer, shared by every function. Phone numbers never reach a log."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import PowertoolsLogRecord
from aws_lambda_powertools.metrics import MetricUnit

from rendezvous.phone import mask_in_text


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Masks every E.164 number in the serialized record: message, extras and exceptions."""

    def serialize(self, log: dict[str, Any] | PowertoolsLogRecord) -> str:
        return mask_in_text(super().serialize(log))


SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "rendezvous")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Rendezvous")

logger = Logger(service=SERVICE, logger_formatter=MaskingFormatter())
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)

# X-Ray tracing is opt-in (template parameter EnableTracing): the X-Ray SDK that the
# Powertools Tracer loads costs about half of a handler's cold-start import time, so it is
# only paid for where an operator asked for traces.
TRACING_ENABLED = os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").lower() == "false"

Handler = TypeVar("Handler", bound=Callable[..., Any])


def traced(handler: Handler) -> Handler:
    """Wrap a Lambda handler in the Powertools Tracer when tracing is enabled."""
    if not TRACING_ENABLED:
        return handler
    from aws_lambda_powertools import Tracer

    return cast(Handler, Tracer(service=SERVICE).capture_lambda_handler(handler))


def add_breakdown(
    name: str, dimension: str, label: str, value: float = 1, unit: MetricUnit = MetricUnit.Count
) -> None:
    """One value (a count, by default) with its own dimension (a reason, an error code), in
    its own EMF blob so the function's shared dimensions stay low-cardinality."""
    from aws_lambda_powertools.metrics import single_metric

    with single_metric(
        name=name,
        unit=unit,
        value=value,
        namespace=metrics.namespace,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        metric.add_dimension(name=dimension, value=label)
