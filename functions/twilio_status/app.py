"""POST /twilio/status: Twilio's signed delivery reports, applied only forwards."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from rendezvous.api.http import documented, http_resolver
from rendezvous.api.twilio_webhook import TwilioStatusForm, verified_form
from rendezvous.delivery_metrics import record_delivery_metrics
from rendezvous.domain.delivery import TWILIO_STATUS, DeliveryReport, record_delivery_report
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime

app = http_resolver()


@app.post("/twilio/status", responses=documented({204: None}, 403, 413))
def twilio_status() -> Response[str]:
    rt = get_runtime()
    form = verified_form(
        app,
        "/twilio/status",
        rt.public_base_url(),
        rt.twilio_auth_token(),
        rt.settings.twilio_account_sid,
        TwilioStatusForm,
    )
    ref = (app.current_event.query_string_parameters or {}).get("ref")
    if not ref or form.MessageStatus not in TWILIO_STATUS:
        # Signed by Twilio, so answered 204 (never retried): but there is nothing to record.
        logger.warning(
            "status callback ignored",
            extra={"has_ref": bool(ref), "status": form.MessageStatus},
        )
        return Response(status_code=204, content_type="text/plain", body="")
    report = DeliveryReport(
        ref=ref,
        message_sid=form.MessageSid,
        status=form.MessageStatus,
        to=form.To,
        error_code=int(form.ErrorCode) if form.ErrorCode else None,
    )
    update = record_delivery_report(rt.store(), rt.clock, report, rt.offer_book())
    record_delivery_metrics(update)
    logger.info(
        "delivery report",
        extra={"status": report.status, "applied": update.applied, "error_code": report.error_code},
    )
    return Response(status_code=204, content_type="text/plain", body="")


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
