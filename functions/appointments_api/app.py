"""PUT / GET / DELETE /v1/appointments/{appointment_id}: the booking system's API."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.appointments import AppointmentIn, AppointmentOut
from rendezvous.api.http import (
    ResourceId,
    documented,
    http_resolver,
    json_response,
    staff_of,
    tenant_of,
)
from rendezvous.domain.appointments import AppointmentService
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime

app = http_resolver()


def _service() -> AppointmentService:
    return get_runtime().appointment_service()


def _tenant() -> str:
    return tenant_of(app, get_runtime().settings.tenant_claim)


def _actor() -> str:
    return staff_of(app)


@app.put(
    "/v1/appointments/<appointment_id>",
    responses=documented({200: AppointmentOut, 201: AppointmentOut}, 400, 401, 409, 413, 415, 422),
)
def put_appointment(
    appointment_id: ResourceId, booking: Annotated[AppointmentIn, Body()]
) -> Response[str]:
    view = _service().upsert(_tenant(), appointment_id, booking.to_draft())
    metrics.add_metric("AppointmentsCreated" if view.created else "AppointmentsUpdated", "Count", 1)
    return json_response(201 if view.created else 200, AppointmentOut.of(view))


@app.get(
    "/v1/appointments/<appointment_id>", responses=documented({200: AppointmentOut}, 400, 401, 404)
)
def get_appointment(appointment_id: ResourceId) -> Response[str]:
    view = _service().get(_tenant(), appointment_id)
    return json_response(200, AppointmentOut.of(view))


@app.delete(
    "/v1/appointments/<appointment_id>",
    responses=documented({200: AppointmentOut}, 400, 401, 404),
)
def cancel_appointment(appointment_id: ResourceId) -> Response[str]:
    tenant, actor = _tenant(), _actor()
    view = _service().cancel(tenant, appointment_id, by=actor)
    if view.cancelled_now:
        metrics.add_metric("AppointmentsCancelled", "Count", 1)
    return json_response(200, AppointmentOut.of(view))


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
