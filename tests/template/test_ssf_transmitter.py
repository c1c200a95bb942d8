"""The ssf-transmitter's resources (docs/ssf-transmitter.md): deployed only when
DeploySsfTransmitter=true, on the responder's event bus, behind a function URL, with its own
signing key, streams table, delivery and dead-letter queues, and exactly the grants it needs.

As in test_template.py, every check is a plain function ``check_*(template) -> list[str]``
returning the problems it found, and BREAKAGES shows that each one notices a broken copy of
the template. The values are read as CloudFormation would deploy them (`resolved`), and tied
to what they must agree with (the responder's EVENT_BUS_NAME and EVENT_SOURCE, the
detail-type the responder's source publishes, the queues and the table the environment
names), so that a check cannot pass by restating the template.

Run from the repository root: ``python -m pytest tests/template`` (needs cfn-lint and pytest).
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

import pytest

from test_dashboard import ALL_ON, body_pieces, dashboard_body, edit_body, shown_metrics
from test_template import (
    FOURTEEN_DAYS,
    ROOT,
    alternatives,
    as_list,
    condition_holds,
    evaluate,
    function_of,
    is_created,
    literal_number,
    load_template,
    logical_id,
    resolved,
    resources,
    role_of,
    rules_refusing,
    the_function,
)

TRANSMITTER = "ssf-transmitter"
CONDITION = "IsSsfTransmitterDeployed"
AUTH_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
ON = {
    "DeploySsfTransmitter": "true",
    "SignedOutEventBusName": "signed-out",
    "SsfTransmitterAuthIssuer": AUTH_ISSUER,
}
CUSTOM_ISSUER = "https://ssf.example.com"
FUNCTION_URL = "https://abc123xyz.lambda-url.eu-west-1.on.aws/"
# Every variable the transmitter reads (docs/ssf-transmitter.md#variables), but
# SSF_ALLOW_LOOPBACK_RECEIVERS, which is for tests only and never deployed.
VARIABLES = {
    "SSF_TRANSMITTER_ISSUER",
    "SSF_TRANSMITTER_AUTH_ISSUER",
    "SSF_TRANSMITTER_SCOPE_PREFIX",
    "SSF_SIGNING_KEY_IDS",
    "SSF_STREAMS_TABLE",
    "SSF_DELIVERY_QUEUE_URL",
    "SSF_DEAD_LETTER_QUEUE_URL",
    "SSF_SIGNS_PER_SECOND",
    "SSF_MAX_STREAMS_PER_CLIENT",
    "SSF_PUSH_RETRY_SECONDS",
    "SSF_POLL_RETENTION_SECONDS",
    "METRICS_NAMESPACE",
}
# The parameters and their defaults.
PARAMETERS = {
    "DeploySsfTransmitter": "false",
    "SsfTransmitterIssuer": "",
    "SsfTransmitterAuthIssuer": "",
    "SsfTransmitterScopePrefix": "ssf",
    "SsfMaxStreamsPerClient": 5,
    "SsfPushRetrySeconds": 86400,
    "SsfPollRetentionSeconds": 604800,
    "SsfSignsPerSecond": 100,
}
# The errors a receiver answers a push with (RFC 8935 section 2.3), each counted by name.
PUSH_ERRORS = ("invalid_request", "invalid_key", "invalid_issuer", "invalid_audience",
               "authentication_failed", "access_denied")
# (A refusal with any other err is counted as SetsRefused.other.)
DASHBOARD_METRICS = {
    "SetsDelivered", "SetsRetried", "SetsDeadLettered", "DeliveryLatency", "Streams",
    *(f"SetsRefused.{err}" for err in (*PUSH_ERRORS, "other")),
}


# --------------------------------------------------------------------------------------------
# Finding the transmitter's parts, each through what names it
# --------------------------------------------------------------------------------------------


def transmitter(t: dict) -> tuple[str, dict]:
    return function_of(t, TRANSMITTER)


def variables(t: dict) -> dict:
    return transmitter(t)[1]["Properties"].get("Environment", {}).get("Variables", {})


def environment_of(t: dict, params: dict[str, Any]) -> dict:
    """The transmitter's environment as deployed with `params`."""
    return resolved(t, variables(t), params)


def named(t: dict, variable: str) -> str | None:
    """The resource the transmitter's `variable` names."""
    return logical_id(variables(t).get(variable))


def signing_key(t: dict) -> tuple[str, dict]:
    name = named(t, "SSF_SIGNING_KEY_IDS")
    return name, t["Resources"].get(name, {})


def transmitter_rules(t: dict) -> dict[str, dict]:
    """The EventBridge rules that target the transmitter."""
    fn_id, _ = transmitter(t)
    return {
        name: rule for name, rule in resources(t, "AWS::Events::Rule").items()
        if any(logical_id(target.get("Arn")) == fn_id
               for targets in alternatives(rule["Properties"].get("Targets", []))
               for target in targets)
    }


def grants(t: dict, params: dict[str, Any]) -> list[tuple[str, dict]]:
    """(policy, statement) for every statement the transmitter's role holds as deployed with
    `params`: its inline policies and every AWS::IAM::Policy attached to it. A managed policy
    is returned as a statement-less marker, which the grant check refuses."""
    role_id = role_of(t, transmitter(t)[1])
    role = t["Resources"][role_id]
    found = []
    for policy in resolved(t, role["Properties"].get("Policies", []), params):
        for statement in as_list(policy["PolicyDocument"]["Statement"]):
            found.append((policy["PolicyName"], statement))
    for arn in as_list(role["Properties"].get("ManagedPolicyArns")):
        found.append((f"managed policy {arn}", {}))
    for type_ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, policy in resources(t, type_).items():
            attached = {"Ref": role_id} in as_list(policy["Properties"].get("Roles"))
            if attached and is_created(t, policy, params):
                document = resolved(t, policy["Properties"]["PolicyDocument"], params)
                for statement in as_list(document["Statement"]):
                    found.append((name, statement))
    return found


