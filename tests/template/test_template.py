"""Checks on the SAM template (template.yaml) that a security review relies on.

cfn-lint proves the template is valid CloudFormation/SAM; the checks below prove what it
cannot: least privilege, the queue/function timing rules, one receive-count parameter shared by
the queue and the function, encryption and retention, that the pool allow-list and the IAM
pool list are derived from the same parameter, and the revocation resources (the cutoff
table's key, TTL, recovery, encryption and retention; the responder may only raise and read
cutoffs, the authorizer only read them), containment (docs/containment.md): the lock
actions are granted exactly when the AllowedActions parameter lists them, on the allowed pools
only, and the threat-protection mappings can never exceed that bound, and pools in other
accounts (docs/deployment.md#pools-in-many-accounts): sts:AssumeRole and the CROSS_ACCOUNT_* variables exactly
when a member role name is given, on roles of that name only. The dashboard is checked in
test_dashboard.py, member-role.yaml in test_member_role.py.

Every check is a plain function ``check_*(template) -> list[str]`` returning the problems it
found (empty when the template is fine), so that the negative tests can run it on a broken
copy of the template and show that it notices.

Run from the repository root: ``python -m pytest tests/template`` (needs cfn-lint and pytest).
"""

from __future__ import annotations

import copy
import itertools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

FOURTEEN_DAYS = 1_209_600
MIN_RECEIVE_COUNT = 5
# Actions that have no resource-level permissions, so "*" is the narrowest possible resource.
RESOURCE_STAR_ONLY = {
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "xray:getsamplingrules",
    "xray:getsamplingtargets",
    "xray:getsamplingstatisticsummaries",
}
# docs/configuration.md, plus METRICS_NAMESPACE (embedded metric format namespace).
KNOWN_ENV = {
    "DLQ_URL",
    "ALLOWED_USER_POOL_IDS",
    "DEFAULT_USER_POOL_ID",
    "USERNAME_POINTER",
    "USER_POOL_ID_POINTER",
    "USER_NOT_FOUND",
    "MAX_RECEIVE_COUNT",
    "MAX_CONCURRENCY",
    "MAX_REQUESTS_PER_SECOND",
    "DRY_RUN",
    "METRICS_NAMESPACE",
    # docs/alert-sources.md#cognito-threat-protection.
    "THREAT_MIN_RISK_LEVEL",
    # docs/containment.md.
    "ALLOWED_ACTIONS",
    "ACTIONS",
    "ACTIONS_POINTER",
    "THREAT_TAKEOVER_ACTIONS",
    "THREAT_CREDENTIALS_ACTIONS",
    # docs/revocation.md.
    "REVOCATION_TABLE",
    "REVOCATION_RETENTION_SECONDS",
    "EVENT_BUS_NAME",
    "EVENT_SOURCE",
    # docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user.
    "CROSS_ACCOUNT_ROLE_NAME",
    "CROSS_ACCOUNT_EXTERNAL_ID",
}
# docs/revocation.md#the-authorizer-revocation-authorizer, plus METRICS_NAMESPACE.
AUTHORIZER_ENV = {
    "USER_POOL_IDS",
    "APP_CLIENT_IDS",
    "TOKEN_USE",
    "REVOCATION_TABLE",
    "REVOCATION_CACHE_SECONDS",
    "ON_LOOKUP_ERROR",
    "METRICS_NAMESPACE",
    "APPSYNC_API_IDS",
    "TOKEN_QUERY_PARAMETER",
}
# The Cognito actions the responder's role may hold (sign-out; the sub lookup of section 7 and
# the RESET_REQUIRED check of section 10; the lock actions of section 10).
COGNITO_ACTIONS = {
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminDisableUser",
}
# docs/containment.md: each action and the Cognito call it makes.
ACTION_CALLS = {
    "sign-out": "cognito-idp:AdminUserGlobalSignOut",
    "reset-password": "cognito-idp:AdminResetUserPassword",
    "disable": "cognito-idp:AdminDisableUser",
}
# The Security Hub action target ids and the lock action each asks besides the sign-out.
SECURITY_HUB_TARGETS = {"SignOutUser": None, "ResetUserPassword": "reset-password", "DisableUser": "disable"}
# Prefixes of actions that all support resource-level permissions: never "*" for them.
SCOPED_PREFIXES = ("cognito-idp:", "sqs:", "dynamodb:", "events:", "sts:")
# The one wildcard allowed on a scoped action: sts:AssumeRole on the member role of every
# account (docs/deployment.md#pools-in-many-accounts), a role name from this parameter, which refuses wildcards.
MEMBER_ROLE_PARAMETER = "CrossAccountRoleName"
MEMBER_ROLE_ARN = "arn:${AWS::Partition}:iam::*:role/${%s}" % MEMBER_ROLE_PARAMETER
RESPONDER_BINARY = "cognito-signout-responder"
AUTHORIZER_BINARY = "revocation-authorizer"
# docs/alerts-and-dead-letters.md: the classes that can be dead-lettered, as DLQ_URL_<CLASS> suffixes.
DEAD_LETTER_CLASSES = {
    "MALFORMED",
    "INVALID",
    "FORBIDDEN_POOL",
    "FORBIDDEN_ACTION",
    "USER_NOT_FOUND",
    "POOL_NOT_FOUND",
    "NOT_AUTHORIZED",
    "RETRIES_EXHAUSTED",
}
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "AWS::Region": "eu-west-1",
    "AWS::StackName": "stack",
}
NO_VALUE = object()


# --------------------------------------------------------------------------------------------
# Loading and walking the template
# --------------------------------------------------------------------------------------------


def load_template(path: Path = TEMPLATE) -> dict:
    """Parse with cfn-lint's own decoder, which understands the !Ref/!GetAtt/!Sub short tags,
    then expand `Fn::ForEach` over its parameter's default, as AWS::LanguageExtensions does at
    deploy time, so that every check sees plain resources."""
    template, matches = decode(str(path))
    if matches:
        raise AssertionError(f"{path} does not parse: {[str(m) for m in matches]}")
    return expand_for_each(template)


def expand_for_each(t: dict) -> dict:
    """`t` with each `Fn::ForEach::<name>: [Id, {Ref: Param}, {LogicalId: resource}]` of its
    Resources replaced by one resource per value of the parameter's default (comma-separated):
    `&{Id}` in the logical id becomes the value without its non-alphanumeric characters, and
    `{Ref: Id}` in the body the value itself."""
    resources = t.get("Resources", {})
    expanded = {}
    for name, body in resources.items():
        if not str(name).startswith("Fn::ForEach::"):
            expanded[name] = body
            continue
        identifier, collection, outputs = body[0], body[1], body[2]
        default = t["Parameters"][collection["Ref"]].get("Default", "")
        values = default.split(",") if isinstance(default, str) else list(default)

        def substitute(node, value):
            if isinstance(node, dict):
                if set(node) == {"Ref"} and node["Ref"] == identifier:
                    return value
                return {k: substitute(v, value) for k, v in node.items()}
            if isinstance(node, list):
                return [substitute(v, value) for v in node]
            return node

        for value in values:
            plain = "".join(c for c in value if c.isalnum())
            for logical, resource in outputs.items():
                expanded[str(logical).replace("&{" + identifier + "}", plain)] = substitute(resource, value)
    t["Resources"] = expanded
    return t


def resources(t: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in t.get("Resources", {}).items() if v.get("Type") == type_}


def function_of(t: dict, binary: str) -> tuple[str, dict]:
    """The one AWS::Serverless::Function that builds `binary` (Metadata BuildProperties)."""
    functions = {
        name: fn
        for name, fn in resources(t, "AWS::Serverless::Function").items()
        if ((fn.get("Metadata") or {}).get("BuildProperties") or {}).get("Binary") == binary
    }
    if len(functions) != 1:
        raise AssertionError(f"expected one function building {binary}, found {sorted(functions)}")
    return next(iter(functions.items()))


def the_function(t: dict) -> tuple[str, dict]:
    """The responder."""
    return function_of(t, RESPONDER_BINARY)


def the_authorizer(t: dict) -> tuple[str, dict]:
    return function_of(t, AUTHORIZER_BINARY)


def function_property(t: dict, name: str) -> Any:
    """A property of the function, falling back to Globals.Function as SAM does."""
    _, fn = the_function(t)
    props = fn.get("Properties", {})
    if name in props:
        return props[name]
    return t.get("Globals", {}).get("Function", {}).get(name)


def environment(t: dict) -> dict:
    env = function_property(t, "Environment") or {}
    return env.get("Variables", {}) or {}


def logical_id(expr: Any) -> str | None:
    """The resource an expression names: {"Ref": X}, {"Fn::GetAtt": [X, ...]} or "X.Arn"."""
    if isinstance(expr, dict):
        if "Ref" in expr:
            return expr["Ref"]
        if "Fn::GetAtt" in expr:
            target = expr["Fn::GetAtt"]
            if isinstance(target, str):
                return target.split(".", 1)[0]
            return target[0]
    return None


def sqs_events(t: dict) -> dict[str, dict]:
    events = function_property(t, "Events") or {}
    return {k: v.get("Properties", {}) for k, v in events.items() if v.get("Type") == "SQS"}


def alert_queue_ids(t: dict) -> set[str]:
    """Queues the function consumes (its SQS event sources)."""
    return {q for q in (logical_id(e.get("Queue")) for e in sqs_events(t).values()) if q}


def dead_letter_queue_ids(t: dict) -> set[str]:
    """Queues used as dead letters: redrive targets, DLQ_URL*, destinations, rule DLQs."""
    found: set[str] = set()
    for queue in resources(t, "AWS::SQS::Queue").values():
        redrive = queue.get("Properties", {}).get("RedrivePolicy") or {}
        found.add(logical_id(redrive.get("deadLetterTargetArn")))
    for name, value in environment(t).items():
        if name == "DLQ_URL" or name.startswith("DLQ_URL_"):
            for alternative in alternatives(value):
                found.add(logical_id(alternative))
    invoke = function_property(t, "EventInvokeConfig") or {}
    for branch in ("OnFailure", "OnSuccess"):
        dest = (invoke.get("DestinationConfig") or {}).get(branch) or {}
        found.add(logical_id(dest.get("Destination")))
    for rule in resources(t, "AWS::Events::Rule").values():
        for targets in alternatives(rule.get("Properties", {}).get("Targets", [])):
            for target in targets:
                found.add(logical_id((target.get("DeadLetterConfig") or {}).get("Arn")))
    queues = set(resources(t, "AWS::SQS::Queue"))
    return {q for q in found if q in queues}


