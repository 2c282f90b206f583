"""Vacancy fill's texts are one segment for every business name the settings accept: the
offer kinds with the STOP line of a first text, R's answers with as many digits as fit;
dates far ahead say their year; "just taken" reads well and says how to answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rendezvous.domain.models import SUPPORTED_LOCALES, Customer, MessageKind, RescheduleOptions
from rendezvous.domain.tenant_settings import TEMPLATE_KINDS
from rendezvous.messages.gsm import segment_count
from rendezvous.messages.render import SmsRenderer, format_when, render_offer
from rendezvous.messages.rules import SmsTemplateRules
from tests.support.aws import at, clinic
from tests.unit.test_offers import OPENING
from tests.unit.test_offers import World as OfferWorld
from tests.unit.test_offers import phone as offer_phone
from tests.unit.test_reschedule import RWorld
from tests.unit.test_services import CUSTOMER
from tests.unit.test_tenant_settings import Setup

# 60 characters, the longest name the settings accept (NAME_MAX).
LONG_NAME = "Clinique dentaire et orthodontique du Parc Saint-Laurent-Est"
FILL_TEXTS = (
    "offer",
    "offer_taken",
    "reschedule_options",
    "reschedule_taken_options",
    "reschedule_taken",
    "reschedule_changed",
)


def test_the_long_name_is_the_longest_the_settings_accept() -> None:
    assert len(LONG_NAME) == 60
    assert Setup(clinic()).change({"name": LONG_NAME}).name == LONG_NAME


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_fill_text_is_one_segment_with_the_longest_name(locale: str) -> None:
    tenant = clinic(name=LONG_NAME)

    texts = SmsTemplateRules().worst_case_fill(tenant, locale)

    assert sorted(texts) == sorted(FILL_TEXTS)
    for name, sms in texts.items():
        assert sms.body.startswith(f"{LONG_NAME}: "), name
        assert (sms.encoding, sms.segments) == ("GSM-7", 1), (name, sms.characters, sms.body)
    # The worst case is a first text: the STOP line rides on the offer kinds.
    assert "STOP" in texts["offer"].body
    assert "STOP" in texts["offer_taken"].body


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", [MessageKind.OFFER, MessageKind.OFFER_TAKEN])
@pytest.mark.parametrize("lead", [timedelta(hours=1), timedelta(days=1), timedelta(days=400)])
def test_each_offer_kind_sent_to_a_first_time_number_is_one_segment(
    locale: str, kind: MessageKind, lead: timedelta
) -> None:
    tenant = clinic(name=LONG_NAME)
    starts = at("2030-09-25T12:30:00-07:00")
    customer = Customer(phone="+14155550123", name="Ana", locale=locale)

    sms = render_offer(kind, tenant, starts, customer, first_contact=True, now=starts - lead)

    assert sms.segments == 1, sms.body


# Short texts of the tenant's own: with them a name with no GSM-7 spelling keeps the
# appointment texts within two segments, so only the fill rule can stop it.
SHORT = {
    locale: {kind: "{business}: {when}. C/R/X?" for kind in TEMPLATE_KINDS}
    for locale in SUPPORTED_LOCALES
}
CYRILLIC = "Клиника Гавань"  # UCS-2: 70 characters a segment


def test_a_name_that_makes_an_offer_two_segments_is_refused_naming_the_name() -> None:
    setup = Setup(clinic())
    setup.change({"templates": SHORT})

    problems = setup.refused({"name": CYRILLIC})

    assert "the en offer text takes 2 SMS segments" in problems["name"]
    assert "UCS-2" in problems["name"]
    assert "fill_enabled false" in problems["name"]
    assert set(problems) == {"name"}


def test_the_same_name_is_accepted_when_fill_is_off() -> None:
    setup = Setup(clinic())
    setup.change({"templates": SHORT})

    tenant = setup.change({"name": CYRILLIC, "fill_enabled": False})

    assert tenant.name == CYRILLIC


@pytest.mark.parametrize(
    ("name", "locale", "room"),
    [
        ("Harbor Clinic", "en", 3),
        ("Harbor Clinic", "fr", 3),
        ("Harbor Clinic", "es", 3),
        ("Centre de santé dentaire Harbor", "fr", 3),
        (LONG_NAME, "en", 2),
        (LONG_NAME, "fr", 2),
        (LONG_NAME, "es", 2),
    ],
)
def test_r_offers_as_many_digits_as_one_segment_holds(name: str, locale: str, room: int) -> None:
    assert SmsRenderer().option_room("reschedule_options", clinic(name=name), locale) == room


def test_a_long_named_business_offers_fewer_digits_and_keeps_only_those() -> None:
    world = RWorld()
    world.store.put_tenant(clinic(name=LONG_NAME))
    world.book_service()
    for n, day in enumerate(("11", "12", "14"), start=1):
        world.opening(f"op-{n}", f"2030-01-{day}T10:30:00-08:00")

    [reply] = world.text_in("R")

    assert segment_count(reply) == ("GSM-7", 1), reply
    assert " 2 for " in reply
    assert " 3 for " not in reply
    recipient = world.store.get_recipient("clinic-1", CUSTOMER)
    assert recipient is not None
    assert isinstance(recipient.reschedule_options, RescheduleOptions)
    assert recipient.reschedule_options.digits == {"1": "op-1", "2": "op-2"}


# -- dates far ahead ----------------------------------------------------------------------


def test_a_date_more_than_half_a_year_ahead_says_its_year_not_a_weekday() -> None:
    slot = datetime(2027, 12, 5, 18, 0, tzinfo=UTC)  # Sun 5 Dec 2027, 10:00 in LA
    now = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    zone = "America/Los_Angeles"

    assert format_when(slot, zone, "en", now) == "5 Dec 2027 10:00am"
    assert format_when(slot, zone, "fr", now) == "5 déc 2027 10h00"
    assert format_when(slot, zone, "es", now) == "5 dic 2027 10:00"
    # Within the half year the weekday says which day, as before.
    assert format_when(slot, zone, "en", slot - timedelta(days=30)) == "Sun 5 Dec 10:00am"


def test_an_offer_for_a_slot_next_year_says_the_year() -> None:
    sms = render_offer(
        MessageKind.OFFER,
        clinic(),
        datetime(2027, 12, 5, 18, 0, tzinfo=UTC),
        Customer(phone="+14155550123", name="Ana"),
        first_contact=False,
        now=datetime(2026, 11, 27, 19, 0, tzinfo=UTC),
    )

    assert "a slot opened 5 Dec 2027 10:00am." in sms.body


# -- "just taken" ---------------------------------------------------------------------------


def test_just_taken_reads_well_and_says_how_to_answer() -> None:
    sms = render_offer(
        MessageKind.OFFER_TAKEN,
        clinic(),
        at("2030-01-11T10:30:00-08:00"),
        Customer(phone="+14155550123", name="Ana"),
        first_contact=False,
        now=at("2030-01-10T12:00:00-08:00"),
    )

    assert sms.body == (
        "Harbor Clinic: sorry, tomorrow at 10:30am is taken. You stay on the waitlist. "
        "Questions? Reply."
    )


@pytest.mark.parametrize(
    ("locale", "ending"),
    [("en", "Questions? Reply."), ("fr", "Écrivez-nous."), ("es", "¿Dudas? Responda.")],
)
def test_just_taken_ends_with_how_to_answer_in_each_language(locale: str, ending: str) -> None:
    sms = render_offer(
        MessageKind.OFFER_TAKEN,
        clinic(),
        at("2030-01-11T10:30:00-08:00"),
        Customer(phone="+14155550123", name="Ana", locale=locale),
        first_contact=False,
    )

    assert sms.body.endswith(ending), sms.body


@pytest.mark.parametrize(
    ("locale", "ending"),
    [
        ("en", "or tell us what suits you."),
        ("fr", "ou proposez une heure."),
        ("es", "o diganos qué le conviene."),
    ],
)
def test_r_just_taken_ends_with_how_to_answer(locale: str, ending: str) -> None:
    tenant = clinic(locale=locale)

    body = SmsRenderer().reply("reschedule_taken", tenant, None, due=at("2030-01-10T17:00:00Z"))

    assert body.endswith(ending), body


# -- the customer's language -----------------------------------------------------------------


def test_an_offer_and_its_just_taken_are_in_the_waitlisted_customers_language() -> None:
    world = OfferWorld()
    french = world.wait(1)
    world.vacancies.put_entry(
        french.model_copy(
            update={"customer": french.customer.model_copy(update={"locale": "fr"}), "version": 2}
        ),
        expected_version=1,
    )
    world.wait(2)
    world.open()
    world.offers.run_wave("clinic-1", OPENING, 1)
    world.send_all()
    world.reply(offer_phone(2), "Y", "1")
    world.reply(offer_phone(1), "Y", "2")
    world.send_all()

    offer, taken = world.texts_to(offer_phone(1))
    assert offer.startswith("Harbor Clinic: un créneau s'est libéré demain à 10h30.")
    assert taken.startswith("Harbor Clinic: désolé, demain à 10h30 est pris.")
    assert world.texts_to(offer_phone(2))[0].startswith("Harbor Clinic: a slot opened")
