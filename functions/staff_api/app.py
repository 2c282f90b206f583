"""The Staff API: the human queue, the outbox, the pause switch and the numbers."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.http import (
    ResourceId,
    documented,
    http_resolver,
    json_response,
    staff_of,
    tenant_of,
)
from rendezvous.api.staff import (
    ItemDetailOut,
    ItemOut,
    OutboxEntryOut,
    OutboxOut,
    QueueItemOut,
    QueuePageOut,
    ReasonIn,
    RedriveOut,
    ReleasedOut,
    ReplyIn,
    ResumeOut,
    StatsOut,
    StatusOut,
    VersionIn,
    decode_cursor,
    encode_cursor,
)
from rendezvous.domain.models import QueueStatus
from rendezvous.domain.oversight import OversightService
from rendezvous.domain.staff import QueueService, StaffMember
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime

app = http_resolver()

# Claim, release, resolve, pause and resume may come without a body; a reply may not.
OptionalVersion = Annotated[VersionIn | None, Body()]
OptionalReason = Annotated[ReasonIn | None, Body()]


def _staff() -> StaffMember:
    rt = get_runtime()
    return StaffMember(tenant_of(app, rt.settings.tenant_claim), staff_of(app))


def _queue() -> QueueService:
    return get_runtime().queue_service()


def _oversight() -> OversightService:
    return get_runtime().oversight_service()


def _version(body: VersionIn | None) -> int | None:
    return body.version if body else None


@app.get("/v1/queue", responses=documented({200: QueuePageOut}, 400, 401, 403))
def list_queue(
    status: Annotated[QueueStatus, Query()] = QueueStatus.OPEN,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    staff = _staff()
    start = decode_cursor(cursor, staff.tenant_id, status.value)
    items, last = _queue().page(staff.tenant_id, status, limit, start)
    now = get_runtime().clock.now()
    return json_response(
        200,
        QueuePageOut(
            items=[QueueItemOut.of(i, now) for i in items], next_cursor=encode_cursor(last)
        ),
    )


@app.get("/v1/queue/<item_id>", responses=documented({200: ItemDetailOut}, 400, 401, 403, 404))
def queue_item(item_id: ResourceId) -> Response[str]:
    staff = _staff()
    detail = _queue().detail(staff.tenant_id, item_id)
    return json_response(200, ItemDetailOut.of(detail, get_runtime().clock.now()))


@app.post(
    "/v1/queue/<item_id>/claim",
    responses=documented({200: ItemOut}, 400, 401, 403, 404, 409, 413, 415, 422),
)
def claim(item_id: ResourceId, body: OptionalVersion = None) -> Response[str]:
    item = _queue().claim(_staff(), item_id, _version(body))
    metrics.add_metric("QueueItemsClaimed", "Count", 1)
    now = get_runtime().clock.now()
    return json_response(
        200, ItemOut(item=QueueItemOut.of(item, now), lease_expires_at=item.lease_expires_at)
    )


@app.post(
    "/v1/queue/<item_id>/reply",
    responses=documented({200: ItemOut}, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
def reply(item_id: ResourceId, body: Annotated[ReplyIn, Body()]) -> Response[str]:
    staff = _staff()
    item, message = _queue().reply(staff, item_id, body.body, body.version)
    metrics.add_metric("StaffReplies", "Count", 1)
    from rendezvous.api.staff import ConversationMessageOut

    now = get_runtime().clock.now()
    return json_response(
        200, ItemOut(item=QueueItemOut.of(item, now), message=ConversationMessageOut.of(message))
    )


@app.post(
    "/v1/queue/<item_id>/release",
    responses=documented({200: ItemOut}, 400, 401, 403, 404, 409, 413, 415, 422),
)
def release(item_id: ResourceId, body: OptionalVersion = None) -> Response[str]:
    item = _queue().release(_staff(), item_id, _version(body))
    return json_response(200, ItemOut(item=QueueItemOut.of(item, get_runtime().clock.now())))


@app.post(
    "/v1/queue/<item_id>/resolve",
    responses=documented({200: ItemOut}, 400, 401, 403, 404, 409, 413, 415, 422),
)
def resolve(item_id: ResourceId, body: OptionalVersion = None) -> Response[str]:
    item = _queue().resolve(_staff(), item_id, _version(body))
    metrics.add_metric("QueueItemsResolved", "Count", 1)
    return json_response(200, ItemOut(item=QueueItemOut.of(item, get_runtime().clock.now())))


@app.get("/v1/outbox", responses=documented({200: OutboxOut}, 400, 401, 403))
def outbox(hours: Annotated[int, Query(ge=1, le=168)] = 24) -> Response[str]:
    staff = _staff()
    service = _oversight()
    entries = service.outbox(staff.tenant_id, hours)
    paused = service.status(staff.tenant_id).paused
    return json_response(
        200, OutboxOut(hours=hours, paused=paused, messages=[OutboxEntryOut.of(e) for e in entries])
    )


@app.post("/v1/pause", responses=documented({200: StatusOut}, 400, 401, 403, 413, 415, 422))
def pause(body: OptionalReason = None) -> Response[str]:
    tenant = _oversight().pause(_staff(), (body.reason if body else None) or "")
    metrics.add_metric("TenantPaused", "Count", 1)
    return json_response(200, StatusOut.of(tenant))


@app.post("/v1/resume", responses=documented({200: ResumeOut}, 400, 401, 403, 413, 415, 422))
def resume(body: OptionalReason = None) -> Response[str]:
    tenant, held = _oversight().resume(_staff(), body.reason if body else None)
    return json_response(
        200, ResumeOut(**StatusOut.of(tenant).model_dump(), held=ReleasedOut.of(held))
    )


# Managers only once roles arrive (CONTRACT.md, Roles).
@app.post("/v1/outbox/redrive", responses=documented({200: RedriveOut}, 401, 403))
def redrive() -> Response[str]:
    released = _oversight().redrive(_staff())
    return json_response(200, RedriveOut(redrive=ReleasedOut.of(released)))


@app.get("/v1/status", responses=documented({200: StatusOut}, 401, 403))
def status() -> Response[str]:
    return json_response(200, StatusOut.of(_oversight().status(_staff().tenant_id)))


@app.get("/v1/stats", responses=documented({200: StatsOut}, 400, 401, 403))
def stats(days: Annotated[int, Query(ge=1, le=31)] = 7) -> Response[str]:
    staff = _staff()
    return json_response(200, StatsOut.of(_oversight().stats(staff.tenant_id, days)))


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
