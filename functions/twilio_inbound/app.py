"""POST /twilio/inbound: a customer's text, answered in TwiML."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.http import documented, http_resolver
from rendezvous.api.inbound_text import answer_once, text_of
from rendezvous.api.twilio_webhook import TwilioInboundForm, twiml, verified_form
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime

app = http_resolver()


@app.post("/twilio/inbound", responses=documented({200: None}, 403, 413, content_type="text/xml"))
def twilio_inbound() -> Response[str]:
    rt = get_runtime()
    form = verified_form(
        app,
        "/twilio/inbound",
        rt.public_base_url(),
        rt.twilio_auth_token(),
        rt.settings.twilio_account_sid,
        TwilioInboundForm,
    )
    text = text_of(form)
    return twiml(answer_once(text, app.lambda_context) if text else [])


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
