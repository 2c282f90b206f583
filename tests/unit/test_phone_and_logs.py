"""Phone numbers: E.164 or national in the tenant's country, and never whole in a log line."""

from __future__ import annotations

import json
import logging

import pytest

from rendezvous.observability import MaskingFormatter
from rendezvous.phone import (
    InvalidPhoneNumber,
    mask,
    mask_in_text,
    parse_e164,
    parse_phone,
    recipient_key,
    region_of,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+14155550123", "+14155550123"),
        (" +1 (415) 555-0123 ", "+14155550123"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+15005550009", "+15005550009"),
    ],
)
def test_international_numbers_normalise_to_e164(raw: str, expected: str) -> None:
    assert parse_e164(raw) == expected


@pytest.mark.parametrize("raw", ["4155550123", "+1415555", "+999123456789", "call me", "+"])
def test_national_impossible_or_junk_numbers_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        parse_e164(raw)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-0133", "US", "+14155550133"),
        ("415-555-0133", "US", "+14155550133"),
        ("415.555.0133", "US", "+14155550133"),
        ("1 415 555 0133", "US", "+14155550133"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("0612345678", "FR", "+33612345678"),
        ("612 34 56 78", "ES", "+34612345678"),
        # Written internationally, the number's own country wins over the tenant's.
        ("+33 6 12 34 56 78", "US", "+33612345678"),
    ],
)
def test_national_numbers_are_read_in_the_tenants_country(
    raw: str, region: str, expected: str
) -> None:
    assert parse_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("(415) 555-0133", None),  # no country to read it in
        ("(415) 555-0133", "FR"),  # not a French number
        ("06 12 34 56 78", "US"),
        ("555-01", "US"),
        ("call me", "US"),
    ],
)
def test_national_numbers_that_do_not_fit_the_country_are_rejected(
    raw: str, region: str | None
) -> None:
    with pytest.raises(InvalidPhoneNumber):
        parse_phone(raw, region)


@pytest.mark.parametrize(
    ("sending", "region"),
    [
        ("+14155550100", "US"),
        ("+15005550006", "US"),  # Twilio's test number
        ("+33612345678", "FR"),
        ("+447700900123", "GB"),  # a drama number: not valid, yet plainly British
        ("+34612345678", "ES"),
    ],
)
def test_the_tenants_country_comes_from_its_sending_number(sending: str, region: str) -> None:
    assert region_of(sending) == region


def test_masking_keeps_country_code_and_last_digits_only() -> None:
    assert mask("+14155550123") == "+1415*****23"
    assert mask_in_text("to +14155550123 from +33612345678") == "to +1415*****23 from +3361*****78"


def test_recipient_keys_differ_per_tenant_and_hide_the_number() -> None:
    a = recipient_key("clinic-1", "+14155550123")
    b = recipient_key("salon-1", "+14155550123")

    assert a != b
    assert "4155550123" not in a


def test_log_lines_mask_numbers_in_messages_and_extras() -> None:
    formatter = MaskingFormatter()
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "texting +14155550123", None, None)
    record.customer = "+33612345678"

    line = formatter.format(record)

    assert "+14155550123" not in line

    assert "+33612345678" not in line
    assert json.loads(line)["message"] == "texting +1415*****23"
