"""The sender: every automated text reaches it through the outbound queue, whose redrive
policy is its one retry path and whose dead-letter queue is its one place of last resort."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter

from rendezvous.domain.models import SendRequest, TextRequest
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime
from rendezvous.sending_metrics import log_send_decision, record_send_metrics

# An appointment's text or an offer's: each model forbids the other's fields.
requests = TypeAdapter[TextRequest](TextRequest)

# Report failures item by item even when all fail: SQS then retries exactly those.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def deliver(request: TextRequest, *, final_attempt: bool) -> None:
    if isinstance(request, SendRequest):
        logger.append_keys(appointment_id=request.appointment_id, kind=request.kind)
    else:
        logger.append_keys(opening_id=request.opening_id, kind=request.kind)
    result = get_runtime().sender().deliver(request, final_attempt=final_attempt)
    record_send_metrics(result)
    log_send_decision(result)


def _deliver_record(record: SQSRecord) -> None:
    # The queue's redrive policy moves a message to the dead-letter queue once it has been
    # received maxReceiveCount times: this receive is then the last.
    limit = get_runtime().settings.outbound_max_receive_count
    received = int(record.attributes.approximate_receive_count)
    deliver(requests.validate_json(record.body), final_attempt=received >= limit > 0)


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        response = process_partial_response(
            event=event, record_handler=_deliver_record, processor=processor, context=context
        )
        return dict(response)
    # A schedule made before reminders went through the queue invokes the function with its
    # input: hand it to the queue, so it gets the same retries, dead-letter queue and redrive.
    get_runtime().queue().enqueue(requests.validate_python(event))
    return {"status": "queued"}