def granted(t: dict, params: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, resource) for every Allow of the role as deployed with `params`."""
    return {
        (action, str(resource))
        for _, statement in grants(t, params) if statement.get("Effect") == "Allow"
        for action in as_list(statement.get("Action"))
        for resource in as_list(statement.get("Resource"))
    }


def expected_grants(t: dict, *, own_url: bool, tracing: bool = False) -> set[tuple[str, str]]:
    """What the role must hold, on the resources the environment names (a GetAtt evaluates
    to "<LogicalId.Arn>")."""

    def arn(name: str | None) -> str:
        return f"<{name}.Arn>"

    table = arn(named(t, "SSF_STREAMS_TABLE"))
    delivery = arn(named(t, "SSF_DELIVERY_QUEUE_URL"))
    dead_letters = arn(named(t, "SSF_DEAD_LETTER_QUEUE_URL"))
    key = arn(signing_key(t)[0])
    log_group = arn(transmitter(t)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"])
    wanted = {
        *((f"dynamodb:{a}", table) for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")),
        *((f"sqs:{a}", delivery) for a in (
            "ReceiveMessage", "DeleteMessage", "GetQueueAttributes",
            "SendMessage")),
        ("sqs:SendMessage", dead_letters),
        ("kms:Sign", key),
        ("kms:GetPublicKey", key),
        ("logs:CreateLogStream", log_group),
        ("logs:PutLogEvents", log_group),
    }
    if own_url:
        wanted.add(("lambda:GetFunctionUrlConfig", arn(transmitter(t)[0])))
    if tracing:
        wanted |= {("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")}
    return wanted


def responder_detail_type() -> str:
    """The detail-type the responder publishes its signed-out events with, from its source."""
    source = (ROOT / "src/core/revocation.rs").read_text(encoding="utf-8")
    match = re.search(r'pub const EVENT_DETAIL_TYPE: &str = "([^"]+)";', source)
    assert match, "src/core/revocation.rs no longer defines EVENT_DETAIL_TYPE"
    return match.group(1)


def with_function_url(expr: Any) -> Any:
    """`expr` with the transmitter's function URL in place of its GetAtt, as deployed."""
    if isinstance(expr, dict):
        if expr == {"Fn::GetAtt": ["SsfTransmitterFunctionUrl", "FunctionUrl"]}:
            return FUNCTION_URL
        if set(expr) == {"Fn::Sub"} and isinstance(expr["Fn::Sub"], str):
            return {"Fn::Sub": expr["Fn::Sub"].replace("${SsfTransmitterFunctionUrl.FunctionUrl}", FUNCTION_URL)}
        return {k: with_function_url(v) for k, v in expr.items()}
    if isinstance(expr, list):
        return [with_function_url(v) for v in expr]
    return expr


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def check_deployment(t: dict) -> list[str]:
    """Off by default; every resource of the transmitter exists exactly with
    DeploySsfTransmitter=true; the parameters and their defaults."""
    problems = []
    for name, default in PARAMETERS.items():
        parameter = t.get("Parameters", {}).get(name)
        if parameter is None:
            problems.append(f"no parameter {name}")
        elif parameter.get("Default") != default:
            problems.append(f"{name} defaults to {parameter.get('Default')!r}, not {default!r}")
    if literal_number(t, t["Parameters"].get("SsfPushRetrySeconds", {}).get("MinValue")) != 1:
        problems.append("SsfPushRetrySeconds accepts less than 1 s (or has no MinValue)")
    if condition_holds(t, CONDITION, {}):
        problems.append(f"{CONDITION} holds by default")
    if not condition_holds(t, CONDITION, ON):
        problems.append(f"{CONDITION} does not hold with {ON}")
    fn_id, fn = transmitter(t)
    parts = {
        fn_id, role_of(t, fn), signing_key(t)[0], named(t, "SSF_STREAMS_TABLE"),
        named(t, "SSF_DELIVERY_QUEUE_URL"), named(t, "SSF_DEAD_LETTER_QUEUE_URL"),
        fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"], *transmitter_rules(t),
    }
    # Everything else that names one of them: permissions, policies, alarms, the alias.
    for name, resource in t["Resources"].items():
        text = str(resource.get("Properties", {}))
        if any(f"'{part}'" in text for part in parts if part):
            parts.add(name)
    expected = {"SsfTransmitterFunction", "SsfTransmitterFunctionRole", "SsfTransmitterSigningKey",
                "SsfTransmitterStreamsTable", "SsfTransmitterDeliveryQueue",
                "SsfTransmitterDeadLetterQueue", "SsfTransmitterLogGroup", "SsfTransmitterRule",
                "SsfTransmitterRulePermission", "SsfTransmitterSigningPolicy",
                "SsfTransmitterDeadLetterQueuePolicy", "SsfTransmitterDeliveryQueuePolicy",
                "SsfTransmitterDeadLettersAlarm", "SsfTransmitterErrorsAlarm"}
    for missing in sorted(expected - parts):
        problems.append(f"no resource {missing}")
    for name in sorted(parts):
        resource = t["Resources"].get(name)
        if resource is None:
            problems.append(f"{name} is named but does not exist")
        elif resource.get("Condition") != CONDITION:
            problems.append(f"{name} is not under {CONDITION}")
    for name, output in t.get("Outputs", {}).items():
        if name.startswith("SsfTransmitter") and output.get("Condition") != CONDITION:
            problems.append(f"output {name} is not under {CONDITION}")
    return problems


