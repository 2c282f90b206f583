"""The template's JWT authorizers, stood in for locally: tokens signed here, checked here.

API Gateway (HTTP API) checks the token's signature, `iss`, `aud` (or `client_id`), `exp`
and `nbf` before the function runs; a missing or bad token is a 401 the function never
sees. What the function gets is `requestContext.authorizer.jwt.claims` with every value
flattened to a string (an array claim such as `cognito:groups` arrives as "[staff]"), and
`scopes` from the `scope` claim (null for Cognito ID tokens).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from infra.template import Resolver, resources_of

ALGORITHM = "HS256"


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


class LocalJwt:
    """Signs and verifies tokens with a secret made for this run (HS256)."""

    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret or secrets.token_urlsafe(32)

    def issue(
        self, authorizer: JwtAuthorizer, claims: dict[str, Any], lifetime_seconds: int
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": authorizer.issuer,
            "aud": authorizer.audience[0] if authorizer.audience else "",
            "iat": now,
            "auth_time": now,
            "exp": now + lifetime_seconds,
            "token_use": "id",
            "jti": secrets.token_hex(8),
            **claims,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify(self, authorizer: JwtAuthorizer, header_value: str | None) -> dict[str, Any] | None:
        """The token's claims, or None when API Gateway would answer 401."""
        if not header_value:
            return None
        token = header_value.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=authorizer.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
            )
        except jwt.PyJWTError:
            return None
        audience = claims.get("aud", claims.get("client_id"))
        given = audience if isinstance(audience, list) else [audience]
        if authorizer.audience and not set(authorizer.audience) & {str(a) for a in given}:
            return None
        return claims


def scopes_of(claims: dict[str, Any]) -> list[str] | None:
    scope = claims.get("scope")
    if isinstance(scope, str) and scope.strip():
        return scope.split()
    return None
