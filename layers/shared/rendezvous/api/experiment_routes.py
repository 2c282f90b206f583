"""The staff API's experiment routes: managers start, read (with the report) and stop
template experiments.

A Router, like the other staff routes; which role may call which is the resolver's
business (rendezvous.api.roles: every experiment route is the managers', as the contract says).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from rendezvous.api.experiments import (
    ExperimentIn,
    ExperimentOut,
    ExperimentReportOut,
    ExperimentsOut,
    ReportOut,
    StopIn,
)
from rendezvous.api.http import ResourceId, documented, staff_member_of
from rendezvous.runtime import get_runtime

if TYPE_CHECKING:  # built by the runtime on first use, with its imports
    from rendezvous.domain.experiment_service import ExperimentService

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__


def _experiments() -> ExperimentService:
    return get_runtime().experiment_service()


def _answer(status: int, payload: BaseModel) -> Response[str]:
    # Nulls stay in: the shapes name every member (api/experiments.py).
    return Response(
        status_code=status, content_type="application/json", body=payload.model_dump_json()
    )


@router.put(
    "/v1/experiments/<experiment_id>",
    responses=documented(
        {201: ExperimentOut, 200: ExperimentOut}, 400, 401, 403, 404, 409, 413, 415, 422
    ),
)
def start_experiment(
    experiment_id: ResourceId, body: Annotated[ExperimentIn, Body()]
) -> Response[str]:
    """Start an experiment at once. The same definition again answers 200 (a retry)."""
    started = _experiments().start(
        staff_member_of(router),
        experiment_id,
        kind=body.message_kind,
        locale=body.locale,
        description=body.description,
        variants=body.domain_variants(),
    )
    return _answer(201 if started.created else 200, ExperimentOut.of(started.experiment))


@router.get("/v1/experiments", responses=documented({200: ExperimentsOut}, 401, 403))
def list_experiments() -> Response[str]:
    found = _experiments().experiments(staff_member_of(router).tenant_id)
    return _answer(200, ExperimentsOut(experiments=[ExperimentOut.of(e) for e in found]))


@router.get(
    "/v1/experiments/<experiment_id>",
    responses=documented({200: ExperimentReportOut}, 400, 401, 403, 404),
)
def get_experiment(experiment_id: ResourceId) -> Response[str]:
    service = _experiments()
    experiment = service.experiment(staff_member_of(router).tenant_id, experiment_id)
    report = ReportOut.of(service.report(experiment))
    return _answer(
        200, ExperimentReportOut(**ExperimentOut.of(experiment).model_dump(), report=report)
    )


@router.post(
    "/v1/experiments/<experiment_id>/stop",
    responses=documented({200: ExperimentOut}, 400, 401, 403, 404, 409, 413, 415, 422),
)
def stop_experiment(experiment_id: ResourceId, body: Annotated[StopIn, Body()]) -> Response[str]:
    """Stop it; a winner's words become the tenant's template for the kind and locale."""
    stopped = _experiments().stop(staff_member_of(router), experiment_id, body.winner)
    return _answer(200, ExperimentOut.of(stopped))
