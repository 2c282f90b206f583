"""The template's Cognito user pool, app clients and groups, stood up in moto.

Made from the template's own properties (the CloudFormation names mapped to the API's), so
the pool the local stack and the tests sign in to is the one AWS would build; the real ids
moto answers are what `!Ref UserPool`, `!Ref UserPoolClient`, ... resolve to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import UserPoolTypeTypeDef

    from infra.template import Resolver

# CloudFormation properties that are not CreateUserPool parameters: what stands for them.
_POOL_RENAMED = {"UserPoolName": "PoolName"}
_POOL_BY_OTHER_CALL = {"EnabledMfas"}  # SetUserPoolMfaConfig
# Moto checks no SRP proof (any password signs in) but does check USER_PASSWORD_AUTH's,
# so locally a client that offers SRP also offers the password flow the console uses.
_LOCAL_INSTEAD_OF_SRP = "ALLOW_USER_PASSWORD_AUTH"


class TemplateDrift(ValueError):
    """A template property the local stand-in does not know how to make."""


@dataclass
class CognitoResources:
    """The ids moto gave the template's pool, clients (logical id -> id) and groups."""

    user_pool_id: str = ""
    clients: dict[str, str] = field(default_factory=dict)
    client_secrets: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)


def _api_parameters(
    client: CognitoIdentityProviderClient, operation: str, props: dict[str, Any], logical: str
) -> dict[str, Any]:
    """`props` as `operation`'s parameters; an unknown property is drift, not silence."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    members = shape.members if shape is not None else {}
    unknown = sorted(set(props) - set(members))
    if unknown:
        raise TemplateDrift(f"{logical}: {', '.join(unknown)} has no {operation} counterpart")
    return dict(props)


def _create_pool(
    client: CognitoIdentityProviderClient, logical: str, props: dict[str, Any]
) -> UserPoolTypeTypeDef:
    given = {_POOL_RENAMED.get(k, k): v for k, v in props.items() if k not in _POOL_BY_OTHER_CALL}
    pool = client.create_user_pool(**_api_parameters(client, "CreateUserPool", given, logical))[
        "UserPool"
    ]
    if "SOFTWARE_TOKEN_MFA" in (props.get("EnabledMfas") or []):
        client.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=props.get("MfaConfiguration", "OPTIONAL"),
        )
    return pool


def provision_cognito(
    client: CognitoIdentityProviderClient, template: dict[str, Any], resolver: Resolver
) -> CognitoResources:
    """Create every user pool, app client and group of `template`; register their ids."""
    from infra.template import resources_of

    made = CognitoResources()
    for logical, res in resources_of(template, "AWS::Cognito::UserPool").items():
        pool = _create_pool(client, logical, resolver.resolve(res.get("Properties") or {}))
        made.user_pool_id = pool["Id"]
        resolver.refs[logical] = pool["Id"]
        resolver.attributes[(logical, "Arn")] = pool["Arn"]
        provider = f"cognito-idp.{resolver.pseudo()['AWS::Region']}.amazonaws.com/{pool['Id']}"
        resolver.attributes[(logical, "ProviderName")] = provider
        resolver.attributes[(logical, "ProviderURL")] = f"https://{provider}"

    for logical, res in resources_of(template, "AWS::Cognito::UserPoolClient").items():
        props = dict(resolver.resolve(res.get("Properties") or {}))
        props.setdefault("ClientName", logical)
        flows = list(props.get("ExplicitAuthFlows") or [])
        if "ALLOW_USER_SRP_AUTH" in flows and _LOCAL_INSTEAD_OF_SRP not in flows:
            props["ExplicitAuthFlows"] = [*flows, _LOCAL_INSTEAD_OF_SRP]
        created = client.create_user_pool_client(
            **_api_parameters(client, "CreateUserPoolClient", props, logical)
        )["UserPoolClient"]
        made.clients[logical] = created["ClientId"]
        resolver.refs[logical] = created["ClientId"]
        if created.get("ClientSecret"):
            made.client_secrets[logical] = created["ClientSecret"]
            resolver.attributes[(logical, "ClientSecret")] = created["ClientSecret"]

    for logical, res in resources_of(template, "AWS::Cognito::UserPoolGroup").items():
        props = resolver.resolve(res.get("Properties") or {})
        group = client.create_group(**_api_parameters(client, "CreateGroup", props, logical))[
            "Group"
        ]
        made.groups[logical] = group["GroupName"]
        resolver.refs[logical] = group["GroupName"]
    return made


def secret_hash(client_id: str, client_secret: str, username: str) -> str:
    """SECRET_HASH, which a client with a secret sends with every sign-in."""
    digest = hmac.new(
        client_secret.encode(), (username + client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def sign_in(
    client: CognitoIdentityProviderClient,
    client_id: str,
    username: str,
    password: str,
    client_secret: str | None = None,
) -> str:
    """The ID token of a USER_PASSWORD_AUTH sign-in: what a booking system does through
    BookingClient, and what the console does locally (AWS: SRP, same tokens)."""
    parameters = {"USERNAME": username, "PASSWORD": password}
    if client_secret:
        parameters["SECRET_HASH"] = secret_hash(client_id, client_secret, username)
    answer = client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters
    )
    result = answer.get("AuthenticationResult")
    if not result or "IdToken" not in result:
        raise RuntimeError(f"{username} was asked {answer.get('ChallengeName')} at sign-in")
    return result["IdToken"]
