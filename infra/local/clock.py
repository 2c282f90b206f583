"""The local stack's virtual clock: wall time plus an offset that only ever grows."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.http import http_date
from werkzeug.serving import WSGIRequestHandler


def wall_now() -> datetime:
    return datetime.now(UTC)


class VirtualClock:
    """Satisfies rendezvous' Clock protocol. Time flows with the wall and jumps forward when
    told to (`advance`, `advance_to`); it never goes back."""

    def __init__(self, wall: Callable[[], datetime] = wall_now) -> None:
        self._wall = wall
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return (self._wall() + self._offset).astimezone(UTC)

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the virtual clock only moves forward")
        with self._lock:
            self._offset += delta
            return (self._wall() + self._offset).astimezone(UTC)

    def advance_to(self, instant: datetime) -> datetime:
        """Move to `instant` if it is ahead; a past instant leaves the clock as it is."""
        if instant.tzinfo is None:
            raise ValueError("advance_to needs an aware datetime")
        with self._lock:
            current = self._wall() + self._offset
            if instant > current:
                self._offset += instant - current
                current = instant
            return current.astimezone(UTC)


def clocked_request_handler(now: Callable[[], datetime]) -> type[WSGIRequestHandler]:
    """werkzeug's request handler with the `Date` header read from `now`: a page that sets
    its clock by the server's Date (the console does) then agrees with the virtual clock."""

    class ClockedRequestHandler(WSGIRequestHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            return http_date(now() if timestamp is None else timestamp)

    return ClockedRequestHandler


def stamp_logs_with(now: Callable[[], datetime]) -> None:
    """Every log record of this process carries the virtual time, so the functions' JSON
    logs and the stack's own lines say when things happened in the world the stack shows
    (the Date headers, the console, the records), not on the machine's wall clock."""
    base = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        record.created = now().timestamp()
        record.msecs = (record.created - int(record.created)) * 1000
        return record

    logging.setLogRecordFactory(factory)
