"""One wave of offers for one opening, invoked by its one-time EventBridge Scheduler
schedule (the first a minute after the opening is written, each next one by the wave
before it)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.adapters.wave_scheduler import WaveRequest
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = WaveRequest.model_validate(event)
    logger.append_keys(opening_id=request.opening_id, wave=request.wave)
    result = (
        get_runtime().offer_service().run_wave(request.tenant_id, request.opening_id, request.wave)
    )
    logger.info(
        "wave run",
        extra={"outcome": result.outcome.value, "offers_sent": result.offers_sent},
    )
    return {"outcome": result.outcome.value, "offers_sent": result.offers_sent}
