"""The staff API's tune-out route: are the tenant's customers opting out of its texts?
Managers only (rendezvous.api.roles)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from rendezvous.api.http import documented, staff_member_of
from rendezvous.api.tune_out import TuneOutOut
from rendezvous.runtime import get_runtime

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__


@router.get("/v1/tune-out", responses=documented({200: TuneOutOut}, 401, 403, 404))
def tune_out() -> Response[str]:
    tenant_id = staff_member_of(router).tenant_id
    answer = TuneOutOut.of(get_runtime().tune_out_service().tune_out(tenant_id))
    # Nulls kept: the shape has every member (a null rate, no reason).
    return Response(status_code=200, content_type="application/json", body=answer.model_dump_json())
