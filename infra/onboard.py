"""Onboard a tenant: its record and sending number, its first manager, its booking system.

    make tenant NAME="Harbor Clinic" PHONE=+14155550100 TZ=America/Los_Angeles \\
        MANAGER=ana@harbor.example STACK=rendezvous          # against the deployed stack
    make tenant NAME=... PHONE=... TZ=... MANAGER=... LOCAL=1  # against `make run`

In AWS the stack's outputs (DescribeStacks) name the table, the user pool and the booking
client; Cognito e-mails the manager a temporary password. Locally the running stack's
`.local/credentials.json` names moto, and the temporary password is printed here, once.
The booking system's login (BookingClient id and secret, a machine user and its password)
is printed once and never logged: keep it in the booking system's secret store.

Running it again changes nothing and says so. Bad input (a number not in E.164, an
unknown time zone, a number or manager that belongs to another tenant) is refused before
anything is written. The demo tenants of the local stack are onboarded by this same code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import string
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rendezvous.domain.errors import ConcurrentModification
from rendezvous.domain.models import Tenant
from rendezvous.domain.tenant_settings import rule_problems
from rendezvous.messages.rules import SmsTemplateRules
from rendezvous.phone import InvalidPhoneNumber, parse_e164

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import AttributeTypeTypeDef

    from rendezvous.adapters.dynamodb.tenants import DynamoTenants

Role = Literal["manager", "staff", "booking"]
ROLES: tuple[Role, ...] = ("manager", "staff", "booking")
TENANT_CLAIM = "custom:tenant_id"
TENANT_ID_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
# Cognito's own e-mail check is looser; this one keeps typos such as "ana@clinic" out.
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
SUPPORTED_LOCALES = ("en", "fr", "es")


class OnboardingError(ValueError):
    """Bad input or a conflict with what exists; nothing was written."""


def machine_username(tenant_id: str) -> str:
    """The booking system's login. The pool signs in by e-mail address, so a machine has
    one too, under a reserved domain (RFC 2606) that no mail is ever sent to."""
    return f"booking@{tenant_id}.invalid"


def new_password() -> str:
    """A password the pool's policy accepts (12+ characters, upper, lower, digit)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(24))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
        ):
            return candidate


