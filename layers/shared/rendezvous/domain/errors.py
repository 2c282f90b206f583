"""Domain exceptions. Handlers map them to HTTP once; adapters raise them for vendor errors."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def details(self) -> list[dict[str, str]] | None:
        """Field by field, for an error that names several (`field`, `problem`)."""
        return None


class NotFound(DomainError):
    code = "not_found"


class InvalidRequest(DomainError):
    code = "invalid_request"


class Forbidden(DomainError):
    """The caller may not do this: its role may not use the route, or a webhook's signature
    or identifiers fail."""

    code = "forbidden"


class Unprocessable(DomainError):
    """The request is well formed but cannot be acted on (a past appointment, say)."""

    code = "unprocessable"


class Conflict(DomainError):
    code = "conflict"


class EndpointLimitReached(Conflict):
    """The tenant has as many webhook endpoints as it may."""

    code = "endpoint_limit_reached"


class DeliveryPending(Conflict):
    """A webhook delivery retried by hand while its retries are still running."""

    code = "delivery_pending"


class NotHolder(Conflict):
    """Someone else holds the claim (or nobody does): only the holder may act."""

    code = "not_claim_holder"


class StaleVersion(Conflict):
    """The caller acted on an older version of the record than the one stored."""

    code = "stale_version"


class InvalidFields(Unprocessable):
    """A request that breaks rules its schema cannot express; each problem names its field."""

    code = "validation_failed"
    summary = "the request is not valid"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"{self.summary}: " + "; ".join(f"{f}: {p}" for f, p in problems))
        self.problems = problems

    @property
    def details(self) -> list[dict[str, str]]:
        return [{"field": field, "problem": problem} for field, problem in self.problems]


class InvalidSettings(InvalidFields):
    """A settings change that would break a rule."""

    summary = "the settings are not valid"


class InvalidEndpoint(InvalidFields):
    """A webhook endpoint that would break a rule (its URL, CONTRACT.md)."""

    summary = "the endpoint is not valid"


class PreconditionFailed(DomainError):
    """The caller's If-Match names a version other than the stored one: someone else
    changed the record since the caller read it."""

    code = "precondition_failed"


class PreconditionRequired(DomainError):
    """A change that must say which version it was made on, and did not."""

    code = "precondition_required"


class OptedOut(Unprocessable):
    """The customer opted out: nothing may be texted to them, not even by a person."""

    code = "opted_out"


class Unavailable(DomainError):
    """An upstream (Twilio) is not answering; the request can be retried."""

    code = "upstream_unavailable"


class ConcurrentModification(Conflict):
    """Someone else changed the record between our read and our conditional write."""

    code = "concurrent_modification"


class OpeningTaken(Conflict):
    """The opening a write was to fill is no longer open (someone else took it first) or
    is now too close: nothing of that write was made."""

    code = "opening_taken"


class SmsError(DomainError):
    """Base for what the SMS gateway reports."""

    code = "sms_error"

    def __init__(self, message: str, error_code: int | None = None) -> None:
        super().__init__(message)
        self.error_code = error_code


class RecipientOptedOut(SmsError):
    """The carrier or Twilio says this number has opted out (Twilio 21610)."""

    code = "recipient_opted_out"


class RecipientUndeliverable(SmsError):
    """The number cannot receive SMS (21211 invalid, 21614 not SMS-capable, 30006 landline)."""

    code = "recipient_undeliverable"


class GatewayUnavailable(SmsError):
    """Retried with backoff and still failing (429, 5xx, refused connection); retry later."""

    code = "gateway_unavailable"


class DeliveryUnknown(SmsError):
    """The request may have reached Twilio (a read timeout). Retrying could send twice."""

    code = "delivery_unknown"


class SmsRejected(SmsError):
    """Any other permanent rejection from the gateway."""

    code = "sms_rejected"
