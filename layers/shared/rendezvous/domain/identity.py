"""A message record's identity and every name derived from it: the claim on the recipient,
the reminder's schedule, the reference on Twilio's status callback, and (in the table
adapter) its key. One text of one appointment version is (tenant, appointment, kind,
version) wherever it goes."""

from __future__ import annotations

import base64
import hashlib
from typing import NamedTuple

from rendezvous.domain.models import MessageRecord, SendRequest


class MessageIdentity(NamedTuple):
    tenant_id: str
    appointment_id: str
    kind: str
    version: int


def identity_of(message: MessageRecord | SendRequest) -> MessageIdentity:
    return MessageIdentity(message.tenant_id, message.appointment_id, message.kind, message.version)


def claim_key(message: MessageRecord) -> str:
    return f"{message.appointment_id}/{message.kind}/v{message.version}"


def schedule_name(identity: MessageIdentity) -> str:
    """Deterministic, so an update or cancel finds the schedule; within Scheduler's 64 chars."""
    digest = hashlib.sha256(f"{identity.tenant_id}/{identity.appointment_id}".encode())
    return f"rdv-{digest.hexdigest()[:20]}-{identity.kind}-v{identity.version}"


def status_callback_ref(message: MessageRecord) -> str:
    raw = "\x1f".join(
        [message.tenant_id, message.appointment_id, message.kind, str(message.version)]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_status_callback_ref(ref: str) -> MessageIdentity:
    """Inverse of status_callback_ref; raises ValueError on anything malformed."""
    padded = ref + "=" * (-len(ref) % 4)
    parts = base64.urlsafe_b64decode(padded.encode()).decode().split("\x1f")
    if len(parts) != 4 or not all(parts):
        raise ValueError("malformed status callback reference")
    return MessageIdentity(parts[0], parts[1], parts[2], int(parts[3]))
