"""GET /console: the staff console, one self-contained page that talks to the staff API."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.http import documented, http_resolver
from rendezvous.api.openapi import OpenApiDocumentOut, openapi_json
from rendezvous.console import console_page
from rendezvous.observability import logger, metrics, traced

app = http_resolver()


@app.get("/console", responses=documented({200: None}, content_type="text/html"))
def console() -> Response[str]:
    page = console_page()
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=page.html,
        headers={
            "Content-Security-Policy": page.content_security_policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        },
        compress=True,
    )


@app.get("/v1/openapi.json", responses=documented({200: OpenApiDocumentOut}))
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=openapi_json(),
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
        compress=True,
    )


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
