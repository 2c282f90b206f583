"""The gateway's backoff in AWS is the gateway's own; only the local stack shortens it."""

from __future__ import annotations

import inspect

from infra.template import load_template, resources_of
from rendezvous.adapters.twilio_gateway import TwilioSmsGateway
from rendezvous.settings import Settings


def test_without_the_variable_the_backoff_is_the_gateways_default() -> None:
    default = inspect.signature(TwilioSmsGateway).parameters["backoff_seconds"].default

    assert Settings(table_name="t").twilio_backoff_seconds == default


def test_no_function_in_the_template_sets_the_backoff() -> None:
    template = load_template()
    environments = [template.get("Globals", {}).get("Function", {}).get("Environment", {})]
    environments += [
        function["Properties"].get("Environment", {})
        for function in resources_of(template, "AWS::Serverless::Function").values()
    ]
    variables = [name for environment in environments for name in environment.get("Variables", {})]

    assert variables, "the template's functions read no environment at all?"
    assert "TWILIO_BACKOFF_SECONDS" not in variables
