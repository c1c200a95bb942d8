"""The CloudWatch dashboard of template.yaml shows only metrics that a binary emits.

A dashboard widget that names a metric nobody emits is a flat line during an incident, and
nothing else would notice: CloudWatch accepts any name. So every metric a widget names is
checked against the names the binaries can emit, read from the Rust sources as text (nothing
is compiled or run):

- the responder (`src/metrics.rs`): its string literals (not those of its tests, not the
  `.property(...)` names, which are not metrics), every `OutcomeKind::metric_name`
  (`src/core/outcome.rs`) since it counts each kind, and `<kind>.<class>` for every class
  (`ErrorClass::as_str`, `src/core/error_class.rs`) since it formats `"{}.{class}"`;
- the authorizer (`crates/revocation-authorizer/src/metrics.rs`): its literals, and
  `Denied.<reason>` for every reason a decision can carry (`Decision::reason` and
  `Refusal::reason` in `crates/cognito-revocation`, and the `reason: "..."` the authorizer
  itself sets for an event that is not a request), since it formats `"Denied.{}"`;
- the receiver (`crates/ssf-receiver/src/**/*.rs`, once it exists): its literals, and for a
  literal `Prefix.{...}` every lowercase literal of the crate as a suffix (`SetsRejected.<err>`);
- the transmitter (`crates/ssf-transmitter/src/**/*.rs`, once it exists), read the same way
  (`SetsRefused.<err>`).

The pairing is an over-approximation (the responder never emits `SignedOut.<class>`): the
completeness tests pin which class goes in which widget, and that every class and reason has
its line. A widget metric must also be emitted by the binary its `FunctionName` dimension
names, under that function's `METRICS_NAMESPACE`; metrics in `AWS/*` namespaces are AWS's own
and must be in the short list below.

Run from the repository root: ``python -m pytest tests/template`` (needs cfn-lint and pytest).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from test_template import (
    AUTHORIZER_BINARY,
    PSEUDO,
    RESPONDER_BINARY,
    ROOT,
    evaluate,
    function_of,
    load_template,
    resources,
)

# Every optional widget shown, and a namespace no default can hide: a widget that hard-codes
# the default namespace instead of ${MetricsNamespace} shows nothing once a stack changes it.
ALL_ON = {
    "EnableRevocation": "true",
    "DeployAuthorizer": "true",
    "AuthorizerAppClientIds": ["client1"],
    "DeploySsfReceiver": "true",
    "DeploySsfTransmitter": "true",
    "SignedOutEventBusName": "signed-out",
    "MetricsNamespace": "Test/Responder",
}
# Metrics AWS publishes itself (not emitted by our binaries), by namespace: the ones the
# dashboard may show.
AWS_METRICS = {
    "AWS/SQS": {"ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible"},
    "AWS/Lambda": {"Invocations", "Errors", "Throttles", "ConcurrentExecutions"},
}
RECEIVER = "ssf-receiver"
RECEIVER_CRATE = Path("crates") / RECEIVER
TRANSMITTER = "ssf-transmitter"
TRANSMITTER_CRATE = Path("crates") / TRANSMITTER
# Names the dashboard may show before their source exists: (binary, name) -> why, e.g.
# (RESPONDER_BINARY, "AlreadySignedOut"): "docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user, being added in src/". Remove
# an entry as soon as the source emits the name (test_pending_names_are_still_missing warns).
# Empty: `AlreadySignedOut` (docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user) is emitted by src/metrics.rs since d76814d.
PENDING: dict[tuple[str, str], str] = {}
# docs/ssf-receiver.md: the receiver's metrics. Pending as a whole while
# crates/ssf-receiver does not exist; checked against its sources once it does.
RECEIVER_CONTRACT_METRICS = {
    "SetsAccepted",
    "AlertsQueued",
    "SubjectsUnknown",
    *(f"SetsRejected.{err}" for err in (
        "invalid_key", "invalid_issuer", "invalid_audience", "invalid_request",
        "authentication_failed",
    )),
}
# docs/ssf-transmitter.md#logs-and-metrics: the transmitter's metrics. The same role as the
# receiver's while crates/ssf-transmitter does not exist.
TRANSMITTER_CONTRACT_METRICS = {
    "SetsDelivered", "SetsRetried", "SetsDeadLettered", "DeliveryLatency", "Streams",
    *(f"SetsRefused.{err}" for err in (
        "invalid_request", "invalid_key", "invalid_issuer", "invalid_audience",
        "authentication_failed", "access_denied",
    )),
}
CONTRACT_METRICS = {RECEIVER: RECEIVER_CONTRACT_METRICS, TRANSMITTER: TRANSMITTER_CONTRACT_METRICS}


# --------------------------------------------------------------------------------------------
# What the binaries emit, read from their sources
# --------------------------------------------------------------------------------------------

TOKENS = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*")"""
    r"""|(?P<char>'(?:[^'\\]|\\.)')"""
    r"""|(?P<comment>//[^\n]*|/\*.*?\*/)""",
    re.S,
)
METRIC_NAME = re.compile(r"[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9_-]+)?")
FAMILY = re.compile(r"(?P<prefix>[A-Z][A-Za-z0-9]*\.)\{\w*\}")


