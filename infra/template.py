"""Read template.yaml and stand its resources up in moto: one source for tests and `make run`.

Nothing here keeps a second list of tables, queues or routes: everything comes from the
template, so the template and what runs locally cannot drift.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from infra.cognito import CognitoResources, provision_cognito

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
STACK_NAME = "rendezvous-local"

_SHORT_TAGS = {
    "Ref": "Ref",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "If": "Fn::If",
    "Not": "Fn::Not",
    "Equals": "Fn::Equals",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Condition": "Condition",
    "FindInMap": "Fn::FindInMap",
    "ImportValue": "Fn::ImportValue",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
}


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct(tag: str) -> Any:
    def build(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {tag: value}

    return build


for _short, _full in _SHORT_TAGS.items():
    _CfnLoader.add_constructor(f"!{_short}", _construct(_full))


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as a fresh dict the caller may change; parsed once per file version,
    because parsing the YAML costs more than every moto call a test makes."""
    stat = path.stat()
    return copy.deepcopy(_parse_template(path, stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=4)
def _parse_template(path: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
    with path.open() as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


@dataclass
class Resolver:
    """Resolves intrinsic functions against parameters and the resources made so far."""

    template: dict[str, Any]
    parameters: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::StackName": STACK_NAME,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def ref(self, name: str) -> str:
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise KeyError(f"cannot resolve Ref {name}")

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.attributes[(arg[0], arg[1])]
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                chosen = arg[1] if self.condition(arg[0]) else arg[2]
                return self.resolve(chosen)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Join":
                return arg[0].join(str(self.resolve(v)) for v in arg[1])
            if key == "Condition":
                return self.condition(arg)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return self.attributes[(logical, attribute)]
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    function: str
    code_uri: str
    handler: str
    authorized: bool


def http_routes(template: dict[str, Any]) -> list[HttpRoute]:
    routes = []
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        props = fn["Properties"]
        for event in (props.get("Events") or {}).values():
            if event["Type"] != "HttpApi":
                continue
            ev = event["Properties"]
            auth = (ev.get("Auth") or {}).get("Authorizer")
            routes.append(
                HttpRoute(
                    method=ev["Method"].upper(),
                    path=ev["Path"],
                    function=name,
                    code_uri=props["CodeUri"],
                    handler=props["Handler"],
                    authorized=auth != "NONE",
                )
            )
    return routes


@dataclass(frozen=True)
class QueueSource:
    function: str
    queue: str  # logical id
    batch_size: int


def sqs_sources(template: dict[str, Any]) -> list[QueueSource]:
    sources = []
    for name, fn in resources_of(template, "AWS::Serverless::Function").items():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                sources.append(
                    QueueSource(name, queue, int(event["Properties"].get("BatchSize", 10)))
                )
    return sources


@dataclass
class LocalStack:
    """The template's resources, made in whatever AWS endpoint the clients point at."""

    template: dict[str, Any]
    resolver: Resolver
    queue_urls: dict[str, str]
    function_names: dict[str, str]
    cognito: CognitoResources

    def function_environment(self, logical_id: str) -> dict[str, str]:
        globals_env = (
            self.template.get("Globals", {}).get("Function", {}).get("Environment", {})
        ).get("Variables", {})
        own = (self.template["Resources"][logical_id]["Properties"].get("Environment", {})).get(
            "Variables", {}
        )
        merged = {**globals_env, **own}
        return {k: str(self.resolver.resolve(v)) for k, v in merged.items()}


def _table_kwargs(props: dict[str, Any], name: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    stream = props.get("StreamSpecification")
    if stream:
        # CloudFormation names the view only; the API also wants it switched on.
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **stream}
    return kwargs


def provision(
    session: Any,
    *,
    parameters: dict[str, str],
    twilio_auth_token: str,
    template: dict[str, Any] | None = None,
) -> LocalStack:
    """Create the template's tables, queues, keys, schedule group, parameters and user pool.

    `session` is a boto3 Session (or the boto3 module) whose clients point at moto. The
    Twilio auth token is stored as the SecureString an operator creates before deploying.
    """
    template = template or load_template()
    resolver = Resolver(template, parameters)
    ddb = session.client("dynamodb", region_name=REGION)
    sqs = session.client("sqs", region_name=REGION)
    scheduler = session.client("scheduler", region_name=REGION)
    ssm = session.client("ssm", region_name=REGION)
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT_ID}:{{}}"

    for logical, res in resources_of(template, "AWS::DynamoDB::Table").items():
        props = res["Properties"]
        name = f"{STACK_NAME}-{logical}"
        created = ddb.create_table(**_table_kwargs(props, name))["TableDescription"]
        if "LatestStreamArn" in created:
            resolver.attributes[(logical, "StreamArn")] = created["LatestStreamArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        resolver.refs[logical] = name
        resolver.attributes[(logical, "Arn")] = arn.format("dynamodb", f"table/{name}")

    queue_urls: dict[str, str] = {}
    queues = resources_of(template, "AWS::SQS::Queue")
    # Dead-letter queues first: a redrive policy names its target by ARN.
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {}))
    for logical in ordered:
        props = queues[logical].get("Properties", {})
        name = f"{STACK_NAME}-{logical}"
        attrs = {}
        if "VisibilityTimeout" in props:
            attrs["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        if "RedrivePolicy" in props:
            attrs["RedrivePolicy"] = json.dumps(resolver.resolve(props["RedrivePolicy"]))
        url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        queue_urls[logical] = url
        resolver.refs[logical] = url
        resolver.attributes[(logical, "Arn")] = arn.format("sqs", name)
        resolver.attributes[(logical, "QueueName")] = name

    kms = session.client("kms", region_name=REGION)
    for logical, res in resources_of(template, "AWS::KMS::Key").items():
        props = res["Properties"]
        key = kms.create_key(
            Description=str(resolver.resolve(props.get("Description", logical))),
            Policy=json.dumps(resolver.resolve(props["KeyPolicy"])),
        )["KeyMetadata"]
        resolver.refs[logical] = key["KeyId"]
        resolver.attributes[(logical, "Arn")] = key["Arn"]

    for logical in resources_of(template, "AWS::IAM::Role"):
        resolver.attributes[(logical, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{logical}"

    function_names: dict[str, str] = {}
    for logical, res in resources_of(template, "AWS::Serverless::Function").items():
        props = res["Properties"]
        name = (
            resolver.resolve(props["FunctionName"])
            if "FunctionName" in props
            else f"{STACK_NAME}-{logical}"
        )
        function_names[logical] = name
        resolver.refs[logical] = name
        resolver.attributes[(logical, "Arn")] = arn.format("lambda", f"function:{name}")

    for logical in resources_of(template, "AWS::Serverless::HttpApi"):
        resolver.refs[logical] = "local"

    cognito = provision_cognito(
        session.client("cognito-idp", region_name=REGION), template, resolver
    )

    for logical, res in resources_of(template, "AWS::Scheduler::ScheduleGroup").items():
        name = resolver.resolve(res["Properties"]["Name"])
        scheduler.create_schedule_group(Name=name)
        resolver.refs[logical] = name

    for logical, res in resources_of(template, "AWS::SSM::Parameter").items():
        props = res["Properties"]
        name = resolver.resolve(props["Name"])
        value = resolver.resolve(props["Value"])
        ssm.put_parameter(Name=name, Value=value, Type=props.get("Type", "String"), Overwrite=True)
        resolver.refs[logical] = name
    ssm.put_parameter(
        Name=resolver.ref("TwilioAuthTokenParameterName"),
        Value=twilio_auth_token,
        Type="SecureString",
        Overwrite=True,
    )

    return LocalStack(template, resolver, queue_urls, function_names, cognito)
