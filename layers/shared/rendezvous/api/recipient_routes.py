"""The staff API's recipient routes: a number's history, and its opt-out or opt-in on the
customer's spoken wish.

`{phone}` is E.164, percent-encoded (`%2B33612345678`), or national digits read in the
country of the tenant's number. A Router, as the queue's routes are.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from rendezvous.api.http import documented, json_response, staff_member_of
from rendezvous.api.staff import OptChangeOut, ReasonIn, RecipientOut
from rendezvous.domain.recipients import RecipientService
from rendezvous.runtime import get_runtime

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__

# Unbounded here: every number that is not one, however long, is the same 422 naming
# `phone` (the phone parser refuses what is over 250 characters before reading it).
Phone = Annotated[
    str,
    Path(
        description="E.164 percent-encoded (%2B33612345678), or national digits in the "
        "tenant's country",
    ),
]
OptionalReason = Annotated[ReasonIn | None, Body()]


def _recipients() -> RecipientService:
    return get_runtime().recipient_service()


@router.get("/v1/recipients/<phone>", responses=documented({200: RecipientOut}, 400, 401, 403, 422))
def recipient(phone: Phone) -> Response[str]:
    staff = staff_member_of(router)
    return json_response(
        200, RecipientOut.of(_recipients().profile(staff.tenant_id, unquote(phone)))
    )


def _opt(phone: str, body: ReasonIn | None, *, opted_out: bool) -> Response[str]:
    change = _recipients().opt(
        staff_member_of(router),
        unquote(phone),
        opted_out=opted_out,
        reason=body.reason if body else None,
    )
    return json_response(200, OptChangeOut.of(change))


@router.post(
    "/v1/recipients/<phone>/opt-out",
    responses=documented({200: OptChangeOut}, 400, 401, 403, 413, 415, 422),
)
def opt_out(phone: Phone, body: OptionalReason = None) -> Response[str]:
    return _opt(phone, body, opted_out=True)


@router.post(
    "/v1/recipients/<phone>/opt-in",
    responses=documented({200: OptChangeOut}, 400, 401, 403, 413, 415, 422),
)
def opt_in(phone: Phone, body: OptionalReason = None) -> Response[str]:
    return _opt(phone, body, opted_out=False)
