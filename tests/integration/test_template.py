"""template.yaml: valid SAM, linted, and holding the promises the README makes about it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.template import ROOT, http_routes, load_template, resources_of
from rendezvous.adapters.dynamodb.events import EVENT_KIND
from rendezvous.domain.activity import FillVia
from rendezvous.domain.vacancy import OpeningSource
from tests.support.metric_names import emitted_metric_names

TEMPLATE = load_template()
FUNCTIONS = resources_of(TEMPLATE, "AWS::Serverless::Function")


def test_sam_validate_lint_passes() -> None:
    sam = shutil.which("sam", path=str(Path(sys.executable).parent))
    assert sam is not None, "aws-sam-cli is a dev dependency"
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}

    result = subprocess.run(
        [sam, "validate", "--lint", "--template-file", str(ROOT / "template.yaml")],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_functions_run_python_3_13_on_arm64() -> None:
    function_globals = TEMPLATE["Globals"]["Function"]

    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    for name, fn in FUNCTIONS.items():
        assert "Runtime" not in fn["Properties"], f"{name} overrides the runtime"


def test_snapstart_is_offered_for_the_inbound_webhook_and_staff_api_off_by_default() -> None:
    parameter = TEMPLATE["Parameters"]["EnableSnapStart"]
    snapstart = {name: fn["Properties"].get("SnapStart") for name, fn in FUNCTIONS.items()}

    assert parameter["Default"] == "false"
    assert TEMPLATE["Conditions"]["SnapStartEnabled"] == {
        "Fn::Equals": [{"Ref": "EnableSnapStart"}, "true"]
    }
    # A snapshot is taken of a published version: both publish one and serve it by alias.
    assert {name for name, s in snapstart.items() if s} == {
        "TwilioInboundFunction",
        "StaffApiFunction",
    }
    for name in ("TwilioInboundFunction", "StaffApiFunction"):
        props = FUNCTIONS[name]["Properties"]
        assert props["AutoPublishAlias"] == "live"
        assert props["SnapStart"]["ApplyOn"] == {
            "Fn::If": ["SnapStartEnabled", "PublishedVersions", "None"]
        }


@pytest.mark.parametrize("name", sorted(resources_of(TEMPLATE, "AWS::DynamoDB::Table")))
def test_tables_are_on_demand_with_recovery_and_expiry(name: str) -> None:
    props = TEMPLATE["Resources"][name]["Properties"]

    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"]["Enabled"] is True


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_a_log_group_with_retention(name: str) -> None:
    props = FUNCTIONS[name]["Properties"]
    fixed_name = props.get("FunctionName", {}).get("Fn::Sub")
    expected = {f"/aws/lambda/${{{name}}}", f"/aws/lambda/{fixed_name}"}
    groups = [
        g["Properties"]
        for g in resources_of(TEMPLATE, "AWS::Logs::LogGroup").values()
        if isinstance(g["Properties"].get("LogGroupName"), dict)
    ]

    matching = [g for g in groups if g["LogGroupName"]["Fn::Sub"] in expected]
    assert len(matching) == 1, f"{name} needs exactly one log group"
    assert matching[0]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_every_queue_that_can_fail_has_a_dead_letter_queue() -> None:
    sender = FUNCTIONS["MessageSenderFunction"]["Properties"]
    queues = resources_of(TEMPLATE, "AWS::SQS::Queue")

    assert sender["DeadLetterQueue"]["Type"] == "SQS"
    assert "RedrivePolicy" in queues["OutboundQueue"]["Properties"]


def test_the_sender_knows_its_last_attempt_from_the_queues_own_redrive_policy() -> None:
    policy = resources_of(TEMPLATE, "AWS::SQS::Queue")["OutboundQueue"]["Properties"][
        "RedrivePolicy"
    ]
    env = FUNCTIONS["MessageSenderFunction"]["Properties"]["Environment"]["Variables"]

    assert int(env["OUTBOUND_MAX_RECEIVE_COUNT"]) == int(policy["maxReceiveCount"])
    assert policy["deadLetterTargetArn"] == {"Fn::GetAtt": ["OutboundDeadLetterQueue", "Arn"]}


def test_reminder_schedules_target_the_outbound_queue_and_may_send_to_it() -> None:
    role = resources_of(TEMPLATE, "AWS::IAM::Role")["SchedulerInvokeRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    send = next(s for s in statements if s["Action"] == "sqs:SendMessage")

    for name in ("AppointmentsFunction", "TwilioInboundFunction", "MessageSenderFunction"):
        env = FUNCTIONS[name]["Properties"]["Environment"]["Variables"]
        assert env["SCHEDULE_TARGET_ARN"] == {"Fn::GetAtt": ["OutboundQueue", "Arn"]}
    assert {"Fn::GetAtt": ["OutboundQueue", "Arn"]} in send["Resource"]


def test_policies_are_scoped_to_resources_never_star() -> None:
    def walk(node: Any) -> list[Any]:
        if isinstance(node, dict):
            found = [node["Resource"]] if "Resource" in node else []
            # A key policy's "*" is the key it is attached to, the only form KMS accepts.
            return found + [r for k, v in node.items() if k != "KeyPolicy" for r in walk(v)]
        if isinstance(node, list):
            return [r for v in node for r in walk(v)]
        return []

    resources = walk(TEMPLATE["Resources"])
    assert resources, "the template declares statements with resources"
    assert "*" not in resources


def test_the_twilio_token_is_read_from_ssm_not_the_template() -> None:
    env = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]

    assert "TWILIO_AUTH_TOKEN" not in env
    assert env["TWILIO_AUTH_TOKEN_PARAM"] == {"Ref": "TwilioAuthTokenParameterName"}


def test_only_signed_webhooks_the_console_page_and_the_api_document_are_open() -> None:
    routes = http_routes(TEMPLATE)

    # Twilio's and Cal.com's webhooks are checked by signature in the function; the console
    # page is static and calls the API with the staff member's token; the OpenAPI document
    # is public.
    assert {r.path for r in routes if not r.authorized} == {
        *(r.path for r in routes if r.path.startswith("/twilio/")),
        "/integrations/calcom/{integration_id}",
        "/console",
        "/v1/openapi.json",
    }
    assert all(r.authorized for r in routes if r.path.startswith("/v1/") and r.method != "GET")
    assert all(r.authorized for r in routes if r.path.startswith("/fhir/"))


def test_integration_secrets_are_sealed_with_the_template_key_only() -> None:
    integrations = TEMPLATE["Resources"]["IntegrationsFunction"]["Properties"]
    statements = [s for p in integrations["Policies"] for s in p.get("Statement", [])]
    kms = [s for s in statements if any(a.startswith("kms:") for a in s["Action"])]

    assert kms == [
        {
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": {"Fn::GetAtt": ["WebhookSecretsKey", "Arn"]},
            "Condition": {"Null": {"kms:EncryptionContext:integration_id": "false"}},
        }
    ]
    env = integrations["Environment"]["Variables"]
    assert env["WEBHOOK_SECRETS_KEY_ID"] == {"Ref": "WebhookSecretsKey"}


COGNITO_CLIENTS = resources_of(TEMPLATE, "AWS::Cognito::UserPoolClient")


def test_the_roles_are_cognito_groups_of_the_one_user_pool() -> None:
    groups = resources_of(TEMPLATE, "AWS::Cognito::UserPoolGroup").values()

    assert sorted(g["Properties"]["GroupName"] for g in groups) == ["booking", "manager", "staff"]
    assert all(g["Properties"]["UserPoolId"] == {"Ref": "UserPool"} for g in groups)
    by_precedence = sorted(groups, key=lambda g: g["Properties"]["Precedence"])
    assert [g["Properties"]["GroupName"] for g in by_precedence] == ["manager", "staff", "booking"]


def test_the_console_client_is_public_and_signs_people_in_with_srp() -> None:
    console = COGNITO_CLIENTS["UserPoolClient"]["Properties"]

    assert console["GenerateSecret"] is False
    assert sorted(console["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert console["EnableTokenRevocation"] is True
    assert "custom:tenant_id" in console["ReadAttributes"]
    # The e-mail names a person in "claimed by" and the audit log: its owner may not rewrite it.
    assert console["WriteAttributes"] == []


def test_booking_systems_sign_in_through_their_own_client_with_a_secret() -> None:
    booking = COGNITO_CLIENTS["BookingClient"]["Properties"]

    assert booking["GenerateSecret"] is True
    assert sorted(booking["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
    ]
    assert "custom:tenant_id" in booking["ReadAttributes"]
    assert booking["WriteAttributes"] == []


@pytest.mark.parametrize("name", sorted(COGNITO_CLIENTS))
def test_tokens_live_an_hour_and_refresh_for_thirty_days(name: str) -> None:
    props = COGNITO_CLIENTS[name]["Properties"]

    assert props["TokenValidityUnits"] == {
        "AccessToken": "minutes",
        "IdToken": "minutes",
        "RefreshToken": "days",
    }
    assert (props["IdTokenValidity"], props["AccessTokenValidity"]) == (60, 60)
    assert props["RefreshTokenValidity"] == 30


def test_the_api_accepts_tokens_of_both_clients_and_nothing_else() -> None:
    api = resources_of(TEMPLATE, "AWS::Serverless::HttpApi")["HttpApi"]
    config = api["Properties"]["Auth"]["Authorizers"]["CognitoJwt"]["JwtConfiguration"]

    assert config["audience"] == [{"Ref": "UserPoolClient"}, {"Ref": "BookingClient"}]
    assert config["issuer"] == {
        "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
    }


def test_the_stack_outputs_what_onboarding_and_the_console_need() -> None:
    outputs = TEMPLATE["Outputs"]
    console_env = FUNCTIONS["ConsoleFunction"]["Properties"]["Environment"]["Variables"]

    assert outputs["UserPoolId"]["Value"] == {"Ref": "UserPool"}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": "UserPoolClient"}
    assert outputs["BookingClientId"]["Value"] == {"Ref": "BookingClient"}
    assert outputs["DataTableName"]["Value"] == {"Ref": "DataTable"}
    assert {
        "COGNITO_REGION": {"Ref": "AWS::Region"},
        "COGNITO_USER_POOL_ID": {"Ref": "UserPool"},
        "COGNITO_CLIENT_ID": {"Ref": "UserPoolClient"},
        "COGNITO_ENDPOINT_URL": "",
        # In AWS the page proves the password with SRP; only the local stack overrides it.
        "COGNITO_AUTH_FLOW": "USER_SRP_AUTH",
    }.items() <= console_env.items()


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_handler_file_exists(name: str) -> None:
    props = FUNCTIONS[name]["Properties"]
    module = props["Handler"].split(".")[0]

    assert (ROOT / props["CodeUri"] / f"{module}.py").is_file()


def test_the_layer_requirements_are_generated_from_the_lock() -> None:
    uv = ROOT / ".tools" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("uv is installed by `make`; run the suite through `make test`")
    result = subprocess.run(
        [
            str(uv),
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-hashes",
            "--no-header",
            "--no-emit-package",
            "boto3",
            "--no-emit-package",
            "botocore",
            "--no-emit-package",
            "s3transfer",
            "--python",
            "3.13",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )

    committed = (ROOT / "layers/shared/requirements.txt").read_text()
    assert result.stdout == committed, "run `make layer-requirements` and commit the result"


def test_the_webhook_pipe_reads_only_the_data_stream_and_sends_only_to_its_queues() -> None:
    pipe = TEMPLATE["Resources"]["WebhookEventsPipe"]["Properties"]
    role = TEMPLATE["Resources"]["WebhookEventsPipeRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    queues = [
        {"Fn::GetAtt": [q, "Arn"]} for q in ("WebhookEventsQueue", "WebhookEventsDeadLetterQueue")
    ]

    assert pipe["Source"] == {"Fn::GetAtt": ["DataTable", "StreamArn"]}
    assert pipe["Target"] == queues[0]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "pipes.amazonaws.com"
    }
    granted = {
        action: statement["Resource"]
        for statement in statements
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert granted == {
        "dynamodb:DescribeStream": pipe["Source"],
        "dynamodb:GetRecords": pipe["Source"],
        "dynamodb:GetShardIterator": pipe["Source"],
        "dynamodb:ListStreams": {"Fn::Sub": "${DataTable.Arn}/stream/*"},
        "sqs:SendMessage": queues,
    }


def test_the_webhook_pipe_keeps_only_inserted_event_items_and_its_dead_letters_alarm() -> None:
    source = TEMPLATE["Resources"]["WebhookEventsPipe"]["Properties"]["SourceParameters"]
    [only] = source["FilterCriteria"]["Filters"]
    alarm = TEMPLATE["Resources"]["WebhookEventsDeadLetterAlarm"]["Properties"]

    assert json.loads(only["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"kind": {"S": [EVENT_KIND]}}},
    }
    assert TEMPLATE["Resources"]["DataTable"]["Properties"]["StreamSpecification"] == {
        "StreamViewType": "NEW_IMAGE"
    }
    assert alarm["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["WebhookEventsDeadLetterQueue", "QueueName"]
    }


def _dashboard_metrics() -> list[list[Any]]:
    """The dashboard's metric rows, CloudWatch's "." (the row above's value) and "..." (the
    row above's leading values) spelled out, rendering options dropped."""
    body = TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    rows: list[list[Any]] = []
    for widget in widgets:
        above: list[Any] = []
        for row in widget["properties"].get("metrics", []):
            values = [v for v in row if not isinstance(v, dict)]
            if not values:  # a metric math expression: no metric of its own
                continue
            if values[0] == "...":
                values = above[: len(above) - len(values) + 1] + values[1:]
            values = [above[i] if v == "." else v for i, v in enumerate(values)]
            rows.append(values)
            above = values
    return rows


def test_the_dashboard_shows_every_metric_the_code_emits() -> None:
    shown = {row[1] for row in _dashboard_metrics() if row[0] == "Rendezvous"}

    assert emitted_metric_names() - shown == set()
    assert shown - emitted_metric_names() == set()


def test_the_dashboard_shows_fill_by_source_and_way_as_the_code_labels_them() -> None:
    rows = {tuple(row[1:]) for row in _dashboard_metrics() if row[0] == "Rendezvous"}

    # A breakdown's EMF blob carries the function's `service` dimension beside its own
    # (observability.add_breakdown), and CloudWatch matches a row on the exact set.
    service = ("service", "rendezvous")
    for source in OpeningSource:
        assert ("OpeningsCreated", *service, "Source", source.value) in rows
    for way in FillVia:
        assert ("OpeningsFilled", *service, "Via", way.value) in rows
        assert ("TimeToFillSeconds", *service, "Via", way.value) in rows
