"""PUT / GET / DELETE /v1/appointments/{appointment_id}: the booking system's API."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.appointments import AppointmentIn, AppointmentOut, appointment_id_from_path
from rendezvous.api.http import (
    http_resolver,
    json_response,
    read_json_body,
    staff_of,
    tenant_of,
)
from rendezvous.domain.appointments import AppointmentService
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime

app = http_resolver()


def _service() -> AppointmentService:
    rt = get_runtime()
    return AppointmentService(
        rt.store(), rt.scheduler(), rt.queue(), rt.clock, activity=rt.activity_log()
    )


def _tenant() -> str:
    return tenant_of(app, get_runtime().settings.tenant_claim)


def _actor() -> str:
    return staff_of(app)


@app.put("/v1/appointments/<appointment_id>")
def put_appointment(appointment_id: str) -> Response[str]:
    tenant = _tenant()
    body = read_json_body(app, get_runtime().settings.max_body_bytes)
    draft = AppointmentIn.model_validate_json(body).to_draft()
    view = _service().upsert(tenant, appointment_id_from_path(appointment_id), draft)
    metrics.add_metric("AppointmentsCreated" if view.created else "AppointmentsUpdated", "Count", 1)
    return json_response(201 if view.created else 200, AppointmentOut.of(view))


@app.get("/v1/appointments/<appointment_id>")
def get_appointment(appointment_id: str) -> Response[str]:
    view = _service().get(_tenant(), appointment_id_from_path(appointment_id))
    return json_response(200, AppointmentOut.of(view))


@app.delete("/v1/appointments/<appointment_id>")
def cancel_appointment(appointment_id: str) -> Response[str]:
    tenant, actor = _tenant(), _actor()
    view = _service().cancel(tenant, appointment_id_from_path(appointment_id), by=actor)
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
