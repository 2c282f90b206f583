"""The staff console: one self-contained HTML page, its style and script inlined.

The files beside this module are package data. They are put together once per container;
the Content-Security-Policy allows exactly the inline style and script it holds (by their
SHA-256 hashes), nothing from anywhere else, and connections only to the API of the same
origin and to the Cognito endpoint the page signs in against.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

STYLE_SLOT = "{{console.css}}"
SCRIPT_SLOT = "{{console.js}}"
CONFIG_SLOT = "{{console.config}}"
# One inline script, in this order: the Cognito client (SRP and the JSON API), the words
# (i18n.js: I18N, t, setLocale), the shell and queue (console.js: RV), then the views
# built on RV (desk.js: the day view, manage.js: the managers' pages, fill.js: the waitlist
# and openings, results.js: the figures, experiments and the tune-out banner).
SCRIPT_FILES = (
    "cognito.js",
    "i18n.js",
    "console.js",
    "desk.js",
    "manage.js",
    "fill.js",
    "results.js",
)


class CognitoConfig(BaseModel):
    """Where and how the page signs in, from the console function's environment."""

    model_config = ConfigDict(frozen=True)

    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    user_pool_id: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$")
    client_id: str = Field(pattern=r"^[A-Za-z0-9]+$")
    # Empty in AWS: the region's public endpoint. The local stack points it at moto.
    endpoint_url: str = ""
    # USER_SRP_AUTH in AWS (the password never leaves the page); moto checks no SRP
    # signature, so locally the page sends the password (USER_PASSWORD_AUTH) to moto.
    auth_flow: Literal["USER_SRP_AUTH", "USER_PASSWORD_AUTH"] = "USER_SRP_AUTH"

    @field_validator("endpoint_url")
    @classmethod
    def _an_origin_to_post_to(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("must be https except on this machine")
        return value

    @property
    def endpoint(self) -> str:
        return self.endpoint_url or f"https://cognito-idp.{self.region}.amazonaws.com/"

    @property
    def endpoint_origin(self) -> str:
        parts = urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def from_env(cls) -> CognitoConfig:
        fields = {name: os.environ.get(f"COGNITO_{name.upper()}") for name in cls.model_fields}
        return cls.model_validate({k: v for k, v in fields.items() if v not in (None, "")})

    def page_json(self) -> str:
        """What the page reads, safe inside a <script> element (no '<', '>' or '&')."""
        text = json.dumps(
            {
                "region": self.region,
                "userPoolId": self.user_pool_id,
                "clientId": self.client_id,
                "endpoint": self.endpoint,
                "authFlow": self.auth_flow,
            },
            separators=(",", ":"),
        )
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass(frozen=True)
class ConsolePage:
    html: str
    content_security_policy: str


def _source_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(style: str, script: str, cognito_origin: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            # The config is a data block (type application/json): never run, so no hash.
            f"script-src {_source_hash(script)}",
            f"style-src {_source_hash(style)}",
            f"connect-src 'self' {cognito_origin}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


def assemble(template: str, style: str, script: str, cognito: CognitoConfig) -> ConsolePage:
    """The page with its style, script and sign-in config in place, and the policy that
    admits just them."""
    for slot in (STYLE_SLOT, SCRIPT_SLOT, CONFIG_SLOT):
        if template.count(slot) != 1:
            raise ValueError(f"the page template must hold {slot} exactly once")
    if "</style" in style.lower() or "</script" in script.lower():
        raise ValueError("the inlined style or script would close its own element")
    html = (
        template.replace(STYLE_SLOT, style)
        .replace(CONFIG_SLOT, cognito.page_json())
        .replace(SCRIPT_SLOT, script)
    )
    return ConsolePage(
        html=html,
        content_security_policy=content_security_policy(style, script, cognito.endpoint_origin),
    )


@cache
def console_page() -> ConsolePage:
    """Read, configured from the environment and assembled once per container."""
    package = files(__name__)
    return assemble(
        (package / "page.html").read_text("utf-8"),
        (package / "console.css").read_text("utf-8"),
        "\n".join((package / name).read_text("utf-8") for name in SCRIPT_FILES),
        CognitoConfig.from_env(),
    )
