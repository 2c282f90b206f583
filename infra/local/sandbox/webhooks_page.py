"""The page that shows what reached the sandbox's booking-system receivers, served with a
Content-Security-Policy that admits exactly its own inline style and script (by hash), as
the console is."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Page:
    html: str
    headers: dict[str, str]


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _inline(html: str, tag: str) -> str:
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
    if len(found) != 1:
        raise ValueError(f"the page must hold exactly one inline <{tag}>")
    return str(found[0])


@cache
def webhooks_page() -> Page:
    html = Path(__file__).with_name("webhooks.html").read_text("utf-8")
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_hash(_inline(html, 'script'))}",
            f"style-src {_hash(_inline(html, 'style'))}",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return Page(
        html,
        {
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