def code(path: Path) -> str:
    """The source without comments and without its unit tests (`#[cfg(test)]` onwards)."""
    text = path.read_text(encoding="utf-8")
    text = text.split("#[cfg(test)]", 1)[0]
    return TOKENS.sub(lambda m: "" if m.group("comment") else m.group(0), text)


def literals(source: str) -> list[str]:
    """Every string literal of `source`, except a `.property("...")` name (not a metric)."""
    found = []
    for m in TOKENS.finditer(source):
        if m.group("string") is None:
            continue
        if re.search(r"\.property\(\s*$", source[: m.start()]):
            continue
        found.append(m.group("string")[1:-1])
    return found


def fn_body(source: str, name: str) -> str:
    """The body of `fn name`, braces matched (strings hold no braces in these functions)."""
    m = re.search(rf"\bfn\s+{name}\s*\([^)]*\)[^{{]*\{{", source)
    if not m:
        raise AssertionError(f"no fn {name}")
    depth, i = 1, m.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        i += 1
    return source[m.end(): i - 1]


def fn_literals(source: str, name: str) -> list[str]:
    return literals(fn_body(source, name))


def metric_literals(source: str) -> set[str]:
    return {s for s in literals(source) if METRIC_NAME.fullmatch(s)}


def outcome_names(root: Path) -> list[str]:
    return fn_literals(code(root / "src/core/outcome.rs"), "metric_name")


def error_classes(root: Path) -> list[str]:
    return fn_literals(code(root / "src/core/error_class.rs"), "as_str")


def retryable_classes(root: Path) -> set[str]:
    """The classes `ErrorClass::is_retryable` names, spelt as the contract spells them."""
    source = code(root / "src/core/error_class.rs")
    variants = re.findall(r"ErrorClass::(\w+)", fn_body(source, "is_retryable"))
    spelt = dict(re.findall(r"ErrorClass::(\w+)\s*=>\s*\"([^\"]+)\"", fn_body(source, "as_str")))
    return {spelt[v] for v in variants}


def responder_emitted(root: Path = ROOT) -> set[str]:
    metrics = code(root / "src/metrics.rs")
    names = metric_literals(metrics)
    kinds = outcome_names(root)
    if re.search(r"\bkind\.metric_name\(\)", metrics):
        names |= set(kinds)
    if re.search(r'format!\(\s*"\{\}\.\{class\}"\s*,\s*kind\.metric_name\(\)\s*\)', metrics):
        names |= {f"{kind}.{cls}" for kind in kinds for cls in error_classes(root)}
    return names


def denial_reasons(root: Path = ROOT) -> set[str]:
    """Every reason a denial can carry: a refusal's, a decision's that is not allowed, and
    the authorizer's own (an event that is not a request)."""
    check = code(root / "crates/cognito-revocation/src/check.rs")
    allowed = set(re.findall(r"Decision::(\w+)", fn_body(check, "is_allowed")))
    arms = re.findall(r"Decision::(\w+)\b[^=\n]*=>\s*\"(\w+)\"", fn_body(check, "reason"))
    reasons = {reason for variant, reason in arms if variant not in allowed}
    reasons |= set(fn_literals(code(root / "crates/cognito-revocation/src/refusal.rs"), "reason"))
    for path in sorted((root / "crates/revocation-authorizer/src").rglob("*.rs")):
        reasons |= set(re.findall(r"\breason:\s*\"(\w+)\"", code(path)))
    return reasons


