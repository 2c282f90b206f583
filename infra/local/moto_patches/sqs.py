"""SQS's dead-letter queue redrive (StartMessageMoveTask, ListMessageMoveTasks,
CancelMessageMoveTask), which moto 5.2.5 does not implement.

Written as an upstream patch would be: a backend method per action and a response method
that parses and answers through botocore's own shapes. A task moves every message that is
visible in the dead-letter queue at once, as new messages (new ids, receive count 0, as SQS
does), so it is complete when StartMessageMoveTask answers; moving them later at
MaxNumberOfMessagesPerSecond would only slow the local stack down.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.sqs.exceptions import InvalidParameterValue, SQSException
from moto.sqs.models import Queue, SQSBackend
from moto.sqs.responses import SQSResponse


class ResourceNotFoundException(SQSException):
    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


@dataclass
class MessageMoveTask:
    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    moved: int
    started: int  # epoch milliseconds
    status: str = "COMPLETED"

    def to_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "TaskHandle": self.handle,
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.moved,
            "StartedTimestamp": self.started,
        }
        if self.destination_arn is not None:
            entry["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            entry["MaxNumberOfMessagesPerSecond"] = self.rate
        return entry


def _queue_by_arn(backend: SQSBackend, arn: str) -> Queue:
    for queue in backend.queues.values():
        if queue.queue_arn == arn:
            return queue
    raise ResourceNotFoundException(f"The queue {arn} does not exist.")


def _tasks(backend: SQSBackend) -> list[MessageMoveTask]:
    tasks: list[MessageMoveTask] | None = getattr(backend, "message_move_tasks", None)
    if tasks is None:
        tasks = []
        backend.message_move_tasks = tasks  # type: ignore[attr-defined]
    return tasks


def start_message_move_task(
    self: SQSBackend, source_arn: str, destination_arn: str | None, rate: int | None
) -> MessageMoveTask:
    source = _queue_by_arn(self, source_arn)
    origins = [q for q in self.queues.values() if q.dead_letter_queue is source]
    if not origins:
        raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
    if destination_arn is not None:
        destination = _queue_by_arn(self, destination_arn)
    elif len(origins) == 1:
        destination = origins[0]
    else:
        # SQS remembers each message's source queue; moto does not, so say which.
        raise InvalidParameterValue(
            "This dead-letter queue serves several queues: give DestinationArn."
        )
    if any(t.source_arn == source_arn and t.status == "RUNNING" for t in _tasks(self)):
        raise InvalidParameterValue("There is already a task running for this source queue.")
    moving = [m for m in list(source._messages) if m.visible and not m.delayed]
    for message in moving:
        self.send_message(
            destination.name,
            message.body,
            message_attributes=dict(message.message_attributes) or None,
            group_id=message.group_id,
            deduplication_id=message.deduplication_id,
        )
        source._messages.remove(message)
        source.pending_messages.discard(message)
    task = MessageMoveTask(
        handle=uuid.uuid4().hex,
        source_arn=source_arn,
        destination_arn=destination_arn,
        rate=rate,
        moved=len(moving),
        started=int(time.time() * 1000),
    )
    _tasks(self).append(task)
    return task


def list_message_move_tasks(self: SQSBackend, source_arn: str, limit: int) -> list[MessageMoveTask]:
    _queue_by_arn(self, source_arn)
    found = [t for t in _tasks(self) if t.source_arn == source_arn]
    return list(reversed(found))[:limit]


def cancel_message_move_task(self: SQSBackend, handle: str) -> MessageMoveTask:
    for task in _tasks(self):
        if task.handle == handle:
            if task.status != "RUNNING":
                raise InvalidParameterValue("Only a running task can be cancelled.")
            task.status = "CANCELLED"
            return task
    raise ResourceNotFoundException(f"Task does not exist: {handle}")


def _start_response(self: SQSResponse) -> ActionResult:
    task = self.sqs_backend.start_message_move_task(  # type: ignore[attr-defined]
        self._get_param("SourceArn"),
        self._get_param("DestinationArn"),
        self._get_param("MaxNumberOfMessagesPerSecond"),
    )
    return ActionResult({"TaskHandle": task.handle})


def _list_response(self: SQSResponse) -> ActionResult:
    tasks = self.sqs_backend.list_message_move_tasks(  # type: ignore[attr-defined]
        self._get_param("SourceArn"), int(self._get_param("MaxResults") or 1)
    )
    return ActionResult({"Results": [t.to_entry() for t in tasks]})


def _cancel_response(self: SQSResponse) -> ActionResult:
    task = self.sqs_backend.cancel_message_move_task(  # type: ignore[attr-defined]
        self._get_param("TaskHandle")
    )
    return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})


def apply() -> None:
    """Teach moto's SQS the three message-move actions (idempotent)."""
    SQSBackend.start_message_move_task = start_message_move_task  # type: ignore[attr-defined]
    SQSBackend.list_message_move_tasks = list_message_move_tasks  # type: ignore[attr-defined]
    SQSBackend.cancel_message_move_task = cancel_message_move_task  # type: ignore[attr-defined]
    SQSResponse.start_message_move_task = _start_response  # type: ignore[attr-defined]
    SQSResponse.list_message_move_tasks = _list_response  # type: ignore[attr-defined]
    SQSResponse.cancel_message_move_task = _cancel_response  # type: ignore[attr-defined]
