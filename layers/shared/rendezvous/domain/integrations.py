"""Booking systems that call us in their own format: Cal.com's webhooks and FHIR R4
Appointments. Both end in the same AppointmentService the Appointments API uses, so a
booking made in Cal.com or an EHR is texted, reminded and cancelled exactly like one made
through PUT /v1/appointments.

What arrives is parsed at the edge (rendezvous.api.calcom, rendezvous.api.fhir) into the
changes below; this module decides what each change does and keeps it idempotent: the same
delivery or PUT repeated changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from rendezvous.domain.appointments import AppointmentDraft, AppointmentService
from rendezvous.domain.clock import Clock
from rendezvous.domain.errors import Conflict, Forbidden, NotFound
from rendezvous.domain.models import Appointment, AppointmentOutcome
from rendezvous.domain.ports import CalcomIntegrations, FhirResources, SecretSealer

# What a Cal.com webhook's secret looks like: long enough that guessing is hopeless, and
# plain enough to paste into Cal.com's "Secret" field.
CALCOM_SECRET_BYTES = 32


@dataclass(frozen=True)
class CalcomIntegration:
    """One Cal.com webhook subscription of a tenant. The id is in the URL Cal.com posts to
    (no token there), so it is unique across tenants; the secret, sealed, proves the sender."""

    tenant_id: str
    integration_id: str
    sealed_secret: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class RegisteredIntegration:
    integration: CalcomIntegration
    # The secret in the clear: only in the answer that created it.
    secret: str | None
    created: bool


def calcom_signature_valid(secret: str, body: bytes, signature: str | None) -> bool:
    """Cal.com's `X-Cal-Signature-256`: the hex HMAC-SHA256 of the raw body with the
    webhook's secret. Compared in constant time."""
    if not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # As bytes: compare_digest refuses str with characters beyond ASCII (a TypeError, so a
    # 500 for a forged header rather than its 403).
    given = signature.strip().lower().encode("utf-8", errors="replace")
    return hmac.compare_digest(expected.encode(), given)


class CalcomAction(StrEnum):
    BOOK = "book"
    CANCEL = "cancel"
    IGNORE = "ignore"


@dataclass(frozen=True)
class CalcomChange:
    """What one Cal.com delivery asks for. A reschedule is Cal.com's new booking (new uid,
    BOOK) that `replaces` the old one (cancelled here without a text: the customer hears of
    the new time from its confirmation)."""

    trigger: str
    action: CalcomAction
    appointment_id: str | None = None
    draft: AppointmentDraft | None = None
    replaces: str | None = None


@dataclass(frozen=True)
class CalcomResult:
    trigger: str
    result: str  # created, updated, unchanged, cancelled, already_cancelled, unknown, ignored
    appointment_id: str | None = None
    replaced: str | None = None


class FhirAction(StrEnum):
    BOOK = "book"
    CANCEL = "cancel"
    OUTCOME = "outcome"
    KEEP = "keep"  # stored as sent; the texts stay as they are


