"""The page's SRP-6a (cognito.js, run in chromium) against pycognito's AWSSRP.

moto checks no SRP signature, so a wrong proof would pass locally and fail only in AWS.
Here both implementations get the same secret `a`, salt, B, secret block and timestamp,
and must agree on SRP_A and on PASSWORD_CLAIM_SIGNATURE bit for bit.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Iterator
from importlib.resources import files
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from pycognito import aws_srp

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

# Any loopback address is a secure context, so WebCrypto is there; nothing listens on it:
# the route below answers for it.
PAGE_URL = "http://127.0.0.1:9/srp"
POOL_ID = "eu-west-3_Ab12Cd34E"
CLIENT_ID = "consoleclient"
N = aws_srp.hex_to_long(aws_srp.N_HEX)


@pytest.fixture(scope="module")
def srp_page(browser: Browser) -> Iterator[Page]:
    """A blank page holding just cognito.js, in chromium."""
    script = (files("rendezvous.console") / "cognito.js").read_text("utf-8")
    context = browser.new_context()
    page = context.new_page()
    page.route(
        PAGE_URL,
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body="<!doctype html><title>srp</title>",
        ),
    )
    page.goto(PAGE_URL)
    assert page.evaluate("() => window.isSecureContext") is True
    page.add_script_tag(content=script)
    yield page
    context.close()


def _fixed_utc(moment: dt.datetime) -> SimpleNamespace:
    class Fixed(dt.datetime):
        @classmethod
        def utcnow(cls) -> Fixed:
            return cls.fromtimestamp(moment.timestamp(), dt.UTC).replace(tzinfo=None)

    return SimpleNamespace(datetime=Fixed)


def _case(seed: int, *, salt_hex: str, b_top_bit: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    b = rng.getrandbits(3072) % N
    if b_top_bit:  # padHex's 00 prefix, on B and on the hash input u
        b |= 1 << 3071
        b %= N
    return {
        "small_a": rng.getrandbits(1024) % N,
        "salt_hex": salt_hex,
        "srp_b_hex": aws_srp.long_to_hex(b),
        "secret_block": base64.b64encode(rng.randbytes(700)).decode(),
        "user_id_for_srp": f"4f1c2b3a-{seed:04d}-4e5f-9a8b-7c6d5e4f3a2b",
        "username": f"ana{seed}@harbor.example",
        "password": "Corr3ct horse ✓ battery",
        "moment": dt.datetime(2026, 11, 5 + seed, 9, 4, 7, tzinfo=dt.UTC),
    }


CASES = [
    _case(1, salt_hex="0a1b2c3d4e5f60718293a4b5c6d7e8f9", b_top_bit=False),
    _case(2, salt_hex="f3e2d1c0b9a8978675645342312f1e0d", b_top_bit=True),  # 00-padded salt
    _case(3, salt_hex="7b4c3d2e1f", b_top_bit=True),
    _case(4, salt_hex="abc", b_top_bit=False),  # odd length: 0-padded
]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i + 1}" for i in range(len(CASES))])
def test_srp_a_and_the_password_claim_match_pycognito(
    srp_page: Page, case: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_srp, "datetime", _fixed_utc(case["moment"]))
    expected = aws_srp.AWSSRP(
        username=case["username"],
        password=case["password"],
        pool_id=POOL_ID,
        client_id=CLIENT_ID,
        client=object(),  # never called: only the proof is computed
    )
    expected.small_a_value = case["small_a"]
    expected.large_a_value = expected.calculate_a()
    challenge = {
        "USERNAME": case["user_id_for_srp"],
        "USER_ID_FOR_SRP": case["user_id_for_srp"],
        "SALT": case["salt_hex"],
        "SRP_B": case["srp_b_hex"],
        "SECRET_BLOCK": case["secret_block"],
    }
    reference = expected.process_challenge(challenge, {"USERNAME": case["username"]})

    got = srp_page.evaluate(
        """async (c) => {
            const srp = RendezvousCognito.srp;
            const start = srp.srpStart(BigInt("0x" + c.smallA));
            const signature = await srp.passwordClaim({
                poolId: c.poolId, userIdForSrp: c.userIdForSrp, password: c.password,
                a: start.a, A: start.A, saltHex: c.salt, srpBHex: c.srpB,
                secretBlock: c.secretBlock, when: c.when,
            });
            return { srpA: start.srpA, signature, when: srp.timestamp(new Date(c.epochMs)) };
        }""",
        {
            "smallA": format(case["small_a"], "x"),
            "poolId": POOL_ID,
            "userIdForSrp": case["user_id_for_srp"],
            "password": case["password"],
            "salt": case["salt_hex"],
            "srpB": case["srp_b_hex"],
            "secretBlock": case["secret_block"],
            "when": reference["TIMESTAMP"],
            "epochMs": int(case["moment"].timestamp() * 1000),
        },
    )

    assert got["srpA"] == expected.get_auth_params()["SRP_A"]
    assert got["when"] == reference["TIMESTAMP"]
    assert got["signature"] == reference["PASSWORD_CLAIM_SIGNATURE"]


def test_a_wrong_password_gives_another_signature(srp_page: Page) -> None:
    case = CASES[0]
    sign = """async ([c, password]) => {
        const srp = RendezvousCognito.srp;
        const start = srp.srpStart(BigInt("0x" + c.smallA));
        return srp.passwordClaim({
            poolId: c.poolId, userIdForSrp: c.user, password, a: start.a, A: start.A,
            saltHex: c.salt, srpBHex: c.srpB, secretBlock: c.block, when: c.when,
        });
    }"""
    inputs = {
        "smallA": format(case["small_a"], "x"),
        "poolId": POOL_ID,
        "user": case["user_id_for_srp"],
        "salt": case["salt_hex"],
        "srpB": case["srp_b_hex"],
        "block": case["secret_block"],
        "when": "Thu Nov 5 09:04:07 UTC 2026",
    }

    right = srp_page.evaluate(sign, [inputs, case["password"]])
    wrong = srp_page.evaluate(sign, [inputs, case["password"] + "x"])

    assert right != wrong
    assert len(base64.b64decode(right)) == 32


def test_the_timestamp_is_cognitos_format(srp_page: Page) -> None:
    stamps = srp_page.evaluate(
        """() => [Date.UTC(2026, 10, 27, 13, 5, 9), Date.UTC(2027, 0, 3, 0, 0, 0)]
            .map((ms) => RendezvousCognito.srp.timestamp(new Date(ms)))"""
    )

    assert stamps == ["Fri Nov 27 13:05:09 UTC 2026", "Sun Jan 3 00:00:00 UTC 2027"]
