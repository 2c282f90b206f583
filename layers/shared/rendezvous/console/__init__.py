"""The staff console: one self-contained HTML page, its style and script inlined.

The three files beside this module are package data. They are put together once per
container; the Content-Security-Policy allows exactly the inline style and script it holds
(by their SHA-256 hashes), nothing from anywhere else, and only the API of the same origin.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

STYLE_SLOT = "{{console.css}}"
SCRIPT_SLOT = "{{console.js}}"


@dataclass(frozen=True)
class ConsolePage:
    html: str
    content_security_policy: str


def _source_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(style: str, script: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {_source_hash(script)}",
            f"style-src {_source_hash(style)}",
            "connect-src 'self'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


def assemble(template: str, style: str, script: str) -> ConsolePage:
    """The page with its style and script in place, and the policy that admits just them."""
    for slot in (STYLE_SLOT, SCRIPT_SLOT):
        if template.count(slot) != 1:
            raise ValueError(f"the page template must hold {slot} exactly once")
    if "</style" in style.lower() or "</script" in script.lower():
        raise ValueError("the inlined style or script would close its own element")
    html = template.replace(STYLE_SLOT, style).replace(SCRIPT_SLOT, script)
    return ConsolePage(html=html, content_security_policy=content_security_policy(style, script))


@cache
def console_page() -> ConsolePage:
    """Read and assembled once per container."""
    package = files(__name__)
    return assemble(
        (package / "page.html").read_text("utf-8"),
        (package / "console.css").read_text("utf-8"),
        (package / "console.js").read_text("utf-8"),
    )
