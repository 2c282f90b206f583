"""moto's server lists its own package directory (os.listdir, then an isdir per entry) on
every request to tell a service name from a host; the list cannot change while it runs."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from moto import backends

_listed = backends.list_of_moto_modules


@cache
def _modules() -> tuple[str, ...]:
    return tuple(_listed())


def list_of_moto_modules() -> Iterable[str]:
    return _modules()


def apply() -> None:
    """Answer moto's server from one listing (idempotent)."""
    backends.list_of_moto_modules = list_of_moto_modules
