"""National phone numbers in a booking, read in the tenant's country (CONTRACT.md v2)."""

from __future__ import annotations

import pytest

from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.errors import InvalidFields
from rendezvous.domain.models import Customer
from tests.support.aws import at, clinic
from tests.unit.test_services import World


@pytest.fixture
def world() -> World:
    return World()


def _book(world: World, phone: str) -> str:
    view = world.appointments.upsert(
        "clinic-1",
        "appt-p",
        AppointmentDraft(
            customer=Customer(phone=phone, name="Ana"),
            starts_at=at("2030-01-15T10:30:00-08:00"),
        ),
    )
    return view.appointment.customer.phone


@pytest.mark.parametrize("written", ["(415) 555-0133", "415-555-0133", "+1 415 555 0133"])
def test_a_national_number_is_read_in_the_tenants_country_and_stored_e164(
    world: World, written: str
) -> None:
    assert _book(world, written) == "+14155550133"


def test_a_french_tenant_reads_french_national_numbers() -> None:
    world = World()
    world.store.put_tenant(clinic(phone_number="+33612345600", timezone="Europe/Paris"))

    assert _book(world, "06 12 34 56 78") == "+33612345678"


@pytest.mark.parametrize("written", ["06 12 34 56 78", "555-01"])
def test_a_number_that_does_not_fit_the_country_is_a_422_naming_the_field(
    world: World, written: str
) -> None:
    with pytest.raises(InvalidFields) as caught:
        _book(world, written)

    assert [d["field"] for d in caught.value.details] == ["customer.phone"]
    assert world.store.get_appointment("clinic-1", "appt-p") is None
