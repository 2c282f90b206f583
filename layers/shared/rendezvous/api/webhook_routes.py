"""The staff API's webhook routes: a manager registers the booking system's endpoints,
reads what was delivered to them, and retries a delivery by hand (CONTRACT.md, Outbound
webhooks).

A Router, like the queue, oversight and settings routes; which role may call it is the
resolver's business (CONTRACT.md, Roles: managers only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from rendezvous.api.http import ResourceId, documented, json_response, staff_member_of
from rendezvous.api.webhooks import (
    DeliveriesOut,
    DeliveryOut,
    EndpointCreatedOut,
    EndpointIn,
    EndpointOut,
    EndpointsOut,
)
from rendezvous.runtime import get_runtime

if TYPE_CHECKING:  # built by the runtime on first use, with its imports
    from rendezvous.domain.webhook_endpoints import WebhookEndpointService

router = Router()  # type: ignore[no-untyped-call]  # Powertools' untyped __init__


def _webhooks() -> WebhookEndpointService:
    return get_runtime().webhook_endpoint_service()


@router.put(
    "/v1/webhooks/<endpoint_id>",
    responses=documented(
        {201: EndpointCreatedOut, 200: EndpointOut}, 400, 401, 403, 409, 413, 415, 422, 503
    ),
)
def put_endpoint(endpoint_id: ResourceId, body: Annotated[EndpointIn, Body()]) -> Response[str]:
    registration = _webhooks().put(staff_member_of(router), endpoint_id, body.values())
    if registration.secret is not None:
        return json_response(
            201, EndpointCreatedOut.created(registration.endpoint, registration.secret)
        )
    return json_response(200, EndpointOut.of(registration.endpoint))


@router.get("/v1/webhooks", responses=documented({200: EndpointsOut}, 401, 403))
def list_endpoints() -> Response[str]:
    endpoints = _webhooks().all_endpoints(staff_member_of(router).tenant_id)
    return json_response(200, EndpointsOut(endpoints=[EndpointOut.of(e) for e in endpoints]))


@router.get(
    "/v1/webhooks/<endpoint_id>", responses=documented({200: EndpointOut}, 400, 401, 403, 404)
)
def get_endpoint(endpoint_id: ResourceId) -> Response[str]:
    endpoint = _webhooks().endpoint(staff_member_of(router).tenant_id, endpoint_id)
    return json_response(200, EndpointOut.of(endpoint))


@router.delete("/v1/webhooks/<endpoint_id>", responses=documented({204: None}, 400, 401, 403, 404))
def delete_endpoint(endpoint_id: ResourceId) -> Response[str]:
    _webhooks().delete(staff_member_of(router), endpoint_id)
    return Response(status_code=204, content_type="text/plain", body="")


@router.get(
    "/v1/webhooks/<endpoint_id>/deliveries",
    responses=documented({200: DeliveriesOut}, 400, 401, 403, 404),
)
def list_deliveries(
    endpoint_id: ResourceId,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response[str]:
    """The endpoint's deliveries, newest event first, each with every attempt."""
    tenant_id = staff_member_of(router).tenant_id
    deliveries, last = _webhooks().delivery_page(tenant_id, endpoint_id, limit, cursor)
    return json_response(
        200, DeliveriesOut(deliveries=[DeliveryOut.of(d) for d in deliveries], next_cursor=last)
    )


@router.post(
    "/v1/webhooks/<endpoint_id>/deliveries/<delivery_id>/retry",
    responses=documented({202: DeliveryOut}, 400, 401, 403, 404, 409, 503),
)
def retry_delivery(endpoint_id: ResourceId, delivery_id: ResourceId) -> Response[str]:
    """One more attempt of a delivered or failed delivery, now (the deliverer makes it)."""
    delivery = _webhooks().retry(staff_member_of(router), endpoint_id, delivery_id)
    return json_response(202, DeliveryOut.of(delivery))
