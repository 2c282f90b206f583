"""The booking system's routes, which the console uses too: PUT / GET / DELETE
/v1/appointments/{appointment_id}, POST .../outcome, and GET /v1/appointments (a day or
week list).

A Router, as the staff API's routes are, so the function's handler stays a few lines.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import AwareDatetime

from rendezvous.api.appointments import (
    AppointmentIn,
    AppointmentListOut,
    AppointmentOut,
    OutcomeIn,
    decode_position,
)
from rendezvous.api.http import ResourceId, caller_of, documented, json_response
from rendezvous.domain.appointments import AppointmentService
from rendezvous.domain.errors import InvalidFields
from rendezvous.domain.events import cancelled_by_role
from rendezvous.observability import add_breakdown, metrics
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
    "/v1/appointments",
    responses=documented({200: AppointmentListOut}, 400, 401, 403, 422),
)
def list_appointments(
    start: Annotated[
        AwareDatetime,
        Query(alias="from", description="ISO 8601 with its offset; the first start listed"),
    ],
    end: Annotated[
        AwareDatetime,
        Query(
            alias="to",
            description="ISO 8601 with its offset, later than from by at most 31 days; "
            "an appointment starting at `to` is not listed",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response[str]:
    page = _service().between(
        _tenant(),
        _in_utc(start, "from"),
        _in_utc(end, "to"),
        limit=limit,
        after=decode_position(cursor),
    )
    return json_response(200, AppointmentListOut.of(page))


def _in_utc(moment: datetime, field: str) -> datetime:
    """`moment` in UTC; one that has no UTC year 1 to 9999 (0001-01-01T00:00+01:00) is the
    caller's mistake, named, not a crash."""
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidFields([(field, "is outside the years 1 to 9999 in UTC")]) from exc


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
def cancel_appointment(
    appointment_id: ResourceId,
    notify: Annotated[
        bool,
        Query(description="also text the customer that it is cancelled (once, by the sender)"),
    ] = False,
) -> Response[str]:
    caller = caller_of(router)
    view = _service().cancel(
        caller.tenant_id,
        appointment_id,
        source=cancelled_by_role(caller.role),
        by=caller.subject,
        notify=notify,
    )
    if view.cancelled_now:
        metrics.add_metric("AppointmentsCancelled", "Count", 1)
    return json_response(200, AppointmentOut.of(view))


@router.post(
    "/v1/appointments/<appointment_id>/outcome",
    responses=documented({200: AppointmentOut}, 400, 401, 403, 404, 413, 415, 422),
)
def record_outcome(appointment_id: ResourceId, body: Annotated[OutcomeIn, Body()]) -> Response[str]:
    caller = caller_of(router)
    view = _service().record_outcome(
        caller.tenant_id,
        appointment_id,
        body.outcome,
        source=cancelled_by_role(caller.role),
        by="booking" if cancelled_by_role(caller.role) == "booking" else caller.subject,
    )
    if view.recorded_now:
        # Once per outcome recorded (a repeat records nothing): the dashboard's no-show rate.
        metrics.add_metric("OutcomesRecorded", "Count", 1)
        add_breakdown("OutcomesRecorded", "Outcome", body.outcome.value)
    return json_response(200, AppointmentOut.of(view))