def check_function(t: dict) -> list[str]:
    """Built like the receiver, behind a public function URL, with every variable it reads
    and SSF_TRANSMITTER_ISSUER only when the parameter is set."""
    problems = []
    name, fn = transmitter(t)
    _, receiver = function_of(t, "ssf-receiver")
    props, theirs = fn["Properties"], receiver["Properties"]
    if (fn.get("Metadata") or {}).get("BuildMethod") != (receiver.get("Metadata") or {}).get("BuildMethod"):
        problems.append(f"{name} is not built like the receiver")
    for key in ("Runtime", "Handler", "Architectures"):
        if props.get(key) != theirs.get(key):
            problems.append(f"{name} {key} is {props.get(key)!r}, the receiver's {theirs.get(key)!r}")
    # cargo finds a member's binary from the member's directory.
    if props.get("CodeUri") != "crates/ssf-transmitter":
        problems.append(f"{name} CodeUri is {props.get('CodeUri')!r}")
    if (props.get("Timeout"), props.get("MemorySize")) != (30, 256):
        problems.append(f"{name} Timeout/MemorySize are {props.get('Timeout')}/{props.get('MemorySize')}, not 30/256")
    if props.get("FunctionUrlConfig") != {"AuthType": "NONE"}:
        problems.append(f"{name} FunctionUrlConfig is {props.get('FunctionUrlConfig')!r}")
    logging = props.get("LoggingConfig") or {}
    if logging.get("LogFormat") != "JSON" or logging.get("LogGroup") != {"Ref": "SsfTransmitterLogGroup"}:
        problems.append(f"{name} does not log JSON to its own log group: {logging}")
    if set(variables(t)) != VARIABLES:
        problems.append(f"{name} variables {sorted(variables(t))}, expected {sorted(VARIABLES)}")
    responder_namespace = the_function(t)[1]["Properties"]["Environment"]["Variables"]["METRICS_NAMESPACE"]
    if variables(t).get("METRICS_NAMESPACE") != responder_namespace:
        problems.append(f"{name} METRICS_NAMESPACE is not the responder's")
    env = environment_of(t, ON)
    if "SSF_TRANSMITTER_ISSUER" in env:
        problems.append(f"SSF_TRANSMITTER_ISSUER is set ({env['SSF_TRANSMITTER_ISSUER']!r}) without SsfTransmitterIssuer")
    custom = environment_of(t, {**ON, "SsfTransmitterIssuer": CUSTOM_ISSUER})
    if custom.get("SSF_TRANSMITTER_ISSUER") != CUSTOM_ISSUER:
        problems.append(f"SSF_TRANSMITTER_ISSUER is {custom.get('SSF_TRANSMITTER_ISSUER')!r} with a custom issuer")
    values = {
        "SSF_TRANSMITTER_AUTH_ISSUER": AUTH_ISSUER,
        "SSF_TRANSMITTER_SCOPE_PREFIX": "ssf",
        "SSF_SIGNS_PER_SECOND": 100,
        "SSF_MAX_STREAMS_PER_CLIENT": 5,
        "SSF_PUSH_RETRY_SECONDS": 86400,
        "SSF_POLL_RETENTION_SECONDS": 604800,
        "SSF_SIGNING_KEY_IDS": "<SsfTransmitterSigningKey.Arn>",
    }
    for variable, want in values.items():
        if env.get(variable) != want:
            problems.append(f"{variable} is {env.get(variable)!r}, expected {want!r}")
    for variable, type_ in (("SSF_STREAMS_TABLE", "AWS::DynamoDB::Table"),
                            ("SSF_DELIVERY_QUEUE_URL", "AWS::SQS::Queue"),
                            ("SSF_DEAD_LETTER_QUEUE_URL", "AWS::SQS::Queue")):
        value = variables(t).get(variable)
        if not (isinstance(value, dict) and set(value) == {"Ref"}) or value["Ref"] not in resources(t, type_):
            problems.append(f"{variable} is {value!r}, not a {type_} of the template")
    if named(t, "SSF_DELIVERY_QUEUE_URL") == named(t, "SSF_DEAD_LETTER_QUEUE_URL"):
        problems.append("the delivery queue is its own dead-letter queue")
    return problems


