"""The template's JWT authorizers, stood in for locally: Cognito's tokens (moto's), checked
as API Gateway checks them.

API Gateway (HTTP API) checks a token before the function runs: the algorithm is RSA, the
`kid` names a key of the issuer's JWKS and its signature holds, `iss` is the configured
issuer, `aud` (or `client_id` when there is no `aud`) is one of the configured audiences,
`exp` is in the future, `nbf` and `iat` are not (docs.aws.amazon.com/apigateway/latest/
developerguide/http-api-jwt-authorizer.html). A missing or bad token is a 401 the function
never sees. What the function gets is `requestContext.authorizer.jwt.claims` with every
value flattened to a string (an array claim such as `cognito:groups` arrives as "[staff]"),
and `scopes` from the `scope` claim (null for Cognito ID tokens).

Times are checked against the machine's wall clock, not the stack's virtual clock: API
Gateway checks `exp` against real time, and the tokens come from moto, which stamps them
with real time. Advancing the virtual clock by days moves the world the stack shows, not
the life of a sign-in, so a token keeps working for its hour whatever the clock does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt

from infra.template import Resolver, resources_of

# API Gateway's JWT authorizers accept RSA signatures only; HS256 (a shared secret) never.
RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
JWKS_TIMEOUT_SECONDS = 5.0

KeySets = Callable[[str], jwt.PyJWKSet]


@dataclass(frozen=True)
class JwtAuthorizer:
    name: str
    header: str  # lower-case request header carrying the token
    issuer: str
    audience: tuple[str, ...]


def _header_of(identity_source: Any) -> str:
    source = identity_source[0] if isinstance(identity_source, list) else identity_source
    source = str(source or "$request.header.Authorization")
    prefix = "$request.header."
    if not source.startswith(prefix):
        raise ValueError(f"unsupported authorizer identity source {source!r}")
    return source[len(prefix) :].lower()


def jwt_authorizers(
    template: dict[str, Any], resolver: Resolver
) -> tuple[dict[str, JwtAuthorizer], str | None]:
    """Every JWT authorizer of the template's HTTP APIs, and the default authorizer's name."""
    found: dict[str, JwtAuthorizer] = {}
    default: str | None = None
    for api in resources_of(template, "AWS::Serverless::HttpApi").values():
        auth = api.get("Properties", {}).get("Auth") or {}
        default = auth.get("DefaultAuthorizer") or default
        for name, spec in (auth.get("Authorizers") or {}).items():
            config = spec.get("JwtConfiguration")
            if not config:
                continue
            audience = resolver.resolve(config.get("audience") or [])
            found[name] = JwtAuthorizer(
                name=name,
                header=_header_of(spec.get("IdentitySource")),
                issuer=str(resolver.resolve(config["issuer"])),
                audience=tuple(str(a) for a in audience),
            )
    return found, default


def gateway_claims(payload: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to the function: every value a string."""

    def flat(value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "[" + " ".join(flat(v) for v in value) + "]"
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return {key: flat(value) for key, value in payload.items()}


class MotoJwks:
    """The issuer's published key set, read from moto the way API Gateway reads it from
    Cognito (`<issuer>/.well-known/jwks.json`), once per issuer: moto's key never rotates."""

    def __init__(self, moto_url: str) -> None:
        self._moto_url = moto_url.rstrip("/")
        self._sets: dict[str, jwt.PyJWKSet] = {}
        self._lock = threading.Lock()

    def __call__(self, issuer: str) -> jwt.PyJWKSet:
        with self._lock:
            known = self._sets.get(issuer)
            if known is None:
                known = self._sets[issuer] = self._fetch(issuer)
            return known

    def _fetch(self, issuer: str) -> jwt.PyJWKSet:
        import requests

        parts = urlsplit(issuer)
        try:
            answer = requests.get(
                f"{self._moto_url}{parts.path}/.well-known/jwks.json",
                # moto's server tells its services apart by host, as AWS's endpoints do.
                headers={"Host": parts.netloc},
                timeout=JWKS_TIMEOUT_SECONDS,
            )
            answer.raise_for_status()
            return jwt.PyJWKSet.from_dict(answer.json())
        except (requests.RequestException, ValueError) as exc:
            # No key set, no token passes: the 401 API Gateway would answer.
            raise jwt.PyJWKClientConnectionError(f"no key set for {issuer}: {exc}") from exc


class JwtVerifier:
    """API Gateway's JWT authorizer: a token's claims, or None where it answers 401."""

    def __init__(self, key_sets: KeySets) -> None:
        self._key_sets = key_sets

    def verify(self, authorizer: JwtAuthorizer, header_value: str | None) -> dict[str, Any] | None:
        if not header_value:
            return None
        token = header_value.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
            algorithm = header.get("alg")
            if algorithm not in RSA_ALGORITHMS:
                return None
            key = self._key(authorizer.issuer, header.get("kid"))
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=authorizer.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
            )
        except jwt.PyJWTError:
            return None
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        given = audience if isinstance(audience, list) else [audience]
        if authorizer.audience and not set(authorizer.audience) & {str(a) for a in given}:
            return None
        return claims

    def _key(self, issuer: str, kid: Any) -> jwt.PyJWK | None:
        if not isinstance(kid, str):
            return None
        try:
            return self._key_sets(issuer)[kid]
        except KeyError:
            return None


def scopes_of(claims: dict[str, Any]) -> list[str] | None:
    scope = claims.get("scope")
    if isinstance(scope, str) and scope.strip():
        return scope.split()
    return None
