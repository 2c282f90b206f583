"""The staff API's oversight routes: the outbox and its redrive, pause and resume, status
and stats (and their CSV export).

A Router, so the staff function's handler stays a few lines and a function of its own
could serve these routes alone by including only this router.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from rendezvous.api.http import documented, json_response, staff_member_of
from rendezvous.api.staff import (
    OutboxEntryOut,
    OutboxOut,
    ReasonIn,
    RedriveOut,
    ReleasedOut,
    ResumeOut,
    StatsOut,
    StatusOut,
)
from rendezvous.api.stats_export import export_filename, stats_csv
from rendezvous.observability import metrics
from rendezvous.runtime import get_runtime

if TYPE_CHECKING:  # built by the runtime on first use, with its imports
    from rendezvous.domain.oversight import OversightService

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__

# Pause and resume may come without a body.
OptionalReason = Annotated[ReasonIn | None, Body()]


def _oversight() -> OversightService:
    return get_runtime().oversight_service()


@router.get("/v1/outbox", responses=documented({200: OutboxOut}, 400, 401, 403))
def outbox(hours: Annotated[int, Query(ge=1, le=168)] = 24) -> Response[str]:
    staff = staff_member_of(router)
    service = _oversight()
    entries = service.outbox(staff.tenant_id, hours)
    paused = service.status(staff.tenant_id).paused
    return json_response(
        200, OutboxOut(hours=hours, paused=paused, messages=[OutboxEntryOut.of(e) for e in entries])
    )


@router.post("/v1/pause", responses=documented({200: StatusOut}, 400, 401, 403, 413, 415, 422))
def pause(body: OptionalReason = None) -> Response[str]:
    tenant = _oversight().pause(staff_member_of(router), (body.reason if body else None) or "")
    metrics.add_metric("TenantPaused", "Count", 1)
    return json_response(200, StatusOut.of(tenant))


@router.post("/v1/resume", responses=documented({200: ResumeOut}, 400, 401, 403, 413, 415, 422))
def resume(body: OptionalReason = None) -> Response[str]:
    tenant, held = _oversight().resume(staff_member_of(router), body.reason if body else None)
    return json_response(
        200, ResumeOut(**StatusOut.of(tenant).model_dump(), held=ReleasedOut.of(held))
    )


@router.post("/v1/outbox/redrive", responses=documented({200: RedriveOut}, 401, 403))
def redrive() -> Response[str]:
    released = _oversight().redrive(staff_member_of(router))
    return json_response(200, RedriveOut(redrive=ReleasedOut.of(released)))


@router.get("/v1/status", responses=documented({200: StatusOut}, 401, 403))
def status() -> Response[str]:
    return json_response(200, StatusOut.of(_oversight().status(staff_member_of(router).tenant_id)))


@router.get("/v1/stats", responses=documented({200: StatsOut}, 400, 401, 403))
def stats(days: Annotated[int, Query(ge=1, le=31)] = 7) -> Response[str]:
    staff = staff_member_of(router)
    answer = StatsOut.of(_oversight().stats(staff.tenant_id, days))
    return Response(status_code=200, content_type="application/json", body=answer.as_json())


@router.get(
    "/v1/stats/export",
    responses=documented({200: None}, 400, 401, 403, content_type="text/csv"),
)
def stats_export(days: Annotated[int, Query(ge=1, le=31)] = 7) -> Response[str]:
    """GET /v1/stats' results as one CSV table (api/stats_export.py says its columns)."""
    staff = staff_member_of(router)
    answer = StatsOut.of(_oversight().stats(staff.tenant_id, days))
    name = export_filename(staff.tenant_id, days)
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=stats_csv(answer),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