def authorizer_emitted(root: Path = ROOT) -> set[str]:
    metrics = code(root / "crates/revocation-authorizer/src/metrics.rs")
    names = metric_literals(metrics)
    if "Denied.{}" in literals(metrics):
        names |= {f"Denied.{reason}" for reason in denial_reasons(root)}
    return names


def receiver_emitted(root: Path = ROOT) -> set[str] | None:
    """None while the receiver's crate does not exist."""
    return crate_emitted(root / RECEIVER_CRATE)


def transmitter_emitted(root: Path = ROOT) -> set[str] | None:
    """None while the transmitter's crate does not exist."""
    return crate_emitted(root / TRANSMITTER_CRATE)


def crate_emitted(crate_root: Path) -> set[str] | None:
    """What an SSF crate's sources can emit: its metric-like literals, and for a literal
    `Prefix.{...}` every lowercase literal of the crate as a suffix; None without the crate."""
    crate = crate_root / "src"
    if not crate.is_dir():
        return None
    sources = [code(p) for p in sorted(crate.rglob("*.rs"))]
    strings = [s for source in sources for s in literals(source)]
    names = {s for source in sources for s in metric_literals(source)}
    suffixes = {s for s in strings if re.fullmatch(r"[a-z][a-z0-9_]*", s)}
    for s in strings:
        family = FAMILY.fullmatch(s)
        if family:
            names |= {family.group("prefix") + suffix for suffix in suffixes}
    return names


@dataclass(frozen=True)
class Emitted:
    """What each binary can emit; `receiver` and `transmitter` are None while their crate
    does not exist."""

    responder: set[str]
    authorizer: set[str]
    receiver: set[str] | None
    transmitter: set[str] | None

    @classmethod
    def read(cls, root: Path = ROOT) -> "Emitted":
        return cls(responder_emitted(root), authorizer_emitted(root), receiver_emitted(root),
                   transmitter_emitted(root))

    def of(self, binary: str) -> set[str] | None:
        return {RESPONDER_BINARY: self.responder, AUTHORIZER_BINARY: self.authorizer,
                RECEIVER: self.receiver, TRANSMITTER: self.transmitter}[binary]


# --------------------------------------------------------------------------------------------
# The dashboard, as CloudFormation would deploy it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One metric a widget names."""

    widget: str
    namespace: str
    name: str
    function: str | None  # the FunctionName dimension; None for a SEARCH
    search: bool = False


def the_dashboard(t: dict) -> tuple[str, dict]:
    dashboards = resources(t, "AWS::CloudWatch::Dashboard")
    if len(dashboards) != 1:
        raise AssertionError(f"expected one dashboard, found {sorted(dashboards)}")
    return next(iter(dashboards.items()))


