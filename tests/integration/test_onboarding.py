"""Onboarding a tenant (`make tenant`), against the template's table and user pool in moto."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from infra.cognito import TemplateDrift, provision_cognito, sign_in
from infra.local.auth import JwtAuthorizer, JwtVerifier, MotoJwks
from infra.onboard import (
    Onboarding,
    OnboardingError,
    Person,
    Pool,
    machine_username,
    main,
    new_password,
    new_tenant,
)
from infra.template import REGION, LocalStack, Resolver
from rendezvous.adapters.dynamodb.tenants import DynamoTenants
from rendezvous.domain.models import Tenant

# In-process moto answers Cognito's own host, where API Gateway reads the JWKS.
COGNITO_HOST = f"https://cognito-idp.{REGION}.amazonaws.com"


@pytest.fixture
def cognito() -> Any:
    return boto3.client("cognito-idp", region_name=REGION)


@pytest.fixture
def tenants(stack: LocalStack) -> DynamoTenants:
    return DynamoTenants(
        boto3.client("dynamodb", region_name=REGION), stack.resolver.ref("DataTable")
    )


@pytest.fixture
def onboarding(stack: LocalStack, tenants: DynamoTenants, cognito: Any) -> Onboarding:
    pool = Pool(stack.cognito.user_pool_id, stack.cognito.clients["BookingClient"])
    return Onboarding(tenants, cognito, pool)


def a_tenant(phone: str = "+14155550100") -> Tenant:
    # The user pool outlives each test's emptied table: every test onboards its own tenant.
    return new_tenant(
        tenant_id=f"clinic-{uuid.uuid4().hex[:8]}",
        name="Harbor Clinic",
        phone=phone,
        timezone="America/Los_Angeles",
    )


def an_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@harbor.example"


def user_of(cognito: Any, stack: LocalStack, username: str) -> dict[str, Any]:
    user = cognito.admin_get_user(UserPoolId=stack.cognito.user_pool_id, Username=username)
    groups = cognito.admin_list_groups_for_user(
        UserPoolId=stack.cognito.user_pool_id, Username=username
    )["Groups"]
    return {
        "status": user["UserStatus"],
        "attributes": {a["Name"]: a["Value"] for a in user["UserAttributes"]},
        "groups": sorted(g["GroupName"] for g in groups),
    }


def verified(stack: LocalStack, token: str) -> dict[str, Any] | None:
    """What the local gateway makes of `token`, with the template's issuer and audiences."""
    authorizer = JwtAuthorizer(
        "CognitoJwt",
        "authorization",
        f"{COGNITO_HOST}/{stack.cognito.user_pool_id}",
        tuple(stack.cognito.clients.values()),
    )
    return JwtVerifier(MotoJwks(COGNITO_HOST)).verify(authorizer, f"Bearer {token}")


def test_onboarding_makes_the_tenant_its_number_its_manager_and_its_booking_login(
    stack: LocalStack, onboarding: Onboarding, tenants: DynamoTenants, cognito: Any
) -> None:
    tenant = a_tenant()
    temporary, email = new_password(), an_email("ana")

    outcome = onboarding.onboard(tenant, Person(email, "manager", temporary))

    assert tenants.get_tenant(tenant.tenant_id) == tenant
    assert tenants.tenant_for_number("+14155550100") == tenant.tenant_id
    manager = user_of(cognito, stack, email)
    assert manager["groups"] == ["manager"]
    assert manager["attributes"]["custom:tenant_id"] == tenant.tenant_id
    assert manager["status"] == "FORCE_CHANGE_PASSWORD"  # the temporary password is for once
    assert outcome.secrets[f"{email} temporary password"] == temporary
    machine = user_of(cognito, stack, machine_username(tenant.tenant_id))
    assert machine["groups"] == ["booking"]
    assert machine["attributes"]["custom:tenant_id"] == tenant.tenant_id
    assert machine["status"] == "CONFIRMED"


def test_the_booking_login_it_prints_signs_in_and_the_gateway_accepts_the_token(
    stack: LocalStack, onboarding: Onboarding, cognito: Any
) -> None:
    tenant = a_tenant()
    shown = onboarding.onboard(tenant, Person(an_email("ana"), "manager")).secrets

    token = sign_in(
        cognito,
        shown["booking client id"],
        shown["booking username"],
        shown["booking password"],
        shown["booking client secret"],
    )

    claims = verified(stack, token)
    assert claims is not None
    assert claims["custom:tenant_id"] == tenant.tenant_id
    assert claims["cognito:groups"] == ["booking"]
    assert claims["aud"] == stack.cognito.clients["BookingClient"]
    assert claims["token_use"] == "id"


def test_a_person_signs_in_through_the_console_client(
    stack: LocalStack, onboarding: Onboarding, cognito: Any
) -> None:
    tenant = a_tenant()
    password = new_password()
    staff = Person(f"sam@{tenant.tenant_id}.example", "staff", password, permanent=True)
    onboarding.onboard(tenant, Person(an_email("ana"), "manager"), others=(staff,))

    token = sign_in(cognito, stack.cognito.clients["UserPoolClient"], staff.username, password)

    claims = verified(stack, token)
    assert claims is not None
    assert (claims["cognito:groups"], claims["aud"]) == (
        ["staff"],
        stack.cognito.clients["UserPoolClient"],
    )
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        sign_in(cognito, stack.cognito.clients["UserPoolClient"], staff.username, "Wrong1234567")


