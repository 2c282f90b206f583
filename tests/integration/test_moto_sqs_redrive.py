"""The local stack's moto patch: SQS's own dead-letter redrive (StartMessageMoveTask)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local.moto_patches import sqs as sqs_patch


@pytest.fixture
def sqs() -> Iterator[Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    sqs_patch.apply()
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def arn_of(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def queue_with_dlq(sqs: Any) -> tuple[str, str, str]:
    dlq = sqs.create_queue(QueueName="outbound-dlq")["QueueUrl"]
    policy = {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 2}
    source = sqs.create_queue(
        QueueName="outbound",
        Attributes={"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(policy)},
    )["QueueUrl"]
    return source, dlq, arn_of(sqs, dlq)


def receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )
    return list(got.get("Messages", []))


def test_a_message_received_max_receive_count_times_moves_to_the_dlq_and_back_as_new(
    sqs: Any,
) -> None:
    source, dlq, dlq_arn = queue_with_dlq(sqs)
    sqs.send_message(QueueUrl=source, MessageBody="text-1")
    receive(sqs, source)
    receive(sqs, source)
    assert receive(sqs, source) == []  # the third receive moved it on

    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    [back] = receive(sqs, source)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]

    assert back["Body"] == "text-1"
    assert back["Attributes"]["ApproximateReceiveCount"] == "1"
    assert receive(sqs, dlq) == []
    assert (task["TaskHandle"], task["Status"], task["ApproximateNumberOfMessagesMoved"]) == (
        handle,
        "COMPLETED",
        1,
    )


def test_a_queue_that_is_no_dead_letter_queue_cannot_be_a_move_source(sqs: Any) -> None:
    source, _, _ = queue_with_dlq(sqs)

    with pytest.raises(ClientError) as refused:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, source))

    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
