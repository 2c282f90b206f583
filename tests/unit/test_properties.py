"""Rules that are properties, checked by hypothesis over generated inputs.

Keyword classification, Twilio's signature check, GSM-7 segment counting and quiet hours
across daylight-saving changes each state something for every input, not for a handful of
examples; each test says that something.
"""

from __future__ import annotations

import base64
import math
import os
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from infra.handlers import LambdaContext
from rendezvous.api.http import http_resolver
from rendezvous.api.twilio_webhook import TwilioInboundForm, verified_form
from rendezvous.domain.keywords import KEYWORDS, Intent, classify
from rendezvous.domain.models import QuietHours
from rendezvous.domain.timing import is_quiet, latest_allowed_before, next_allowed
from rendezvous.messages.gsm import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    is_gsm7,
    segment_count,
    septet_length,
)

# The machine is shared: no per-example deadline, and no example database in the work tree.
# `make test` explores the same examples every run, so a red run is reproducible and never
# a matter of luck; HYPOTHESIS_EXPLORE=1 draws new ones (run it when changing these rules).
PROPERTY = settings(
    deadline=None,
    database=None,
    max_examples=200,
    derandomize=not os.environ.get("HYPOTHESIS_EXPLORE"),
)

# -- keyword classification ------------------------------------------------------------

DECORATION = st.text(alphabet=" \t.!?,;:-*\"'()", max_size=4)


def _any_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)
        )
    )


@PROPERTY
@given(
    keyword=st.sampled_from(sorted(KEYWORDS)).flatmap(
        lambda k: st.tuples(st.just(k), _any_case(k))
    ),
    before=DECORATION,
    after=DECORATION,
)
def test_a_keyword_in_any_case_with_any_punctuation_around_it_means_the_same(
    keyword: tuple[str, str], before: str, after: str
) -> None:
    word, cased = keyword

    assert classify(before + cased + after) is KEYWORDS[word]


@PROPERTY
@given(st.text(max_size=300))
def test_any_text_gets_an_intent_and_a_sentence_is_never_a_keyword(body: str) -> None:
    intent = classify(body)

    assert isinstance(intent, Intent)
    words = body.split()
    if len(words) >= 2 and all(any(c.isalnum() for c in w) for w in words):
        assert intent in (Intent.STOP_REQUEST, Intent.FREE_TEXT)


# -- Twilio's signature ------------------------------------------------------------------

TOKEN = "property-auth-token"
ACCOUNT = "AC" + "a" * 32
BASE_URL = "https://api.example.test"
HEX32 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
FREE = st.text(st.characters(codec="utf-8"), max_size=40)


@st.composite
def signed_forms(draw: st.DrawFn) -> dict[str, str]:
    sid = draw(st.sampled_from(["SM", "MM"])) + draw(HEX32)
    extra = draw(
        st.dictionaries(
            st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=3),
            FREE,
            max_size=4,
        )
    )
    return {
        **extra,
        "AccountSid": ACCOUNT,
        "MessageSid": sid,
        "SmsSid": sid,
        "From": "+1415555" + draw(st.text(alphabet="0123456789", min_size=4, max_size=4)),
        "To": "+14155550100",
        "Body": draw(FREE),
        "NumMedia": "0",
    }


def _check(form: dict[str, str], signature: str) -> int:
    """The status the inbound route answers for this form and signature."""
    app = http_resolver()

    @app.post("/twilio/inbound")
    def _inbound() -> Response[str]:
        verified_form(app, "/twilio/inbound", BASE_URL, TOKEN, ACCOUNT, TwilioInboundForm)
        return Response(status_code=200, body="")

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "POST /twilio/inbound",
        "rawPath": "/twilio/inbound",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": signature,
        },
        "requestContext": {
            "http": {"method": "POST", "path": "/twilio/inbound"},
            "stage": "$default",
        },
        "body": base64.b64encode(urlencode(form).encode()).decode(),
        "isBase64Encoded": True,
    }
    context: Any = LambdaContext("TwilioInboundFunction")
    status: int = app.resolve(event, context)["statusCode"]
    return status