def dashboard_body(t: dict, params: dict[str, Any]) -> dict:
    """The DashboardBody for these parameters, parsed: every Fn::If decided, every Sub
    resolved (a resource evaluates to "<LogicalId>", a parameter to its value)."""
    _, dashboard = the_dashboard(t)
    text = evaluate(t, dashboard["Properties"]["DashboardBody"], params)
    if not isinstance(text, str):
        raise AssertionError(f"DashboardBody does not evaluate to a string: {text!r}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise AssertionError(f"DashboardBody is not JSON ({err}) for {params}:\n{text}") from err


SEARCH = re.compile(r"""SEARCH\(\s*'\{\s*"?(?P<namespace>[^",}]+)"?(?P<dims>[^}]*)\}(?P<terms>[^']*)'""")


def shown_metrics(body: dict) -> list[Shown]:
    """Every metric every widget names: metric rows (`[namespace, name, dim, value, ...,
    {options}]`, "." repeating the row above) and SEARCH expressions (`MetricName="..."`)."""
    shown = []
    for widget in body.get("widgets", []):
        props = widget.get("properties", {})
        title = props.get("title", widget.get("type"))
        previous: list = []
        for row in props.get("metrics", []):
            if row and isinstance(row[-1], dict) and "expression" in row[-1]:
                search = SEARCH.search(row[-1]["expression"])
                if search:
                    for name in re.findall(r'MetricName\s*=\s*"([^"]+)"', search.group("terms")):
                        shown.append(Shown(title, search.group("namespace"), name, None, True))
                continue
            values = [v for v in row if not isinstance(v, dict)]
            values = [previous[i] if v == "." and i < len(previous) else v for i, v in enumerate(values)]
            previous = values
            dims = dict(zip(values[2::2], values[3::2]))
            shown.append(Shown(title, values[0], values[1], dims.get("FunctionName")))
    return shown


def binaries_by_function(t: dict) -> dict[str, str]:
    """FunctionName as a widget shows it ("<LogicalId>") -> the binary it builds."""
    return {f"<{function_of(t, b)[0]}>": b
            for b in (RESPONDER_BINARY, AUTHORIZER_BINARY, RECEIVER, TRANSMITTER)}


def namespace_of(t: dict, binary: str, params: dict[str, Any]) -> Any:
    """The METRICS_NAMESPACE the template gives the function that builds `binary`."""
    _, fn = function_of(t, binary)
    variables = fn["Properties"].get("Environment", {}).get("Variables", {})
    return evaluate(t, variables.get("METRICS_NAMESPACE"), params)


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def check_dashboard_metrics(t: dict, emitted: Emitted, params: dict[str, Any] = ALL_ON) -> list[str]:
    """Every metric a widget names is emitted by the binary its FunctionName names, under that
    function's namespace, or is one of AWS's listed metrics; every widget is in the stack's
    region. Pending names (PENDING, the receiver's while its crate is absent) are allowed."""
    problems = []
    body = dashboard_body(t, params)
    functions = binaries_by_function(t)
    for widget in body.get("widgets", []):
        region = widget.get("properties", {}).get("region")
        if widget.get("type") == "metric" and region != PSEUDO["AWS::Region"]:
            problems.append(f"widget {widget['properties'].get('title')!r}: region {region!r}, not the stack's")
    for m in shown_metrics(body):
        where = f"widget {m.widget!r}: {m.namespace} {m.name}"
        if m.namespace.startswith("AWS/"):
            if m.name not in AWS_METRICS.get(m.namespace, set()):
                problems.append(f"{where} is not a listed AWS metric")
            continue
        if m.search:
            # A SEARCH of the namespace also shows other stacks' functions that share it.
            problems.append(f"{where}: a SEARCH, not this stack's function by name")
            continue
        if m.function in functions:
            binary = functions[m.function]
            namespace = namespace_of(t, binary, params)
        else:
            problems.append(f"{where}: FunctionName {m.function!r} is none of the template's functions")
            continue
        if m.namespace != namespace:
            problems.append(f"{where}: namespace is not {binary}'s METRICS_NAMESPACE {namespace!r}")
        names = emitted.of(binary)
        if names is None:
            if m.name not in CONTRACT_METRICS[binary]:
                problems.append(f"{where}: not a metric of docs/{binary}.md ({binary} not built yet)")
            continue
        if m.name not in names and (binary, m.name) not in PENDING:
            problems.append(f"{where} is emitted by no source of {binary}")
    return problems


def check_dashboard_complete(t: dict, root: Path = ROOT) -> list[str]:
    """Every class has its line: dead-lettered for each class that is not retried, retried for
    each retryable one; every denial reason has its line; nothing else is in those widgets."""
    shown = shown_metrics(dashboard_body(t, ALL_ON))
    classes = error_classes(root)
    retryable = retryable_classes(root)
    want = {
        "DeadLettered.": {c for c in classes if c not in retryable},
        "Retried.": retryable,
        "Denied.": denial_reasons(root),
    }
    problems = []
    for prefix, expected in want.items():
        got = {m.name[len(prefix):] for m in shown if m.name.startswith(prefix)}
        # (Retried.throttled is also beside the Cognito latency, as its throttling.)
        widgets = {m.widget for m in shown if m.name.startswith(prefix) and m.name != "Retried.throttled"}
        if got != expected:
            problems.append(f"{prefix}<...> shown for {sorted(got)}, expected {sorted(expected)}")
        if len(widgets) != 1:
            problems.append(f"{prefix}<...> spread over widgets {sorted(widgets)}, expected one")
    return problems


def check_dashboard_conditions(t: dict) -> list[str]:
    """The body is JSON for every combination of the optional parts; the authorizer's widgets
    exist exactly with the authorizer, the receiver's exactly with DeploySsfReceiver=true, the
    transmitter's exactly with DeploySsfTransmitter=true (both default false); the dashboard's
    name carries the region (dashboards are global)."""
    problems = []
    for deploy in ("DeploySsfReceiver", "DeploySsfTransmitter"):
        parameter = t.get("Parameters", {}).get(deploy)
        if not parameter or parameter.get("Default") != "false":
            problems.append(f"no {deploy} parameter defaulting to false")
    name, dashboard = the_dashboard(t)
    if "Condition" in dashboard:
        problems.append(f"{name} is conditional; it must always exist")
    if "${AWS::Region}" not in str(dashboard["Properties"].get("DashboardName")):
        problems.append(f"{name} DashboardName lacks the region (dashboards are global to an account)")
    authorizer = f"<{function_of(t, AUTHORIZER_BINARY)[0]}>"
    receiver_function = f"<{function_of(t, RECEIVER)[0]}>"
    transmitter_function = f"<{function_of(t, TRANSMITTER)[0]}>"
    for auth, revocation, receiver, transmitter in itertools.product(("true", "false"), repeat=4):
        params = {**ALL_ON, "DeployAuthorizer": auth, "EnableRevocation": revocation,
                  "DeploySsfReceiver": receiver, "DeploySsfTransmitter": transmitter}
        try:
            shown = shown_metrics(dashboard_body(t, params))
        except AssertionError as err:
            problems.append(str(err))
            continue
        has_authorizer = any(m.function == authorizer for m in shown)
        if has_authorizer != (auth == revocation == "true"):
            problems.append(f"{params}: authorizer widgets shown={has_authorizer}")
        has_receiver = any(m.function == receiver_function for m in shown)
        if has_receiver != (receiver == "true"):
            problems.append(f"{params}: receiver widgets shown={has_receiver}")
        has_transmitter = any(m.function == transmitter_function for m in shown)
        if has_transmitter != (transmitter == "true"):
            problems.append(f"{params}: transmitter widgets shown={has_transmitter}")
    return problems


# --------------------------------------------------------------------------------------------
# Tests: the real template and sources pass
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


@pytest.fixture(scope="module")
def emitted() -> Emitted:
    return Emitted.read()


def test_every_dashboard_metric_is_emitted(template, emitted):
    assert check_dashboard_metrics(template, emitted) == []


def test_every_class_and_denial_reason_has_its_line(template):
    assert check_dashboard_complete(template) == []


def test_optional_widgets_follow_their_deployments(template):
    assert check_dashboard_conditions(template) == []


def test_the_sources_are_read_as_the_code_emits(emitted):
    # A few names each binary is known to emit, read from the text of its sources.
    assert {"Alerts", "SignedOut", "DeadLettered", "Retried", "Ignored", "CognitoCallLatency",
            "CutoffsRecorded", "PasswordsReset", "DeadLettered.forbidden-pool",
            "Retried.throttled", "DeadLettered.retries-exhausted"} <= emitted.responder
    assert {"Allowed", "Denied", "AllowedUnchecked", "LookupErrors", "AuthorizationLatency",
            "Denied.Revoked", "Denied.Expired", "Denied.MissingToken",
            "Denied.UnrecognisedEvent"} <= emitted.authorizer
    # Plain properties and test-only strings are not metrics.
    assert "Reason" not in emitted.authorizer
    assert "Ns" not in emitted.authorizer
    assert retryable_classes(ROOT) == {"throttled", "internal", "transport", "unknown"}
    assert {"Allowed", "AllowedUnchecked"}.isdisjoint(denial_reasons())


def test_the_dashboard_shows_what_an_incident_needs(template):
    names = {m.name for m in shown_metrics(dashboard_body(template, ALL_ON))}
    assert {"Alerts", "SignedOut", "AlreadySignedOut", "CognitoCallLatency", "Retried.throttled",
            "CutoffsRecorded", "CutoffFailures", "EventsPublished", "EventFailures",
            "PasswordsReset", "UsersDisabled", "Allowed", "Denied"} <= names
    assert RECEIVER_CONTRACT_METRICS <= names
    assert TRANSMITTER_CONTRACT_METRICS <= names
    # Latency as percentiles (p50 and p99), not as an average.
    body = dashboard_body(template, ALL_ON)
    stats = {row[-1].get("stat") for w in body["widgets"] for row in w.get("properties", {}).get("metrics", [])
             if "CognitoCallLatency" in row}
    assert stats == {"p50", "p99"}


def test_pending_names_are_still_missing(emitted):
    """A pending name is allowed only while no source emits it: once it is emitted, drop it
    from PENDING (this warns then); while it is missing, this test reports it as xfail."""
    missing = sorted(name for binary, name in PENDING if name not in (emitted.of(binary) or set()))
    emitted_now = sorted(name for binary, name in PENDING if name in (emitted.of(binary) or set()))
    if emitted_now:
        warnings.warn(f"now emitted, remove from PENDING in {Path(__file__).name}: {emitted_now}")
    if emitted.receiver is None:
        missing.append(f"{RECEIVER} ({RECEIVER_CRATE} does not exist)")
    if emitted.transmitter is None:
        missing.append(f"{TRANSMITTER} ({TRANSMITTER_CRATE} does not exist)")
    if missing:
        pytest.xfail(f"dashboard names not emitted yet: {missing}")


# --------------------------------------------------------------------------------------------
# Tests: the checks notice a broken dashboard or a source that stops emitting a name
# --------------------------------------------------------------------------------------------


def body_pieces(t: dict) -> list:
    """The Fn::Join list of the DashboardBody."""
    return the_dashboard(t)[1]["Properties"]["DashboardBody"]["Fn::Join"][1]


def edit_body(t: dict, old: str, new: str) -> None:
    """Replaces `old` by `new` in the one Sub template that holds it (Fn::If branches too)."""

    def subs(piece: Any):
        if isinstance(piece, dict) and "Fn::Sub" in piece:
            yield piece
        elif isinstance(piece, dict) and "Fn::If" in piece:
            for branch in piece["Fn::If"][1:]:
                yield from subs(branch)

    hits = [s for piece in body_pieces(t) for s in subs(piece) if old in s["Fn::Sub"]]
    assert hits, f"{old!r} is in no Sub of the dashboard body"
    hits[0]["Fn::Sub"] = hits[0]["Fn::Sub"].replace(old, new, 1)


RESPONDER_ROW = '["${MetricsNamespace}", "%s", "FunctionName", "${SignoutFunction}", {"label": "x"}],'
SIGNED_OUT_ROW = '["${MetricsNamespace}", "SignedOut", "FunctionName", "${SignoutFunction}"'

BREAKAGES = {
    "a made-up metric": (
        check_dashboard_metrics, lambda t: edit_body(
            t, SIGNED_OUT_ROW, RESPONDER_ROW % "SignoutsAvoided" + "\n" + SIGNED_OUT_ROW)),
    "a misspelt class": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '"DeadLettered.forbidden-pool"', '"DeadLettered.forbidden_pool"')),
    "a responder metric under the authorizer's name": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '"Denied.Revoked", "FunctionName", "${AuthorizerFunction}"',
            '"SignedOut", "FunctionName", "${AuthorizerFunction}"')),
    "the default namespace hard-coded": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '["${MetricsNamespace}", "Alerts"', '["CognitoSignoutResponder", "Alerts"')),
    "another function's name": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '"Alerts", "FunctionName", "${SignoutFunction}"', '"Alerts", "FunctionName", "responder"')),
    "a receiver metric outside the contract": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '"SubjectsUnknown", "FunctionName"', '"SubjectsUnknowable", "FunctionName"')),
    "a receiver metric under the responder's name": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '"SetsAccepted", "FunctionName", "${SsfReceiverFunction}"',
            '"SetsAccepted", "FunctionName", "${SignoutFunction}"')),
    "a SEARCH instead of the function's series": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '["${MetricsNamespace}", "AlertsQueued", "FunctionName", "${SsfReceiverFunction}", {"label": "alerts queued"}]',
            '[{"expression": "SEARCH(\'{\\"${MetricsNamespace}\\",FunctionName} MetricName=\\"AlertsQueued\\"\', \'Sum\', 60)", "id": "q"}]')),
    "a fixed region": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '"region": "${AWS::Region}"', '"region": "us-east-1"')),
    "an AWS metric not listed": (
        check_dashboard_metrics, lambda t: edit_body(
            t, '"AWS/Lambda", "Errors"', '"AWS/Lambda", "Duration"')),
    "a dead-letter class left out": (
        check_dashboard_complete, lambda t: edit_body(
            t, '"DeadLettered.forbidden-action"', '"DeadLettered.forbidden-pool"')),
    "a retryable class among the dead letters": (
        check_dashboard_complete, lambda t: edit_body(
            t, '"DeadLettered.malformed"', '"Retried.internal"')),
    "a denial reason left out": (
        check_dashboard_complete, lambda t: edit_body(t, '"Denied.Signature"', '"Denied.Revoked"')),
    "authorizer widgets whatever is deployed": (
        check_dashboard_conditions, lambda t: body_pieces(t).__setitem__(
            2, body_pieces(t)[2]["Fn::If"][1])),
    "receiver widgets by default": (
        check_dashboard_conditions, lambda t: t["Parameters"]["DeploySsfReceiver"].update(Default="true")),
    "a dashboard name without the region": (
        check_dashboard_conditions, lambda t: the_dashboard(t)[1]["Properties"].update(
            DashboardName={"Fn::Sub": "${AWS::StackName}"})),
    "a body that is not JSON": (
        check_dashboard_conditions, lambda t: body_pieces(t).__setitem__(-1, "]")),
}


