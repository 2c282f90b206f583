"""Phone numbers: E.164 parsing, masking for logs, and the key we store them under."""

from __future__ import annotations

import hashlib
import re

E164_PATTERN = re.compile(r"\+[1-9]\d{6,14}")


class InvalidPhoneNumber(ValueError):
    pass


def parse_e164(raw: str) -> str:
    """Return the number in E.164 form, or raise InvalidPhoneNumber.

    The input must already be international (a leading +): a booking system that sends a
    national number would otherwise have it silently bound to the wrong country.
    """
    import phonenumbers

    candidate = raw.strip()
    if not candidate.startswith("+"):
        raise InvalidPhoneNumber("phone must be in E.164 form, like +14155550123")
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("phone is not a valid number") from exc
    # Twilio's magic test numbers (+15005550xxx) are possible but not "valid" by
    # libphonenumber's metadata; they are accepted so the sandbox can exercise them.
    test_number = candidate.startswith("+1500555")
    if not phonenumbers.is_possible_number(parsed) or not (
        phonenumbers.is_valid_number(parsed) or test_number
    ):
        raise InvalidPhoneNumber("phone is not a valid number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def time_zones_for(e164: str) -> tuple[str, ...]:
    """IANA zones the number's prefix belongs to (empty when unknown)."""
    import phonenumbers
    from phonenumbers import timezone as pn_timezone

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(
        z
        for z in pn_timezone.time_zones_for_number(parsed)
        if "/" in z and not z.startswith("Etc/")
    )


def mask(e164: str) -> str:
    """+14155550123 -> +1415*****23: enough to tell numbers apart in a log, not to dial."""
    if len(e164) <= 6:
        return "*" * len(e164)
    return e164[:5] + "*" * (len(e164) - 7) + e164[-2:]


def mask_in_text(text: str) -> str:
    return E164_PATTERN.sub(lambda m: mask(m.group(0)), text)


def recipient_key(tenant_id: str, e164: str) -> str:
    """A stable, non-reversible-at-a-glance key for a tenant's recipient.

    Scheduler inputs, queue messages and DLQs carry this key instead of the number itself.
    """
    digest = hashlib.sha256(f"{tenant_id}\x1f{e164}".encode()).hexdigest()
    return digest[:24]
