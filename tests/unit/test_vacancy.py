"""The vacancy models' own rules: deterministic ids, and which entry suits which opening."""

from __future__ import annotations

import pytest

from rendezvous.domain.models import RETRIES_EXHAUSTED, Customer, MessageStatus
from rendezvous.domain.vacancy import (
    FillMatch,
    Opening,
    OpeningSource,
    OpeningStatus,
    WaitlistEntry,
    cancellation_opening_id,
    fill_appointment_id,
    offer_text_moves,
)
from tests.support.aws import at

NOW = at("2030-01-10T09:00:00-08:00")


def opening(**fields: object) -> Opening:
    values: dict[str, object] = {
        "tenant_id": "clinic-1",
        "opening_id": "op-1",
        "starts_at": at("2030-01-12T10:00:00-08:00"),
        "service": "Cleaning",
        "provider": "Dr Ruiz",
        "source": OpeningSource.BOOKING,
        "created_at": NOW,
    }
    return Opening.model_validate({**values, **fields})


def entry(**fields: object) -> WaitlistEntry:
    values: dict[str, object] = {
        "tenant_id": "clinic-1",
        "entry_id": "w-1",
        "customer": Customer(phone="+14155550123", name="Ana"),
        "listed_at": NOW,
    }
    return WaitlistEntry.model_validate({**values, **fields})


def test_a_cancellation_opening_and_its_fill_have_ids_derived_from_what_made_them() -> None:
    assert cancellation_opening_id("appt-7", 3) == "op-appt-7-v3"
    assert fill_appointment_id("op-appt-7-v3") == "fill-op-appt-7-v3"


@pytest.mark.parametrize(
    ("wants", "match", "suits"),
    [
        ({}, FillMatch.SERVICE_AND_PROVIDER, True),
        ({"service": " cleaning "}, FillMatch.SERVICE, True),
        ({"service": "Whitening"}, FillMatch.SERVICE, False),
        ({"service": "Whitening"}, FillMatch.ANY, True),
        ({"service": "Cleaning", "provider": "Dr Lee"}, FillMatch.SERVICE, True),
        ({"service": "Cleaning", "provider": "Dr Lee"}, FillMatch.SERVICE_AND_PROVIDER, False),
        ({"provider": "dr ruiz"}, FillMatch.SERVICE_AND_PROVIDER, True),
        ({"earliest": at("2030-01-12T11:00:00-08:00")}, FillMatch.ANY, False),
        ({"latest": at("2030-01-12T09:59:00-08:00")}, FillMatch.ANY, False),
        ({"latest": at("2030-01-12T10:00:00-08:00")}, FillMatch.ANY, True),
    ],
)
def test_an_entry_suits_an_opening_by_the_tenants_match_and_its_window(
    wants: dict[str, object], match: FillMatch, suits: bool
) -> None:
    assert entry(**wants).suits(opening(), match) is suits


def test_an_opening_without_a_service_suits_only_entries_without_a_preference() -> None:
    assert entry().suits(opening(service=None), FillMatch.SERVICE)
    assert not entry(service="Cleaning").suits(opening(service=None), FillMatch.SERVICE)


@pytest.mark.parametrize(
    ("status", "starts_at", "worth"),
    [
        (OpeningStatus.OPEN, "2030-01-10T11:01:00-08:00", True),
        (OpeningStatus.OFFERED, "2030-01-10T11:01:00-08:00", True),
        (OpeningStatus.OPEN, "2030-01-10T11:00:00-08:00", False),
        (OpeningStatus.FILLED, "2030-01-12T10:00:00-08:00", False),
        (OpeningStatus.EXPIRED, "2030-01-12T10:00:00-08:00", False),
    ],
)
def test_an_opening_is_worth_offering_while_open_and_further_than_the_notice(
    status: OpeningStatus, starts_at: str, worth: bool
) -> None:
    candidate = opening(status=status, starts_at=at(starts_at))

    assert candidate.worth_offering(NOW, min_notice_minutes=120) is worth


@pytest.mark.parametrize(
    ("stored", "reason", "new", "moves"),
    [
        (None, None, MessageStatus.PLANNED, True),
        ("queued", None, MessageStatus.DELIVERED, True),
        ("delivered", None, MessageStatus.QUEUED, False),
        ("sent", None, MessageStatus.DEFERRED, False),
        # A redrive reopens a text whose retries ran out, and only that failure.
        ("failed", RETRIES_EXHAUSTED, MessageStatus.DEFERRED, True),
        ("failed", RETRIES_EXHAUSTED, MessageStatus.PLANNED, True),
        ("failed", RETRIES_EXHAUSTED, MessageStatus.QUEUED, False),
        ("failed", "30003", MessageStatus.DEFERRED, False),
        ("suppressed", "opted_out", MessageStatus.PLANNED, False),
    ],
)
def test_an_offers_text_status_moves_forward_or_back_only_by_a_redrive_of_exhausted_retries(
    stored: str | None, reason: str | None, new: MessageStatus, moves: bool
) -> None:
    assert offer_text_moves(stored, reason, new) is moves
