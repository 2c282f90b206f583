"""Phone numbers: E.164 parsing, masking for logs, and the key we store them under."""

from __future__ import annotations

import hashlib
import re

E164_PATTERN = re.compile(r"\+[1-9]\d{6,14}")


class InvalidPhoneNumber(ValueError):
    pass


def parse_e164(raw: str) -> str:
    """Return the number in E.164 form, or raise InvalidPhoneNumber.

    The input must already be international (a leading +): where no country is known to
    read it in, a national number would otherwise be bound to the wrong one.
    """
    if not raw.strip().startswith("+"):
        raise InvalidPhoneNumber("phone must be in E.164 form, like +14155550123")
    return parse_phone(raw, None)


def parse_phone(raw: str, region: str | None) -> str:
    """The number in E.164 form, reading a national one ("(415) 555-0133") in `region`
    (ISO 3166 alpha-2), or raise InvalidPhoneNumber. A number written with its + keeps its
    own country whatever the region."""
    import phonenumbers

    candidate = raw.strip()
    if not candidate.startswith("+") and region is None:
        raise InvalidPhoneNumber("phone must be in E.164 form, like +14155550123")
    try:
        parsed = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("phone is not a valid number") from exc
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # Twilio's magic test numbers (+15005550xxx) are possible but not "valid" by
    # libphonenumber's metadata; they are accepted so the sandbox can exercise them.
    test_number = e164.startswith("+1500555")
    if not phonenumbers.is_possible_number(parsed) or not (
        phonenumbers.is_valid_number(parsed) or test_number
    ):
        raise InvalidPhoneNumber(
            "phone is not a valid number"
            if candidate.startswith("+")
            else f"phone is not a valid number in {region}; write it as E.164, like +14155550123"
        )
    return e164


def region_of(e164: str) -> str | None:
    """The country (ISO 3166 alpha-2) a number belongs to, None when it names none.

    A tenant's national numbers are read in its sending number's country. A number the
    metadata does not call valid (a test or drama number) still has a country code, and
    one country code with one main country is enough.
    """
    import phonenumbers

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed) or (
        phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    )
    return region if region and region.isalpha() and region != "ZZ" else None


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
