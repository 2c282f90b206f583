"""POST /twilio/inbound: a customer's text, answered in TwiML."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.http import documented, http_resolver
from rendezvous.api.twilio_webhook import TwilioInboundForm, bounded_body, twiml, verified_form
from rendezvous.domain.inbound import InboundText
from rendezvous.inbound_metrics import record_inbound_metrics
from rendezvous.observability import logger, metrics, traced
from rendezvous.phone import InvalidPhoneNumber, mask, parse_e164
from rendezvous.runtime import get_runtime

app = http_resolver()


def handle_text(text: dict[str, str]) -> dict[str, Any]:
    rt = get_runtime()
    result = rt.inbound_service().handle(
        InboundText(text["message_sid"], text["from"], text["to"], text["body"])
    )
    record_inbound_metrics(result)
    if result.intent is None:
        logger.warning("text to a number no tenant owns; answered with empty TwiML")
    else:
        logger.info(
            "inbound text",
            extra={
                "intent": result.intent.value,
                "queued": result.queue_item_id is not None,
                "acknowledged": result.acknowledged,
            },
        )
    return {"replies": result.replies}


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
    try:
        sender = parse_e164(form.From)
    except InvalidPhoneNumber:
        # Signed, so Twilio is not to retry it; but there is no one to answer or queue.
        logger.warning(
            "inbound text from a sender that is not a phone number; dropped",
            extra={"from": mask(form.From)},
        )
        return twiml([])
    text = {
        "message_sid": form.MessageSid,
        "from": sender,
        "to": form.To,
        "body": bounded_body(form.Body),
    }
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
    )

    config = rt.inbound_idempotency()
    config.register_lambda_context(app.lambda_context)
    remembered = idempotent_function(
        data_keyword_argument="text", config=config, persistence_store=rt.idempotency_store()
    )(handle_text)
    try:
        outcome = remembered(text=text)
    except IdempotencyAlreadyInProgressError:
        # The first delivery is still being handled and will answer; this one stays quiet.
        return twiml([])
    return twiml(list(outcome["replies"]))


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
