"""The staff API's queue routes: list and read queue items, claim, reply, release, resolve.

A Router, so the staff function's handler stays a few lines and a function of its own
could serve these routes alone by including only this router.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from rendezvous.api.http import ResourceId, documented, json_response, staff_member_of
from rendezvous.api.staff import (
    ConversationMessageOut,
    ItemDetailOut,
    ItemOut,
    QueueItemOut,
    QueuePageOut,
    ReplyIn,
    VersionIn,
    decode_cursor,
    encode_cursor,
)
from rendezvous.domain.models import QueueStatus
from rendezvous.domain.staff import QueueService
from rendezvous.observability import metrics
from rendezvous.runtime import get_runtime

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__

# Claim, release and resolve may come without a body; a reply may not.
OptionalVersion = Annotated[VersionIn | None, Body()]


def _queue() -> QueueService:
    return get_runtime().queue_service()


def _version(body: VersionIn | None) -> int | None:
    return body.version if body else None


@router.get("/v1/queue", responses=documented({200: QueuePageOut}, 400, 401, 403))
def list_queue(
    status: Annotated[QueueStatus, Query()] = QueueStatus.OPEN,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    staff = staff_member_of(router)
    start = decode_cursor(cursor, staff.tenant_id, status.value)
    page = _queue().page(staff.tenant_id, status, limit, start)
    now = get_runtime().clock.now()
    items = [
        QueueItemOut.of(i, now, page.appointments.get(i.appointment_id or "")) for i in page.items
    ]
    return json_response(
        200,
        QueuePageOut(items=items, next_cursor=encode_cursor(page.next_start), count=page.count),
    )


@router.get("/v1/queue/<item_id>", responses=documented({200: ItemDetailOut}, 400, 401, 403, 404))
def queue_item(item_id: ResourceId) -> Response[str]:
    staff = staff_member_of(router)
    detail = _queue().detail(staff.tenant_id, item_id)
    return json_response(200, ItemDetailOut.of(detail, get_runtime().clock.now()))


@router.post(
    "/v1/queue/<item_id>/claim",
    responses=documented({200: ItemOut}, 400, 401, 403, 404, 409, 413, 415, 422),
)
def claim(item_id: ResourceId, body: OptionalVersion = None) -> Response[str]:
    item = _queue().claim(staff_member_of(router), item_id, _version(body))
    metrics.add_metric("QueueItemsClaimed", "Count", 1)
    now = get_runtime().clock.now()
    return json_response(
        200, ItemOut(item=QueueItemOut.of(item, now), lease_expires_at=item.lease_expires_at)
    )


@router.post(
    "/v1/queue/<item_id>/reply",
    responses=documented({200: ItemOut}, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
def reply(item_id: ResourceId, body: Annotated[ReplyIn, Body()]) -> Response[str]:
    staff = staff_member_of(router)
    item, message = _queue().reply(staff, item_id, body.body, body.version)
    metrics.add_metric("StaffReplies", "Count", 1)
    now = get_runtime().clock.now()
    return json_response(
        200, ItemOut(item=QueueItemOut.of(item, now), message=ConversationMessageOut.of(message))
    )


@router.post(
    "/v1/queue/<item_id>/release",
    responses=documented({200: ItemOut}, 400, 401, 403, 404, 409, 413, 415, 422),
)
def release(item_id: ResourceId, body: OptionalVersion = None) -> Response[str]:
    item = _queue().release(staff_member_of(router), item_id, _version(body))
    return json_response(200, ItemOut(item=QueueItemOut.of(item, get_runtime().clock.now())))


@router.post(
    "/v1/queue/<item_id>/resolve",
    responses=documented({200: ItemOut}, 400, 401, 403, 404, 409, 413, 415, 422),
)
def resolve(item_id: ResourceId, body: OptionalVersion = None) -> Response[str]:
    item = _queue().resolve(staff_member_of(router), item_id, _version(body))
    metrics.add_metric("QueueItemsResolved", "Count", 1)
    return json_response(200, ItemOut(item=QueueItemOut.of(item, get_runtime().clock.now())))