def tenant_id_from(name: str) -> str:
    """ "Salon Lumière" -> "salon-lumiere"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:64].strip("-")


def new_tenant(
    *,
    tenant_id: str,
    name: str,
    phone: str,
    timezone: str,
    locale: str = "en",
) -> Tenant:
    """A tenant with the default rules, or OnboardingError naming the field that is wrong."""
    if not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise OnboardingError(
            f"tenant id {tenant_id!r}: 1-64 lower-case letters, digits and inner hyphens"
        )
    try:
        number = parse_e164(phone)
    except InvalidPhoneNumber as exc:
        raise OnboardingError(f"phone {phone!r}: {exc}") from exc
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OnboardingError(
            f"time zone {timezone!r} is not an IANA zone (like Europe/Paris)"
        ) from exc
    if locale not in SUPPORTED_LOCALES:
        raise OnboardingError(f"locale {locale!r}: one of {', '.join(SUPPORTED_LOCALES)}")
    tenant = Tenant.model_validate(
        {
            "tenant_id": tenant_id,
            "name": name.strip(),
            "phone_number": number,
            "timezone": timezone,
            "locale": locale,
            "contact": number,
        }
    )
    # The rules a manager's settings change must keep (a name's length, texts within two
    # segments with it) hold from the first day, not only from the first change.
    problems = rule_problems(tenant, SmsTemplateRules())
    if problems:
        raise OnboardingError("; ".join(f"{field}: {problem}" for field, problem in problems))
    return tenant


def check_email(email: str, what: str) -> str:
    if not EMAIL_PATTERN.fullmatch(email):
        raise OnboardingError(f"{what} {email!r} is not an e-mail address")
    return email.lower()


@dataclass(frozen=True)
class Person:
    """Someone (or some machine) to sign in to the pool as a tenant's member.

    `password` None: Cognito makes a temporary one and e-mails it (AWS). Given and not
    `permanent`: it is the temporary one, nothing is sent (locally it is printed). Given and
    `permanent`: it is the password, no change is asked at first sign-in (demo logins,
    machines)."""

    username: str
    role: Role
    password: str | None = None
    permanent: bool = False


@dataclass
class Outcome:
    """What one run did; `secrets` are shown once to the operator and never logged."""

    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.done)


class Members:
    """A tenant's people and machines in the user pool: one user each, in one role group,
    with the tenant in `custom:tenant_id` (immutable in the pool's schema)."""

    def __init__(self, cognito: CognitoIdentityProviderClient, user_pool_id: str) -> None:
        self._cognito = cognito
        self._pool = user_pool_id

    def tenant_of(self, username: str) -> str | None:
        """The tenant `username` belongs to; None when there is no such user."""
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=username)
        except self._cognito.exceptions.UserNotFoundException:
            return None
        attributes = {a["Name"]: a.get("Value", "") for a in user.get("UserAttributes", [])}
        return attributes.get(TENANT_CLAIM, "")

    def check_free_for(self, tenant_id: str, username: str) -> None:
        owner = self.tenant_of(username)
        if owner is not None and owner != tenant_id:
            raise OnboardingError(f"{username} already signs in for another tenant")

    def ensure(self, tenant_id: str, person: Person) -> bool:
        """Create the user if it does not exist and put it in exactly its role's group;
        True when anything changed."""
        self.check_free_for(tenant_id, person.username)
        created = self.tenant_of(person.username) is None
        if created:
            self._create(tenant_id, person)
        return self._set_role(person.username, person.role) or created

    def set_password(self, username: str, password: str) -> None:
        self._cognito.admin_set_user_password(
            UserPoolId=self._pool, Username=username, Password=password, Permanent=True
        )

    def _create(self, tenant_id: str, person: Person) -> None:
        attributes: list[AttributeTypeTypeDef] = [
            {"Name": "email", "Value": person.username},
            {"Name": "email_verified", "Value": "true"},
            {"Name": TENANT_CLAIM, "Value": tenant_id},
        ]
        if person.password is None:
            self._cognito.admin_create_user(
                UserPoolId=self._pool,
                Username=person.username,
                UserAttributes=attributes,
                DesiredDeliveryMediums=["EMAIL"],
            )
            return
        self._cognito.admin_create_user(
            UserPoolId=self._pool,
            Username=person.username,
            UserAttributes=attributes,
            TemporaryPassword=person.password,
            MessageAction="SUPPRESS",
        )
        if person.permanent:
            self.set_password(person.username, person.password)

    def _set_role(self, username: str, role: Role) -> bool:
        groups = {
            g["GroupName"]
            for g in self._cognito.admin_list_groups_for_user(
                UserPoolId=self._pool, Username=username
            )["Groups"]
            if "GroupName" in g
        }
        changed = False
        for other in groups & set(ROLES) - {role}:
            self._cognito.admin_remove_user_from_group(
                UserPoolId=self._pool, Username=username, GroupName=other
            )
            changed = True
        if role not in groups:
            self._cognito.admin_add_user_to_group(
                UserPoolId=self._pool, Username=username, GroupName=role
            )
            changed = True
        return changed


@dataclass(frozen=True)
class Pool:
    """Where the stack's people sign in: the user pool and the booking systems' client."""

    user_pool_id: str
    booking_client_id: str


