"""JSON from outside (request bodies, cursors, queue messages): one decoder for all of it.

The standard library's json.loads recurses once per nesting level, so `[[[[...]]]]` a few
thousand deep raises RecursionError, which no `except ValueError` catches: a 5xx. pydantic's
parser (jiter, the one `model_validate_json` uses) stops at a fixed depth with a plain error,
so every decode path that uses this one answers a 400 instead.
"""

from __future__ import annotations

import json
from typing import Any


def decode_json(data: str | bytes) -> Any:
    """Parse untrusted JSON; anything malformed or nested too deep is a JSONDecodeError."""
    from pydantic_core import from_json

    try:
        return from_json(data)
    except ValueError as exc:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        raise json.JSONDecodeError(str(exc), text, 0) from exc