class Outcome(StrEnum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class FhirChange:
    action: FhirAction
    draft: AppointmentDraft | None = None
    outcome: Outcome | None = None


@dataclass(frozen=True)
class StoredFhirResource:
    """A FHIR resource as last PUT, without its `meta` (which the server writes)."""

    tenant_id: str
    resource_type: str
    resource_id: str
    resource: dict[str, Any]
    version_id: int
    last_updated: datetime


@dataclass
class IntegrationService:
    appointments: AppointmentService
    integrations: CalcomIntegrations
    sealer: SecretSealer
    fhir: FhirResources
    clock: Clock

    # -- Cal.com -----------------------------------------------------------------------

    def register_calcom(
        self, tenant_id: str, integration_id: str, *, by: str
    ) -> RegisteredIntegration:
        """Create the integration and its secret once; a repeat answers it without the
        secret (shown once). An id another tenant holds is a conflict."""
        found = self.integrations.get_calcom(integration_id)
        if found is not None:
            if found.tenant_id != tenant_id:
                raise Conflict("this integration id is taken; choose another")
            return RegisteredIntegration(found, None, created=False)
        secret = secrets.token_hex(CALCOM_SECRET_BYTES)
        integration = CalcomIntegration(
            tenant_id=tenant_id,
            integration_id=integration_id,
            sealed_secret=self.sealer.seal(secret, _calcom_context(tenant_id, integration_id)),
            created_at=self.clock.now(),
            created_by=by,
        )
        if not self.integrations.create_calcom(integration):
            # Lost a race with a PUT of the same id: answer what won.
            return self.register_calcom(tenant_id, integration_id, by=by)
        return RegisteredIntegration(integration, secret, created=True)

    def get_calcom(self, tenant_id: str, integration_id: str) -> CalcomIntegration:
        found = self.integrations.get_calcom(integration_id)
        if found is None or found.tenant_id != tenant_id:
            raise NotFound("integration not found")
        return found

    def remove_calcom(self, tenant_id: str, integration_id: str) -> None:
        """Revoke the integration: its secret signs nothing from now on. To rotate a leaked
        secret, remove the integration and PUT it again (a new secret, shown once)."""
        if not self.integrations.delete_calcom(tenant_id, integration_id):
            raise NotFound("integration not found")

    def calcom_tenant(self, integration_id: str, body: bytes, signature: str | None) -> str:
        """The tenant a signed delivery is for. An unknown integration and a bad signature
        are the same 403, so the answer says nothing about which ids exist."""
        found = self.integrations.get_calcom(integration_id)
        if found is None:
            raise Forbidden("the X-Cal-Signature-256 signature does not match")
        secret = self.sealer.open(
            found.sealed_secret, _calcom_context(found.tenant_id, found.integration_id)
        )
        if not calcom_signature_valid(secret, body, signature):
            raise Forbidden("the X-Cal-Signature-256 signature does not match")
        return found.tenant_id

    def apply_calcom(
        self, tenant_id: str, integration_id: str, change: CalcomChange
    ) -> CalcomResult:
        by = f"calcom:{integration_id}"
        if change.action is CalcomAction.IGNORE or change.appointment_id is None:
            return CalcomResult(change.trigger, "ignored")
        if change.action is CalcomAction.CANCEL:
            return CalcomResult(
                change.trigger,
                self._cancel(tenant_id, change.appointment_id, by),
                change.appointment_id,
            )
        assert change.draft is not None
        replaced = None
        if change.replaces and change.replaces != change.appointment_id:
            # The new booking first: if it cannot be made (a past time), the old one stands.
            result = self._book(tenant_id, change.appointment_id, change.draft)
            if self._cancel(tenant_id, change.replaces, by) != "unknown":
                replaced = change.replaces
        else:
            result = self._book(tenant_id, change.appointment_id, change.draft)
        return CalcomResult(change.trigger, result, change.appointment_id, replaced)

    def _book(self, tenant_id: str, appointment_id: str, draft: AppointmentDraft) -> str:
        before = self._current(tenant_id, appointment_id)
        view = self.appointments.upsert(tenant_id, appointment_id, draft)
        if view.created:
            return "created"
        return "unchanged" if view.appointment == before else "updated"

    def _current(self, tenant_id: str, appointment_id: str) -> Appointment | None:
        try:
            return self.appointments.get(tenant_id, appointment_id).appointment
        except NotFound:
            return None

    def _cancel(self, tenant_id: str, appointment_id: str, by: str) -> str:
        try:
            view = self.appointments.cancel(tenant_id, appointment_id, source="booking", by=by)
        except NotFound:
            return "unknown"
        return "cancelled" if view.cancelled_now else "already_cancelled"

    # -- FHIR R4 Appointment --------------------------------------------------------------

    def put_fhir_appointment(
        self,
        tenant_id: str,
        appointment_id: str,
        change: FhirChange,
        resource: dict[str, Any],
        *,
        by: str,
    ) -> tuple[StoredFhirResource, bool]:
        """Apply the resource's status to the appointment, then keep the resource as sent
        (a new version only when it differs). Returns it and whether it is new."""
        if change.action is FhirAction.BOOK:
            assert change.draft is not None
            self.appointments.upsert(tenant_id, appointment_id, change.draft)
        elif change.action is FhirAction.CANCEL:
            self._cancel(tenant_id, appointment_id, by)
        current = self.fhir.get(tenant_id, "Appointment", appointment_id)
        if current is not None and current.resource == resource:
            return current, False
        stored = StoredFhirResource(
            tenant_id=tenant_id,
            resource_type="Appointment",
            resource_id=appointment_id,
            resource=resource,
            version_id=1 if current is None else current.version_id + 1,
            last_updated=self.clock.now(),
        )
        if change.action is FhirAction.OUTCOME:
            assert change.outcome is not None
            self._record_outcome(
                tenant_id, appointment_id, change.outcome, by, f"fhir/v{stored.version_id}"
            )
        self.fhir.put(stored, expected_version=None if current is None else current.version_id)
        return stored, current is None

    def _record_outcome(
        self, tenant_id: str, appointment_id: str, outcome: Outcome, by: str, change: str
    ) -> None:
        """The outcome on the appointment, as POST .../outcome records one (its event and
        audit entry with it). A resource about an appointment never booked here is kept
        with nothing to record it on."""
        try:
            self.appointments.record_outcome(
                tenant_id,
                appointment_id,
                AppointmentOutcome(outcome.value),
                source="booking",
                by=by,
                change=change,
            )
        except NotFound:
            return

    def get_fhir_appointment(self, tenant_id: str, appointment_id: str) -> StoredFhirResource:
        found = self.fhir.get(tenant_id, "Appointment", appointment_id)
        if found is None:
            raise NotFound("appointment not found")
        return found


def _calcom_context(tenant_id: str, integration_id: str) -> dict[str, str]:
    # KMS binds the sealed secret to its owner: copied to another integration's record, it
    # does not open.
    return {"tenant_id": tenant_id, "integration_id": integration_id}


# FHIR R4 Appointment.status -> what it does here (CONTRACT.md, Integrations). Not in the
# contract: arrived / checked-in / waitlist keep the texts as they are (the customer is
# there, or no time is set), and entered-in-error cancels (the booking was never real).
FHIR_STATUS_ACTIONS: dict[str, tuple[FhirAction, Outcome | None]] = {
    "proposed": (FhirAction.BOOK, None),
    "pending": (FhirAction.BOOK, None),
    "booked": (FhirAction.BOOK, None),
    "cancelled": (FhirAction.CANCEL, None),
    "entered-in-error": (FhirAction.CANCEL, None),
    "noshow": (FhirAction.OUTCOME, Outcome.NO_SHOW),
    "fulfilled": (FhirAction.OUTCOME, Outcome.ATTENDED),
    "arrived": (FhirAction.KEEP, None),
    "checked-in": (FhirAction.KEEP, None),
    "waitlist": (FhirAction.KEEP, None),
}