class Onboarding:
    def __init__(
        self, tenants: DynamoTenants, cognito: CognitoIdentityProviderClient, pool: Pool
    ) -> None:
        self._tenants = tenants
        self._cognito = cognito
        self._pool = pool
        self.members = Members(cognito, pool.user_pool_id)

    def onboard(
        self,
        tenant: Tenant,
        manager: Person,
        *,
        others: tuple[Person, ...] = (),
        machine_password: str | None = None,
    ) -> Outcome:
        """The tenant, its number, its manager (and `others`), its booking machine user.

        Everything that could refuse is checked before the first write. An existing tenant
        is left as it is: its managers own its settings from the day it exists."""
        tenant_id = tenant.tenant_id
        existing = self._tenants.get_tenant(tenant_id)
        owner = self._tenants.tenant_for_number(tenant.phone_number)
        if owner is not None and owner != tenant_id:
            raise OnboardingError(f"{tenant.phone_number} already sends for another tenant")
        if existing is not None and existing.phone_number != tenant.phone_number:
            raise OnboardingError(
                f"tenant {tenant_id} exists with another number; onboarding does not move it"
            )
        machine = Person(
            machine_username(tenant_id),
            "booking",
            machine_password or new_password(),
            permanent=True,
        )
        people = (manager, *others)
        for person in (*people, machine):
            self.members.check_free_for(tenant_id, person.username)
        machine_exists = self.members.tenant_of(machine.username) is not None
        # Read before the first write: the machine's password is shown only by the run that
        # creates it, so a run that could not show the secret beside it must create nothing.
        client_secret = "" if machine_exists else self._booking_client_secret()

        outcome = Outcome()
        if existing is None:
            existing = self._add_tenant(tenant)
        if existing is None:
            outcome.done.append(f"tenant {tenant_id} with number {tenant.phone_number}")
        else:
            outcome.unchanged.append(f"tenant {tenant_id} (exists; its settings are kept)")
        for person in people:
            label = f"{person.role} {person.username}"
            is_new = self.members.tenant_of(person.username) is None
            if self.members.ensure(tenant_id, person):
                outcome.done.append(label if is_new else f"{label} (moved from another role)")
                # Someone who existed keeps their password: this one was never set.
                if is_new and person.password is not None and not person.permanent:
                    outcome.secrets[f"{person.username} temporary password"] = person.password
            else:
                outcome.unchanged.append(label)
        if self.members.ensure(tenant_id, machine):
            outcome.done.append(f"booking machine user {machine.username}")
        else:
            outcome.unchanged.append(f"booking machine user {machine.username}")
        if not machine_exists:
            assert machine.password is not None
            outcome.secrets.update(
                {
                    "booking client id": self._pool.booking_client_id,
                    "booking client secret": client_secret,
                    "booking username": machine.username,
                    "booking password": machine.password,
                }
            )
        return outcome

    def _booking_client_secret(self) -> str:
        return self._cognito.describe_user_pool_client(
            UserPoolId=self._pool.user_pool_id, ClientId=self._pool.booking_client_id
        )["UserPoolClient"].get("ClientSecret", "")

    def _add_tenant(self, tenant: Tenant) -> Tenant | None:
        """None when this run made the tenant; the tenant another run made meanwhile (its
        settings, version and pause left as they are) when it has the same number."""
        try:
            self._tenants.add_tenant(tenant)
        except ConcurrentModification:
            made = self._tenants.get_tenant(tenant.tenant_id)
            if made is None or made.phone_number != tenant.phone_number:
                raise OnboardingError(
                    f"tenant {tenant.tenant_id} or {tenant.phone_number} was onboarded "
                    "meanwhile by another run, differently; run again to see which"
                ) from None
            return made
        return None


# ---- the command --------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    tenants: DynamoTenants
    cognito: CognitoIdentityProviderClient
    pool: Pool
    emails_invitations: bool  # Cognito mails the temporary password (AWS), or we print it


