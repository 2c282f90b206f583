"""The console page's sign-in config: from the function's environment into the page and
its Content-Security-Policy."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from rendezvous.console import CONFIG_SLOT, SCRIPT_SLOT, STYLE_SLOT, CognitoConfig, assemble

TEMPLATE = (
    f"<style>{STYLE_SLOT}</style>"
    f'<script type="application/json" id="console-config">{CONFIG_SLOT}</script>'
    f"<script>{SCRIPT_SLOT}</script>"
)
AWS_ENV = {
    "COGNITO_REGION": "eu-west-3",
    "COGNITO_USER_POOL_ID": "eu-west-3_Ab12Cd34E",
    "COGNITO_CLIENT_ID": "4c7b2a4b155748d8b13e68e205",
    "COGNITO_ENDPOINT_URL": "",
    "COGNITO_AUTH_FLOW": "USER_SRP_AUTH",
}


def config_from(monkeypatch: pytest.MonkeyPatch, **changes: str) -> CognitoConfig:
    for name, value in {**AWS_ENV, **changes}.items():
        monkeypatch.setenv(name, value)
    return CognitoConfig.from_env()


def embedded(html: str) -> dict[str, str]:
    found = re.search(r'id="console-config">(.*?)</script>', html)
    assert found, html
    config: dict[str, str] = json.loads(found.group(1))
    return config


def test_in_aws_the_page_signs_in_with_srp_at_the_regions_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = assemble(TEMPLATE, "b{}", "go()", config_from(monkeypatch))

    assert embedded(page.html) == {
        "region": "eu-west-3",
        "userPoolId": "eu-west-3_Ab12Cd34E",
        "clientId": "4c7b2a4b155748d8b13e68e205",
        "endpoint": "https://cognito-idp.eu-west-3.amazonaws.com/",
        "authFlow": "USER_SRP_AUTH",
    }
    assert "connect-src 'self' https://cognito-idp.eu-west-3.amazonaws.com;" in (
        page.content_security_policy
    )


def test_locally_the_page_signs_in_with_a_password_at_moto(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = config_from(
        monkeypatch,
        COGNITO_REGION="us-east-1",
        COGNITO_USER_POOL_ID="us-east-1_40f8d61dc2d9449a",
        COGNITO_ENDPOINT_URL="http://127.0.0.1:37579",
        COGNITO_AUTH_FLOW="USER_PASSWORD_AUTH",
    )

    page = assemble(TEMPLATE, "b{}", "go()", config)

    assert embedded(page.html)["endpoint"] == "http://127.0.0.1:37579"
    assert embedded(page.html)["authFlow"] == "USER_PASSWORD_AUTH"
    assert "connect-src 'self' http://127.0.0.1:37579;" in page.content_security_policy


def test_the_flow_defaults_to_srp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COGNITO_AUTH_FLOW", raising=False)
    for name, value in AWS_ENV.items():
        if name != "COGNITO_AUTH_FLOW":
            monkeypatch.setenv(name, value)

    assert CognitoConfig.from_env().auth_flow == "USER_SRP_AUTH"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COGNITO_AUTH_FLOW", "ADMIN_NO_SRP_AUTH"),
        ("COGNITO_ENDPOINT_URL", "http://cognito.example.com/"),  # plain http off this machine
        ("COGNITO_ENDPOINT_URL", "javascript:alert(1)"),
        ("COGNITO_USER_POOL_ID", "eu-west-3 Ab12'; script-src *"),
        ("COGNITO_CLIENT_ID", ""),
    ],
)
def test_a_config_that_would_break_the_page_or_its_policy_is_refused_at_cold_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    with pytest.raises(ValidationError):
        config_from(monkeypatch, **{name: value})


def test_the_embedded_config_cannot_close_its_script_element() -> None:
    config = CognitoConfig(
        region="us-east-1",
        user_pool_id="us-east-1_Abc",
        client_id="abc",
        endpoint_url="http://127.0.0.1:1/</script><script>alert(1)</script>",
    )

    page = assemble(TEMPLATE, "b{}", "go()", config)

    assert page.html.count("</script>") == 2
    assert embedded(page.html)["endpoint"].endswith("</script><script>alert(1)</script>")
