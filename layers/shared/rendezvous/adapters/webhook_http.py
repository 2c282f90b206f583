"""WebhookPoster over urllib3: Standard Webhooks signing and an SSRF-safe POST.

The host is resolved once, every address it resolves to is checked with the same rule as
at registration (`url_problem`: DNS may have changed since), and the connection goes to the
checked address itself, with the name only as TLS SNI, certificate name and Host header:
the name is never resolved again, so a DNS answer that flips to a private address between
the check and the connection (rebinding) reaches nothing. Redirects are not followed, the
attempt has 10 seconds, and at most 4 KB of the answer is read.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.client import HTTPException
from urllib.parse import urlsplit

import urllib3.connection
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
        connection = self._connection(parts.scheme, addresses[0], port, host)
        # A socket timeout bounds each read, not the attempt: an endpoint that trickles its
        # answer a byte at a time would hold the deliverer for as long as it likes. At the
        # limit the socket is shut, which ends whatever read is waiting.
        cut = threading.Event()
        # The socket as soon as it is known: a response that closes its connection takes
        # the socket from the connection object while the body is still being read.
        sockets: list[socket.socket] = []
        limit = threading.Timer(self._timeout, _cut_off, (connection, sockets, cut))
        limit.start()
        try:
            connection.request(
                "POST",
                path,
                body=body.encode("utf-8"),
                headers=headers,
                preload_content=False,
                decode_content=False,
            )
            if connection.sock is not None:
                sockets.append(connection.sock)
            response = connection.getresponse()
            excerpt = response.read(self._max_response_bytes)
        except (HTTPError, HTTPException, OSError, ValueError) as exc:
            return outcome(None, "timed out" if cut.is_set() else _describe(exc))
        finally:
            limit.cancel()
            connection.close()
        if cut.is_set():  # what was read before the cut is not the whole answer
            return outcome(None, "timed out")
        text = excerpt.decode("utf-8", errors="replace")
        if 300 <= response.status < 400:
            return outcome(response.status, "redirect not followed", text)
        return outcome(response.status, None, text)

    def _connection(
        self, scheme: str, address: str, port: int, host: str
    ) -> urllib3.connection.HTTPConnection:
        # One connection, no pool: it follows no redirect and retries nothing by itself.
        if scheme == "https":
            return urllib3.connection.HTTPSConnection(
                address,
                port,
                timeout=self._timeout,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
            )
        return urllib3.connection.HTTPConnection(address, port, timeout=self._timeout)


def _cut_off(
    connection: urllib3.connection.HTTPConnection,
    sockets: list[socket.socket],
    cut: threading.Event,
) -> None:
    cut.set()
    sock = sockets[0] if sockets else connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            # The plain socket's shutdown, under TLS too: it wakes a reader blocked in recv
            # without touching the TLS state that reader is using.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _describe(error: Exception) -> str:
    """A short reason for the delivery log: never the URL's query or the body."""
    reason = getattr(error, "reason", None) or error
    names = f"{type(reason).__name__} {type(error).__name__}"
    if "Timeout" in names or "timed out" in str(error):
        return "timed out"
    if "SSL" in names or "Certificate" in names:
        return "TLS handshake failed"
    return f"connection failed ({type(reason).__name__})"
