"""The webhook deliverer: events from the pipe's queue (DynamoDB stream records of the
outbox) fan out to the tenant's endpoints; deliveries from the deliveries queue (a retry
falling due, or one retried by hand) get their next attempt. Each message succeeds or
fails alone, so SQS retries only the failed ones."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from rendezvous.domain.webhook_delivery import DeliveryRef
from rendezvous.json_input import decode_json
from rendezvous.observability import logger, metrics, traced
from rendezvous.runtime import get_runtime
from rendezvous.webhook_metrics import record_delivery

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class DeliveryMessage(BaseModel):
    """A deliveries-queue message: a scheduled retry (with its attempt) or one by hand."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(min_length=1)
    endpoint_id: str = Field(min_length=1)
    delivery_id: str = Field(min_length=1)
    attempt: int | None = Field(default=None, ge=2)


def _deliver_record(record: SQSRecord) -> None:
    # Imported with the first record: the stream codec loads boto3, which the cold-start
    # import of the handler leaves to the first request, as every handler does.
    from rendezvous.adapters.dynamodb.events import event_from_stream_record

    body = decode_json(record.body)
    service = get_runtime().webhook_deliverer()
    if isinstance(body, dict) and "dynamodb" in body:
        results = service.fan_out(event_from_stream_record(body))
    else:
        message = DeliveryMessage.model_validate(body)
        results = [service.retry(DeliveryRef(**message.model_dump()))]
    for result in results:
        record_delivery(result)


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=_deliver_record, processor=processor, context=context
    )
    return dict(response)