def _sign(form: dict[str, str]) -> str:
    return str(RequestValidator(TOKEN).compute_signature(f"{BASE_URL}/twilio/inbound", form))


@PROPERTY
@given(signed_forms())
def test_every_correctly_signed_twilio_form_is_accepted(form: dict[str, str]) -> None:
    assert _check(form, _sign(form)) == 200


@PROPERTY
@given(form=signed_forms(), data=st.data())
def test_any_change_to_a_signed_parameter_is_refused(
    form: dict[str, str], data: st.DataObject
) -> None:
    signature = _sign(form)
    key = data.draw(st.sampled_from(sorted(form)))
    changed = data.draw(FREE.filter(lambda v: v != form[key]))

    assert _check({**form, key: changed}, signature) == 403


@PROPERTY
@given(form=signed_forms(), data=st.data())
def test_a_parameter_added_to_a_signed_form_is_refused(
    form: dict[str, str], data: st.DataObject
) -> None:
    signature = _sign(form)
    key = data.draw(
        st.text(alphabet="QWXZ", min_size=2, max_size=6).filter(lambda k: k not in form)
    )

    assert _check({**form, key: data.draw(FREE)}, signature) == 403


# -- GSM-7 segments ----------------------------------------------------------------------

GSM_TEXT = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=700)
BASIC_TEXT = st.text(alphabet=sorted(GSM7_BASIC), max_size=700)
NOT_GSM = st.characters(codec="utf-8").filter(
    lambda c: c not in GSM7_BASIC and c not in GSM7_EXTENSION
)


@PROPERTY
@given(BASIC_TEXT)
def test_a_basic_gsm_text_takes_one_part_to_160_then_one_per_153(text: str) -> None:
    expected = 1 if len(text) <= 160 else math.ceil(len(text) / 153)

    assert segment_count(text) == ("GSM-7", expected)


@PROPERTY
@given(GSM_TEXT)
def test_a_gsm_text_fits_its_parts_and_no_fewer_parts_would_do(text: str) -> None:
    encoding, parts = segment_count(text)
    septets = septet_length(text)

    assert encoding == "GSM-7"
    if septets <= 160:
        assert parts == 1
    else:
        # At least enough 153-septet parts; at most one more, for escape pairs kept whole.
        assert math.ceil(septets / 153) <= parts <= math.ceil(septets / 152)


@PROPERTY
@given(GSM_TEXT, NOT_GSM, st.integers(min_value=0, max_value=700))
def test_one_character_outside_gsm_turns_the_whole_text_ucs2(
    text: str, other: str, at: int
) -> None:
    mixed = text[:at] + other + text[at:]

    encoding, parts = segment_count(mixed)

    assert not is_gsm7(mixed)
    assert encoding == "UCS-2"
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in mixed)
    assert parts == 1 if units <= 70 else math.ceil(units / 67) <= parts


@PROPERTY
@given(GSM_TEXT, GSM_TEXT)
def test_a_longer_text_never_takes_fewer_parts(text: str, more: str) -> None:
    assert segment_count(text + more)[1] >= segment_count(text)[1]


# -- quiet hours across daylight-saving changes ------------------------------------------

