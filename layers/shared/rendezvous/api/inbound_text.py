"""A customer's text, from Twilio's verified form to the replies its TwiML answers with.

Twilio retries a webhook it did not hear back from; the text is handled once per
MessageSid and a retry answers what the first delivery answered.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.twilio_webhook import TwilioInboundForm, bounded_body
from rendezvous.domain.inbound import InboundText
from rendezvous.inbound_metrics import record_inbound_metrics
from rendezvous.observability import logger
from rendezvous.phone import InvalidPhoneNumber, mask, parse_e164
from rendezvous.runtime import get_runtime

# Idempotency records are keyed by the function's name and this prefix: it is the name the
# handler module gave handle_text, kept so that a retry arriving across the deploy that
# moved it here still finds the first delivery's record.
IDEMPOTENCY_KEY_SUFFIX = "app.handle_text"


def text_of(form: TwilioInboundForm) -> dict[str, str] | None:
    """The text to handle, or None when the sender is not a phone number."""
    try:
        sender = parse_e164(form.From)
    except InvalidPhoneNumber:
        # Signed, so Twilio is not to retry it; but there is no one to answer or queue.
        logger.warning(
            "inbound text from a sender that is not a phone number; dropped",
            extra={"from": mask(form.From)},
        )
        return None
    return {
        "message_sid": form.MessageSid,
        "from": sender,
        "to": form.To,
        "body": bounded_body(form.Body),
    }


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


def answer_once(text: dict[str, str], context: LambdaContext) -> list[str]:
    """The replies to the text, handled at most once however often Twilio delivers it."""
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
    )

    rt = get_runtime()
    config = rt.inbound_idempotency()
    config.register_lambda_context(context)
    function_name = os.getenv("AWS_LAMBDA_FUNCTION_NAME", "test-func")
    remembered = idempotent_function(
        data_keyword_argument="text",
        config=config,
        persistence_store=rt.idempotency_store(),
        key_prefix=f"{function_name}.{IDEMPOTENCY_KEY_SUFFIX}",
    )(handle_text)
    try:
        outcome = remembered(text=text)
    except IdempotencyAlreadyInProgressError:
        # The first delivery is still being handled and will answer; this one stays quiet.
        return []
    return list(outcome["replies"])
