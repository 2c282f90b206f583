"""WebhookPoster over urllib3: Standard Webhooks signing and an SSRF-safe POST.

The host is resolved once, every address it resolves to is checked with the same rule as
at registration (`url_problem`: DNS may have changed since), and the connection goes to the
checked address itself, with the name only as TLS SNI, certificate name and Host header:
the name is never resolved again, so a DNS answer that flips to a private address between
the check and the connection (rebinding) reaches nothing. Redirects are not followed, the
attempt has 10 seconds, and at most 4 KB of the answer is read.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import urllib3
from standardwebhooks import Webhook
from urllib3.exceptions import HTTPError

from rendezvous.domain.ports import PostOutcome
from rendezvous.domain.webhooks import url_problem

USER_AGENT = "Rendezvous-Webhooks/1"
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 4096


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the name resolves to, in the resolver's order, without repeats."""
    found: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in found:
            found.append(address)
    return found


def wall_clock() -> datetime:
    return datetime.now(UTC)


def signed_headers(secret: str, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers, signed by the `standardwebhooks` library."""
    at = at.astimezone(UTC).replace(microsecond=0)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


class HttpWebhookPoster:
    def __init__(
        self,
        *,
        allow_loopback: bool,
        resolve: Callable[[str, int], list[str]] = resolve_host,
        timeout_seconds: float = TIMEOUT_SECONDS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        signing_clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self._allow_loopback = allow_loopback
        self._resolve = resolve
        self._timeout = timeout_seconds
        self._max_response_bytes = max_response_bytes
        # Receivers check `webhook-timestamp` against their own clock (5 minutes' tolerance
        # in the library), so it is the wall clock's even where the domain's clock is
        # virtual (the local stack).
        self._signing_clock = signing_clock

    def post(self, url: str, webhook_id: str, body: str, secret: str) -> PostOutcome:
        started = time.monotonic()

        def outcome(status: int | None, error: str | None, excerpt: str = "") -> PostOutcome:
            elapsed = round((time.monotonic() - started) * 1000)
            return PostOutcome(status, elapsed, error, excerpt)

        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            addresses = self._resolve(host, port) if host else []
        except (OSError, ValueError, UnicodeError) as exc:
            return outcome(None, f"the host does not resolve ({type(exc).__name__})")
        problem = url_problem(url, addresses, self._allow_loopback)
        if problem is not None:
            return outcome(None, f"refused: {problem}")
        headers = {
            **signed_headers(secret, webhook_id, body, self._signing_clock()),
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Host": parts.netloc.rsplit("@", 1)[-1],
        }
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pool = self._pool(parts.scheme, addresses[0], port, host)
        try:
            response = pool.urlopen(
                "POST",
                path,
                body=body.encode("utf-8"),
                headers=headers,
                retries=False,
                redirect=False,
                preload_content=False,
                assert_same_host=False,
                timeout=urllib3.Timeout(total=self._timeout),
            )
            try:
                excerpt = response.read(self._max_response_bytes)
            finally:
                response.release_conn()
        except HTTPError as exc:
            return outcome(None, _describe(exc))
        finally:
            pool.close()
        text = excerpt.decode("utf-8", errors="replace")
        if 300 <= response.status < 400:
            return outcome(response.status, "redirect not followed", text)
        return outcome(response.status, None, text)

    def _pool(self, scheme: str, address: str, port: int, host: str) -> urllib3.HTTPConnectionPool:
        if scheme == "https":
            return urllib3.HTTPSConnectionPool(
                address,
                port,
                maxsize=1,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
            )
        return urllib3.HTTPConnectionPool(address, port, maxsize=1)


def _describe(error: HTTPError) -> str:
    """A short reason for the delivery log: never the URL's query or the body."""
    reason = getattr(error, "reason", None) or error
    name = type(reason).__name__
    if "Timeout" in name or "Timeout" in type(error).__name__:
        return "timed out"
    if "SSL" in name or "SSL" in type(error).__name__:
        return "TLS handshake failed"
    return f"connection failed ({name})"