def run_check(check, t: dict, emitted: Emitted) -> list[str]:
    if check is check_dashboard_metrics:
        return check(t, emitted)
    try:
        return check(t)
    except AssertionError as err:  # a body that no longer parses is a finding too
        return [str(err)]


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_dashboard_check_notices(breakage, template, emitted):
    check, change = BREAKAGES[breakage]
    broken = copy.deepcopy(template)
    change(broken)
    assert run_check(check, broken, emitted), f"{check.__name__} did not notice: {breakage}"
    # The copy was broken, not the shared template.
    assert run_check(check, template, emitted) == []


def test_a_made_up_metric_is_named_in_the_finding(template, emitted):
    broken = copy.deepcopy(template)
    BREAKAGES["a made-up metric"][1](broken)
    problems = check_dashboard_metrics(broken, emitted)
    assert len(problems) == 1, problems
    assert "SignoutsAvoided" in problems[0] and RESPONDER_BINARY in problems[0]


def copy_sources(root: Path, to: Path) -> None:
    for relative in ("src/metrics.rs", "src/core/outcome.rs", "src/core/error_class.rs",
                     "crates/revocation-authorizer/src", "crates/cognito-revocation/src",
                     "crates/ssf-receiver/src", "crates/ssf-transmitter/src"):
        source, target = root / relative, to / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)


