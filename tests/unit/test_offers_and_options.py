"""A waitlist offer and R's options to the same number at once: Y answers the offer, the
digits the options, and neither's making, taking or ending touches the other."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from rendezvous.domain.appointments import AppointmentDraft
from rendezvous.domain.inbound import InboundService
from rendezvous.domain.keywords import Intent
from rendezvous.domain.models import Customer, Recipient
from rendezvous.domain.offers import TakeOutcome
from rendezvous.domain.reschedule import RescheduleService
from rendezvous.domain.vacancy import Opening, OpeningSource
from rendezvous.messages.render import SmsRenderer
from rendezvous.phone import recipient_key
from tests.unit.test_offers import NOW, OPENING, SLOT, World, phone

OWN_VISIT = NOW + timedelta(days=3)
# Sooner than the waitlist's slot, so R's digit 1 is this one and 2 the offered slot.
R_SLOT = NOW + timedelta(hours=6)


class BothWorld(World):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.reschedule = RescheduleService(self.vacancies, self.store, self.appointments, self.log)
        self.inbound = InboundService(
            self.store,
            self.inbound.queue,
            self.appointments,
            self.clock,
            SmsRenderer(),
            self.log,
            self.inbound.texts,
            reschedule=self.reschedule,
            offers=self.offers,
        )
        self.appointments.upsert(
            "clinic-1",
            "own-visit",
            AppointmentDraft(Customer(phone=phone(1), name="Customer 1"), OWN_VISIT),
        )
        self.send_all()
        self.wait(1)
        self.open()
        assert self.vacancies.create_opening(
            Opening(
                tenant_id="clinic-1",
                opening_id="op-r",
                starts_at=R_SLOT,
                source=OpeningSource.BOOKING,
                created_at=NOW,
            )
        )

    def recipient(self) -> Recipient:
        return self.store.recipients[("clinic-1", recipient_key("clinic-1", phone(1)))]

    def starts_of(self, appointment_id: str) -> datetime:
        return self.store.appointments_by_id[("clinic-1", appointment_id)].starts_at


@pytest.fixture
def world() -> BothWorld:
    return BothWorld()


def test_options_made_while_an_offer_is_open_leave_it_and_the_digit_ends_only_them(
    world: BothWorld,
) -> None:
    world.offers.run_wave("clinic-1", OPENING, 1)
    offered = world.recipient().waitlist_offer
    assert offered is not None

    [options_text] = world.reply(phone(1), "R", "1").replies
    after_r = world.recipient()
    digit = world.reply(phone(1), "1", "2")
    after_digit = world.recipient()
    y = world.reply(phone(1), "Y", "3")

    assert options_text.startswith("Harbor Clinic: free times: reply 1 for ")
    assert after_r.waitlist_offer == offered
    assert after_r.reschedule_options is not None
    assert after_r.reschedule_options.digits == {"1": "op-r", "2": OPENING}
    assert digit.intent is Intent.CHOICE
    assert world.starts_of("own-visit") == R_SLOT
    assert after_digit.reschedule_options is None
    assert after_digit.waitlist_offer == offered
    assert y.intent is Intent.TAKE_OFFER
    assert y.take is not None
    assert y.take.outcome is TakeOutcome.WON
    assert world.starts_of(f"fill-{OPENING}") == SLOT


def test_an_offer_made_while_options_are_open_leaves_them_and_y_ends_only_it(
    world: BothWorld,
) -> None:
    world.reply(phone(1), "R", "1")
    options = world.recipient().reschedule_options
    assert options is not None

    world.offers.run_wave("clinic-1", OPENING, 1)
    after_offer = world.recipient()
    y = world.reply(phone(1), "Y", "2")
    after_y = world.recipient()
    digit = world.reply(phone(1), "1", "3")

    assert after_offer.waitlist_offer is not None
    assert after_offer.waitlist_offer.opening_id == OPENING
    assert after_offer.reschedule_options == options
    assert y.take is not None
    assert y.take.outcome is TakeOutcome.WON
    assert after_y.waitlist_offer is None
    assert after_y.reschedule_options == options
    assert digit.intent is Intent.CHOICE
    assert world.starts_of("own-visit") == R_SLOT


def test_y_with_only_options_open_is_no_choice_of_a_digit(world: BothWorld) -> None:
    world.reply(phone(1), "R", "1")

    answered = world.reply(phone(1), "Y", "2")

    assert answered.intent is Intent.CONFIRM
    assert answered.take is None
    assert world.starts_of("own-visit") == OWN_VISIT
    assert world.recipient().reschedule_options is not None


def test_a_recipient_written_with_the_first_shape_still_reads() -> None:
    # Issue 14's first shape held both in one `open_offer`; none reached production, but
    # a local or test table may hold one: it reads, and offers or options nothing.
    stored = {
        "tenant_id": "clinic-1",
        "recipient_key": recipient_key("clinic-1", phone(1)),
        "phone": phone(1),
        "open_offer": {
            "opening_ids": [OPENING],
            "digits": {"1": OPENING},
            "expires_at": SLOT.isoformat(),
        },
        "rev": 3,
    }

    recipient = Recipient.model_validate(stored)

    assert (recipient.waitlist_offer, recipient.reschedule_options) == (None, None)
    assert recipient.rev == 3