ZONES = [ZoneInfo(z) for z in ("America/Los_Angeles", "Europe/Paris", "Australia/Lord_Howe")]
# Instants around the DST changes of 2030 in each zone (and ordinary days between).
AROUND_DST = st.datetimes(
    min_value=datetime(2030, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=st.just(UTC),
)
# Half the quiet-hour edges fall in the small hours, where the clocks change.
WALL = st.builds(
    time, st.one_of(st.integers(0, 23), st.integers(1, 3)), st.sampled_from([0, 15, 30, 45])
)
QUIET = st.builds(QuietHours, start=WALL, end=WALL)


@st.composite
def near_a_change(draw: st.DrawFn) -> datetime:
    """An instant within two days of one of the zone changes of 2030, or any instant."""
    changes = [
        datetime(2030, 3, 10, 10, tzinfo=UTC),  # Los Angeles springs forward
        datetime(2030, 11, 3, 9, tzinfo=UTC),  # and falls back
        datetime(2030, 3, 31, 1, tzinfo=UTC),  # Paris
        datetime(2030, 10, 27, 1, tzinfo=UTC),
        datetime(2030, 4, 6, 15, tzinfo=UTC),  # Lord Howe, half an hour
        datetime(2030, 10, 5, 15, 30, tzinfo=UTC),
    ]
    if draw(st.booleans()):
        return draw(AROUND_DST)
    base = draw(st.sampled_from(changes))
    return base + timedelta(minutes=draw(st.integers(-2 * 1440, 2 * 1440)))


@PROPERTY
@given(instant=near_a_change(), zone=st.sampled_from(ZONES), quiet=QUIET)
def test_the_next_allowed_moment_is_allowed_and_nothing_earlier_is(
    instant: datetime, zone: ZoneInfo, quiet: QuietHours
) -> None:
    allowed = next_allowed(instant, zone, quiet)

    assert allowed >= instant
    assert not is_quiet(allowed, zone, quiet)
    if allowed != instant:
        assert is_quiet(allowed - timedelta(minutes=1), zone, quiet)
        # A day plus an hour of clock change; two when the night's only allowed window
        # falls in the hour the clocks skip.
        assert allowed - instant <= timedelta(hours=49)


@PROPERTY
@given(instant=near_a_change(), zone=st.sampled_from(ZONES), quiet=QUIET)
def test_the_latest_allowed_moment_before_is_allowed_and_nothing_later_is(
    instant: datetime, zone: ZoneInfo, quiet: QuietHours
) -> None:
    allowed = latest_allowed_before(instant, zone, quiet)

    assert allowed <= instant
    assert not is_quiet(allowed, zone, quiet)
    if allowed != instant:
        assert is_quiet(allowed + timedelta(minutes=1), zone, quiet)
        # As above: two days when the day's only allowed window falls in a skipped hour.
        assert instant - allowed <= timedelta(hours=49)


def test_the_latest_allowed_moment_skips_a_day_whose_only_window_the_clocks_skip() -> None:
    # Paris, 31 March 2030: 02:00-03:00 does not exist, and with it the day's only allowed
    # window (02:00-02:15). The latest allowed minute is the day before's 02:14.
    quiet = QuietHours(start=time(2, 15), end=time(2, 0))
    instant = datetime(2030, 3, 31, 2, 15, tzinfo=UTC)

    allowed = latest_allowed_before(instant, ZoneInfo("Europe/Paris"), quiet)

    assert allowed.astimezone(ZoneInfo("Europe/Paris")).strftime("%d %H:%M") == "30 02:14"


def test_a_quiet_night_that_ends_in_a_skipped_hour_ends_at_the_jump() -> None:
    # Quiet hours ending at 02:30 on the night Los Angeles skips 02:00-03:00.
    quiet = QuietHours(start=time(21, 0), end=time(2, 30))
    instant = datetime(2030, 3, 10, 9, 45, tzinfo=UTC)  # 01:45 PST, quiet
    assert is_quiet(instant, ZONES[0], quiet)

    allowed = next_allowed(instant, ZONES[0], quiet)

    # The clocks jump from 02:00 to 03:00: 03:00 is the first minute past 02:30.
    assert allowed == datetime(2030, 3, 10, 10, 0, tzinfo=UTC)


def test_a_quiet_night_that_starts_in_a_skipped_hour_ends_sending_before_the_jump() -> None:
    quiet = QuietHours(start=time(2, 30), end=time(8, 0))
    instant = datetime(2030, 3, 10, 11, 0, tzinfo=UTC)  # 04:00 PDT, quiet

    allowed = latest_allowed_before(instant, ZONES[0], quiet)

    assert allowed == datetime(2030, 3, 10, 9, 59, tzinfo=UTC)  # 01:59 PST
    assert not is_quiet(allowed, ZONES[0], quiet)
