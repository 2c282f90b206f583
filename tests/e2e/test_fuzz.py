"""Schemathesis against the running local stack, from the document it serves.

Every operation of GET /v1/openapi.json gets valid and invalid requests (bounded in
examples and in time), authenticated as the clinic's staff; Twilio's webhooks are signed
with the stack's auth token so the fuzz reaches past the signature. The totals (requests,
server errors, responses that do not match the document) are printed (`-s`); the test
asserts there are no server errors and no mismatches.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from twilio.request_validator import RequestValidator

from tests.e2e.conftest import Api
from tests.support.local_stack import LocalStackProcess, Tenant

EXAMPLES_PER_MODE = 20  # per operation and mode: 2 x 18 operations x 20, some 650 requests
TIME_BUDGET_SECONDS = 60.0
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class Tally:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def summary(self, seconds: float) -> str:
        return (
            f"schemathesis fuzz: {self.requests} requests in {seconds:.1f} s, "
            f"{len(self.server_errors)} server errors (5xx), "
            f"{len(self.mismatches)} responses not matching the document; "
            f"statuses {dict(sorted(self.statuses.items()))}"
        )


def _signed_if_twilio(case: schemathesis.Case[Any], stack: LocalStackProcess) -> dict[str, str]:
    if not case.path.startswith("/twilio/") or not isinstance(case.body, dict):
        return {}
    form = {str(k): str(v) for k, v in case.body.items()}
    # Generated identifiers are well formed but not ours: make a share of them ours, so the
    # fuzz also reaches what follows the account check.
    if "AccountSid" in form and len(form) % 2:
        form["AccountSid"] = stack.credentials["account_sid"]
        for legacy in ("SmsSid", "SmsMessageSid"):
            if legacy in form and "MessageSid" in form:
                form[legacy] = form["MessageSid"]
    case.body = dict(form)
    signature = RequestValidator(stack.credentials["auth_token"]).compute_signature(
        stack.url(case.formatted_path), form
    )
    return {"X-Twilio-Signature": signature}


def test_no_input_gets_a_server_error_and_every_answer_matches_the_document(
    stack: LocalStackProcess, api: Api, clinic: Tenant
) -> None:
    document = api.request("GET", "/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    tally = Tally()
    started = time.monotonic()

    def exercise(case: schemathesis.Case[Any]) -> None:
        if time.monotonic() - started > TIME_BUDGET_SECONDS:
            return
        # A manager's token: the widest role reaches every route's code.
        headers = {"Authorization": f"Bearer {clinic.manager_token}"}
        headers.update(_signed_if_twilio(case, stack))
        response = case.call(base_url=stack.api_base_url, headers=headers, timeout=10)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        if response.status_code >= 500:
            tally.server_errors.append(f"{where}: {response.text[:200]}")
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as failure:  # one or several failed checks
            tally.mismatches.append(f"{where}: {str(failure)[:300]}")

    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the served document is not usable: {result}"
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            run = settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(given(case=operation.as_strategy(generation_mode=mode))(exercise))
            try:
                run()
            except Unsatisfiable:
                # No parameter or body to make invalid (GET /v1/status, say): nothing to send.
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label

    seconds = time.monotonic() - started
    summary = tally.summary(seconds)
    print(f"\n{summary}")  # shown with -s, and in the report of a failing test
    assert tally.requests >= 100, summary
    assert tally.server_errors == [], "\n".join([summary, *tally.server_errors[:5]])
    assert tally.mismatches == [], "\n".join([summary, *tally.mismatches[:5]])
