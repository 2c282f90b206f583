"""The template's EventBridge Pipes from a DynamoDB stream to an SQS queue, run on moto.

What AWS does for a pipe without enrichment or input template: read the table's stream
from its starting position, keep the records one of its FilterCriteria patterns matches,
and send each kept record, as JSON, as one message to the target queue. The patterns are
matched by moto's own EventBridge pattern matcher (`moto.events.models.EventPattern`), so
the template's filter is the one that runs here, not a copy of it.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from moto.events.models import EventPattern
from moto.events.utils import EventMessageType

from infra.template import LocalStack, resources_of

log = logging.getLogger("infra.local.pipes")

STREAM_SOURCE = ":dynamodb:"


@dataclass(frozen=True)
class StreamPipe:
    name: str  # the pipe's logical id
    stream_arn: str
    queue_url: str
    filters: tuple[EventPattern, ...]
    starting_position: str
    batch_size: int

    def keeps(self, record: dict[str, Any]) -> bool:
        """Pipes' filter: no pattern keeps everything; several keep what any one matches."""
        # The matcher is typed for EventBridge's envelope but walks any JSON object.
        event = cast(EventMessageType, record)
        return not self.filters or any(f.matches_event(event) for f in self.filters)


def stream_pipes(stack: LocalStack) -> list[StreamPipe]:
    """The template's pipes whose source is a DynamoDB stream and target an SQS queue."""
    arns = stack.resolver.attributes
    queue_by_arn = {arns[(logical, "Arn")]: url for logical, url in stack.queue_urls.items()}
    pipes = []
    for logical, resource in resources_of(stack.template, "AWS::Pipes::Pipe").items():
        props = stack.resolver.resolve(resource["Properties"])
        source, target = str(props["Source"]), str(props["Target"])
        if STREAM_SOURCE not in source or target not in queue_by_arn:
            log.warning("pipe %s (%s -> %s) is not run locally", logical, source, target)
            continue
        params = props.get("SourceParameters") or {}
        stream = params.get("DynamoDBStreamParameters") or {}
        criteria = (params.get("FilterCriteria") or {}).get("Filters") or []
        pipes.append(
            StreamPipe(
                name=logical,
                stream_arn=source,
                queue_url=queue_by_arn[target],
                filters=tuple(EventPattern.load(f["Pattern"]) for f in criteria),
                starting_position=str(stream.get("StartingPosition", "LATEST")),
                batch_size=int(stream.get("BatchSize", 10)),
            )
        )
    return pipes


def as_pipes_sends(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A stream record as a pipe puts it on its target: JSON, with the stream's ARN and the
    creation time in epoch seconds (GetRecords' clients parse it into a datetime)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}


class PipeRunner:
    """Moves what each pipe's stream holds since the last call to its queue."""

    def __init__(self, pipes: list[StreamPipe], streams: Any, sqs: Any) -> None:
        self.pipes = pipes
        self._streams = streams
        self._sqs = sqs
        self._iterators: dict[str, str] = {}
        self.lock = threading.Lock()

    def _iterator(self, pipe: StreamPipe) -> str:
        if pipe.name not in self._iterators:
            shards = self._streams.describe_stream(StreamArn=pipe.stream_arn)["StreamDescription"][
                "Shards"
            ]
            # moto keeps one shard per stream; AWS may split, which this runner never sees.
            self._iterators[pipe.name] = self._streams.get_shard_iterator(
                StreamArn=pipe.stream_arn,
                ShardId=shards[0]["ShardId"],
                ShardIteratorType=pipe.starting_position,
            )["ShardIterator"]
        return self._iterators[pipe.name]

    def pump(self) -> int:
        """Forward every new record that passes its pipe's filter. Returns how many."""
        with self.lock:
            return sum(self._pump(pipe) for pipe in self.pipes)

    def _pump(self, pipe: StreamPipe) -> int:
        sent = 0
        while True:
            page = self._streams.get_records(
                ShardIterator=self._iterator(pipe), Limit=max(pipe.batch_size, 100)
            )
            records = [as_pipes_sends(r, pipe.stream_arn) for r in page.get("Records", [])]
            if not records:
                return sent
            kept = [r for r in records if pipe.keeps(r)]
            for start in range(0, len(kept), 10):
                answer = self._sqs.send_message_batch(
                    QueueUrl=pipe.queue_url,
                    Entries=[
                        {"Id": str(n), "MessageBody": json.dumps(r)}
                        for n, r in enumerate(kept[start : start + 10])
                    ],
                )
                if answer.get("Failed"):
                    # The iterator stays put: the next pump sends this page again, as a
                    # pipe retries a batch (a record may then arrive twice: at least once).
                    raise RuntimeError(f"pipe {pipe.name}: the queue refused {answer['Failed']}")
            # Moved on only once the page is on the queue.
            self._iterators[pipe.name] = page["NextShardIterator"]
            sent += len(kept)
            log.debug("pipe %s: %d of %d records forwarded", pipe.name, len(kept), len(records))
