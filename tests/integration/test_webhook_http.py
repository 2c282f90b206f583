"""The HTTP adapter against a real server on loopback: what it sends verifies with the
`standardwebhooks` library, and it keeps the SSRF rules (no redirect, 10 s, 4 KB, the
checked address pinned)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from werkzeug import Request, Response

from rendezvous.adapters import webhook_http
from rendezvous.adapters.webhook_http import HttpWebhookPoster, signed_headers

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = '{"type":"appointment.confirmed","timestamp":"2026-11-27T09:00:00Z","data":{"n":"café"}}'


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    with HTTPServer(host="127.0.0.1", port=0) as httpserver:
        yield httpserver


def loopback_poster(**kwargs: object) -> HttpWebhookPoster:
    return HttpWebhookPoster(allow_loopback=True, **kwargs)  # type: ignore[arg-type]


def test_what_it_sends_is_verified_by_standardwebhooks(server: HTTPServer) -> None:
    server.expect_oneshot_request("/hooks", method="POST").respond_with_data("ok", status=204)

    outcome = loopback_poster().post(server.url_for("/hooks"), "evt_1", BODY, SECRET)

    ((request, _),) = server.log
    assert outcome.delivered
    assert outcome.status_code == 204
    assert Webhook(SECRET).verify(request.get_data(), dict(request.headers)) == {
        "type": "appointment.confirmed",
        "timestamp": "2026-11-27T09:00:00Z",
        "data": {"n": "café"},
    }
    assert request.headers["webhook-id"] == "evt_1"
    assert request.headers["Content-Type"] == "application/json"


def test_a_signature_made_with_another_secret_is_refused_by_the_library() -> None:
    headers = signed_headers(
        "whsec_" + "b3RoZXJzZWNyZXRvdGhlcnNlY3JldA==", "evt_1", BODY, datetime.now(UTC)
    )

    with pytest.raises(Exception, match="No matching signature"):
        Webhook(SECRET).verify(BODY, headers)


def test_a_redirect_is_not_followed(server: HTTPServer) -> None:
    server.expect_request("/hooks").respond_with_response(
        Response(status=302, headers={"Location": server.url_for("/elsewhere")})
    )
    server.expect_request("/elsewhere").respond_with_data("reached")

    outcome = loopback_poster().post(server.url_for("/hooks"), "evt_1", BODY, SECRET)

    assert (outcome.status_code, outcome.error, outcome.delivered) == (
        302,
        "redirect not followed",
        False,
    )
    assert [r.path for r, _ in server.log] == ["/hooks"]


def test_at_most_4_kb_of_the_answer_is_read(server: HTTPServer) -> None:
    server.expect_request("/hooks").respond_with_data("x" * 200_000, status=500)

    outcome = loopback_poster().post(server.url_for("/hooks"), "evt_1", BODY, SECRET)

    assert outcome.status_code == 500
    assert len(outcome.response_excerpt) == 4096


def test_a_slow_endpoint_times_out(server: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("late")

    server.expect_request("/hooks").respond_with_handler(slow)

    outcome = loopback_poster(timeout_seconds=0.3).post(
        server.url_for("/hooks"), "evt_1", BODY, SECRET
    )

    assert (outcome.status_code, outcome.error) == (None, "timed out")
    assert outcome.duration_ms < 1200


def test_loopback_is_refused_without_a_connection_outside_the_local_stack(
    server: HTTPServer,
) -> None:
    outcome = HttpWebhookPoster(allow_loopback=False).post(
        server.url_for("/hooks"), "evt_1", BODY, SECRET
    )

    assert outcome.status_code is None
    assert outcome.error is not None
    assert outcome.error.startswith("refused: ")
    assert server.log == []


@pytest.mark.parametrize("address", ["10.0.0.7", "169.254.169.254", "100.64.0.1", "fd00:ec2::254"])
def test_a_name_that_now_resolves_to_a_private_address_is_refused(address: str) -> None:
    poster = HttpWebhookPoster(allow_loopback=False, resolve=lambda host, port: [address])

    outcome = poster.post("https://crm.example/hooks", "evt_1", BODY, SECRET)

    assert outcome.status_code is None
    assert outcome.error is not None
    assert outcome.error.startswith("refused: ")


def test_the_name_is_resolved_once_and_the_checked_address_is_the_one_connected(
    server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Let the test's http name through the URL rule: what is pinned is the point here.
    monkeypatch.setattr(webhook_http, "url_problem", lambda url, addresses, allow: None)
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["10.0.0.7"]

    server.expect_request("/hooks").respond_with_data("ok")
    url = f"http://crm.example:{server.port}/hooks"

    outcome = HttpWebhookPoster(allow_loopback=False, resolve=rebinding).post(
        url, "evt_1", BODY, SECRET
    )

    ((request, _),) = server.log
    assert outcome.delivered
    assert lookups == ["crm.example"]
    assert request.headers["Host"] == f"crm.example:{server.port}"


def _certificate(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate for crm.example it signed: (ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "crm.example")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("crm.example")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = (tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def test_https_to_the_pinned_address_sends_the_name_as_sni_and_checks_its_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca, cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the client trusts the test CA alone
    monkeypatch.setattr(webhook_http, "url_problem", lambda url, addresses, allow: None)
    with HTTPServer(host="127.0.0.1", port=0, ssl_context=context) as server:
        server.expect_request("/hooks").respond_with_data("ok")
        resolved = HttpWebhookPoster(allow_loopback=False, resolve=lambda host, port: ["127.0.0.1"])
        right = resolved.post(f"https://crm.example:{server.port}/hooks", "evt_1", BODY, SECRET)
        wrong_name = resolved.post(f"https://other.example:{server.port}/hooks", "e", BODY, SECRET)

    assert right.status_code == 200
    assert names[0] == "crm.example"
    assert (wrong_name.status_code, wrong_name.error) == (None, "TLS handshake failed")


def test_an_endpoint_that_trickles_its_answer_is_cut_off_at_the_time_limit(
    server: HTTPServer,
) -> None:
    def trickle(request: Request) -> Response:
        def drops() -> Iterator[bytes]:
            for _ in range(30):  # 3 s in all, each byte well inside the limit
                time.sleep(0.1)
                yield b"."

        return Response(drops(), status=200)

    server.expect_request("/hooks").respond_with_handler(trickle)

    outcome = loopback_poster(timeout_seconds=0.5).post(
        server.url_for("/hooks"), "evt_1", BODY, SECRET
    )

    assert outcome.duration_ms < 1500
    assert (outcome.error, outcome.delivered) == ("timed out", False)
