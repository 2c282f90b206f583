"""The Staff API: the human queue, the outbox, the pause switch and the numbers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.http import (
    body_text,
    http_resolver,
    json_response,
    read_json_body,
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
    int_param,
)
from rendezvous.domain.errors import InvalidRequest
from rendezvous.domain.models import QueueStatus
from rendezvous.domain.oversight import OversightService
from rendezvous.domain.redrive import LateTexts
from rendezvous.domain.staff import QueueService, StaffMember
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime

app = http_resolver()


def _staff() -> StaffMember:
    rt = get_runtime()
    return StaffMember(tenant_of(app, rt.settings.tenant_claim), staff_of(app))


def _queue() -> QueueService:
    rt = get_runtime()
    return QueueService(rt.store(), rt.queue_store(), rt.gateway(), rt.activity_log(), rt.clock)


def _oversight() -> OversightService:
    rt = get_runtime()
    return OversightService(
        rt.store(),
        rt.oversight_store(),
        rt.queue_store(),
        rt.activity_log(),
        rt.clock,
        lambda: LateTexts(rt.oversight_store(), rt.store(), rt.queue(), rt.clock),
    )


def _query(name: str) -> str | None:
    return (app.current_event.query_string_parameters or {}).get(name)


def _body(model: type[ReplyIn] | type[ReasonIn] | type[VersionIn]) -> Any:
    raw = body_text(app)
    # Claim, release, resolve, pause and resume may come without a body; a reply may not.
    if model is ReasonIn and not raw.strip():
        return ReasonIn()
    if model is VersionIn and not raw.strip():
        return VersionIn()
    return model.model_validate_json(read_json_body(app, get_runtime().settings.max_body_bytes))


@app.get("/v1/queue")
def list_queue() -> Response[str]:
    staff = _staff()
    raw_status = _query("status") or "open"
    if raw_status not in {s.value for s in QueueStatus}:
        raise InvalidRequest("status is open, claimed or resolved")
    limit = int_param(_query("limit"), "limit", 25, 1, 100)
    status = QueueStatus(raw_status)
    cursor = decode_cursor(_query("cursor"), staff.tenant_id, status.value)
    items, last, _ = get_runtime().queue_store().page(staff.tenant_id, status, limit, cursor)
    now = get_runtime().clock.now()
    return json_response(
        200,
        QueuePageOut(
            items=[QueueItemOut.of(i, now) for i in items], next_cursor=encode_cursor(last)
        ),
    )


@app.get("/v1/queue/<item_id>")
def queue_item(item_id: str) -> Response[str]:
    staff = _staff()
    detail = _queue().detail(staff.tenant_id, item_id)
    return json_response(200, ItemDetailOut.of(detail, get_runtime().clock.now()))


@app.post("/v1/queue/<item_id>/claim")
def claim(item_id: str) -> Response[str]:
    item = _queue().claim(_staff(), item_id, _body(VersionIn).version)
    metrics.add_metric("QueueItemsClaimed", "Count", 1)
    now = get_runtime().clock.now()
    return json_response(
        200, ItemOut(item=QueueItemOut.of(item, now), lease_expires_at=item.lease_expires_at)
    )


@app.post("/v1/queue/<item_id>/reply")
def reply(item_id: str) -> Response[str]:
    staff = _staff()
    body = _body(ReplyIn)
    item, message = _queue().reply(staff, item_id, body.body, body.version)
    metrics.add_metric("StaffReplies", "Count", 1)
    from rendezvous.api.staff import ConversationMessageOut

    now = get_runtime().clock.now()
    return json_response(
        200, ItemOut(item=QueueItemOut.of(item, now), message=ConversationMessageOut.of(message))
    )


@app.post("/v1/queue/<item_id>/release")
def release(item_id: str) -> Response[str]:
    item = _queue().release(_staff(), item_id, _body(VersionIn).version)
    return json_response(200, ItemOut(item=QueueItemOut.of(item, get_runtime().clock.now())))


@app.post("/v1/queue/<item_id>/resolve")
def resolve(item_id: str) -> Response[str]:
    item = _queue().resolve(_staff(), item_id, _body(VersionIn).version)
    metrics.add_metric("QueueItemsResolved", "Count", 1)
    return json_response(200, ItemOut(item=QueueItemOut.of(item, get_runtime().clock.now())))


@app.get("/v1/outbox")
def outbox() -> Response[str]:
    staff = _staff()
    hours = int_param(_query("hours"), "hours", 24, 1, 168)
    service = _oversight()
    entries = service.outbox(staff.tenant_id, hours)
    paused = service.status(staff.tenant_id).paused
    return json_response(
        200, OutboxOut(hours=hours, paused=paused, messages=[OutboxEntryOut.of(e) for e in entries])
    )


@app.post("/v1/pause")
def pause() -> Response[str]:
    body = _body(ReasonIn)
    tenant = _oversight().pause(_staff(), body.reason or "")
    metrics.add_metric("TenantPaused", "Count", 1)
    return json_response(200, StatusOut.of(tenant))


@app.post("/v1/resume")
def resume() -> Response[str]:
    body = _body(ReasonIn)
    tenant, held = _oversight().resume(_staff(), body.reason)
    return json_response(
        200, ResumeOut(**StatusOut.of(tenant).model_dump(), held=ReleasedOut.of(held))
    )


@app.post("/v1/outbox/redrive")
def redrive() -> Response[str]:
    """Managers only once roles arrive (CONTRACT.md, Roles)."""
    released = _oversight().redrive(_staff())
    return json_response(200, RedriveOut(redrive=ReleasedOut.of(released)))


@app.get("/v1/status")
def status() -> Response[str]:
    return json_response(200, StatusOut.of(_oversight().status(_staff().tenant_id)))


@app.get("/v1/stats")
def stats() -> Response[str]:
    staff = _staff()
    days = int_param(_query("days"), "days", 7, 1, 31)
    return json_response(200, StatsOut.of(_oversight().stats(staff.tenant_id, days)))


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
