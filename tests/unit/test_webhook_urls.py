"""The URL rules of CONTRACT.md (Outbound webhooks), as url_problem applies them to a URL
and the addresses its host resolves to: https to a public address, no credentials, and
every way of writing a non-public address refused."""

from __future__ import annotations

import base64

import pytest

from rendezvous.domain.webhooks import new_secret, url_host, url_problem

PUBLIC = ["93.184.215.14"]


@pytest.mark.parametrize(
    ("url", "resolved"),
    [
        ("https://hooks.example.com/rendezvous", PUBLIC),
        ("https://HOOKS.Example.COM/path?x=1", PUBLIC),
        ("https://hooks.example.com:8443/in", PUBLIC),
        ("https://hooks.example.com./in", PUBLIC),
        ("https://203.0.113.7.nip.io/", PUBLIC),
        ("https://93.184.215.14/hook", []),
        ("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook", []),
        ("https://hooks.example.com/", ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", *PUBLIC]),
        # 6to4 of a public IPv4 address leads to that address.
        ("https://[2002:5db8:d70e::1]/", []),
    ],
)
def test_https_to_a_public_address_is_accepted(url: str, resolved: list[str]) -> None:
    assert url_problem(url, resolved) is None


@pytest.mark.parametrize(
    ("url", "resolved", "says"),
    [
        # Schemes and shape.
        ("http://hooks.example.com/", PUBLIC, "https://"),
        ("ftp://hooks.example.com/", PUBLIC, "https://"),
        ("javascript:alert(1)", [], "https://"),
        ("hooks.example.com/in", PUBLIC, "https://"),
        ("https:///path-only", [], "no host"),
        ("https://hooks.example.com/in#part", PUBLIC, "fragment"),
        ("https://hooks.example.com/a b", PUBLIC, "without spaces"),
        ("https://hooks.exämple.com/", PUBLIC, "xn--"),
        ("https://" + "a" * 2048 + ".com/", PUBLIC, "at most 2048"),
        # Credentials, however they are written.
        ("https://user:pass@hooks.example.com/", PUBLIC, "credentials"),
        ("https://user@hooks.example.com/", PUBLIC, "credentials"),
        ("https://hooks.example.com:443@evil.example.net/", PUBLIC, "credentials"),
        # Ports.
        ("https://hooks.example.com:0/", PUBLIC, "port"),
        ("https://hooks.example.com:65536/", PUBLIC, "port"),
        ("https://hooks.example.com:http/", PUBLIC, "port"),
        # Loopback and private, as literals and as what a name resolves to.
        ("https://127.0.0.1/", [], "loopback"),
        ("https://127.8.9.10/", [], "loopback"),
        ("https://[::1]/", [], "loopback"),
        ("https://10.1.2.3/", [], "private"),
        ("https://172.16.0.1/", [], "private"),
        ("https://192.168.1.20/", [], "private"),
        ("https://[fd12:3456::1]/", [], "private"),
        ("https://hooks.example.com/", ["10.0.0.8"], "resolves to 10.0.0.8, a private"),
        ("https://hooks.example.com/", [*PUBLIC, "127.0.0.1"], "loopback"),
        ("https://hooks.example.com/", ["fe80::1%eth0"], "link-local"),
        # Metadata, link-local, CGNAT, multicast, reserved, unspecified.
        ("https://169.254.169.254/latest/meta-data/", [], "cloud metadata"),
        ("https://[fd00:ec2::254]/", [], "cloud metadata"),
        ("https://169.254.170.2/v2/credentials", [], "cloud metadata"),
        ("https://169.254.10.10/", [], "link-local"),
        ("https://[fe80::1]/", [], "link-local"),
        ("https://100.64.0.1/", [], "carrier-grade NAT"),
        ("https://100.127.255.254/", [], "carrier-grade NAT"),
        ("https://224.0.0.251/", [], "multicast"),
        ("https://[ff02::1]/", [], "multicast"),
        ("https://240.0.0.1/", [], "reserved"),
        ("https://0.0.0.0/", [], "unspecified"),
        ("https://[::]/", [], "unspecified"),
        ("https://198.18.0.1/", [], "private"),
        # IPv4 hidden in IPv6: mapped, NAT64, 6to4.
        ("https://[::ffff:127.0.0.1]/", [], "loopback (it leads to 127.0.0.1)"),
        ("https://[::ffff:a9fe:a9fe]/", [], "cloud metadata (it leads to 169.254.169.254)"),
        ("https://[64:ff9b::a9fe:a9fe]/", [], "it leads to 169.254.169.254"),
        ("https://[2002:7f00:1::]/", [], "loopback (it leads to 127.0.0.1)"),
        ("https://hooks.example.com/", ["::ffff:10.0.0.1"], "private (it leads to 10.0.0.1)"),
        # IPv4 written as resolvers read it but people do not: refused as written.
        ("https://2130706433/", [], "four decimal numbers"),
        ("https://017700000001/", [], "four decimal numbers"),
        ("https://0x7f000001/", ["127.0.0.1"], "four decimal numbers"),
        ("https://0177.0.0.1/", [], "four decimal numbers"),
        ("https://0x7f.0.0.1/", [], "four decimal numbers"),
        ("https://127.1/", [], "four decimal numbers"),
        ("https://127.000.000.001/", [], "four decimal numbers"),
        # Names that never lead to a public host.
        ("https://localhost/", ["127.0.0.1"], "fully qualified"),
        ("https://intranet/", ["93.184.215.14"], "fully qualified"),
        ("https://api.localhost/", ["127.0.0.1"], "special-use"),
        ("https://metadata.google.internal/", ["169.254.169.254"], "special-use"),
        ("https://printer.local/", [], "special-use"),
        ("https://-bad-.example.com/", PUBLIC, "not a valid DNS name"),
        ("https://under_score.example.com/", PUBLIC, "not a valid DNS name"),
        # A name that does not resolve, or into something that is not an address.
        ("https://nowhere.example.com/", [], "does not resolve"),
        ("https://hooks.example.com/", ["not-an-ip"], "not an IP address"),
    ],
)
def test_a_url_breaking_a_rule_is_refused_saying_which(
    url: str, resolved: list[str], says: str
) -> None:
    problem = url_problem(url, resolved)

    assert problem is not None
    assert says in problem


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:4010/sandbox/webhooks/clinic", "https://127.0.0.1:8443/in"]
)
def test_the_local_stack_alone_accepts_127_0_0_1(url: str) -> None:
    assert url_problem(url, [], allow_loopback=True) is None
    assert url_problem(url, []) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:4010/",
        "http://[::1]:4010/",
        "http://10.0.0.1:4010/",
        "http://2130706433:4010/",
        "http://user:pw@127.0.0.1:4010/",
    ],
)
def test_allowing_loopback_accepts_nothing_but_127_0_0_1(url: str) -> None:
    assert url_problem(url, ["127.0.0.1"], allow_loopback=True) is not None


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Hooks.Example.com:8443/x", "hooks.example.com"),
        ("https://93.184.215.14/", None),
        ("https://[::1]/", None),
        ("https://hooks.example.com:99999/", "hooks.example.com"),
        ("https://[::1/", None),
    ],
)
def test_only_a_host_name_needs_resolving(url: str, host: str | None) -> None:
    assert url_host(url) == host


def test_a_secret_is_standard_webhooks_whsec_and_24_random_bytes() -> None:
    first, second = new_secret(), new_secret()

    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 24
    assert first != second
