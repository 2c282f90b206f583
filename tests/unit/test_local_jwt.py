"""The local gateway's JWT authorizer refuses what API Gateway's refuses: every check of
docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html, on
tokens signed here with a key set held in memory (no moto, no network)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import RSAAlgorithm

from infra.local.auth import JwtAuthorizer, JwtVerifier

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
CONSOLE, BOOKING = "console-client", "booking-client"
AUTHORIZER = JwtAuthorizer("CognitoJwt", "authorization", ISSUER, (CONSOLE, BOOKING))
POOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_set(issuer: str) -> jwt.PyJWKSet:
    assert issuer == ISSUER  # the configured issuer's keys, never the token's
    public: dict[str, Any] = RSAAlgorithm.to_jwk(POOL_KEY.public_key(), as_dict=True)
    return jwt.PyJWKSet.from_dict({"keys": [{**public, "kid": "pool", "alg": "RS256"}]})


def token(
    *, key: Any = POOL_KEY, algorithm: str = "RS256", kid: Any = "pool", **claims: Any
) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": CONSOLE,
        "sub": "s",
        "custom:tenant_id": "t",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid} if kid else None)


def hs256_keyed_with_the_public_key() -> str:
    """The classic confusion: HMAC over the token with the pool's public key as the
    secret, for a verifier that lets the token's header pick the algorithm."""
    pem = POOL_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signed = token(kid="pool").rsplit(".", 1)[0]
    header = base64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "pool"}).encode())
    signed = f"{header}.{signed.split('.')[1]}"
    mac = hmac.new(pem, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64url(mac)}"


def base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def verify(value: str) -> dict[str, Any] | None:
    return JwtVerifier(key_set).verify(AUTHORIZER, f"Bearer {value}")


def test_a_pool_token_for_either_client_is_taken() -> None:
    assert verify(token()) is not None
    assert verify(token(aud=BOOKING)) is not None
    # An access token has no aud: its client_id is what is checked.
    assert verify(token(aud=None, client_id=BOOKING)) is not None


@pytest.mark.parametrize(
    ("why", "value"),
    [
        ("another client's audience", lambda: token(aud="someone-else")),
        ("an access token of another client", lambda: token(aud=None, client_id="x")),
        ("no audience at all", lambda: token(aud=None)),
        ("another issuer", lambda: token(iss="https://cognito-idp.us-east-1.amazonaws.com/x")),
        ("expired", lambda: token(iat=int(time.time()) - 7200, exp=int(time.time()) - 60)),
        ("no expiry", lambda: token(exp=None)),
        ("not yet valid", lambda: token(nbf=int(time.time()) + 600)),
        ("signed by another key under the pool's kid", lambda: token(key=OTHER_KEY)),
        ("a kid the pool does not publish", lambda: token(kid="elsewhere")),
        ("no kid", lambda: token(kid=None)),
        ("HS256 keyed with the public key", hs256_keyed_with_the_public_key),
        ("alg none", lambda: jwt.encode({"iss": ISSUER, "aud": CONSOLE}, "", algorithm="none")),
    ],
)
def test_a_token_api_gateway_refuses_is_refused(why: str, value: Any) -> None:
    assert verify(value()) is None, why
