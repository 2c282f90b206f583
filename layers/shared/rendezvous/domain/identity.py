"""A text's identity and every name derived from it: the claim on the recipient, the
schedule that sends it later, the reference on Twilio's status callback, and (in the table
adapter) its key.

A text belongs to an appointment (one text of one appointment version is (tenant,
appointment, kind, version) wherever it goes) or to an offer: an opening offered to one
waitlist entry, (tenant, opening, entry, kind). An offer is no appointment, and its texts
say so in every name: a claim, a schedule or a callback of one can never be read as the
other's."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, overload

from rendezvous.domain.models import (
    MessageRecord,
    OfferSendRequest,
    OfferText,
    SendRequest,
    TextRecord,
    TextRequest,
)

_SEPARATOR = "\x1f"
# The first part of an offer text's status callback reference (an appointment's has 4
# parts, an offer's 5, this one first).
_OFFER_TAG = "offer"


class MessageIdentity(NamedTuple):
    tenant_id: str
    appointment_id: str
    kind: str
    version: int


class OfferIdentity(NamedTuple):
    tenant_id: str
    opening_id: str
    entry_id: str
    kind: str


TextIdentity = MessageIdentity | OfferIdentity


@dataclass(frozen=True)
class TimedText:
    """A text as the time index lists it (the outbox, stats, the sweep, a redrive): whose
    it is and where it stands. The index lags the table: what acts on it reads it again."""

    identity: TextIdentity
    status: str
    reason: str | None
    send_at: datetime


@overload
def identity_of(message: MessageRecord | SendRequest) -> MessageIdentity: ...
@overload
def identity_of(message: OfferText | OfferSendRequest) -> OfferIdentity: ...
@overload
def identity_of(message: TextRecord | TextRequest) -> TextIdentity: ...
def identity_of(message: TextRecord | TextRequest) -> TextIdentity:
    if isinstance(message, OfferText | OfferSendRequest):
        return OfferIdentity(message.tenant_id, message.opening_id, message.entry_id, message.kind)
    if isinstance(message, MessageRecord | SendRequest):
        return MessageIdentity(
            message.tenant_id, message.appointment_id, message.kind, message.version
        )
    raise TypeError(f"a text record of no known owner: {type(message).__name__}")


def claim_key(message: TextRecord) -> str:
    identity = identity_of(message)
    if isinstance(identity, OfferIdentity):
        return f"offer/{identity.opening_id}/{identity.entry_id}/{identity.kind}"
    return f"{identity.appointment_id}/{identity.kind}/v{identity.version}"


def schedule_name(identity: TextIdentity) -> str:
    """Deterministic, so an update or cancel finds the schedule; within Scheduler's 64 chars."""
    if isinstance(identity, OfferIdentity):
        owner = f"{identity.tenant_id}/{identity.opening_id}/{identity.entry_id}"
        digest = hashlib.sha256(owner.encode())
        return f"rdv-{digest.hexdigest()[:20]}-{identity.kind}"
    digest = hashlib.sha256(f"{identity.tenant_id}/{identity.appointment_id}".encode())
    return f"rdv-{digest.hexdigest()[:20]}-{identity.kind}-v{identity.version}"


def status_callback_ref(message: TextRecord) -> str:
    identity = identity_of(message)
    if isinstance(identity, OfferIdentity):
        parts = [_OFFER_TAG, *identity]
    else:
        parts = [identity.tenant_id, identity.appointment_id, identity.kind, str(identity.version)]
    raw = _SEPARATOR.join(parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_status_callback_ref(ref: str) -> TextIdentity:
    """Inverse of status_callback_ref; raises ValueError on anything malformed."""
    padded = ref + "=" * (-len(ref) % 4)
    parts = base64.urlsafe_b64decode(padded.encode()).decode().split(_SEPARATOR)
    if not all(parts):
        raise ValueError("malformed status callback reference")
    if len(parts) == 5 and parts[0] == _OFFER_TAG:
        return OfferIdentity(parts[1], parts[2], parts[3], parts[4])
    if len(parts) != 4:
        raise ValueError("malformed status callback reference")
    return MessageIdentity(parts[0], parts[1], parts[2], int(parts[3]))
