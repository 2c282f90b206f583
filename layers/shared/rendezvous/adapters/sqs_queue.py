"""OutboundQueue on SQS: immediate sends go to the sender through the outbound queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rendezvous.domain.models import TextRequest

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


class SqsOutboundQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def enqueue(self, request: TextRequest) -> None:
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=request.model_dump_json())
