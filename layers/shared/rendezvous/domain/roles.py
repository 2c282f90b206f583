"""Who is calling: a tenant's booking system, one of its staff, or one of its managers.

The role comes from the groups of the verified token; where the token comes from and how
its claims arrive is the API's business, not the domain's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    BOOKING = "booking"
    STAFF = "staff"
    MANAGER = "manager"


# A person in several groups acts with the widest of them.
PRECEDENCE = (Role.MANAGER, Role.STAFF, Role.BOOKING)


def role_of(groups: Iterable[str]) -> Role | None:
    """The role a caller in these groups acts with; None when no group is a role."""
    given = set(groups)
    return next((role for role in PRECEDENCE if role.value in given), None)


@dataclass(frozen=True)
class Principal:
    """The caller of one request: its tenant, its subject, and the role it acts with."""

    tenant_id: str
    subject: str
    role: Role
