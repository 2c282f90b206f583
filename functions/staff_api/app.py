"""The Staff API: the human queue, a number's opt-out and history, the outbox, the pause
switch, the numbers, the tenant's settings, its webhook endpoints, its template
experiments and the tune-out alarm.

Its routes live by concern in the layer (rendezvous.api.queue_routes,
rendezvous.api.recipient_routes, rendezvous.api.oversight_routes,
rendezvous.api.settings_routes, rendezvous.api.webhook_routes,
rendezvous.api.experiment_routes and rendezvous.api.tune_out_routes); this function serves
them all.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api import (
    experiment_routes,
    oversight_routes,
    queue_routes,
    recipient_routes,
    settings_routes,
    tune_out_routes,
    webhook_routes,
)
from rendezvous.api.http import http_resolver
from rendezvous.observability import logger, metrics, traced

app = http_resolver()
app.include_router(queue_routes.router)
app.include_router(recipient_routes.router)
app.include_router(oversight_routes.router)
app.include_router(settings_routes.router)
app.include_router(webhook_routes.router)
app.include_router(experiment_routes.router)
app.include_router(tune_out_routes.router)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