def test_running_it_again_changes_nothing_and_says_so(
    onboarding: Onboarding, tenants: DynamoTenants
) -> None:
    tenant = a_tenant()
    manager = Person(an_email("ana"), "manager", new_password())
    onboarding.onboard(tenant, manager)
    renamed = tenant.model_copy(update={"name": "Harbour Clinic"})

    again = onboarding.onboard(renamed, manager)

    assert not again.changed
    assert again.secrets == {}  # the booking password was shown once, the first time
    assert tenants.get_tenant(tenant.tenant_id) == tenant  # its settings are its managers'
    assert len(again.unchanged) == 3


def test_a_number_of_another_tenant_is_refused_and_nothing_is_written(
    stack: LocalStack, onboarding: Onboarding, tenants: DynamoTenants, cognito: Any
) -> None:
    first = a_tenant()
    onboarding.onboard(first, Person(an_email("ana"), "manager", new_password()))
    second, email = a_tenant(), an_email("bo")

    with pytest.raises(OnboardingError, match="already sends for another tenant"):
        onboarding.onboard(second, Person(email, "manager", new_password()))

    assert tenants.get_tenant(second.tenant_id) is None
    users = cognito.list_users(UserPoolId=stack.cognito.user_pool_id)["Users"]
    emails = {a["Value"] for u in users for a in u["Attributes"] if a["Name"] == "email"}
    assert email not in emails
    assert machine_username(second.tenant_id) not in emails