def test_a_name_the_source_stops_emitting_is_noticed(template, tmp_path):
    copy_sources(ROOT, tmp_path)
    metrics = tmp_path / "src/metrics.rs"
    text = metrics.read_text()
    assert '("CutoffFailures", self.cutoff_failures),' in text
    metrics.write_text(text.replace('("CutoffFailures", self.cutoff_failures),', ""))
    problems = check_dashboard_metrics(template, Emitted.read(tmp_path))
    assert [p for p in problems if "CutoffFailures" in p] == problems and problems


def test_a_class_the_source_adds_must_get_its_line(template, tmp_path):
    copy_sources(ROOT, tmp_path)
    classes = tmp_path / "src/core/error_class.rs"
    text = classes.read_text()
    marker = 'ErrorClass::RetriesExhausted => "retries-exhausted",'
    assert marker in text
    classes.write_text(text.replace(marker, marker + '\n            ErrorClass::Quarantined => "quarantined",'))
    problems = check_dashboard_complete(template, tmp_path)
    assert any("quarantined" in p for p in problems), problems


def test_a_receiver_crate_is_read_once_it_exists(tmp_path):
    assert receiver_emitted(tmp_path) is None
    src = tmp_path / RECEIVER_CRATE / "src"
    src.mkdir(parents=True)
    (src / "metrics.rs").write_text(
        '// "NotAMetric" in a comment\n'
        'fn measure(m: &mut Metrics, err: &str) {\n'
        '    m.count("SetsAccepted", 1).count(format!("SetsRejected.{err}"), 1);\n'
        '}\n'
        'const ERRS: [&str; 2] = ["invalid_key", "invalid_issuer"];\n'
        '#[cfg(test)]\nmod tests { const X: &str = "TestOnly"; }\n'
    )
    names = receiver_emitted(tmp_path)
    assert {"SetsAccepted", "SetsRejected.invalid_key", "SetsRejected.invalid_issuer"} <= names
    assert "NotAMetric" not in names and "TestOnly" not in names
    assert "SetsRejected.invalid_audience" not in names