def aws_target(stack_name: str, region: str | None) -> Target:
    import boto3

    from rendezvous.adapters.dynamodb.tenants import DynamoTenants

    if not stack_name:
        raise OnboardingError("name the deployed stack (STACK=...), or onboard locally (LOCAL=1)")
    session = boto3.Session(region_name=region)
    cloudformation = session.client("cloudformation")
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except cloudformation.exceptions.ClientError as exc:
        raise OnboardingError(f"stack {stack_name}: {exc}") from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = {"DataTableName", "UserPoolId", "BookingClientId"} - set(outputs)
    if missing:
        raise OnboardingError(f"stack {stack_name} has no output {', '.join(sorted(missing))}")
    return Target(
        DynamoTenants(session.client("dynamodb"), outputs["DataTableName"]),
        session.client("cognito-idp"),
        Pool(outputs["UserPoolId"], outputs["BookingClientId"]),
        emails_invitations=True,
    )


def local_target(credentials: Path) -> Target:
    """The running local stack, from the file it writes; never an AWS account."""
    import boto3

    from rendezvous.adapters.dynamodb.tenants import DynamoTenants

    try:
        written = json.loads(credentials.read_text(encoding="utf-8"))
        cognito = written["cognito"]
        endpoint, table = written["aws_endpoint_url"], written["data_table_name"]
    except (OSError, ValueError, KeyError) as exc:
        raise OnboardingError(f"no running local stack found ({credentials}): `make run`") from exc
    session = boto3.Session(
        region_name=cognito["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's placeholder
    )
    return Target(
        DynamoTenants(session.client("dynamodb", endpoint_url=endpoint), table),
        session.client("cognito-idp", endpoint_url=endpoint),
        Pool(cognito["user_pool_id"], cognito["booking_client_id"]),
        emails_invitations=False,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.onboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--name", required=True, help="the business's name, as texts show it")
    parser.add_argument("--phone", required=True, help="its Twilio number, E.164 (+14155550100)")
    parser.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Paris")
    parser.add_argument("--manager", required=True, help="the first manager's e-mail address")
    parser.add_argument("--tenant-id", help="default: the name in lower case with hyphens")
    parser.add_argument("--locale", default="en", choices=SUPPORTED_LOCALES)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack-name", help="the deployed CloudFormation stack (AWS)")
    where.add_argument("--local", action="store_true", help="the running `make run` stack")
    parser.add_argument("--region", help="AWS region (default: the AWS CLI's)")
    parser.add_argument(
        "--credentials",
        type=Path,
        default=Path(os.environ.get("RENDEZVOUS_LOCAL_DIR") or ".local") / "credentials.json",
        help="with --local: the file `make run` writes",
    )
    return parser


def run(args: argparse.Namespace) -> Outcome:
    tenant = new_tenant(
        tenant_id=args.tenant_id or tenant_id_from(args.name),
        name=args.name,
        phone=args.phone,
        timezone=args.timezone,
        locale=args.locale,
    )
    email = check_email(args.manager, "manager")
    if args.local:
        target = local_target(args.credentials)
    else:
        target = aws_target(args.stack_name, args.region)
    manager = Person(
        email, "manager", password=None if target.emails_invitations else new_password()
    )
    return Onboarding(target.tenants, target.cognito, target.pool).onboard(tenant, manager)


def report(outcome: Outcome, emails_invitations: bool) -> str:
    lines = [f"created: {d}" for d in outcome.done]
    lines += [f"unchanged: {u}" for u in outcome.unchanged]
    if not outcome.changed:
        lines.append("Nothing to do: the tenant was onboarded before.")
    if emails_invitations and any(d.startswith("manager ") for d in outcome.done):
        lines.append("Cognito has e-mailed the manager a temporary password.")
    if outcome.secrets:
        lines.append("Shown once, not stored anywhere by this command; keep them now:")
        lines += [f"  {what}: {value}" for what, value in outcome.secrets.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    args = _parser().parse_args(argv)
    try:
        outcome = run(args)
    except OnboardingError as exc:
        print(f"onboarding refused, nothing was written: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        # After the checks (credentials, permissions, throttling): what was made stays, and
        # a second run makes the rest, as it skips what exists.
        print(f"onboarding stopped: {exc}. Run it again to finish.", file=sys.stderr)
        return 1
    print(report(outcome, emails_invitations=not args.local))
    return 0


if __name__ == "__main__":
    sys.exit(main())
