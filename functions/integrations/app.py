"""Booking systems in their own formats: POST /integrations/calcom/{integration_id}
(Cal.com's signed webhook), PUT/GET /fhir/r4/Appointment/{id} (FHIR R4) and the manager's
PUT/GET /v1/integrations/calcom/{integration_id}.

A function of its own so the FHIR models' import stays out of the others' cold starts.
Its routes live in the layer (rendezvous.api.integration_routes).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api import integration_routes
from rendezvous.api.http import http_resolver
from rendezvous.observability import logger, metrics, traced

app = http_resolver()
app.include_router(integration_routes.router)
integration_routes.register_fhir_errors(app)


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
