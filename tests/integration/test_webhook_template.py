"""template.yaml keeps the deliverer's promises: its two queues with partial batch
failures, retries it may schedule only in its group through a role that may only put
deliveries on the queue, KMS decrypt of the secrets key, and an alarm on failed deliveries."""

from __future__ import annotations

from typing import Any

import pytest

from infra.template import load_template, resources_of

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
DELIVERER = RESOURCES["WebhookDelivererFunction"]["Properties"]


def statements(policies: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in policies:
        if isinstance(policy, dict) and "Statement" in policy:
            found.extend(policy["Statement"])
    return found


def test_the_deliverer_takes_events_and_deliveries_one_at_a_time_reporting_each_failure() -> None:
    sources = {
        event["Properties"]["Queue"]["Fn::GetAtt"][0]: event["Properties"]
        for event in DELIVERER["Events"].values()
        if event["Type"] == "SQS"
    }

    assert set(sources) == {"WebhookEventsQueue", "WebhookDeliveriesQueue"}
    for queue, props in sources.items():
        assert props["BatchSize"] == 1, queue
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"], queue
        timeout = RESOURCES[queue]["Properties"]["VisibilityTimeout"]
        assert timeout >= DELIVERER["Timeout"], f"{queue} would hand a message out twice"
    concurrency = sum(p["ScalingConfig"]["MaximumConcurrency"] for p in sources.values())
    assert concurrency <= DELIVERER["ReservedConcurrentExecutions"]


def test_retries_are_scheduled_in_their_group_through_a_role_that_only_sends_deliveries() -> None:
    env = DELIVERER["Environment"]["Variables"]
    allowed = statements(DELIVERER["Policies"])
    role = RESOURCES["WebhookRetryRole"]["Properties"]
    (role_statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]

    assert env["WEBHOOK_RETRY_GROUP"] == {"Ref": "WebhookRetryScheduleGroup"}
    assert env["WEBHOOK_RETRY_TARGET_ARN"] == {"Fn::GetAtt": ["WebhookDeliveriesQueue", "Arn"]}
    assert env["WEBHOOK_RETRY_ROLE_ARN"] == {"Fn::GetAtt": ["WebhookRetryRole", "Arn"]}
    create = next(s for s in allowed if s["Action"] == "scheduler:CreateSchedule")
    assert "${WebhookRetryScheduleGroup}/*" in create["Resource"]["Fn::Sub"]
    pass_role = next(s for s in allowed if s["Action"] == "iam:PassRole")
    assert pass_role["Resource"] == {"Fn::GetAtt": ["WebhookRetryRole", "Arn"]}
    assert role_statement["Action"] == "sqs:SendMessage"
    assert {"Fn::GetAtt": ["WebhookDeliveriesQueue", "Arn"]} in role_statement["Resource"]


def test_the_deliverer_may_decrypt_secrets_with_the_webhook_key_only() -> None:
    decrypt = [s for s in statements(DELIVERER["Policies"]) if "kms" in str(s["Action"])]

    assert [(s["Action"], s["Resource"]) for s in decrypt] == [
        ("kms:Decrypt", {"Fn::GetAtt": ["WebhookSecretsKey", "Arn"]})
    ]


@pytest.mark.parametrize(
    ("function", "actions", "owner"),
    [
        ("WebhookDelivererFunction", ["kms:Decrypt"], "endpoint_id"),
        ("StaffApiFunction", ["kms:Encrypt"], "endpoint_id"),
        ("IntegrationsFunction", ["kms:Decrypt", "kms:Encrypt"], "integration_id"),
    ],
)
def test_each_function_may_use_the_secrets_key_only_for_its_own_kind_of_secret(
    function: str, actions: list[str], owner: str
) -> None:
    """One key seals endpoints' and Cal.com integrations' secrets: the function that faces
    Cal.com must not open an endpoint's secret, nor the deliverer an integration's."""
    policies = RESOURCES[function]["Properties"]["Policies"]
    kms = [s for s in statements(policies) if "kms:" in str(s["Action"])]

    assert not [p for p in policies if isinstance(p, dict) and "KMSEncryptPolicy" in p]
    assert [
        (
            sorted([s["Action"]] if isinstance(s["Action"], str) else s["Action"]),
            s["Resource"],
            s.get("Condition"),
        )
        for s in kms
    ] == [
        (
            actions,
            {"Fn::GetAtt": ["WebhookSecretsKey", "Arn"]},
            {"Null": {f"kms:EncryptionContext:{owner}": "false"}},
        )
    ]


def test_a_failed_delivery_raises_the_alarm() -> None:
    alarms = resources_of(TEMPLATE, "AWS::CloudWatch::Alarm")

    alarm = alarms["WebhookDeliveriesFailedAlarm"]["Properties"]

    assert (alarm["Namespace"], alarm["MetricName"]) == ("Rendezvous", "WebhookDeliveriesFailed")
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_deliverer_reads_endpoints_and_writes_deliveries_and_nothing_more_on_the_table() -> (
    None
):
    """It faces the internet's answers; it never deletes, scans or batch-writes."""
    policies = DELIVERER["Policies"]
    table = [s for s in statements(policies) if "dynamodb:" in str(s["Action"])]

    assert not [p for p in policies if isinstance(p, dict) and "DynamoDBCrudPolicy" in p]
    assert [(sorted(s["Action"]), s["Resource"]) for s in table] == [
        (
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
            {"Fn::GetAtt": ["DataTable", "Arn"]},
        )
    ]
