"""The waitlist and openings routes (CONTRACT.md, Vacancy fill): the booking system's and
staff's, in the appointments API's function."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import AwareDatetime

from rendezvous.api.http import ResourceId, caller_of, documented, json_response
from rendezvous.api.vacancies import (
    OPENING_ID_PATTERN,
    OPENING_ID_RULE,
    OpeningIn,
    OpeningOut,
    OpeningPageOut,
    WaitlistEntryIn,
    WaitlistEntryOut,
    WaitlistPageOut,
)
from rendezvous.domain.errors import InvalidFields
from rendezvous.domain.vacancies import VacancyService
from rendezvous.domain.vacancy import OpeningStatus, WaitlistStatus
from rendezvous.observability import metrics
from rendezvous.runtime import get_runtime

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__

OpeningId = Annotated[
    str, Path(min_length=1, max_length=100, pattern=OPENING_ID_PATTERN, description=OPENING_ID_RULE)
]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=512)]


S = TypeVar("S", OpeningStatus, WaitlistStatus)


def _status_query(description: str) -> Any:
    return Query(max_length=20, description=f"{description}; unset or empty: every status")


def _status(value: str | None, kind: type[S]) -> S | None:
    """A status filter as the other query values are judged: empty means every status (as
    leaving it out does), an unknown one is a 422 naming `status`."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(s.value for s in kind)
        raise InvalidFields([("status", f"one of {known}, or empty for all")]) from None


def _service() -> VacancyService:
    return get_runtime().vacancy_service()


def _tenant() -> str:
    return caller_of(router).tenant_id


@router.put(
    "/v1/waitlist/<entry_id>",
    responses=documented(
        {200: WaitlistEntryOut, 201: WaitlistEntryOut}, 400, 401, 403, 409, 413, 415, 422
    ),
)
def put_entry(entry_id: ResourceId, entry: Annotated[WaitlistEntryIn, Body()]) -> Response[str]:
    saved = _service().put_entry(_tenant(), entry_id, entry.to_draft())
    if saved.created:
        metrics.add_metric("WaitlistEntriesListed", "Count", 1)
    return json_response(201 if saved.created else 200, WaitlistEntryOut.of(saved.value))


@router.get("/v1/waitlist", responses=documented({200: WaitlistPageOut}, 400, 401, 403, 422))
def list_entries(
    status: Annotated[
        str | None,
        _status_query(
            "waiting, offered, filled or removed; first listed first (every status: waiting first)"
        ),
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response[str]:
    service, tenant_id = _service(), _tenant()
    entries, next_cursor = service.entries(
        tenant_id, _status(status, WaitlistStatus), limit, cursor
    )
    stopped = service.opted_out(tenant_id, entries)
    listed = [WaitlistEntryOut.of(e, opted_out=e.recipient_key in stopped) for e in entries]
    return json_response(200, WaitlistPageOut(entries=listed, next_cursor=next_cursor))


@router.get(
    "/v1/waitlist/<entry_id>", responses=documented({200: WaitlistEntryOut}, 400, 401, 403, 404)
)
def get_entry(entry_id: ResourceId) -> Response[str]:
    service, tenant_id = _service(), _tenant()
    entry = service.get_entry(tenant_id, entry_id)
    stopped = service.opted_out(tenant_id, [entry])
    return json_response(200, WaitlistEntryOut.of(entry, opted_out=entry.recipient_key in stopped))


@router.delete(
    "/v1/waitlist/<entry_id>", responses=documented({200: WaitlistEntryOut}, 400, 401, 403, 404)
)
def remove_entry(entry_id: ResourceId) -> Response[str]:
    return json_response(200, WaitlistEntryOut.of(_service().remove_entry(_tenant(), entry_id)))


@router.post(
    "/v1/openings",
    responses=documented({200: OpeningOut, 201: OpeningOut}, 400, 401, 403, 409, 413, 415, 422),
)
def publish_opening(opening: Annotated[OpeningIn, Body()]) -> Response[str]:
    # Counted, as every opening, by its log entry (OpeningsCreated, Source booking).
    saved = _service().publish(_tenant(), opening.to_draft(), opening.opening_id)
    return json_response(201 if saved.created else 200, OpeningOut.of(saved.value, []))


@router.get("/v1/openings", responses=documented({200: OpeningPageOut}, 400, 401, 403, 422))
def list_openings(
    status: Annotated[str | None, _status_query("open, offered, filled or expired")] = None,
    start: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="ISO 8601 with its offset; unset: now"),
    ] = None,
    end: Annotated[
        AwareDatetime | None,
        Query(
            alias="to",
            description="ISO 8601 with its offset, later than from by at most 31 days "
            "(unset: 31 days after from); an opening starting at `to` is not listed",
        ),
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response[str]:
    service, tenant_id = _service(), _tenant()
    openings, next_cursor = service.openings(
        tenant_id,
        status=_status(status, OpeningStatus),
        start=start.astimezone(UTC) if start else None,
        end=end.astimezone(UTC) if end else None,
        limit=limit,
        cursor=cursor,
    )
    takers = service.takers(tenant_id, openings)
    return json_response(
        200,
        OpeningPageOut(
            openings=[OpeningOut.of(o, taker=takers.get(o.opening_id)) for o in openings],
            next_cursor=next_cursor,
        ),
    )


@router.get(
    "/v1/openings/<opening_id>", responses=documented({200: OpeningOut}, 400, 401, 403, 404)
)
def get_opening(opening_id: OpeningId) -> Response[str]:
    service, tenant_id = _service(), _tenant()
    found = service.get_opening(tenant_id, opening_id)
    taker = service.takers(tenant_id, [found.opening]).get(opening_id)
    return json_response(200, OpeningOut.detail(found, taker))


@router.delete(
    "/v1/openings/<opening_id>",
    responses=documented({200: OpeningOut}, 400, 401, 403, 404, 409),
)
def withdraw_opening(opening_id: OpeningId) -> Response[str]:
    withdrawn = _service().withdraw(_tenant(), opening_id)
    return json_response(200, OpeningOut.of(withdrawn))
