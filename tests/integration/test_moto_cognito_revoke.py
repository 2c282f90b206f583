"""The local stack's moto patch: Cognito's RevokeToken, which the console's sign-out calls."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local.moto_patches import cognitoidp as cognitoidp_patch

PASSWORD = "Correct-horse-1"


@pytest.fixture
def cognito() -> Iterator[Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    cognitoidp_patch.apply()
    with mock_aws():
        yield boto3.client("cognito-idp", region_name="us-east-1")


def pool_with_user(cognito: Any) -> tuple[str, str, str]:
    pool = cognito.create_user_pool(PoolName="staff")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="console",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="ana", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="ana", Password=PASSWORD, Permanent=True
    )
    return pool, client, "ana"


def refresh_token_of(cognito: Any, client: str, username: str) -> str:
    answer = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return str(answer["AuthenticationResult"]["RefreshToken"])


def refresh(cognito: Any, client: str, token: str) -> Any:
    return cognito.initiate_auth(
        ClientId=client, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": token}
    )


def test_a_revoked_refresh_token_no_longer_refreshes(cognito: Any) -> None:
    _, client, username = pool_with_user(cognito)
    token = refresh_token_of(cognito, client, username)
    assert refresh(cognito, client, token)["AuthenticationResult"]["IdToken"]

    cognito.revoke_token(ClientId=client, Token=token)

    with pytest.raises(ClientError) as refused:
        refresh(cognito, client, token)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_revoking_leaves_other_sessions_alone(cognito: Any) -> None:
    _, client, username = pool_with_user(cognito)
    revoked = refresh_token_of(cognito, client, username)
    other = refresh_token_of(cognito, client, username)

    cognito.revoke_token(ClientId=client, Token=revoked)

    assert refresh(cognito, client, other)["AuthenticationResult"]["IdToken"]


def test_an_unknown_token_is_revoked_without_complaint(cognito: Any) -> None:
    _, client, _ = pool_with_user(cognito)

    answer = cognito.revoke_token(ClientId=client, Token="not-a-token-we-issued")

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_another_clients_token_is_refused(cognito: Any) -> None:
    pool, client, username = pool_with_user(cognito)
    other_client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="booking")[
        "UserPoolClient"
    ]["ClientId"]
    token = refresh_token_of(cognito, client, username)

    with pytest.raises(ClientError) as refused:
        cognito.revoke_token(ClientId=other_client, Token=token)

    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refresh(cognito, client, token)["AuthenticationResult"]["IdToken"]