def check_signing_key(t: dict) -> list[str]:
    """RSA_2048 for signing; its policy: the account's root administers it (kms:*), the
    function's role may only sign and read the public key, nobody else is named."""
    problems = []
    name, key = signing_key(t)
    if key.get("Type") != "AWS::KMS::Key":
        return [f"SSF_SIGNING_KEY_IDS names {name!r}, not a KMS key of the template"]
    props = key["Properties"]
    if (props.get("KeySpec"), props.get("KeyUsage")) != ("RSA_2048", "SIGN_VERIFY"):
        problems.append(f"{name} is {props.get('KeySpec')}/{props.get('KeyUsage')}, not RSA_2048/SIGN_VERIFY")
    role = f"<{role_of(t, transmitter(t)[1])}.Arn>"
    root = "arn:aws:iam::123456789012:root"
    by_principal: dict[str, set[str]] = {}
    for statement in as_list(resolved(t, props.get("KeyPolicy", {}), ON).get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotPrincipal" in statement or "Condition" in statement:
            problems.append(f"{name}: statement {statement.get('Sid')} is not a plain grant")
        for principal in as_list((statement.get("Principal") or {}).get("AWS")):
            by_principal.setdefault(str(principal), set()).update(as_list(statement.get("Action")))
        if set(statement.get("Principal") or {}) - {"AWS"}:
            problems.append(f"{name}: statement {statement.get('Sid')} names a service or anyone")
    if by_principal != {root: {"kms:*"}, role: {"kms:Sign", "kms:GetPublicKey"}}:
        problems.append(f"{name} key policy grants {by_principal}, expected the root kms:* and "
                        f"the role kms:Sign and kms:GetPublicKey only")
    return problems


def check_grants(t: dict) -> list[str]:
    """Exactly the grants it needs, each on the one resource it is for; the function's own
    URL only when it must read it (no SsfTransmitterIssuer); "*" only for X-Ray."""
    problems = []
    for policy, statement in grants(t, ON):
        if not statement:
            problems.append(f"{policy}: not an explicit statement")
        elif statement.get("Effect") != "Allow" or {"NotAction", "NotResource"} & set(statement):
            problems.append(f"{policy} statement {statement.get('Sid')}: not a plain Allow")
    cases = [
        (ON, dict(own_url=True)),
        ({**ON, "SsfTransmitterIssuer": CUSTOM_ISSUER}, dict(own_url=False)),
        ({**ON, "EnableTracing": "true"}, dict(own_url=True, tracing=True)),
    ]
    for params, shape in cases:
        got, wanted = granted(t, params), expected_grants(t, **shape)
        for extra in sorted(got - wanted):
            problems.append(f"{params}: the role also grants {extra}")
        for missing in sorted(wanted - got):
            problems.append(f"{params}: the role lacks {missing}")
    return problems


def check_delivery(t: dict) -> list[str]:
    """The responder's events reach the function on the responder's own bus, with the
    responder's source and detail-type; a failed invocation (after two retries) and an event
    EventBridge could not deliver land in the dead-letter queue, which admits that rule only;
    the delivery queue feeds the function with partial batch failures."""
    problems = []
    fn_id, fn = transmitter(t)
    props = fn["Properties"]
    dead_letters = named(t, "SSF_DEAD_LETTER_QUEUE_URL")
    delivery = named(t, "SSF_DELIVERY_QUEUE_URL")

    invoke = props.get("EventInvokeConfig") or {}
    on_failure = (invoke.get("DestinationConfig") or {}).get("OnFailure") or {}
    if invoke.get("MaximumRetryAttempts") != 2:
        problems.append(f"EventInvokeConfig MaximumRetryAttempts is {invoke.get('MaximumRetryAttempts')!r}, not 2")
    if on_failure.get("Type") != "SQS" or logical_id(on_failure.get("Destination")) != dead_letters:
        problems.append(f"the on-failure destination is {on_failure!r}, not the dead-letter queue")

    rules = transmitter_rules(t)
    if len(rules) != 1:
        return problems + [f"expected one rule targeting the transmitter, found {sorted(rules)}"]
    (rule_id, rule), = rules.items()
    responder_env = the_function(t)[1]["Properties"]["Environment"]["Variables"]
    for params in (ON, {**ON, "SignedOutEventBusName": "other-bus", "SignedOutEventSource": "my.responder"}):
        deployed = resolved(t, rule["Properties"], params)
        bus = evaluate(t, responder_env["EVENT_BUS_NAME"], params)
        source = evaluate(t, responder_env["EVENT_SOURCE"], params)
        if deployed.get("EventBusName") != bus:
            problems.append(f"{rule_id} listens on {deployed.get('EventBusName')!r}, the responder publishes on {bus!r}")
        pattern = deployed.get("EventPattern") or {}
        if pattern.get("source") != [source]:
            problems.append(f"{rule_id} matches source {pattern.get('source')!r}, the responder's is {source!r}")
        if pattern.get("detail-type") != [responder_detail_type()]:
            problems.append(f"{rule_id} matches detail-type {pattern.get('detail-type')!r}")
        if pattern.get("account") != ["123456789012"]:
            problems.append(f"{rule_id} accepts events put by other accounts: {pattern.get('account')!r}")
    targets = rule["Properties"].get("Targets", [])
    for target in targets:
        if logical_id((target.get("DeadLetterConfig") or {}).get("Arn")) != dead_letters:
            problems.append(f"{rule_id} target {target.get('Id')} has no dead-letter queue of its own")
        if "RetryPolicy" not in target:
            problems.append(f"{rule_id} target {target.get('Id')} has no RetryPolicy")
    if [logical_id(x.get("Arn")) for x in targets] != [fn_id]:
        problems.append(f"{rule_id} targets {[x.get('Arn') for x in targets]}, not the function alone")

    permissions = [p["Properties"] for p in resources(t, "AWS::Lambda::Permission").values()
                   if logical_id(p["Properties"].get("FunctionName")) == fn_id]
    wanted = [{"Action": "lambda:InvokeFunction", "FunctionName": {"Fn::GetAtt": [fn_id, "Arn"]},
               "Principal": "events.amazonaws.com", "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}]
    if permissions != wanted:
        problems.append(f"the function's invoke permissions are {permissions}, expected the rule's only")

    policies = [p for p in resources(t, "AWS::SQS::QueuePolicy").values()
                if {"Ref": dead_letters} in as_list(p["Properties"].get("Queues"))]
    allows = [s for p in policies for s in as_list(p["Properties"]["PolicyDocument"]["Statement"])
              if s.get("Effect") == "Allow"]
    wanted_allow = {"Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                    "Resource": {"Fn::GetAtt": [dead_letters, "Arn"]},
                    "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}}}
    if [{k: s.get(k) for k in wanted_allow} for s in allows] != [wanted_allow]:
        problems.append(f"the dead-letter queue admits {allows}, expected {rule_id}'s dead letters only")

    events = {k: v["Properties"] for k, v in (props.get("Events") or {}).items()}
    sqs = [e for e in events.values() if logical_id(e.get("Queue")) == delivery]
    if len(sqs) != 1 or len(events) != 1:
        problems.append(f"expected one event source, the delivery queue: {sorted(events)}")
    for e in sqs:
        if e.get("BatchSize") != 10:
            problems.append(f"the delivery queue's BatchSize is {e.get('BatchSize')!r}, not 10")
        if "ReportBatchItemFailures" not in (e.get("FunctionResponseTypes") or []):
            problems.append("the delivery queue's mapping does not report batch item failures")
    return problems


def check_storage(t: dict) -> list[str]:
    """The streams table (pk, sk, TTL expiresAt, on demand, recovery, encryption, kept); both
    queues encrypted and keeping 14 days; the delivery queue's visibility timeout six times
    the function's timeout."""
    problems = []
    table_id = named(t, "SSF_STREAMS_TABLE")
    table = t["Resources"].get(table_id, {})
    props = table.get("Properties", {})
    if props.get("KeySchema") != [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]:
        problems.append(f"{table_id} KeySchema is {props.get('KeySchema')!r}")
    if sorted(map(str, props.get("AttributeDefinitions", []))) != sorted(map(str, [
            {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])):
        problems.append(f"{table_id} AttributeDefinitions is {props.get('AttributeDefinitions')!r}")
    if props.get("BillingMode") != "PAY_PER_REQUEST":
        problems.append(f"{table_id} is not on demand")
    if props.get("TimeToLiveSpecification") != {"AttributeName": "expiresAt", "Enabled": True}:
        problems.append(f"{table_id} TTL is {props.get('TimeToLiveSpecification')!r}")
    if (props.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled") is not True:
        problems.append(f"{table_id} has no point-in-time recovery")
    if (props.get("SSESpecification") or {}).get("SSEEnabled") is not True:
        problems.append(f"{table_id} is not encrypted")
    if (table.get("DeletionPolicy"), table.get("UpdateReplacePolicy")) != ("Retain", "Retain"):
        problems.append(f"{table_id} is not kept when the stack goes")

    timeout = literal_number(t, transmitter(t)[1]["Properties"].get("Timeout"))
    for variable in ("SSF_DELIVERY_QUEUE_URL", "SSF_DEAD_LETTER_QUEUE_URL"):
        queue_id = named(t, variable)
        queue = t["Resources"].get(queue_id, {}).get("Properties", {})
        if queue.get("SqsManagedSseEnabled") is not True and not queue.get("KmsMasterKeyId"):
            problems.append(f"{queue_id} is not encrypted")
        retention = literal_number(t, queue.get("MessageRetentionPeriod", 345_600))
        if retention != FOURTEEN_DAYS:
            problems.append(f"{queue_id} keeps messages {retention} s, not 14 days")
        if variable == "SSF_DELIVERY_QUEUE_URL":
            visibility = literal_number(t, queue.get("VisibilityTimeout", 30))
            if visibility is None or visibility < 6 * timeout:
                problems.append(f"{queue_id} VisibilityTimeout {visibility} is under 6 x {timeout}")
    return problems


def check_rules(t: dict) -> list[str]:
    """The stack refuses the transmitter without the responder's event bus (its only input)
    or without the issuer of management tokens, and says which is missing."""
    problems = []
    cases = {
        "nothing": ({}, []),
        "the transmitter, complete": (ON, []),
        "the transmitter without a bus": ({**ON, "SignedOutEventBusName": ""}, ["SignedOutEventBusName"]),
        "the transmitter without an auth issuer": ({**ON, "SsfTransmitterAuthIssuer": ""}, ["SsfTransmitterAuthIssuer"]),
        "a bus and an auth issuer, no transmitter": ({**ON, "DeploySsfTransmitter": "false"}, []),
    }
    for case, (params, named_) in cases.items():
        refused = rules_refusing(t, params)
        if bool(refused) != bool(named_):
            problems.append(f"{case}: the stack's rules refuse {refused}")
        for parameter in named_:
            if not any(parameter in r and "DeploySsfTransmitter=true" in r for r in refused):
                problems.append(f"{case}: no refusal says DeploySsfTransmitter=true needs {parameter}: {refused}")
    return problems


def check_alarms(t: dict) -> list[str]:
    """A message in the dead-letter queue and a failed invocation each raise an alarm,
    notifying whom the responder's own alarms notify."""
    problems = []
    fn_id, _ = transmitter(t)
    dead_letters = named(t, "SSF_DEAD_LETTER_QUEUE_URL")
    wiring = {k: t["Resources"]["FunctionErrorsAlarm"]["Properties"].get(k) for k in ("AlarmActions", "OKActions")}
    wanted = {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dead_letters),
        ("AWS/Lambda", "Errors", "FunctionName", fn_id),
    }
    found = set()
    for name, alarm in resources(t, "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        for dimension in props.get("Dimensions", []):
            key = (props.get("Namespace"), props.get("MetricName"), dimension.get("Name"), logical_id(dimension.get("Value")))
            if key not in wanted:
                continue
            found.add(key)
            if {k: props.get(k) for k in wiring} != wiring:
                problems.append(f"{name} does not notify whom the other alarms notify")
            if (props.get("ComparisonOperator"), props.get("Threshold")) != ("GreaterThanThreshold", 0):
                problems.append(f"{name} does not fire on the first one")
    for missing in sorted(wanted - found):
        problems.append(f"no alarm on {missing}")
    return problems


def check_dashboard(t: dict) -> list[str]:
    """With the transmitter, its widgets show every metric it emits (named by its function)
    and the dead-letter queue's depth, latency as p50 and p99; without it, none of them."""
    problems = []
    fn = f"<{transmitter(t)[0]}>"
    queue = f"<{named(t, 'SSF_DEAD_LETTER_QUEUE_URL')}.QueueName>"
    body = dashboard_body(t, ALL_ON)
    shown = shown_metrics(body)
    names = {m.name for m in shown if m.function == fn}
    if names != DASHBOARD_METRICS:
        problems.append(f"the transmitter's widgets show {sorted(names)}, expected {sorted(DASHBOARD_METRICS)}")
    depth = [row for w in body["widgets"] for row in w.get("properties", {}).get("metrics", [])
             if row[:4] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue]]
    if not depth:
        problems.append("no widget shows the dead-letter queue's depth")
    stats = {row[-1].get("stat") for w in body["widgets"] for row in w.get("properties", {}).get("metrics", [])
             if "DeliveryLatency" in row}
    if stats != {"p50", "p99"}:
        problems.append(f"DeliveryLatency is shown as {stats}, not p50 and p99")
    off = dashboard_body(t, {**ALL_ON, "DeploySsfTransmitter": "false"})
    if fn in str(off) or queue in str(off):
        problems.append("the transmitter's widgets are shown without the transmitter")
    return problems


def check_outputs(t: dict) -> list[str]:
    """The function URL, the issuer and configuration URL apps start from (by the custom
    domain when given), the streams table and the dead-letter queue."""
    problems = []
    outputs = t.get("Outputs", {})
    cases = {"its function URL": ON, "a custom issuer": {**ON, "SsfTransmitterIssuer": CUSTOM_ISSUER}}
    wanted = {
        "SsfTransmitterUrl": {"its function URL": FUNCTION_URL},
        "SsfTransmitterIssuerUrl": {"its function URL": FUNCTION_URL.rstrip("/"),
                                    "a custom issuer": CUSTOM_ISSUER},
        "SsfTransmitterConfigurationUrl": {
            "its function URL": FUNCTION_URL + ".well-known/ssf-configuration",
            "a custom issuer": CUSTOM_ISSUER + "/.well-known/ssf-configuration",
        },
        "SsfTransmitterStreamsTableName": {"its function URL": f"<{named(t, 'SSF_STREAMS_TABLE')}>"},
        "SsfTransmitterDeadLetterQueueUrl": {"its function URL": f"<{named(t, 'SSF_DEAD_LETTER_QUEUE_URL')}>"},
    }
    for name, values in wanted.items():
        output = outputs.get(name)
        if output is None:
            problems.append(f"no output {name}")
            continue
        for case, want in values.items():
            got = evaluate(t, with_function_url(output.get("Value")), cases[case])
            if got != want:
                problems.append(f"output {name} is {got!r} with {case}, expected {want!r}")
    return problems


CHECKS: list[Callable[[dict], list[str]]] = [
    check_deployment,
    check_function,
    check_signing_key,
    check_grants,
    check_delivery,
    check_storage,
    check_rules,
    check_alarms,
    check_dashboard,
    check_outputs,
]


# --------------------------------------------------------------------------------------------
# Tests: the real template passes
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_transmitter_passes(check, template):
    assert check(template) == []


def test_the_issuer_parameters_accept_only_what_the_function_accepts(template):
    issuer = template["Parameters"]["SsfTransmitterIssuer"]["AllowedPattern"]
    for good in ("", "https://ssf.example.com", "https://ssf.example.com:8443", "https://a-b.c.example"):
        assert re.fullmatch(issuer, good), good
    # No trailing slash (the SETs' iss), no path (the configuration's well-known URL), https.
    for bad in ("https://ssf.example.com/", "https://ssf.example.com/ssf", "http://ssf.example.com",
                "ssf.example.com", "https://", "https://ssf.example.com?x=1"):
        assert not re.fullmatch(issuer, bad), bad
    auth = template["Parameters"]["SsfTransmitterAuthIssuer"]["AllowedPattern"]
    for good in ("", AUTH_ISSUER, "https://cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_Xy9"):
        assert re.fullmatch(auth, good), good
    for bad in (AUTH_ISSUER + "/", "https://cognito-idp.eu-west-1.amazonaws.com/", "https://idp.example.com",
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_*", "http://" + AUTH_ISSUER[8:],
                # A pool is served by its own region's endpoint only: the function refuses this.
                "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123"):
        assert not re.fullmatch(auth, bad), bad
    # The function refuses more than 10,000 signs per second per instance at start-up.
    signs = template["Parameters"]["SsfSignsPerSecond"]
    assert (signs["MinValue"], signs["MaxValue"]) == (1, 10000)
    prefix = template["Parameters"]["SsfTransmitterScopePrefix"]["AllowedPattern"]
    for good in ("ssf", "https://api.example.com", "my-app_1"):
        assert re.fullmatch(prefix, good), good
    for bad in ("", "ss f", 'a"b', "a\\b"):
        assert not re.fullmatch(prefix, bad), bad


def test_sam_expands_the_url_permissions_invoke_config_and_mapping_as_lambda_needs_them():
    # SAM's own expansion: both public permissions Lambda requires of a function URL with
    # AuthType NONE (InvokeFunction only through the URL), an AWS::Lambda::EventInvokeConfig
    # with the dead-letter queue on failure, and the delivery queue's event source mapping.
    from test_ssf_receiver import POOLS, sam_transformed

    out = sam_transformed({**ON, "UserPoolArns": ",".join(POOLS)})["Resources"]
    mine = {k: r for k, r in out.items()
            if r["Properties"].get("FunctionName") == {"Ref": "SsfTransmitterFunction"}
            or r["Properties"].get("TargetFunctionArn") == {"Ref": "SsfTransmitterFunction"}}
    for name, r in mine.items():
        assert r.get("Condition") == CONDITION, name
    public = [r["Properties"] for r in mine.values()
              if r["Type"] == "AWS::Lambda::Permission" and r["Properties"].get("Principal") == "*"]
    assert {p["Action"] for p in public} == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}, public
    assert next(p for p in public if p["Action"] == "lambda:InvokeFunction")["InvokedViaFunctionUrl"] is True
    assert next(p for p in public if p["Action"] == "lambda:InvokeFunctionUrl")["FunctionUrlAuthType"] == "NONE"
    (url,) = [r["Properties"] for r in mine.values() if r["Type"] == "AWS::Lambda::Url"]
    assert url["AuthType"] == "NONE"
    assert "SsfTransmitterFunctionUrl" in out  # the name the outputs' GetAtt uses
    (invoke,) = [r["Properties"] for r in mine.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["SsfTransmitterDeadLetterQueue", "Arn"]}
    (mapping,) = [r["Properties"] for r in mine.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["SsfTransmitterDeliveryQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 10


def test_the_grants_that_name_the_key_or_the_function_sit_outside_the_role(template):
    # The key policy names the role and the function runs as it: a grant on either inside the
    # role would be a circular dependency, which CloudFormation refuses.
    role_id = role_of(template, transmitter(template)[1])
    inline = str(template["Resources"][role_id]["Properties"]["Policies"])
    assert "SsfTransmitterSigningKey" not in inline and "'SsfTransmitterFunction'" not in inline
    policy = template["Resources"]["SsfTransmitterSigningPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": role_id}]
    # The rule waits for that grant: events reach the function only once it may sign.
    assert template["Resources"]["SsfTransmitterRule"]["DependsOn"] == "SsfTransmitterSigningPolicy"


def test_default_parameters_deploy_no_transmitter_resource(template):
    # With the defaults, nothing of the transmitter exists and the role grants nothing.
    created = [n for n, r in template["Resources"].items()
               if n.startswith("SsfTransmitter") and is_created(template, r, {})]
    assert created == []
    env = environment_of(template, {})
    assert env["SSF_TRANSMITTER_AUTH_ISSUER"] == "" and "SSF_TRANSMITTER_ISSUER" not in env


# --------------------------------------------------------------------------------------------
# Tests: each check notices a broken template
# --------------------------------------------------------------------------------------------


def props(t: dict, name: str) -> dict:
    return t["Resources"][name]["Properties"]


def env_vars(t: dict) -> dict:
    return props(t, "SsfTransmitterFunction")["Environment"]["Variables"]


def key_statements(t: dict) -> list:
    return props(t, "SsfTransmitterSigningKey")["KeyPolicy"]["Statement"]


def role_policy(t: dict, name: str) -> list:
    for policy in props(t, "SsfTransmitterFunctionRole")["Policies"]:
        if isinstance(policy, dict) and policy.get("PolicyName") == name:
            return policy["PolicyDocument"]["Statement"]
    raise AssertionError(f"no policy {name}")


def signing_statements(t: dict) -> list:
    return props(t, "SsfTransmitterSigningPolicy")["PolicyDocument"]["Statement"]


def transmitter_widgets(t: dict) -> dict:
    """The Fn::If of the dashboard body that adds the transmitter's widgets."""
    for piece in body_pieces(t):
        if isinstance(piece, dict) and piece.get("Fn::If", [None])[0] == CONDITION:
            return piece
    raise AssertionError("no conditional transmitter widgets")


BREAKAGES: dict[str, tuple[Callable[[dict], list[str]], Callable[[dict], None]]] = {
    "deployed by default": (
        check_deployment, lambda t: t["Parameters"]["DeploySsfTransmitter"].update(Default="true")),
    "retries for no time at all": (
        check_deployment, lambda t: t["Parameters"]["SsfPushRetrySeconds"].update(MinValue=0)),
    "the streams table always created": (
        check_deployment, lambda t: t["Resources"]["SsfTransmitterStreamsTable"].pop("Condition")),
    "the rule permission always created": (
        check_deployment, lambda t: t["Resources"]["SsfTransmitterRulePermission"].pop("Condition")),
    "the issuer always set, empty by default": (
        check_function, lambda t: env_vars(t).update(SSF_TRANSMITTER_ISSUER={"Ref": "SsfTransmitterIssuer"})),
    "loopback receivers allowed in production": (
        check_function, lambda t: env_vars(t).update(SSF_ALLOW_LOOPBACK_RECEIVERS="true")),
    "no dead-letter queue variable": (
        check_function, lambda t: env_vars(t).pop("SSF_DEAD_LETTER_QUEUE_URL")),
    "a namespace of its own": (
        check_function, lambda t: env_vars(t).update(METRICS_NAMESPACE="SsfTransmitter")),
    "the function URL behind IAM": (
        check_function, lambda t: props(t, "SsfTransmitterFunction").update(FunctionUrlConfig={"AuthType": "AWS_IAM"})),
    "built from the root package": (
        check_function, lambda t: props(t, "SsfTransmitterFunction").update(CodeUri=".")),
    "a symmetric key": (
        check_signing_key, lambda t: props(t, "SsfTransmitterSigningKey").update(
            KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")),
    "the role may decrypt with the key": (
        check_signing_key, lambda t: key_statements(t)[1].update(Action=["kms:Sign", "kms:GetPublicKey", "kms:Decrypt"])),
    "the root only signs (KMS's lockout check)": (
        check_signing_key, lambda t: key_statements(t)[0].update(Action="kms:Sign")),
    "a service may sign": (
        check_signing_key, lambda t: key_statements(t).append(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "kms:Sign", "Resource": "*"})),
    "the role may scan the streams": (
        check_grants, lambda t: role_policy(t, "streams")[0]["Action"].append("dynamodb:Scan")),
    "the role may use any table": (
        check_grants, lambda t: role_policy(t, "streams")[0].update(
            Resource={"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"})),
    "the role may sign with any key": (
        check_grants, lambda t: signing_statements(t)[0].update(Resource="*")),
    "the function URL read even with a custom issuer": (
        check_grants, lambda t: signing_statements(t).__setitem__(1, signing_statements(t)[1]["Fn::If"][2])),
    "the role may not send dead letters": (
        check_grants, lambda t: role_policy(t, "delivery-queue-and-dead-letters")[1].update(
            Resource={"Fn::GetAtt": ["SsfTransmitterDeliveryQueue", "Arn"]})),
    "a managed policy on the role": (
        check_grants, lambda t: props(t, "SsfTransmitterFunctionRole").update(
            ManagedPolicyArns=["arn:aws:iam::aws:policy/AmazonSQSFullAccess"])),
    "no on-failure destination": (
        check_delivery, lambda t: props(t, "SsfTransmitterFunction")["EventInvokeConfig"].pop("DestinationConfig")),
    "no retries by Lambda": (
        check_delivery, lambda t: props(t, "SsfTransmitterFunction")["EventInvokeConfig"].update(MaximumRetryAttempts=0)),
    "the rule on the default bus": (
        check_delivery, lambda t: props(t, "SsfTransmitterRule").update(EventBusName="default")),
    "the rule on any detail-type": (
        check_delivery, lambda t: props(t, "SsfTransmitterRule")["EventPattern"].pop("detail-type")),
    "the rule on a fixed source": (
        check_delivery, lambda t: props(t, "SsfTransmitterRule")["EventPattern"].update(
            source=["cognito-signout-responder"])),
    "events of any account": (
        check_delivery, lambda t: props(t, "SsfTransmitterRule")["EventPattern"].pop("account")),
    "the rule target without a dead-letter queue": (
        check_delivery, lambda t: props(t, "SsfTransmitterRule")["Targets"][0].pop("DeadLetterConfig")),
    "any rule may dead-letter": (
        check_delivery, lambda t: props(t, "SsfTransmitterDeadLetterQueuePolicy")["PolicyDocument"][
            "Statement"][0].pop("Condition")),
    "anyone in the account may invoke": (
        check_delivery, lambda t: props(t, "SsfTransmitterRulePermission").pop("SourceArn")),
    "batch failures not reported": (
        check_delivery, lambda t: props(t, "SsfTransmitterFunction")["Events"]["DeliveryQueue"][
            "Properties"].pop("FunctionResponseTypes")),
    "the streams table without a sort key": (
        check_storage, lambda t: props(t, "SsfTransmitterStreamsTable")["KeySchema"].pop(1)),
    "the streams table without TTL": (
        check_storage, lambda t: props(t, "SsfTransmitterStreamsTable").pop("TimeToLiveSpecification")),
    "the streams table deleted with the stack": (
        check_storage, lambda t: t["Resources"]["SsfTransmitterStreamsTable"].update(DeletionPolicy="Delete")),
    "dead letters kept four days": (
        check_storage, lambda t: props(t, "SsfTransmitterDeadLetterQueue").pop("MessageRetentionPeriod")),
    "a visibility timeout under the function's": (
        check_storage, lambda t: props(t, "SsfTransmitterDeliveryQueue").update(VisibilityTimeout=30)),
    "deployable without the event bus": (
        check_rules, lambda t: t["Rules"]["SsfTransmitterNeedsEventBusAndAuthIssuer"]["Assertions"].pop(0)),
    "deployable without an auth issuer": (
        check_rules, lambda t: t["Rules"]["SsfTransmitterNeedsEventBusAndAuthIssuer"]["Assertions"].pop(1)),
    "the bus asked of every stack": (
        check_rules, lambda t: t["Rules"]["SsfTransmitterNeedsEventBusAndAuthIssuer"].pop("RuleCondition")),
    "no dead-letter alarm": (check_alarms, lambda t: t["Resources"].pop("SsfTransmitterDeadLettersAlarm")),
    "no errors alarm": (check_alarms, lambda t: t["Resources"].pop("SsfTransmitterErrorsAlarm")),
    "an alarm that notifies nobody": (
        check_alarms, lambda t: props(t, "SsfTransmitterErrorsAlarm").pop("AlarmActions")),
    "a made-up transmitter metric": (
        check_dashboard, lambda t: edit_body(t, '"SetsRetried", "FunctionName"', '"SetsResent", "FunctionName"')),
    "a refusal left out": (
        check_dashboard, lambda t: edit_body(t, '"SetsRefused.access_denied"', '"SetsRefused.invalid_key"')),
    "latency as an average": (
        check_dashboard, lambda t: edit_body(
            t, '{"label": "delivery latency p99", "stat": "p99"}', '{"label": "delivery latency", "stat": "Average"}')),
    "transmitter widgets with the receiver": (
        check_dashboard, lambda t: transmitter_widgets(t)["Fn::If"].__setitem__(0, "IsSsfReceiverDeployed")),
    "the configuration URL with a double slash": (
        check_outputs, lambda t: t["Outputs"]["SsfTransmitterConfigurationUrl"]["Value"]["Fn::If"].__setitem__(
            2, {"Fn::Sub": "${SsfTransmitterFunctionUrl.FunctionUrl}/.well-known/ssf-configuration"})),
    "the configuration URL ignores the custom issuer": (
        check_outputs, lambda t: t["Outputs"]["SsfTransmitterConfigurationUrl"].update(
            Value={"Fn::Sub": "${SsfTransmitterFunctionUrl.FunctionUrl}.well-known/ssf-configuration"})),
    "the issuer with the URL's trailing slash": (
        check_outputs, lambda t: t["Outputs"]["SsfTransmitterIssuerUrl"]["Value"]["Fn::If"].__setitem__(
            2, {"Fn::GetAtt": ["SsfTransmitterFunctionUrl", "FunctionUrl"]})),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_check_notices(breakage, template):
    check, change = BREAKAGES[breakage]
    broken = copy.deepcopy(template)
    change(broken)
    assert check(broken), f"{check.__name__} did not notice: {breakage}"
    # The copy was broken, not the shared template.
    assert check(template) == []


def test_only_the_transmitters_role_may_queue_a_retry(template):
    """A retry is a SET the function signs with KMS: the delivery queue's policy denies
    SendMessage to every principal but the transmitter's own role."""
    policies = [r for r in resources(template, "AWS::SQS::QueuePolicy").items()
                if r[1]["Properties"]["Queues"] == [{"Ref": "SsfTransmitterDeliveryQueue"}]]
    assert len(policies) == 1
    statements = policies[0][1]["Properties"]["PolicyDocument"]["Statement"]
    denied = [s for s in statements if s["Effect"] == "Deny" and s["Action"] == "sqs:SendMessage"]
    assert len(denied) == 1, statements
    assert denied[0]["Principal"] == "*"
    assert denied[0]["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["SsfTransmitterFunctionRole", "Arn"]}}}
