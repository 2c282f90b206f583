"""What the webhook endpoint routes take and give (CONTRACT.md, Outbound webhooks).

The bounds are the domain's (rendezvous.domain.webhooks), so the OpenAPI document shows
them; the URL's rules need its host resolved and are the domain's alone (a 422 naming
`url`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rendezvous.api.staff import OutModel
from rendezvous.domain.events import EventType
from rendezvous.domain.webhook_endpoints import EndpointValues
from rendezvous.domain.webhooks import (
    DESCRIPTION_MAX,
    URL_MAX,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    WebhookEndpoint,
)


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    url: str = Field(
        min_length=1,
        max_length=URL_MAX,
        description="https to a public address; no credentials in it",
        examples=["https://booking.example.com/hooks/rendezvous"],
    )
    events: list[EventType] = Field(
        min_length=1,
        max_length=len(EventType),
        description="the event types to send here (a repeated one counts once)",
    )
    description: str = Field(default="", max_length=DESCRIPTION_MAX)

    def values(self) -> EndpointValues:
        return EndpointValues(
            url=self.url,
            events=tuple(e.value for e in self.events),
            description=self.description,
        )


class EndpointOut(OutModel):
    endpoint_id: str
    url: str
    events: list[str]
    description: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def fields_of(cls, endpoint: WebhookEndpoint) -> dict[str, Any]:
        return {
            "endpoint_id": endpoint.endpoint_id,
            "url": endpoint.url,
            "events": list(endpoint.events),
            "description": endpoint.description,
            "created_at": endpoint.created_at,
            "updated_at": endpoint.updated_at,
        }

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> EndpointOut:
        return cls(**cls.fields_of(endpoint))


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(
        description="the signing secret (Standard Webhooks, `whsec_` + base64): shown this "
        "once, keep it; to get a new one, delete the endpoint and make it again",
        pattern="^whsec_[A-Za-z0-9+/]+={0,2}$",
    )

    @classmethod
    def created(cls, endpoint: WebhookEndpoint, secret: str) -> EndpointCreatedOut:
        return cls(**cls.fields_of(endpoint), secret=secret)


class EndpointsOut(OutModel):
    endpoints: list[EndpointOut]


class AttemptOut(OutModel):
    number: int
    at: datetime
    status_code: int | None = Field(default=None, description="absent when nothing answered")
    duration_ms: int
    error: str | None = Field(default=None, description="why nothing answered, or what failed")
    response_excerpt: str = Field(description="the start of the answer's body")

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptOut:
        return cls(
            number=attempt.number,
            at=attempt.at,
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            error=attempt.error,
            response_excerpt=attempt.response_excerpt,
        )


class DeliveryOut(OutModel):
    delivery_id: str
    event_id: str = Field(description="the `webhook-id` every attempt carries")
    type: str
    occurred_at: datetime
    appointment_id: str | None = None
    data: dict[str, Any] = Field(description="the event body's `data`")
    state: DeliveryState
    next_attempt_at: datetime | None = Field(
        default=None, description="when a pending delivery is attempted next"
    )
    attempts: list[AttemptOut]

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            delivery_id=delivery.delivery_id,
            event_id=delivery.event.event_id,
            type=str(delivery.event.type),
            occurred_at=delivery.event.occurred_at,
            appointment_id=delivery.event.appointment_id,
            data=delivery.event.data,
            state=delivery.state,
            next_attempt_at=delivery.next_attempt_at,
            attempts=[AttemptOut.of(a) for a in delivery.attempts],
        )


class DeliveriesOut(OutModel):
    deliveries: list[DeliveryOut]
    next_cursor: str | None = None
