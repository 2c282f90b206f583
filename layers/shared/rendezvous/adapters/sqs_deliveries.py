"""DeliveryQueue on SQS: a webhook delivery retried by hand goes to the deliverer through
the deliveries queue (the queue its scheduled retries arrive on too)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from rendezvous.domain.errors import Unavailable
from rendezvous.domain.webhooks import Delivery

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


class SqsDeliveryQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def enqueue(self, delivery: Delivery) -> None:
        # Which delivery, nothing more: the deliverer reads the rest from the log. No
        # attempt number: the deliverer takes that as a retry by hand.
        body = {
            "tenant_id": delivery.tenant_id,
            "endpoint_id": delivery.endpoint_id,
            "delivery_id": delivery.delivery_id,
        }
        try:
            self._client.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(body))
        except (ClientError, BotoCoreError) as exc:
            raise Unavailable("the deliveries queue is not answering; try again") from exc