def test_a_manager_of_another_tenant_is_refused(onboarding: Onboarding) -> None:
    manager = Person(an_email("ana"), "manager", new_password())
    onboarding.onboard(a_tenant(), manager)

    with pytest.raises(OnboardingError, match="already signs in for another tenant"):
        onboarding.onboard(a_tenant("+14155550101"), manager)


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--phone", "4155550100", "E.164"),
        ("--phone", "+1415", "not a valid number"),
        ("--timezone", "Mars/Olympus_Mons", "not an IANA zone"),
        ("--manager", "ana@clinic", "not an e-mail address"),
        ("--tenant-id", "Harbor Clinic!", "lower-case letters"),
        # The rules a manager's settings change must keep hold from the first day.
        ("--name", "Harbor Clinic of the Bay, Dental and Orthodontics, North Branch", "60"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_written(
    stack: LocalStack,
    cognito: Any,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    says: str,
) -> None:
    given = {
        "--name": "Harbor Clinic",
        "--phone": "+14155550100",
        "--timezone": "America/Los_Angeles",
        "--manager": an_email("ana"),
        "--tenant-id": f"clinic-{uuid.uuid4().hex[:8]}",
        option: value,
    }
    users_before = cognito.list_users(UserPoolId=stack.cognito.user_pool_id)["Users"]

    code = main([*(p for pair in given.items() for p in pair), "--stack-name", "rendezvous"])

    assert code == 2
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert says in err
    table = stack.resolver.ref("DataTable")
    assert boto3.client("dynamodb", region_name=REGION).scan(TableName=table)["Items"] == []
    assert cognito.list_users(UserPoolId=stack.cognito.user_pool_id)["Users"] == users_before


def test_the_command_finds_the_deployed_stack_by_its_outputs(
    stack: LocalStack, tenants: DynamoTenants, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {
        "DataTableName": stack.resolver.ref("DataTable"),
        "UserPoolId": stack.cognito.user_pool_id,
        "BookingClientId": stack.cognito.clients["BookingClient"],
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="rendezvous-onboarding",
        TemplateBody=json.dumps(
            {
                "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {k: {"Value": v} for k, v in outputs.items()},
            }
        ),
    )
    tenant_id = f"clinic-{uuid.uuid4().hex[:8]}"
    argv = [
        "--name", "Harbor Clinic", "--tenant-id", tenant_id, "--phone", "+14155550100",
        "--timezone", "America/Los_Angeles", "--manager", an_email("ana"),
        "--stack-name", "rendezvous-onboarding", "--region", REGION,
    ]  # fmt: skip

    first = main(argv), capsys.readouterr().out
    second = main(argv), capsys.readouterr().out

    assert first[0] == second[0] == 0
    assert tenants.get_tenant(tenant_id) is not None
    assert "Cognito has e-mailed the manager a temporary password." in first[1]
    assert "temporary password:" not in first[1]  # Cognito made it; nobody here saw it
    assert "booking password:" in first[1]
    assert "Nothing to do" in second[1]
    assert "password" not in second[1]


def test_the_roles_are_the_pools_groups(stack: LocalStack, cognito: Any) -> None:
    listed = cognito.list_groups(UserPoolId=stack.cognito.user_pool_id)["Groups"]

    assert stack.cognito.groups == {
        "ManagerGroup": "manager",
        "StaffGroup": "staff",
        "BookingGroup": "booking",
    }
    assert sorted(g["GroupName"] for g in listed) == ["booking", "manager", "staff"]


def test_the_local_pool_offers_the_password_flow_beside_srp_and_only_there(
    stack: LocalStack, cognito: Any
) -> None:
    def flows(logical: str) -> list[str]:
        client = cognito.describe_user_pool_client(
            UserPoolId=stack.cognito.user_pool_id, ClientId=stack.cognito.clients[logical]
        )["UserPoolClient"]
        return sorted(client["ExplicitAuthFlows"])

    assert flows("UserPoolClient") == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert flows("BookingClient") == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]


def test_a_template_property_the_stand_in_cannot_make_is_refused(
    stack: LocalStack, cognito: Any
) -> None:
    template = {
        "Resources": {
            "UserPool": {
                "Type": "AWS::Cognito::UserPool",
                "Properties": {"UserPoolName": "p", "NoSuchSetting": True},
            }
        }
    }

    with pytest.raises(TemplateDrift, match="NoSuchSetting"):
        provision_cognito(cognito, template, Resolver(template, {}))


def test_aws_refusing_midway_is_reported_without_a_traceback(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {
        "DataTableName": "no-such-table",
        "UserPoolId": stack.cognito.user_pool_id,
        "BookingClientId": stack.cognito.clients["BookingClient"],
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="rendezvous-broken",
        TemplateBody=json.dumps(
            {
                "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {k: {"Value": v} for k, v in outputs.items()},
            }
        ),
    )
    argv = [
        "--name", "Harbor Clinic", "--phone", "+14155550100", "--timezone", "Europe/Paris",
        "--manager", an_email("ana"), "--stack-name", "rendezvous-broken", "--region", REGION,
    ]  # fmt: skip

    code = main(argv)

    assert code == 1
    err = capsys.readouterr().err
    assert "no-such-table" in err or "ResourceNotFound" in err
    assert "Run it again to finish." in err


def test_a_tenant_onboarded_meanwhile_by_another_run_keeps_its_settings(
    onboarding: Onboarding, tenants: DynamoTenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = a_tenant()
    manager = Person(an_email("ana"), "manager", new_password())
    onboarding.onboard(tenant, manager)
    managed = tenant.model_copy(
        update={"daily_cap": 7, "settings_version": 3, "paused": True, "paused_by": "ana"}
    )
    tenants.put_tenant(managed)
    # This run read the table before the other run wrote the tenant: it saw none.
    real_get, first_read = tenants.get_tenant, [True]

    def get_tenant(tenant_id: str) -> Tenant | None:
        if first_read.pop() if first_read else False:
            return None
        return real_get(tenant_id)

    monkeypatch.setattr(tenants, "get_tenant", get_tenant)

    again = onboarding.onboard(tenant, manager)

    assert tenants.get_tenant(tenant.tenant_id) == managed
    assert not again.changed


def test_a_number_taken_meanwhile_by_another_tenant_is_refused_and_nothing_is_written(
    onboarding: Onboarding, tenants: DynamoTenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = a_tenant()
    onboarding.onboard(first, Person(an_email("ana"), "manager", new_password()))
    second = a_tenant()
    # This run looked the number up before the other run wrote it.
    monkeypatch.setattr(tenants, "tenant_for_number", lambda e164: None)

    with pytest.raises(OnboardingError, match="onboarded meanwhile"):
        onboarding.onboard(second, Person(an_email("bo"), "manager", new_password()))

    monkeypatch.undo()
    assert tenants.get_tenant(second.tenant_id) is None
    assert tenants.tenant_for_number(first.phone_number) == first.tenant_id


def test_an_existing_colleague_made_manager_is_shown_no_password_they_never_got(
    onboarding: Onboarding, cognito: Any, stack: LocalStack
) -> None:
    tenant = a_tenant()
    onboarding.onboard(tenant, Person(an_email("ana"), "manager", new_password()))
    colleague = an_email("bo")
    onboarding.members.ensure(tenant.tenant_id, Person(colleague, "staff", new_password()))

    again = onboarding.onboard(tenant, Person(colleague, "manager", new_password()))

    assert user_of(cognito, stack, colleague)["groups"] == ["manager"]
    assert again.secrets == {}


def test_a_booking_secret_it_cannot_read_stops_it_before_the_first_write(
    stack: LocalStack, onboarding: Onboarding, tenants: DynamoTenants, cognito: Any
) -> None:
    # Say the operator may create users but not read app clients: the machine user's
    # password, shown only on the run that creates it, would be lost with the secret.
    pool = Pool(stack.cognito.user_pool_id, "no-such-client")
    refusing = Onboarding(tenants, cognito, pool)
    tenant = a_tenant()

    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        refusing.onboard(tenant, Person(an_email("ana"), "manager", new_password()))

    assert tenants.get_tenant(tenant.tenant_id) is None
    assert refusing.members.tenant_of(machine_username(tenant.tenant_id)) is None
