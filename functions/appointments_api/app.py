"""PUT / GET / DELETE /v1/appointments/{appointment_id}, POST .../outcome and
GET /v1/appointments: the booking system's API, which the console uses too; and the
waitlist and openings (/v1/waitlist, /v1/openings).

Its routes live in the layer (rendezvous.api.appointment_routes, vacancy_routes).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api import appointment_routes, vacancy_routes
from rendezvous.api.http import http_resolver
from rendezvous.observability import logger, metrics, traced

app = http_resolver()
app.include_router(appointment_routes.router)
app.include_router(vacancy_routes.router)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