def alternatives(value: Any) -> Iterator[Any]:
    """Every value an expression can take through Fn::If, AWS::NoValue dropped."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, yes, no = value["Fn::If"]
        yield from alternatives(yes)
        yield from alternatives(no)
    elif value == {"Ref": "AWS::NoValue"}:
        return
    else:
        yield value


def strings_in(value: Any) -> Iterator[str]:
    """Every literal string inside an expression (Sub templates, Join parts, plain strings)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            if key in ("Ref", "Fn::GetAtt", "Condition"):
                continue
            yield from strings_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings_in(inner)


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def iam_statements(t: dict) -> Iterator[tuple[str, Any]]:
    """(where, statement) for every identity-policy statement, every Fn::If branch included.

    A string or a SAM policy template among the function's Policies, or a managed policy on a
    role, is yielded as a statement-less marker so that the IAM check can refuse it: the
    template's grants must all be explicit statements a reviewer can read here.
    """

    def from_document(where: str, document: Any) -> Iterator[tuple[str, Any]]:
        for doc in alternatives(document):
            for statements in alternatives(doc.get("Statement", [])):
                for i, statement in enumerate(as_list(statements)):
                    for one in alternatives(statement):
                        yield f"{where} statement {one.get('Sid', i)}", one

    for name, role in resources(t, "AWS::IAM::Role").items():
        props = role.get("Properties", {})
        for policies in alternatives(props.get("Policies", [])):
            for policy in policies:
                for one in alternatives(policy):
                    yield from from_document(
                        f"{name}/{one.get('PolicyName')}", one.get("PolicyDocument", {})
                    )
        for arn in as_list(props.get("ManagedPolicyArns")):
            yield f"{name} managed policy {arn}", None
    for type_ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, policy in resources(t, type_).items():
            yield from from_document(name, policy.get("Properties", {}).get("PolicyDocument", {}))
    for name, fn in resources(t, "AWS::Serverless::Function").items():
        for policy in as_list(fn.get("Properties", {}).get("Policies")):
            for one in alternatives(policy):
                if isinstance(one, dict) and "Statement" in one:
                    yield from from_document(f"{name}/Policies", one)
                else:
                    yield f"{name} policy {one}", None


# --------------------------------------------------------------------------------------------
# A small evaluator for the intrinsic functions the template uses on parameters
# --------------------------------------------------------------------------------------------


