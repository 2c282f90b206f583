"""FHIR R4 Appointment in and out, with the `fhir.resources` models.

Which models: `fhir.resources.R4B`. fhir.resources 8 (the line on pydantic 2, which the
rest of Rendezvous uses) ships R5 as its default package, R4B and STU3; R4 itself lives only
in its pydantic-1 releases (6.x). R4B (4.3.0) left Appointment exactly as R4 (4.0.1) has
it, so an R4 Appointment validates unchanged. They are imported only here, on first use:
their import costs more than the rest of a request (benchmarks/cold_start.py).

Errors are OperationOutcome resources, as FHIR servers answer them.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import ValidationError

from rendezvous.api.appointments import AppointmentIn
from rendezvous.domain.errors import InvalidRequest, Unprocessable
from rendezvous.domain.integrations import (
    FHIR_STATUS_ACTIONS,
    FhirAction,
    FhirChange,
    StoredFhirResource,
)
from rendezvous.domain.models import SUPPORTED_LOCALES

FHIR_JSON = "application/fhir+json"
# OperationOutcome.issue.code (FHIR's IssueType) for each status we answer.
ISSUE_TYPE_BY_STATUS = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    503: "transient",
}


class InvalidResource(InvalidRequest):
    """A body that is not a valid FHIR Appointment: each problem with its FHIRPath."""

    code = "invalid_resource"

    def __init__(self, message: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self._problems = problems

    @property
    def details(self) -> list[dict[str, str]] | None:
        return self._problems


def fhir_change(appointment_id: str, resource: Any) -> tuple[FhirChange, dict[str, Any]]:
    """The change a PUT asks for, and the resource to keep (as fhir.resources writes it,
    without `meta`, which the server owns)."""
    from fhir.resources.R4B.appointment import Appointment

    if not isinstance(resource, dict) or resource.get("resourceType") != "Appointment":
        raise InvalidResource("the body must be a FHIR Appointment resource")
    if resource.get("id") != appointment_id:
        # FHIR's update: the body's id and the URL's must be the same.
        raise InvalidResource("the resource's id must be the id in the URL")
    resource = {k: v for k, v in resource.items() if k != "meta"}
    try:
        appointment = Appointment.model_validate(resource)
    except ValidationError as exc:
        raise InvalidResource(
            "the body is not a valid FHIR R4 Appointment",
            [
                {"field": ".".join(str(p) for p in e["loc"]) or "Appointment", "problem": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False)
            ],
        ) from exc
    kept: dict[str, Any] = json.loads(appointment.model_dump_json(exclude_none=True))
    status = str(appointment.status)
    if status not in FHIR_STATUS_ACTIONS:
        raise InvalidResource(f"Appointment.status {status!r} is not an R4 AppointmentStatus")
    action, outcome = FHIR_STATUS_ACTIONS[status]
    if action is not FhirAction.BOOK:
        return FhirChange(action, outcome=outcome), kept
    return FhirChange(action, draft=_booking(kept).to_draft()), kept


def _booking(resource: dict[str, Any]) -> AppointmentIn:
    patient = _contained_patient(resource)
    phone = next(
        (
            t.get("value")
            for t in patient.get("telecom", [])
            if t.get("system") in ("phone", "sms") and t.get("value")
        ),
        None,
    )
    if not phone:
        raise Unprocessable("the contained Patient needs a telecom with system phone (or sms)")
    customer: dict[str, Any] = {"phone": phone, "name": _name(patient)}
    locale = _locale(patient)
    if locale:
        customer["locale"] = locale
    if not resource.get("start"):
        raise Unprocessable("Appointment.start is required for a booked, pending or proposed one")
    body: dict[str, Any] = {"customer": customer, "starts_at": resource["start"]}
    if resource.get("minutesDuration"):
        body["duration_minutes"] = resource["minutesDuration"]
    service = _first_text(resource.get("serviceType")) or resource.get("description")
    if service:
        body["service"] = str(service)[:120]
    try:
        return AppointmentIn.model_validate(body)
    except ValidationError as exc:
        raise Unprocessable(
            "; ".join(
                f"{_fhir_path(e['loc'])}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False)
            )
        ) from exc


def _contained_patient(resource: dict[str, Any]) -> dict[str, Any]:
    contained = {
        f"#{r.get('id')}": r
        for r in resource.get("contained", [])
        if r.get("resourceType") == "Patient"
    }
    for participant in resource.get("participant", []):
        reference = (participant.get("actor") or {}).get("reference", "")
        if reference in contained:
            patient: dict[str, Any] = contained[reference]
            return patient
    raise Unprocessable(
        "Appointment.participant must name a contained Patient (actor.reference '#<id>')"
    )


def _name(patient: dict[str, Any]) -> str:
    for name in patient.get("name", []):
        text = name.get("text") or " ".join([*name.get("given", []), name.get("family", "")])
        if text.strip():
            return " ".join(text.split())
    raise Unprocessable("the contained Patient needs a name")


def _locale(patient: dict[str, Any]) -> str | None:
    for communication in patient.get("communication", []):
        for coding in (communication.get("language") or {}).get("coding", []):
            code = str(coding.get("code", "")).split("-")[0].lower()
            if code in SUPPORTED_LOCALES:
                return code
    return None


def _first_text(concepts: Any) -> str | None:
    for concept in concepts or []:
        if concept.get("text"):
            return str(concept["text"])
        for coding in concept.get("coding", []):
            if coding.get("display"):
                return str(coding["display"])
    return None


def _fhir_path(loc: tuple[Any, ...]) -> str:
    where = {"starts_at": "Appointment.start", "duration_minutes": "Appointment.minutesDuration"}
    if loc and loc[0] == "customer":
        return "Patient.telecom" if "phone" in loc else "Patient.name"
    return where.get(str(loc[0]), "Appointment") if loc else "Appointment"


def in_resource_terms(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Field problems of the booking a resource became (the appointment service's, such as
    a number foreign to the tenant's country) named where the resource holds them."""
    return [
        (_fhir_path(tuple(field.split("."))) if field.startswith("customer.") else field, problem)
        for field, problem in problems
    ]


def as_served(stored: StoredFhirResource) -> dict[str, Any]:
    return {
        **stored.resource,
        "meta": {
            "versionId": str(stored.version_id),
            "lastUpdated": stored.last_updated.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        },
    }


def fhir_response(status: int, stored: StoredFhirResource) -> Response[str]:
    return Response(
        status_code=status,
        content_type=FHIR_JSON,
        body=json.dumps(as_served(stored), ensure_ascii=False),
        headers={"ETag": f'W/"{stored.version_id}"'},
    )


def _expression(field: str) -> str:
    if field.startswith("Patient."):
        return field
    return f"Appointment.{field}".removesuffix(".Appointment")


def operation_outcome(
    status: int, message: str, details: list[dict[str, str]] | None
) -> Response[str]:
    code = ISSUE_TYPE_BY_STATUS.get(status, "exception")
    issues: list[dict[str, Any]] = [
        {"severity": "error", "code": code, "diagnostics": message},
    ]
    for problem in details or []:
        issues.append(
            {
                "severity": "error",
                "code": "structure" if status == 400 else code,
                "diagnostics": problem.get("problem", ""),
                "expression": [_expression(problem["field"])],
            }
        )
    return Response(
        status_code=status,
        content_type=FHIR_JSON,
        body=json.dumps({"resourceType": "OperationOutcome", "issue": issues}),
    )
