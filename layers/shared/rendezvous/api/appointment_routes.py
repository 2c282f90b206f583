"""The booking system's routes: PUT / GET / DELETE /v1/appointments/{appointment_id}.

A Router, as the staff API's routes are, so the function's handler stays a few lines.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from rendezvous.api.appointments import AppointmentIn, AppointmentOut
from rendezvous.api.http import ResourceId, caller_of, documented, json_response
from rendezvous.domain.appointments import AppointmentService
from rendezvous.domain.events import cancelled_by_role
from rendezvous.observability import metrics
from rendezvous.runtime import get_runtime

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__


def _service() -> AppointmentService:
    return get_runtime().appointment_service()


def _tenant() -> str:
    return caller_of(router).tenant_id


@router.put(
    "/v1/appointments/<appointment_id>",
    responses=documented(
        {200: AppointmentOut, 201: AppointmentOut}, 400, 401, 403, 409, 413, 415, 422
    ),
)
def put_appointment(
    appointment_id: ResourceId, booking: Annotated[AppointmentIn, Body()]
) -> Response[str]:
    view = _service().upsert(_tenant(), appointment_id, booking.to_draft())
    metrics.add_metric("AppointmentsCreated" if view.created else "AppointmentsUpdated", "Count", 1)
    return json_response(201 if view.created else 200, AppointmentOut.of(view))


@router.get(
    "/v1/appointments/<appointment_id>",
    responses=documented({200: AppointmentOut}, 400, 401, 403, 404),
)
def get_appointment(appointment_id: ResourceId) -> Response[str]:
    view = _service().get(_tenant(), appointment_id)
    return json_response(200, AppointmentOut.of(view))


@router.delete(
    "/v1/appointments/<appointment_id>",
    responses=documented({200: AppointmentOut}, 400, 401, 403, 404),
)
def cancel_appointment(appointment_id: ResourceId) -> Response[str]:
    caller = caller_of(router)
    view = _service().cancel(
        caller.tenant_id,
        appointment_id,
        source=cancelled_by_role(caller.role),
        by=caller.subject,
    )
    if view.cancelled_now:
        metrics.add_metric("AppointmentsCancelled", "Count", 1)
    return json_response(200, AppointmentOut.of(view))