def evaluate(t: dict, expr: Any, params: dict[str, str]) -> Any:
    """Resolve Ref/Join/Split/Select/Sub/If on parameter values as CloudFormation would.

    Only what is needed to compute the pool allow-list and the pool ARNs; a reference to a
    resource evaluates to a placeholder.
    """

    def value_of(name: str) -> Any:
        if name in params:
            return params[name]
        if name in PSEUDO:
            return PSEUDO[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        parameter = t.get("Parameters", {}).get(name)
        if parameter is not None:
            default = parameter.get("Default")
            if parameter.get("Type") == "CommaDelimitedList" and isinstance(default, str):
                return default.split(",")
            return default
        return f"<{name}>"

    def cond(name: str) -> bool:
        return truth(t["Conditions"][name])

    def truth(c: Any) -> bool:
        (fn, args), = c.items()
        if fn == "Fn::Equals":
            return ev(args[0]) == ev(args[1])
        if fn == "Fn::Not":
            return not truth(args[0])
        if fn == "Fn::And":
            return all(truth(a) for a in args)
        if fn == "Fn::Or":
            return any(truth(a) for a in args)
        if fn == "Condition":
            return cond(args)
        raise NotImplementedError(fn)

    def sub(template: str, variables: dict) -> str:
        def repl(m: re.Match) -> str:
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            value = ev(variables[name]) if name in variables else value_of(name)
            return str(value)

        return re.sub(r"\$\{([^}]+)\}", repl, template)

    def ev(e: Any) -> Any:
        if isinstance(e, list):
            return [v for v in (ev(x) for x in e) if v is not NO_VALUE]
        if not isinstance(e, dict) or len(e) != 1:
            return e
        (fn, args), = e.items()
        if fn == "Ref":
            return value_of(args)
        if fn == "Fn::Join":
            return args[0].join(str(x) for x in ev(args[1]))
        if fn == "Fn::Split":
            return ev(args[1]).split(args[0])
        if fn == "Fn::Select":
            return ev(args[1])[int(ev(args[0]))]
        if fn == "Fn::Sub":
            if isinstance(args, str):
                return sub(args, {})
            return sub(args[0], args[1])
        if fn == "Fn::If":
            return ev(args[1]) if cond(args[0]) else ev(args[2])
        if fn == "Fn::GetAtt":
            return f"<{logical_id(e)}.{args[1] if isinstance(args, list) else ''}>"
        return e

    return ev(expr)


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def lint(path: Path = TEMPLATE) -> list[str]:
    """cfn-lint errors and warnings, run as the cfn-lint command of this interpreter."""
    run = subprocess.run(
        [sys.executable, "-c", "from cfnlint.runner import main; main()",
         "--format", "parseable", "--", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    if run.returncode == 0:
        return []
    # Exit code is a bit mask: 2 errors, 4 warnings, 8 informational, 1 cfn-lint failed.
    problems = [line for line in lines if re.search(r":[EW]\d{4}:", line)]
    if run.returncode & 1 or not problems and run.returncode & 6:
        problems.append(f"cfn-lint exited {run.returncode}: {run.stdout}{run.stderr}".strip())
    return problems


def check_function_basics(t: dict) -> list[str]:
    problems = []
    _, fn = the_function(t)
    expected = {
        "Runtime": "provided.al2023",
        "Handler": "bootstrap",
        "CodeUri": ".",
    }
    for name, want in expected.items():
        got = function_property(t, name)
        if got != want:
            problems.append(f"function {name} is {got!r}, expected {want!r}")
    if function_property(t, "Architectures") != ["arm64"]:
        problems.append(f"function Architectures is {function_property(t, 'Architectures')!r}")
    build = (fn.get("Metadata") or {}).get("BuildMethod")
    if build != "rust-cargolambda":
        problems.append(f"function Metadata BuildMethod is {build!r}, expected rust-cargolambda")
    log_format = (function_property(t, "LoggingConfig") or {}).get("LogFormat")
    if log_format != "JSON":
        problems.append(f"function LoggingConfig LogFormat is {log_format!r}, expected JSON")
    for name in ("Timeout", "MemorySize"):
        if not isinstance(function_property(t, name), int):
            problems.append(f"function {name} must be a literal number")
    return problems


def check_environment(t: dict) -> list[str]:
    problems = []
    env = environment(t)
    for required in ("DLQ_URL", "ALLOWED_USER_POOL_IDS", "MAX_RECEIVE_COUNT"):
        if required not in env:
            problems.append(f"function environment misses {required}")
    for name in env:
        if name.startswith("DLQ_URL_"):
            if name[len("DLQ_URL_"):] not in DEAD_LETTER_CLASSES:
                problems.append(f"{name} names no dead-letter class of the contract")
        elif name not in KNOWN_ENV:
            problems.append(f"{name} is not a variable the function reads")
    return problems


def check_sqs_event(t: dict) -> list[str]:
    events = sqs_events(t)
    if not events:
        return ["the function has no SQS event source"]
    problems = []
    for name, props in events.items():
        if "ReportBatchItemFailures" not in (props.get("FunctionResponseTypes") or []):
            problems.append(f"SQS event {name} lacks FunctionResponseTypes ReportBatchItemFailures")
        if "MaximumConcurrency" not in (props.get("ScalingConfig") or {}):
            problems.append(f"SQS event {name} lacks ScalingConfig MaximumConcurrency")
        if "BatchSize" not in props:
            problems.append(f"SQS event {name} lacks an explicit BatchSize")
    return problems


def literal_number(t: dict, value: Any) -> int | None:
    """A number, or the default of the Number parameter it references."""
    if isinstance(value, dict) and "Ref" in value:
        value = t.get("Parameters", {}).get(value["Ref"], {}).get("Default")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def check_visibility_timeout(t: dict) -> list[str]:
    timeout = literal_number(t, function_property(t, "Timeout"))
    if timeout is None:
        return ["function Timeout cannot be determined"]
    problems = []
    queues = resources(t, "AWS::SQS::Queue")
    for queue_id in alert_queue_ids(t):
        props = queues.get(queue_id, {}).get("Properties", {})
        # SQS's default visibility timeout is 30 s.
        visibility = literal_number(t, props.get("VisibilityTimeout", 30))
        if visibility is None or visibility < 6 * timeout:
            problems.append(
                f"{queue_id} VisibilityTimeout {visibility} is under 6 x the function "
                f"Timeout {timeout} = {6 * timeout}"
            )
    return problems


def check_receive_count(t: dict) -> list[str]:
    problems = []
    env_value = environment(t).get("MAX_RECEIVE_COUNT")
    queues = resources(t, "AWS::SQS::Queue")
    for queue_id in alert_queue_ids(t):
        redrive = queues.get(queue_id, {}).get("Properties", {}).get("RedrivePolicy")
        if not redrive:
            problems.append(f"{queue_id} has no RedrivePolicy")
            continue
        queue_value = redrive.get("maxReceiveCount")
        if not (isinstance(queue_value, dict) and "Ref" in queue_value):
            problems.append(f"{queue_id} maxReceiveCount {queue_value!r} is not a parameter Ref")
            continue
        if queue_value != env_value:
            problems.append(
                f"{queue_id} maxReceiveCount {queue_value!r} and MAX_RECEIVE_COUNT "
                f"{env_value!r} are not the same parameter"
            )
        parameter = t.get("Parameters", {}).get(queue_value["Ref"])
        if parameter is None:
            problems.append(f"maxReceiveCount references {queue_value['Ref']}, not a parameter")
            continue
        for key in ("MinValue", "Default"):
            value = literal_number(t, parameter.get(key))
            if value is None or value < MIN_RECEIVE_COUNT:
                problems.append(
                    f"parameter {queue_value['Ref']} {key} is {parameter.get(key)!r}; throttled "
                    f"receives count, so it must be at least {MIN_RECEIVE_COUNT}"
                )
    return problems


def check_queues(t: dict) -> list[str]:
    problems = []
    dead_letters = dead_letter_queue_ids(t)
    for name, queue in resources(t, "AWS::SQS::Queue").items():
        props = queue.get("Properties", {})
        sse = props.get("SqsManagedSseEnabled") is True
        kms = bool(props.get("KmsMasterKeyId"))
        if not (sse or kms):
            problems.append(f"queue {name} is not encrypted (SqsManagedSseEnabled or KmsMasterKeyId)")
        if name in dead_letters:
            retention = literal_number(t, props.get("MessageRetentionPeriod", 345_600))
            if retention is None or retention < FOURTEEN_DAYS:
                problems.append(f"dead-letter queue {name} keeps messages {retention} s, under 14 days")
    for name in ("DLQ_URL",):
        if name in environment(t) and logical_id(environment(t)[name]) not in dead_letters:
            problems.append(f"{name} does not name a queue of this template")
    return problems


def check_iam(t: dict) -> list[str]:
    """Least privilege: explicit statements, no wildcard actions, no "*" resources that can be
    narrowed, and Cognito limited to the sign-out, the lock actions and AdminGetUser."""
    problems = []
    for where, statement in iam_statements(t):
        if statement is None:
            problems.append(f"{where}: not an explicit statement; grants cannot be reviewed here")
            continue
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{where}: Allow with NotAction/NotResource grants everything else")
        actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
        for action in actions:
            if "*" in action:
                problems.append(f"{where}: wildcard action {action!r}")
            # The SSF receiver (docs/ssf-receiver.md) finds users with ListUsers, and only it.
            allowed = COGNITO_ACTIONS | (
                {"cognito-idp:ListUsers"} if where.startswith("SsfReceiverFunctionRole/") else set()
            )
            if action.lower().startswith("cognito-idp:") and action not in allowed:
                problems.append(f"{where}: Cognito action {action!r} beyond {sorted(allowed)}")
        # Cognito, SQS, DynamoDB and EventBridge actions all support resource-level
        # permissions: never "*" for them. Anything else may use "*" only if every action has
        # no resource-level permissions.
        scoped = any(a.lower().startswith(SCOPED_PREFIXES) for a in actions)
        star_only = bool(actions) and all(a.lower() in RESOURCE_STAR_ONLY for a in actions)
        for resource in as_list(statement.get("Resource")):
            for alternative in alternatives(resource):
                starred = [s for s in strings_in(alternative) if "*" in s]
                if not starred:
                    continue
                if [a.lower() for a in actions] == ["sts:assumerole"] and is_member_role_arn(t, alternative):
                    continue
                if scoped or not star_only:
                    problems.append(f"{where}: {actions} on wildcard resource {starred}")
    return problems


def is_member_role_arn(t: dict, expr: Any) -> bool:
    """Whether `expr` is the member role in any account, named by a parameter that refuses
    wildcards and paths: the account is the statement's only wildcard."""
    if expr != {"Fn::Sub": MEMBER_ROLE_ARN}:
        return False
    pattern = t.get("Parameters", {}).get(MEMBER_ROLE_PARAMETER, {}).get("AllowedPattern")
    return bool(pattern) and not any(
        re.fullmatch(pattern, bad) for bad in ("*", "member*", "*-member", "path/member", "member?")
    )


def check_queue_policies(t: dict) -> list[str]:
    """Whoever a queue policy lets in is a service, pinned to one source by aws:SourceArn."""
    problems = []
    for name, policy in resources(t, "AWS::SQS::QueuePolicy").items():
        document = policy.get("Properties", {}).get("PolicyDocument", {})
        for statement in as_list(document.get("Statement")):
            for one in alternatives(statement):
                if one.get("Effect") != "Allow":
                    continue
                principal = one.get("Principal")
                if not (isinstance(principal, dict) and set(principal) == {"Service"}):
                    problems.append(f"{name} {one.get('Sid')}: Allow to principal {principal!r}")
                if "aws:SourceArn" not in str(one.get("Condition", {})):
                    problems.append(f"{name} {one.get('Sid')}: Allow without an aws:SourceArn condition")
                if any("*" in a for a in as_list(one.get("Action"))):
                    problems.append(f"{name} {one.get('Sid')}: wildcard action")
    return problems


def check_rule(t: dict) -> list[str]:
    rules = resources(t, "AWS::Events::Rule")
    if not rules:
        return ["no EventBridge rule routes alerts"]
    problems = []
    for name, rule in rules.items():
        props = rule.get("Properties", {})
        if "ScheduleExpression" in props:
            # A schedule (the SSF receiver's poll) carries no alert: a missed invocation is
            # made up by the next one, so it needs neither a pattern nor a dead-letter queue.
            continue
        pattern = props.get("EventPattern") or {}
        for key in ("source", "detail-type"):
            if key not in pattern:
                problems.append(f"{name} EventPattern does not match on {key}")
        for targets in alternatives(props.get("Targets", [])):
            for target in targets:
                if "DeadLetterConfig" not in target or "RetryPolicy" not in target:
                    problems.append(f"{name} target {target.get('Id')} lacks RetryPolicy/DeadLetterConfig")
    invoke = function_property(t, "EventInvokeConfig") or {}
    if not ((invoke.get("DestinationConfig") or {}).get("OnFailure")):
        problems.append("function EventInvokeConfig has no OnFailure destination")
    return problems


def check_alarms(t: dict) -> list[str]:
    """Each dead-letter queue, function errors and throttles, and the alert queue's age."""
    watched: set[tuple[str, str | None]] = set()
    problems = []
    fn_id, _ = the_function(t)
    for name, alarm in resources(t, "AWS::CloudWatch::Alarm").items():
        props = alarm.get("Properties", {})
        if "AlarmActions" not in props:
            problems.append(f"alarm {name} notifies nobody (no AlarmActions)")
        for dimension in props.get("Dimensions", []):
            target = dimension.get("Value")
            watched.add((props.get("MetricName"), logical_id(target)))
    for queue in sorted(dead_letter_queue_ids(t)):
        if ("ApproximateNumberOfMessagesVisible", queue) not in watched:
            problems.append(f"no alarm on messages in dead-letter queue {queue}")
    for queue in sorted(alert_queue_ids(t)):
        if ("ApproximateAgeOfOldestMessage", queue) not in watched:
            problems.append(f"no alarm on the age of the oldest message in {queue}")
    for metric in ("Errors", "Throttles"):
        if (metric, fn_id) not in watched:
            problems.append(f"no alarm on function {metric}")
    return problems


def pool_arns_in_iam(t: dict, params: dict[str, Any]) -> list[str]:
    """The resources of every Cognito statement, evaluated for the given parameter values."""
    arns: list[str] = []
    for _, statement in iam_statements(t):
        if statement and statement.get("Effect") == "Allow" and any(
            str(a).lower().startswith("cognito-idp:") for a in as_list(statement.get("Action"))
        ):
            arns.extend(as_list(evaluate(t, statement.get("Resource"), params)))
    # The sign-out and the sub lookup name the same pools; each pool once.
    return list(dict.fromkeys(arns))


def parameter_refs(t: dict, expr: Any) -> set[str]:
    """The template parameters an expression references."""
    found: set[str] = set()
    if isinstance(expr, dict):
        for key, inner in expr.items():
            if key == "Ref" and inner in t.get("Parameters", {}):
                found.add(inner)
            else:
                found |= parameter_refs(t, inner)
    elif isinstance(expr, list):
        for inner in expr:
            found |= parameter_refs(t, inner)
    return found


def sample_pool_arns(n: int) -> list[str]:
    regions = ["eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-2", "ca-central-1"]
    return [
        f"arn:aws:cognito-idp:{r}:{PSEUDO['AWS::AccountId']}:userpool/{r}_Pool{i}x"
        for i, r in ((i, regions[i % len(regions)]) for i in range(n))
    ]


def pool_id(entry: str) -> str:
    """What the function keeps of an allow-list entry: the id after "userpool/", if an ARN."""
    return entry.split("userpool/", 1)[1] if entry.startswith("arn:") else entry


def check_pool_consistency(t: dict) -> list[str]:
    """The allow-list and the IAM policy name the same pools, whatever the user passes, and
    nothing the pools parameter accepts can put a wildcard into the policy."""
    ref = environment(t).get("ALLOWED_USER_POOL_IDS")
    names = parameter_refs(t, ref)
    if len(names) != 1:
        return [f"ALLOWED_USER_POOL_IDS {ref!r} is not derived from exactly one parameter"]
    (name,) = names
    parameter = t["Parameters"][name]
    pattern = parameter.get("AllowedPattern")
    if not pattern:
        return [f"parameter {name} has no AllowedPattern keeping wildcards out"]
    is_list = parameter.get("Type") == "CommaDelimitedList"

    def accepts(entries: list[str]) -> bool:
        if is_list:
            return all(re.fullmatch(pattern, e) for e in entries)
        return re.fullmatch(pattern, ",".join(entries)) is not None

    problems = []
    for n in range(1, 8):
        arns = sample_pool_arns(n)
        entries = arns if accepts(arns) else [pool_id(a) for a in arns]
        if not accepts(entries):
            problems.append(f"parameter {name} accepts neither {n} pool ARNs nor {n} pool ids")
            continue
        params = {name: entries if is_list else ",".join(entries)}
        allow_list = evaluate(t, ref, params)
        allowed = {pool_id(e) for e in str(allow_list).split(",") if e}
        granted = pool_arns_in_iam(t, params)
        if set(granted) != set(arns):
            problems.append(f"{n} pools: IAM grants {sorted(granted)}, expected {sorted(arns)}")
        if allowed != {pool_id(a) for a in arns}:
            problems.append(f"{n} pools: ALLOWED_USER_POOL_IDS is {allow_list!r}")
    wildcards = [
        "*",
        "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/*",
        "arn:aws:cognito-idp:*:123456789012:userpool/eu-west-1_Ab",
        "arn:aws:cognito-idp:eu-west-1:*:userpool/eu-west-1_Ab",
        "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_*",
        "eu-west-1_*",
        "",
    ]
    for bad in wildcards:
        if re.fullmatch(pattern, bad):
            problems.append(f"parameter {name} accepts {bad!r}")
    return problems


def condition_holds(t: dict, name: str, params: dict[str, Any]) -> bool:
    return evaluate(t, {"Fn::If": [name, True, False]}, params) is True


# Parameters that switch on every optional alert source (docs/alert-sources.md#cognito-threat-protection).
THREAT_LOGS_ON = {"ThreatProtectionLogs": "true", "ThreatLogUserPoolId": "eu-west-1_AbC123"}
EVERY_SOURCE_ON = {**THREAT_LOGS_ON, "SecurityHubCustomAction": "true", "SecurityHubImportedFindings": "true"}


def log_group_arn_of(t: dict, expr: Any) -> str:
    return str(evaluate(t, expr, EVERY_SOURCE_ON))


def check_threat_logs(t: dict) -> list[str]:
    """Cognito threat protection: off by default; on, the log group gets Cognito's log
    delivery (userAuthEvents at INFO, an ARN without ':*'), a subscription filter that invokes
    the function only after the invoke permission exists, and that permission is pinned to
    this log group in this account."""
    problems = []
    groups = {k: v for k, v in resources(t, "AWS::Logs::LogGroup").items()
              if "vendedlogs/cognito" in str(v.get("Properties", {}).get("LogGroupName"))}
    if len(groups) != 1:
        return [f"expected one /aws/vendedlogs/cognito/ log group, found {sorted(groups)}"]
    (group_id, group), = groups.items()
    filters = resources(t, "AWS::Logs::SubscriptionFilter")
    deliveries = resources(t, "AWS::Cognito::LogDeliveryConfiguration")
    permissions = {k: v for k, v in resources(t, "AWS::Lambda::Permission").items()
                   if v["Properties"].get("Principal") == "logs.amazonaws.com"}
    if len(filters) != 1 or len(permissions) != 1 or len(deliveries) != 1:
        return [f"expected one subscription filter, logs permission and log delivery: "
                f"{sorted(filters)} {sorted(permissions)} {sorted(deliveries)}"]
    (filter_id, filter_), = filters.items()
    (permission_id, permission), = permissions.items()
    (_, delivery), = deliveries.items()
    for name, resource in [(group_id, group), (filter_id, filter_), (permission_id, permission), ("delivery", delivery)]:
        condition = resource.get("Condition")
        if not condition:
            problems.append(f"{name} is not behind a parameter")
        elif condition_holds(t, condition, {}):
            problems.append(f"{name} is on by default")
        elif not condition_holds(t, condition, THREAT_LOGS_ON):
            problems.append(f"{name} is not created when threat-protection logs are on")
    if condition_holds(t, delivery.get("Condition", "IsThreatLogEnabled"), {"ThreatProtectionLogs": "true"}):
        problems.append("the pool's log delivery is created although no pool was named")
    configs = delivery["Properties"].get("LogConfigurations", [])
    if [(c.get("EventSource"), c.get("LogLevel")) for c in configs] != [("userAuthEvents", "INFO")]:
        problems.append(f"log delivery is not userAuthEvents at INFO: {configs}")
    for c in configs:
        # !GetAtt LogGroup.Arn ends in ':*', which Cognito refuses: the ARN is built with !Sub.
        arn = log_group_arn_of(t, c.get("CloudWatchLogsConfiguration", {}).get("LogGroupArn"))
        if arn != f"arn:aws:logs:eu-west-1:123456789012:log-group:<{group_id}>":
            problems.append(f"log delivery LogGroupArn {arn!r} is not the log group's ARN without ':*'")
    if filter_.get("DependsOn") not in (permission_id, [permission_id]):
        problems.append("the subscription filter does not depend on the invoke permission")
    if logical_id(filter_["Properties"].get("DestinationArn")) != the_function(t)[0]:
        problems.append("the subscription filter does not invoke the function")
    if logical_id(filter_["Properties"].get("LogGroupName")) != group_id:
        problems.append("the subscription filter is not on the threat log group")
    pattern = str(evaluate(t, filter_["Properties"].get("FilterPattern"), EVERY_SOURCE_ON))
    for needed in ("$.message.riskDecision", "AccountTakeover", "$.message.compromisedCredentialDetected"):
        if needed not in pattern:
            problems.append(f"the default filter pattern does not keep {needed}")
    props_ = permission["Properties"]
    source_arn = log_group_arn_of(t, props_.get("SourceArn"))
    if not source_arn.endswith(f":log-group:<{group_id}>:*"):
        problems.append(f"invoke permission SourceArn {source_arn!r} is not pinned to the log group")
    if props_.get("SourceAccount") != {"Ref": "AWS::AccountId"}:
        problems.append("invoke permission has no SourceAccount")
    if props_.get("Action") != "lambda:InvokeFunction":
        problems.append(f"invoke permission grants {props_.get('Action')!r}")
    return problems


def check_security_hub(t: dict) -> list[str]:
    """Security Hub: off by default; the custom actions are SignOutUser, and ResetUserPassword
    and DisableUser only where AllowedActions allows their action; the custom-action rule
    matches exactly the action targets that exist and delivers to the alert queue, whose policy
    admits exactly that rule; the imported-findings rule keeps only new, active findings that
    name a user."""
    problems = []
    actions = resources(t, "AWS::SecurityHub::ActionTarget")
    by_id = {a.get("Properties", {}).get("Id"): name for name, a in actions.items()}
    if set(by_id) != set(SECURITY_HUB_TARGETS) or len(by_id) != len(actions):
        return [f"expected action targets {sorted(SECURITY_HUB_TARGETS)}, found {sorted(by_id)}"]
    for name, action in actions.items():
        a = action["Properties"]
        if not (len(a.get("Name", "")) < 20 and re.fullmatch(r"[A-Za-z0-9]{1,20}", a.get("Id", ""))):
            problems.append(f"action target name/id outside Security Hub's limits: {a}")
        if is_created(t, action, {}):
            problems.append(f"action target {name} is created by default")
    hub_rules = {k: v for k, v in resources(t, "AWS::Events::Rule").items()
                 if v["Properties"].get("EventPattern", {}).get("source") == ["aws.securityhub"]}
    queue_policy = str(props(t, "AlertQueuePolicy")["PolicyDocument"])
    for name, rule in hub_rules.items():
        condition = rule.get("Condition")
        if not condition or condition_holds(t, condition, {}):
            problems.append(f"{name} is on by default")
        elif not condition_holds(t, condition, EVERY_SOURCE_ON):
            problems.append(f"{name} is never created")
        pattern = rule["Properties"]["EventPattern"]
        targets = rule["Properties"].get("Targets", [])
        if [logical_id(x.get("Arn")) for x in targets] != sorted(alert_queue_ids(t)):
            problems.append(f"{name} does not deliver to the alert queue only")
        if f"'Fn::GetAtt': ['{name}', 'Arn']" not in queue_policy:
            problems.append(f"the alert queue's policy does not admit {name}")
        if pattern.get("detail-type") == ["Security Hub Findings - Custom Action"]:
            for allowed in allowed_actions_values(t):
                params = {**EVERY_SOURCE_ON, "AllowedActions": allowed}
                created = {n for n, a in actions.items() if is_created(t, a, params)}
                wanted = {by_id[i] for i, lock in SECURITY_HUB_TARGETS.items()
                          if lock is None or lock in action_set(allowed)}
                if created != wanted:
                    problems.append(f"AllowedActions={allowed}: action targets {sorted(created)}, "
                                    f"expected {sorted(wanted)}")
                # A GetAtt evaluates to "<LogicalId.Attribute>".
                matched = {str(r).strip("<>").split(".")[0]
                           for r in as_list(evaluate(t, pattern.get("resources"), params))}
                if matched != created:
                    problems.append(f"AllowedActions={allowed}: {name} matches {sorted(matched)}, "
                                    f"not exactly the action targets {sorted(created)}")
        else:
            findings = pattern.get("detail", {}).get("findings", {})
            wanted = {"ProductFields": {"Username": [{"exists": True}]},
                      "Workflow": {"Status": ["NEW"]}, "RecordState": ["ACTIVE"]}
            if findings != wanted:
                problems.append(f"{name} does not keep only new, active findings naming a user: {findings}")
    kinds = sorted(str(r["Properties"]["EventPattern"].get("detail-type")) for r in hub_rules.values())
    if len(hub_rules) != 2:
        problems.append(f"expected a custom-action rule and an imported-findings rule: {kinds}")
    return problems


# --------------------------------------------------------------------------------------------
# Containment (docs/containment.md)
# --------------------------------------------------------------------------------------------


def is_created(t: dict, resource: dict, params: dict[str, Any]) -> bool:
    condition = resource.get("Condition")
    return condition is None or condition_holds(t, condition, params)


def action_set(value: str | None) -> frozenset[str]:
    """The actions a comma-separated value names, the sign-out always among them (as the
    function reads ALLOWED_ACTIONS, ACTIONS and the THREAT_* variables)."""
    names = {n.strip() for n in (value or "").split(",") if n.strip()}
    return frozenset(names | {"sign-out"})


def allowed_actions_values(t: dict) -> list[str]:
    parameter = t.get("Parameters", {}).get("AllowedActions", {})
    return list(parameter.get("AllowedValues") or [parameter.get("Default", "sign-out")])


def resolved(t: dict, expr: Any, params: dict[str, Any]) -> Any:
    """A whole property tree as CloudFormation would deploy it for these parameters: every
    Fn::If decided, AWS::NoValue dropped (from lists and objects), references evaluated."""
    if isinstance(expr, list):
        return [v for v in (resolved(t, x, params) for x in expr) if v is not NO_VALUE]
    if isinstance(expr, dict):
        if len(expr) == 1:
            (key, args), = expr.items()
            if key == "Fn::If":
                branch = args[1] if condition_holds(t, args[0], params) else args[2]
                return resolved(t, branch, params)
            if key == "Ref" or key.startswith("Fn::"):
                return evaluate(t, expr, params)
        out = {k: resolved(t, v, params) for k, v in expr.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}
    return expr


def responder_cognito_grants(t: dict, params: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(action, resources) of every Cognito grant of the responder's role, as deployed."""
    role = t["Resources"][role_of(t, the_function(t)[1])]
    policies = resolved(t, role["Properties"].get("Policies", []), params)
    grants = []
    for policy in policies:
        for statement in as_list(policy.get("PolicyDocument", {}).get("Statement")):
            if statement.get("Effect") != "Allow":
                continue
            for action in as_list(statement.get("Action")):
                if str(action).lower().startswith("cognito-idp:"):
                    grants.append((action, [str(r) for r in as_list(statement.get("Resource"))]))
    return grants


def rules_refusing(t: dict, params: dict[str, Any]) -> list[str]:
    """The assertions of the template's Rules that refuse these parameter values."""

    def ev(e: Any) -> Any:
        if isinstance(e, list):
            return [ev(x) for x in e]
        if not (isinstance(e, dict) and len(e) == 1):
            return e
        (fn, args), = e.items()
        if fn == "Ref":
            return evaluate(t, e, params)
        if fn == "Fn::Contains":
            return ev(args[1]) in ev(args[0])
        if fn == "Fn::Equals":
            return ev(args[0]) == ev(args[1])
        if fn == "Fn::Not":
            return not ev(args[0])
        if fn == "Fn::And":
            return all(ev(a) for a in args)
        if fn == "Fn::Or":
            return any(ev(a) for a in args)
        if fn == "Fn::EachMemberEquals":
            return all(x == ev(args[1]) for x in ev(args[0]))
        if fn == "Fn::EachMemberIn":
            return all(x in ev(args[1]) for x in ev(args[0]))
        raise NotImplementedError(fn)

    refused = []
    for name, rule in (t.get("Rules") or {}).items():
        if "RuleCondition" in rule and not ev(rule["RuleCondition"]):
            continue
        for assertion in rule.get("Assertions", []):
            if not ev(assertion.get("Assert")):
                refused.append(f"{name}: {assertion.get('AssertDescription')}")
    return refused


def check_containment(t: dict) -> list[str]:
    """AllowedActions bounds everything and defaults to the sign-out; it feeds ALLOWED_ACTIONS
    and alone decides the grants: AdminResetUserPassword and AdminDisableUser exactly when it
    lists their action, AdminGetUser when a reset or a cutoff/event needs it, each once and on
    exactly the allowed pools; the THREAT_* variables are unset (the function's default) unless
    their parameter is set, and the Rules keep them within AllowedActions."""
    problems = []
    parameters = t.get("Parameters", {})
    env = environment(t)
    allowed_param = parameters.get("AllowedActions")
    if allowed_param is None:
        return ["no AllowedActions parameter"]
    if allowed_param.get("Default") != "sign-out":
        problems.append(f"AllowedActions defaults to {allowed_param.get('Default')!r}, not sign-out")
    values = allowed_actions_values(t)
    every = {frozenset({"sign-out", *c}) for c in ((), ("reset-password",), ("disable",),
                                                   ("reset-password", "disable"))}
    if {action_set(v) for v in values} != every:
        problems.append(f"AllowedActions does not offer every combination of the actions: {values}")
    for value in values:
        names = [n.strip() for n in value.split(",")]
        if "sign-out" not in names or not set(names) <= set(ACTION_CALLS):
            problems.append(f"AllowedActions value {value!r} lacks the sign-out or names an unknown action")
    if "ALLOWED_ACTIONS" not in env:
        problems.append("the function's environment misses ALLOWED_ACTIONS")

    threat = {"ThreatTakeoverActions": "THREAT_TAKEOVER_ACTIONS",
              "ThreatCredentialsActions": "THREAT_CREDENTIALS_ACTIONS"}
    for name, variable in threat.items():
        parameter = parameters.get(name)
        if parameter is None:
            problems.append(f"no {name} parameter")
            continue
        if action_set(parameter.get("Default")) != {"sign-out"}:
            problems.append(f"{name} defaults to {parameter.get('Default')!r}, more than the sign-out")
        for value in parameter.get("AllowedValues") or [parameter.get("Default")]:
            got = evaluate(t, env.get(variable), {name: value})
            if value == "" and got is not NO_VALUE:
                problems.append(f"{variable} is set ({got!r}) when {name} is empty: the function's default must apply")
            if value != "" and got != value:
                problems.append(f"{variable} is {got!r} when {name}={value!r}")

    pools = sample_pool_arns(2)
    for allowed in values:
        if evaluate(t, env.get("ALLOWED_ACTIONS"), {"AllowedActions": allowed}) != allowed:
            problems.append(f"ALLOWED_ACTIONS is not AllowedActions={allowed!r}")
        for revocation in ("true", "false"):
            for bus in ("", "signed-out"):
                params = {"AllowedActions": allowed, "UserPoolArns": pools,
                          "EnableRevocation": revocation, "SignedOutEventBusName": bus}
                where = f"AllowedActions={allowed} EnableRevocation={revocation} bus={bus!r}"
                grants = responder_cognito_grants(t, params)
                granted = [a for a, _ in grants]
                wanted = {ACTION_CALLS[a] for a in action_set(allowed)}
                if "reset-password" in action_set(allowed) or revocation == "true" or bus:
                    wanted.add("cognito-idp:AdminGetUser")
                if set(granted) != wanted:
                    problems.append(f"{where}: the role grants {sorted(set(granted))}, expected {sorted(wanted)}")
                for action in sorted(set(granted)):
                    if granted.count(action) > 1:
                        problems.append(f"{where}: {action} granted in {granted.count(action)} statements")
                for action, resource in grants:
                    if sorted(resource) != sorted(pools):
                        problems.append(f"{where}: {action} on {resource}, not exactly the allowed pools")

    for allowed in values:
        for takeover in parameters.get("ThreatTakeoverActions", {}).get("AllowedValues") or [""]:
            for credentials in parameters.get("ThreatCredentialsActions", {}).get("AllowedValues") or [""]:
                params = {"AllowedActions": allowed, "ThreatTakeoverActions": takeover,
                          "ThreatCredentialsActions": credentials}
                within = (action_set(takeover) | action_set(credentials)) <= action_set(allowed)
                refused = rules_refusing(t, params)
                if within and refused:
                    problems.append(f"{params}: refused although within AllowedActions: {refused}")
                if not within and not refused:
                    problems.append(f"{params}: a threat mapping beyond AllowedActions is accepted "
                                    "(the function would refuse to start)")
    return problems


def statements_of_role(t: dict, role: str) -> list[tuple[str, dict]]:
    return [(w, st) for w, st in iam_statements(t) if w.startswith(f"{role}/") and st]


def role_of(t: dict, fn: dict) -> str | None:
    return logical_id(fn.get("Properties", {}).get("Role"))


def streams_table_ids(t: dict) -> set[str]:
    """The tables some function names as SSF_STREAMS_TABLE: the transmitter's streams
    (docs/ssf-transmitter.md), checked in test_ssf_transmitter.py."""
    found = set()
    for fn in resources(t, "AWS::Serverless::Function").values():
        variables = ((fn.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
        found |= {logical_id(v) for v in alternatives(variables.get("SSF_STREAMS_TABLE"))}
    return found


def cutoff_tables(t: dict) -> dict[str, dict]:
    """Every DynamoDB table but the transmitter's streams table: the cutoff table alone."""
    streams = streams_table_ids(t)
    return {k: v for k, v in resources(t, "AWS::DynamoDB::Table").items() if k not in streams}


def check_revocation_table(t: dict) -> list[str]:
    """The cutoff table of docs/revocation.md: pk (S) the only key, on demand, TTL on
    expiresAt, point-in-time recovery, encryption, kept when the stack goes."""
    tables = cutoff_tables(t)
    if len(tables) != 1:
        return [f"expected one DynamoDB table (the cutoffs), found {sorted(tables)}"]
    name, table = next(iter(tables.items()))
    props = table.get("Properties", {})
    problems = []
    if props.get("KeySchema") != [{"AttributeName": "pk", "KeyType": "HASH"}]:
        problems.append(f"{name} KeySchema is {props.get('KeySchema')!r}, expected pk HASH only")
    if props.get("AttributeDefinitions") != [{"AttributeName": "pk", "AttributeType": "S"}]:
        problems.append(f"{name} AttributeDefinitions is {props.get('AttributeDefinitions')!r}")
    if props.get("BillingMode") != "PAY_PER_REQUEST":
        problems.append(f"{name} BillingMode is {props.get('BillingMode')!r}, expected PAY_PER_REQUEST")
    ttl = props.get("TimeToLiveSpecification") or {}
    if ttl.get("AttributeName") != "expiresAt" or ttl.get("Enabled") is not True:
        problems.append(f"{name} TTL is {ttl!r}, expected expiresAt enabled")
    pitr = props.get("PointInTimeRecoverySpecification") or {}
    if pitr.get("PointInTimeRecoveryEnabled") is not True:
        problems.append(f"{name} has no point-in-time recovery")
    if (props.get("SSESpecification") or {}).get("SSEEnabled") is not True:
        problems.append(f"{name} SSESpecification SSEEnabled is not true")
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        if table.get(policy) != "Retain":
            problems.append(f"{name} {policy} is {table.get(policy)!r}, expected Retain")
    if props.get("GlobalSecondaryIndexes") or props.get("LocalSecondaryIndexes"):
        problems.append(f"{name} has indexes; the contract's table has none")
    return problems


def check_revocation_grants(t: dict) -> list[str]:
    """The responder may only raise cutoffs (UpdateItem) and read them (GetItem: an alert
    storm's already-signed-out check, docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user), the authorizer only read them
    (GetItem), both on the table alone and only with the table; the responder's env names the
    table; the event bus grant names one bus."""
    tables = sorted(cutoff_tables(t))
    problems = []
    expected = {
        RESPONDER_BINARY: {"dynamodb:UpdateItem", "dynamodb:GetItem"},
        AUTHORIZER_BINARY: {"dynamodb:GetItem"},
    }
    for binary, allowed in expected.items():
        fn_id, fn = function_of(t, binary)
        role = role_of(t, fn)
        granted: set[str] = set()
        for where, statement in statements_of_role(t, role):
            actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
            dynamo = {a for a in actions if a.lower().startswith("dynamodb:")}
            granted |= dynamo
            if dynamo:
                targets = {logical_id(r) for r in as_list(statement.get("Resource"))}
                if targets != set(tables):
                    problems.append(f"{where}: {sorted(dynamo)} on {targets}, expected the table")
            for action in actions:
                if action.lower() == "events:putevents":
                    resource = statement.get("Resource")
                    text = "".join(strings_in(resource))
                    if ":event-bus/" not in text:
                        problems.append(f"{where}: events:PutEvents on {resource!r}, not one bus")
        if granted != allowed:
            problems.append(f"{fn_id} role grants {sorted(granted)} on the table, expected {sorted(allowed)}")
    # As deployed: the responder's table grants exist exactly when the table does.
    role = t["Resources"][role_of(t, the_function(t)[1])]
    for revocation, bus in itertools.product(("true", "false"), ("", "signed-out")):
        params = {"EnableRevocation": revocation, "SignedOutEventBusName": bus}
        policies = resolved(t, role["Properties"].get("Policies", []), params)
        dynamo = {a for p in policies for st in as_list(p.get("PolicyDocument", {}).get("Statement"))
                  for a in as_list(st.get("Action")) if str(a).lower().startswith("dynamodb:")}
        want = expected[RESPONDER_BINARY] if revocation == "true" else set()
        if dynamo != want:
            problems.append(f"{params}: the responder's role grants {sorted(dynamo)} on the table")
    env = environment(t)
    if logical_id(next(alternatives(env.get("REVOCATION_TABLE")), None)) not in tables:
        problems.append("the responder's REVOCATION_TABLE does not name the cutoff table")
    return problems


def check_authorizer(t: dict) -> list[str]:
    """The authorizer builds its own binary like the responder, reads only its variables, and
    accepts the responder's pools."""
    problems = []
    name, fn = the_authorizer(t)
    props = fn.get("Properties", {})
    expected = {
        "Runtime": "provided.al2023",
        "Handler": "bootstrap",
        # cargo finds a member's binary from the member's directory, not from the root.
        "CodeUri": "crates/revocation-authorizer",
    }
    for key, want in expected.items():
        if props.get(key) != want:
            problems.append(f"{name} {key} is {props.get(key)!r}, expected {want!r}")
    if (fn.get("Metadata") or {}).get("BuildMethod") != "rust-cargolambda":
        problems.append(f"{name} BuildMethod is not rust-cargolambda")
    if "Condition" not in fn:
        problems.append(f"{name} is not behind a condition (DeployAuthorizer)")
    env = (props.get("Environment") or {}).get("Variables") or {}
    for variable in env:
        if variable not in AUTHORIZER_ENV:
            problems.append(f"{name}: {variable} is not a variable the authorizer reads")
    for required in ("USER_POOL_IDS", "APP_CLIENT_IDS", "REVOCATION_TABLE"):
        if required not in env:
            problems.append(f"{name} environment misses {required}")
    if env.get("USER_POOL_IDS") != environment(t).get("ALLOWED_USER_POOL_IDS"):
        problems.append(f"{name} USER_POOL_IDS is not the responder's pool list")
    if (props.get("LoggingConfig") or {}).get("LogFormat") != "JSON":
        problems.append(f"{name} LoggingConfig LogFormat is not JSON")
    outputs = t.get("Outputs", {})
    if not any(logical_id(o.get("Value")) == name for o in outputs.values()):
        problems.append(f"no output names {name}")
    if not any(logical_id(o.get("Value")) in cutoff_tables(t) for o in outputs.values()):
        problems.append("no output names the cutoff table")
    return problems


def responder_statements(t: dict, params: dict[str, Any]) -> list[dict]:
    """Every statement of the responder's role as deployed with these parameters."""
    role = t["Resources"][role_of(t, the_function(t)[1])]
    policies = resolved(t, role["Properties"].get("Policies", []), params)
    return [st for p in policies for st in as_list(p.get("PolicyDocument", {}).get("Statement"))]


def check_cross_account(t: dict) -> list[str]:
    """Pools in other accounts (docs/deployment.md#pools-in-many-accounts): CrossAccountRoleName and
    CrossAccountExternalId default to empty (the external id hidden); CROSS_ACCOUNT_ROLE_NAME
    and CROSS_ACCOUNT_EXTERNAL_ID are set only when given (the id only with a role name, which
    a Rule demands); sts:AssumeRole is granted exactly when a role name is given, in one
    statement on roles of that name alone; the authorizer never gets it; the role's ARN is an
    output (member-role.yaml's ResponderRoleArn)."""
    problems = []
    parameters = t.get("Parameters", {})
    name_param = parameters.get(MEMBER_ROLE_PARAMETER)
    id_param = parameters.get("CrossAccountExternalId")
    if name_param is None or id_param is None:
        return ["no CrossAccountRoleName or CrossAccountExternalId parameter"]
    for name, parameter in ((MEMBER_ROLE_PARAMETER, name_param), ("CrossAccountExternalId", id_param)):
        if parameter.get("Default") != "":
            problems.append(f"{name} defaults to {parameter.get('Default')!r}, not empty")
    if str(id_param.get("NoEcho")).lower() != "true":
        problems.append("CrossAccountExternalId is not NoEcho")
    pattern = name_param.get("AllowedPattern") or ".*"
    for good in ("cognito-signout-responder-member", "Member.Role@x_1", ""):
        if not re.fullmatch(pattern, good):
            problems.append(f"{MEMBER_ROLE_PARAMETER} refuses {good!r}")
    env = environment(t)
    cases = [("", ""), ("member", ""), ("member", "ext-123"), ("", "ext-123")]
    for role_name, external_id in cases:
        params = {MEMBER_ROLE_PARAMETER: role_name, "CrossAccountExternalId": external_id}
        where = f"CrossAccountRoleName={role_name!r} CrossAccountExternalId={external_id!r}"
        refused = rules_refusing(t, params)
        if bool(external_id and not role_name) != bool(refused):
            problems.append(f"{where}: the stack's rules refuse it: {refused}")
        got_name = evaluate(t, env.get("CROSS_ACCOUNT_ROLE_NAME"), params)
        if (got_name is NO_VALUE) != (role_name == "") or (role_name and got_name != role_name):
            problems.append(f"{where}: CROSS_ACCOUNT_ROLE_NAME is {got_name!r}")
        got_id = evaluate(t, env.get("CROSS_ACCOUNT_EXTERNAL_ID"), params)
        wanted_id = external_id if role_name and external_id else NO_VALUE
        if got_id != wanted_id:
            problems.append(f"{where}: CROSS_ACCOUNT_EXTERNAL_ID is {got_id!r}")
        sts = [st for st in responder_statements(t, params)
               if any(str(a).lower().startswith("sts:") for a in as_list(st.get("Action")))]
        if not role_name:
            if sts:
                problems.append(f"{where}: sts granted without a member role: {sts}")
            continue
        wanted = [{"Effect": "Allow", "Action": ["sts:AssumeRole"],
                   "Resource": [f"arn:aws:iam::*:role/{role_name}"]}]
        got = [{"Effect": st.get("Effect"), "Action": as_list(st.get("Action")),
                "Resource": as_list(st.get("Resource"))} for st in sts]
        if got != wanted or any("Condition" in st for st in sts):
            problems.append(f"{where}: sts statements {sts}, expected sts:AssumeRole on the member role only")
    for where, statement in iam_statements(t):
        if where.startswith(f"{role_of(t, the_authorizer(t)[1])}/") and statement and \
                any(str(a).lower().startswith("sts:") for a in as_list(statement.get("Action"))):
            problems.append(f"{where}: the authorizer may assume roles")
    role_id = role_of(t, the_function(t)[1])
    if not any(o.get("Value") == {"Fn::GetAtt": [role_id, "Arn"]} for o in t.get("Outputs", {}).values()):
        problems.append(f"no output gives {role_id}'s ARN (member-role.yaml's ResponderRoleArn)")
    return problems


CHECKS: list[Callable[[dict], list[str]]] = [
    check_function_basics,
    check_environment,
    check_sqs_event,
    check_visibility_timeout,
    check_receive_count,
    check_queues,
    check_iam,
    check_queue_policies,
    check_rule,
    check_alarms,
    check_pool_consistency,
    check_threat_logs,
    check_security_hub,
    check_containment,
    check_revocation_table,
    check_revocation_grants,
    check_authorizer,
    check_cross_account,
]


# --------------------------------------------------------------------------------------------
# Tests: the real template passes
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


def test_cfn_lint_reports_no_error_or_warning():
    assert lint() == []


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_template_passes(check, template):
    assert check(template) == []


def test_containment_parameters_default_to_the_sign_out_alone(template):
    parameters = template["Parameters"]
    assert parameters["AllowedActions"]["Default"] == "sign-out"
    for name in ("ThreatTakeoverActions", "ThreatCredentialsActions"):
        # Empty leaves the variable unset, so the function's default (the sign-out) applies.
        assert parameters[name]["Default"] in ("", "sign-out")
    granted = {a for a, _ in responder_cognito_grants(template, {})}
    assert "cognito-idp:AdminResetUserPassword" not in granted
    assert "cognito-idp:AdminDisableUser" not in granted
    env = environment(template)
    assert evaluate(template, env["ALLOWED_ACTIONS"], {}) == "sign-out"
    assert evaluate(template, env["THREAT_TAKEOVER_ACTIONS"], {}) is NO_VALUE
    assert evaluate(template, env["THREAT_CREDENTIALS_ACTIONS"], {}) is NO_VALUE
    assert env["DLQ_URL_FORBIDDEN_ACTION"] == env["DLQ_URL_FORBIDDEN_POOL"]


def test_every_lock_action_on_the_sign_out_pools_when_all_are_allowed(template):
    pools = sample_pool_arns(3)
    params = {"AllowedActions": "sign-out,reset-password,disable", "UserPoolArns": pools,
              "EnableRevocation": "false"}
    grants = dict(responder_cognito_grants(template, params))
    assert set(grants) == COGNITO_ACTIONS
    for action, resource in grants.items():
        assert resource == pools, action


def test_three_security_hub_actions_when_every_action_is_allowed(template):
    params = {**EVERY_SOURCE_ON, "AllowedActions": "sign-out,reset-password,disable"}
    targets = resources(template, "AWS::SecurityHub::ActionTarget").values()
    assert {a["Properties"]["Id"] for a in targets if is_created(template, a, params)} == set(SECURITY_HUB_TARGETS)
    for action in targets:
        assert not is_created(template, action, {**params, "SecurityHubCustomAction": "false"})


def test_allow_list_and_iam_name_the_same_two_pools(template):
    arns = [
        "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123",
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_XyZ9",
    ]
    params = {"UserPoolArns": arns}
    assert evaluate(template, environment(template)["ALLOWED_USER_POOL_IDS"], params) == ",".join(arns)
    assert pool_arns_in_iam(template, params) == arns


# --------------------------------------------------------------------------------------------
# Tests: each check notices a broken template
# --------------------------------------------------------------------------------------------


def mutated(template: dict, change: Callable[[dict], None]) -> dict:
    copy_ = copy.deepcopy(template)
    change(copy_)
    return copy_


def props(t: dict, name: str) -> dict:
    return t["Resources"][name]["Properties"]


def fn_props(t: dict) -> dict:
    return t["Resources"][the_function(t)[0]]["Properties"]


def role_statements(t: dict) -> list:
    role = t["Resources"][role_of(t, the_function(t)[1])]
    return role["Properties"]["Policies"][1]["PolicyDocument"]["Statement"]


def cognito_statements(t: dict) -> list:
    """The statements of the responder's Cognito policy (each lock action inside its Fn::If)."""
    role = t["Resources"][role_of(t, the_function(t)[1])]
    for policy in role["Properties"]["Policies"]:
        statements = policy.get("PolicyDocument", {}).get("Statement", []) if "PolicyName" in policy else []
        if "cognito-idp:AdminUserGlobalSignOut" in str(statements):
            return statements
    raise AssertionError("no Cognito policy")


def guarded(t: dict, action: str) -> dict:
    """The Fn::If that grants `action` in the Cognito policy."""
    for statement in cognito_statements(t):
        if "Fn::If" in statement and action in str(statement["Fn::If"][1].get("Action")):
            return statement
    raise AssertionError(f"no conditional statement for {action}")


def unguard(t: dict, action: str) -> None:
    """Grant `action` unconditionally: its Fn::If replaced by the statement it guards."""
    statements = cognito_statements(t)
    wrapper = guarded(t, action)
    statements[statements.index(wrapper)] = wrapper["Fn::If"][1]


def cross_account_policy(t: dict) -> dict:
    """The Fn::If that adds the responder's cross-account policy."""
    role = t["Resources"][role_of(t, the_function(t)[1])]
    for policy in role["Properties"]["Policies"]:
        if "Fn::If" in policy and "sts:AssumeRole" in str(policy):
            return policy
    raise AssertionError("no conditional sts policy")


def cutoff_read(t: dict) -> dict:
    """The Fn::If granting the responder dynamodb:GetItem on the table."""
    for statement in revocation_statements(t):
        if "Fn::If" in statement and "dynamodb:GetItem" in str(statement):
            return statement
    raise AssertionError("no cutoff read")


def revocation_statements(t: dict) -> list:
    role = t["Resources"][role_of(t, the_function(t)[1])]
    for policy in role["Properties"]["Policies"]:
        if "Fn::If" in policy and "dynamodb:UpdateItem" in str(policy):
            return policy["Fn::If"][1]["PolicyDocument"]["Statement"]
    raise AssertionError("no revocation policy")


def authorizer_statements(t: dict) -> list:
    role = t["Resources"][role_of(t, the_authorizer(t)[1])]
    return role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def table_props(t: dict) -> dict:
    return table(t)["Properties"]


def table(t: dict) -> dict:
    return next(iter(cutoff_tables(t).values()))


def alert_queue(t: dict) -> dict:
    return props(t, next(iter(alert_queue_ids(t))))


def a_dead_letter_queue(t: dict) -> dict:
    return props(t, sorted(dead_letter_queue_ids(t))[0])


def sign_out_statement(t: dict) -> dict:
    for _, statement in iam_statements(t):
        if statement and "cognito-idp:AdminUserGlobalSignOut" in as_list(statement.get("Action")):
            return statement
    raise AssertionError("no sign-out statement")


BREAKAGES: dict[str, tuple[Callable[[dict], list[str]], Callable[[dict], None]]] = {
    "visibility timeout under 6 x timeout": (
        check_visibility_timeout, lambda t: alert_queue(t).update(VisibilityTimeout=60)),
    "longer function timeout": (
        check_visibility_timeout, lambda t: fn_props(t).update(Timeout=300)),
    "sqs action on Resource *": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"})),
    "cognito action on every pool by ARN wildcard": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": ["cognito-idp:AdminUserGlobalSignOut"],
             "Resource": {"Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*"}})),
    "wildcard sqs action": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "sqs:*", "Resource": {"Fn::GetAtt": ["AlertQueue", "Arn"]}})),
    "wildcard cognito action": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "arn:aws:cognito-idp:eu-west-1:1:userpool/eu-west-1_A"})),
    "extra cognito action": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "cognito-idp:AdminDeleteUser", "Resource": "arn:aws:cognito-idp:eu-west-1:1:userpool/eu-west-1_A"})),
    "wildcard hidden in an Fn::If branch": (
        check_iam, lambda t: role_statements(t).append(
            {"Fn::If": ["IsTracingEnabled",
                        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
                        {"Ref": "AWS::NoValue"}]})),
    "SAM policy template on the function": (
        check_iam, lambda t: fn_props(t).update(Policies=["AmazonSQSFullAccess"])),
    "receive count as a literal": (
        check_receive_count, lambda t: alert_queue(t)["RedrivePolicy"].update(maxReceiveCount=5)),
    "function reads another receive count": (
        check_receive_count, lambda t: fn_props(t)["Environment"]["Variables"].update(
            MAX_RECEIVE_COUNT={"Ref": "BatchSize"})),
    "receive count minimum under 5": (
        check_receive_count, lambda t: t["Parameters"]["MaxReceiveCount"].update(MinValue=3)),
    "no ReportBatchItemFailures": (
        check_sqs_event, lambda t: next(iter(fn_props(t)["Events"].values()))["Properties"].pop(
            "FunctionResponseTypes")),
    "x86_64": (check_function_basics, lambda t: fn_props(t).update(Architectures=["x86_64"])),
    "old runtime": (check_function_basics, lambda t: fn_props(t).update(Runtime="provided.al2")),
    "other handler": (check_function_basics, lambda t: fn_props(t).update(Handler="main")),
    "other build method": (
        check_function_basics,
        lambda t: t["Resources"][the_function(t)[0]]["Metadata"].update(BuildMethod="makefile")),
    "text logs": (check_function_basics, lambda t: fn_props(t)["LoggingConfig"].update(LogFormat="Text")),
    "unencrypted dead-letter queue": (
        check_queues, lambda t: a_dead_letter_queue(t).pop("SqsManagedSseEnabled")),
    "encryption switched off on the alert queue": (
        check_queues, lambda t: alert_queue(t).update(SqsManagedSseEnabled=False)),
    "dead-letter retention of 4 days": (
        check_queues, lambda t: a_dead_letter_queue(t).update(MessageRetentionPeriod=345600)),
    "no DLQ_URL": (check_environment, lambda t: fn_props(t)["Environment"]["Variables"].pop("DLQ_URL")),
    "misspelt class queue": (
        check_environment, lambda t: fn_props(t)["Environment"]["Variables"].update(
            DLQ_URL_FORBIDDENPOOL={"Ref": "BadAlertsQueue"})),
    "IAM grants one pool more than the allow-list": (
        check_pool_consistency, lambda t: sign_out_statement(t).update(Resource={"Fn::Split": [",", {
            "Fn::Join": [",", [{"Fn::Join": [",", {"Ref": "UserPoolArns"}]},
                               "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Extra"]]}]})),
    "IAM names a fixed pool": (
        check_pool_consistency, lambda t: sign_out_statement(t).update(
            Resource="arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Fixed")),
    "allow-list from another parameter": (
        check_pool_consistency, lambda t: fn_props(t)["Environment"]["Variables"].update(
            ALLOWED_USER_POOL_IDS={"Ref": "DefaultUserPoolId"})),
    "pools parameter accepts wildcards": (
        check_pool_consistency, lambda t: t["Parameters"]["UserPoolArns"].update(
            AllowedPattern="^arn:aws:cognito-idp:.*$")),
    "queue open to any principal": (
        check_queue_policies, lambda t: props(t, "AlertQueuePolicy")["PolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"})),
    "rule target without a dead-letter queue": (
        check_rule, lambda t: props(t, "AlertRule")["Targets"]["Fn::If"][1][0].pop("DeadLetterConfig")),
    "dead-letter queue without an alarm": (
        check_alarms, lambda t: t["Resources"].pop("BadAlertsAlarm")),
    "no throttles alarm": (check_alarms, lambda t: t["Resources"].pop("FunctionThrottlesAlarm")),
    "threat logs on by default": (
        check_threat_logs, lambda t: t["Parameters"]["ThreatProtectionLogs"].update(Default="true")),
    "invoke permission for any log group": (
        check_threat_logs, lambda t: props(t, "ThreatLogInvokePermission").update(
            SourceArn={"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"})),
    "invoke permission for any account": (
        check_threat_logs, lambda t: props(t, "ThreatLogInvokePermission").pop("SourceAccount")),
    "log delivery ARN from GetAtt (ends in :*)": (
        check_threat_logs, lambda t: props(t, "ThreatLogDelivery")["LogConfigurations"][0][
            "CloudWatchLogsConfiguration"].update(LogGroupArn={"Fn::GetAtt": ["ThreatLogGroup", "Arn"]})),
    "log delivery of notifications instead of activity": (
        check_threat_logs, lambda t: props(t, "ThreatLogDelivery")["LogConfigurations"][0].update(
            EventSource="userNotification", LogLevel="ERROR")),
    "log delivery without a named pool": (
        check_threat_logs, lambda t: t["Resources"]["ThreatLogDelivery"].update(Condition="IsThreatLogEnabled")),
    "filter created before its permission": (
        check_threat_logs, lambda t: t["Resources"]["ThreatLogSubscription"].pop("DependsOn")),
    "filter pattern without compromised credentials": (
        check_threat_logs, lambda t: t["Parameters"]["ThreatLogFilterPattern"].update(
            Default='{ $.message.riskDecision = "AccountTakeover" }')),
    "custom action rule for every custom action": (
        check_security_hub, lambda t: props(t, "SecurityHubActionRule")["EventPattern"].pop("resources")),
    "custom action rule not admitted by the alert queue": (
        check_security_hub, lambda t: props(t, "AlertQueuePolicy")["PolicyDocument"]["Statement"].pop(2)),
    "imported findings of any workflow status": (
        check_security_hub, lambda t: props(t, "SecurityHubFindingsRule")["EventPattern"]["detail"][
            "findings"].pop("Workflow")),
    "custom action on by default": (
        check_security_hub, lambda t: t["Parameters"]["SecurityHubCustomAction"].update(Default="true")),
    "dynamodb action on Resource *": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})),
    "wildcard dynamodb action": (
        check_iam, lambda t: authorizer_statements(t).append(
            {"Effect": "Allow", "Action": "dynamodb:*",
             "Resource": {"Fn::GetAtt": ["RevocationTable", "Arn"]}})),
    "cognito action on Resource *": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "cognito-idp:AdminGetUser", "Resource": "*"})),
    "events on every bus": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "events:PutEvents",
             "Resource": {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/*"}})),
    "authorizer may write cutoffs": (
        check_revocation_grants, lambda t: authorizer_statements(t)[0].update(
            Action=["dynamodb:GetItem", "dynamodb:PutItem"])),
    "responder may delete cutoffs": (
        check_revocation_grants, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "dynamodb:DeleteItem",
             "Resource": {"Fn::GetAtt": ["RevocationTable", "Arn"]}})),
    "authorizer reads another table": (
        check_revocation_grants, lambda t: authorizer_statements(t)[0].update(
            Resource="arn:aws:dynamodb:eu-west-1:123456789012:table/other")),
    "table without TTL": (check_revocation_table, lambda t: table_props(t).pop("TimeToLiveSpecification")),
    "TTL on another attribute": (
        check_revocation_table,
        lambda t: table_props(t)["TimeToLiveSpecification"].update(AttributeName="ttl")),
    "table without point-in-time recovery": (
        check_revocation_table, lambda t: table_props(t).pop("PointInTimeRecoverySpecification")),
    "table deleted with the stack": (check_revocation_table, lambda t: table(t).update(DeletionPolicy="Delete")),
    "responder reads the transmitter's streams table": (
        check_revocation_grants, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "dynamodb:GetItem",
             "Resource": {"Fn::GetAtt": ["SsfTransmitterStreamsTable", "Arn"]}})),
    "a second cutoff table": (
        check_revocation_table, lambda t: t["Resources"].update(OtherTable=copy.deepcopy(table(t)))),
    "table with provisioned capacity": (
        check_revocation_table, lambda t: table_props(t).update(BillingMode="PROVISIONED")),
    "table with a sort key": (
        check_revocation_table, lambda t: table_props(t)["KeySchema"].append(
            {"AttributeName": "sk", "KeyType": "RANGE"})),
    "unencrypted table": (check_revocation_table, lambda t: table_props(t).pop("SSESpecification")),
    "authorizer builds the responder": (
        check_authorizer, lambda t: t["Resources"][the_authorizer(t)[0]]["Properties"].update(Runtime="provided.al2")),
    "authorizer reads an unknown variable": (
        check_authorizer, lambda t: t["Resources"][the_authorizer(t)[0]]["Properties"]["Environment"]["Variables"].update(
            USER_POOLS="x")),
    "authorizer always deployed": (
        check_authorizer, lambda t: t["Resources"][the_authorizer(t)[0]].pop("Condition")),
    "reset-password granted whatever AllowedActions says": (
        check_containment, lambda t: unguard(t, "cognito-idp:AdminResetUserPassword")),
    "disable granted under the reset-password condition": (
        check_containment, lambda t: guarded(t, "cognito-idp:AdminDisableUser")["Fn::If"].__setitem__(
            0, "AllowsResetPassword")),
    "disable granted on a fixed pool": (
        check_containment, lambda t: guarded(t, "cognito-idp:AdminDisableUser")["Fn::If"][1].update(
            Resource="arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Fixed")),
    "reset-password granted on every pool": (
        check_iam, lambda t: guarded(t, "cognito-idp:AdminResetUserPassword")["Fn::If"][1].update(
            Resource={"Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*"})),
    "AdminGetUser granted twice": (
        check_containment, lambda t: cognito_statements(t).append(
            {"Fn::If": ["AllowsResetPassword",
                        {"Effect": "Allow", "Action": "cognito-idp:AdminGetUser",
                         "Resource": {"Ref": "UserPoolArns"}},
                        {"Ref": "AWS::NoValue"}]})),
    "no AdminGetUser for a reset without revocation": (
        check_containment, lambda t: guarded(t, "cognito-idp:AdminGetUser")["Fn::If"].__setitem__(
            0, "NeedsUserSub")),
    "AllowedActions defaults to disable": (
        check_containment, lambda t: t["Parameters"]["AllowedActions"].update(Default="sign-out,disable")),
    "no ALLOWED_ACTIONS": (
        check_containment, lambda t: fn_props(t)["Environment"]["Variables"].pop("ALLOWED_ACTIONS")),
    "THREAT_TAKEOVER_ACTIONS set even when empty": (
        check_containment, lambda t: fn_props(t)["Environment"]["Variables"].update(
            THREAT_TAKEOVER_ACTIONS={"Ref": "ThreatTakeoverActions"})),
    "threat credentials mapped to the takeover parameter": (
        check_containment, lambda t: fn_props(t)["Environment"]["Variables"].update(
            THREAT_CREDENTIALS_ACTIONS={"Fn::If": ["HasThreatTakeoverActions", {"Ref": "ThreatTakeoverActions"},
                                                   {"Ref": "AWS::NoValue"}]})),
    "a threat mapping may disable beyond AllowedActions": (
        check_containment, lambda t: t["Rules"].pop("ThreatDisableNeedsAllowedActions")),
    "Disable user offered when disable is not allowed": (
        check_security_hub, lambda t: t["Resources"]["SecurityHubDisableAction"].update(
            Condition="IsSecurityHubActionEnabled")),
    "responder may not read cutoffs": (
        check_revocation_grants, lambda t: revocation_statements(t).remove(cutoff_read(t))),
    "cutoff read granted without the table": (
        check_revocation_grants, lambda t: revocation_statements(t).__setitem__(
            revocation_statements(t).index(cutoff_read(t)), cutoff_read(t)["Fn::If"][1])),
    "responder may put cutoffs": (
        check_revocation_grants, lambda t: cutoff_read(t)["Fn::If"][1].update(
            Action=["dynamodb:GetItem", "dynamodb:PutItem"])),
    "sts:AssumeRole on every role": (
        check_iam, lambda t: cross_account_policy(t)["Fn::If"][1]["PolicyDocument"]["Statement"][0].update(
            Resource={"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/*"})),
    "member role name accepts wildcards": (
        check_iam, lambda t: t["Parameters"]["CrossAccountRoleName"].update(AllowedPattern="^.*$")),
    "sts on a scoped action with Resource *": (
        check_iam, lambda t: role_statements(t).append(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})),
    "AssumeRole granted without a member role name": (
        check_cross_account, lambda t: cross_account_policy(t)["Fn::If"].__setitem__(0, "IsRevocationEnabled")),
    "AssumeRole on another role name": (
        check_cross_account, lambda t: cross_account_policy(t)["Fn::If"][1]["PolicyDocument"]["Statement"][0].update(
            Resource={"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/OrganizationAccountAccessRole"})),
    "sts:AssumeRole and sts:TagSession": (
        check_cross_account, lambda t: cross_account_policy(t)["Fn::If"][1]["PolicyDocument"]["Statement"][0].update(
            Action=["sts:AssumeRole", "sts:TagSession"])),
    "external id set without a role name": (
        check_cross_account, lambda t: fn_props(t)["Environment"]["Variables"].update(
            CROSS_ACCOUNT_EXTERNAL_ID={"Fn::If": ["HasCrossAccountRole", {"Ref": "CrossAccountExternalId"},
                                                  {"Ref": "AWS::NoValue"}]})),
    "role name always set": (
        check_cross_account, lambda t: fn_props(t)["Environment"]["Variables"].update(
            CROSS_ACCOUNT_ROLE_NAME={"Ref": "CrossAccountRoleName"})),
    "external id shown in the console": (
        check_cross_account, lambda t: t["Parameters"]["CrossAccountExternalId"].pop("NoEcho")),
    "external id accepted without a role name": (
        check_cross_account, lambda t: t["Rules"].pop("CrossAccountExternalIdNeedsRoleName")),
    "member role by default": (
        check_cross_account, lambda t: t["Parameters"]["CrossAccountRoleName"].update(
            Default="cognito-signout-responder-member")),
    "no output of the responder's role ARN": (
        check_cross_account, lambda t: t["Outputs"].pop("SignoutFunctionRoleArn")),
    "custom action rule misses the Reset user password target": (
        check_security_hub, lambda t: props(t, "SecurityHubActionRule")["EventPattern"]["resources"].pop(1)),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_check_notices(breakage, template):
    check, change = BREAKAGES[breakage]
    broken = mutated(template, change)
    assert check(broken), f"{check.__name__} did not notice: {breakage}"
    # The copy was broken, not the shared template.
    assert check(template) == []


def test_cfn_lint_check_notices_an_invalid_template(tmp_path):
    # (cfn-lint 1.58 no longer checks Runtime against a list; a memory size under Lambda's
    # minimum of 128 MB is an error it reports.)
    broken = TEMPLATE.read_text().replace("MemorySize: 256", "MemorySize: 5", 1)
    assert broken != TEMPLATE.read_text()
    path = tmp_path / "template.yaml"
    path.write_text(broken)
    problems = lint(path)
    assert problems and any("E3034" in p for p in problems), problems


def test_each_appsync_api_gets_its_own_invoke_permission_and_the_authorizer_its_ids():
    apis = [
        "arn:aws:appsync:us-east-1:123456789012:apis/abc123",
        "arn:aws:appsync:us-east-1:123456789012:apis/def456",
    ]
    raw, matches = decode(str(TEMPLATE))
    assert not matches
    raw["Parameters"]["AppSyncApiArns"]["Default"] = ",".join(apis)
    t = expand_for_each(raw)
    permissions = {
        name: r
        for name, r in t["Resources"].items()
        if r.get("Type") == "AWS::Lambda::Permission"
        and r["Properties"].get("Principal") == "appsync.amazonaws.com"
    }
    assert len(permissions) == 2, sorted(permissions)
    assert sorted(r["Properties"]["SourceArn"] for r in permissions.values()) == apis
    for name, r in permissions.items():
        assert r["Condition"] == "HasAppSyncApis", name
        assert r["Properties"]["Action"] == "lambda:InvokeFunction", name
        assert logical_id(r["Properties"]["FunctionName"]) == the_authorizer(t)[0], name
    variables = the_authorizer(t)[1]["Properties"]["Environment"]["Variables"]
    assert variables["APPSYNC_API_IDS"]["Fn::If"][0] == "HasAppSyncApis"
    assert variables["TOKEN_QUERY_PARAMETER"]["Fn::If"][0] == "HasTokenQueryParameter"
    # By default no AppSync API may invoke it: the one placeholder permission is conditional.
    default = load_template()
    placeholders = [
        r for r in default["Resources"].values()
        if r.get("Type") == "AWS::Lambda::Permission"
        and r["Properties"].get("Principal") == "appsync.amazonaws.com"
    ]
    assert all(r["Condition"] == "HasAppSyncApis" for r in placeholders)
    conditions = default["Conditions"]["HasAppSyncApis"]["Fn::And"]
    assert {"Condition": "IsAuthorizerDeployed"} in conditions
