"""The ssf-receiver's resources (docs/ssf-receiver.md): deployed only when
DeploySsfReceiver=true, behind a function URL, with exactly the grants the contract lists."""

from __future__ import annotations

from typing import Any

import pytest

from test_template import (
    condition_holds,
    function_of,
    load_template,
    resolved,
    resources,
    role_of,
)

ON = {"DeploySsfReceiver": "true", "SsfIssuer": "https://idp.example.com/", "SsfAudience": "aud-1"}
POOLS = ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123"]


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


def receiver(t: dict) -> tuple[str, dict]:
    return function_of(t, "ssf-receiver")


def grants(t: dict, params: dict[str, Any]) -> list[dict]:
    """Every statement of the receiver's role, as deployed with `params`."""
    role = t["Resources"][role_of(t, receiver(t)[1])]
    policies = resolved(t, role["Properties"]["Policies"], params)
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def test_the_receiver_is_off_by_default_and_every_resource_of_it_is_conditional(template):
    name, fn = receiver(template)
    assert fn["Condition"] == "IsSsfReceiverDeployed"
    assert not condition_holds(template, "IsSsfReceiverDeployed", {"UserPoolArns": POOLS})
    assert condition_holds(template, "IsSsfReceiverDeployed", {**ON, "UserPoolArns": POOLS})
    ssf = [n for n in template["Resources"] if n.startswith("SsfReceiver")]
    assert set(ssf) >= {"SsfReceiverFunction", "SsfReceiverFunctionRole", "SsfReceiverLogGroup", "SsfReceiverErrorsAlarm"}
    for n in ssf:
        assert template["Resources"][n].get("Condition") == "IsSsfReceiverDeployed", n
    assert template["Outputs"]["SsfReceiverUrl"]["Condition"] == "IsSsfReceiverDeployed"


def test_a_function_url_without_iam_auth_fronts_it(template):
    _, fn = receiver(template)
    assert fn["Properties"]["FunctionUrlConfig"] == {"AuthType": "NONE"}
    assert template["Outputs"]["SsfReceiverUrl"]["Value"] == {
        "Fn::GetAtt": ["SsfReceiverFunctionUrl", "FunctionUrl"]
    }


def sam_transformed(params: dict[str, Any]) -> dict:
    """The template as SAM's own transform (the `samtranslator` that `sam deploy` runs)
    expands it, with local code locations replaced by S3 ones as `sam package` does."""
    import os

    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    from test_template import TEMPLATE, expand_for_each

    # SAM CLI expands AWS::LanguageExtensions (Fn::ForEach) before SAM's own transform.
    document = expand_for_each(yaml_parse(TEMPLATE.read_text()))
    document["Transform"] = "AWS::Serverless-2016-10-31"
    for resource in document["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/key"

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    return transform(document, params, NoManagedPolicies())


def test_the_function_url_is_public_with_both_permissions_lambda_requires_since_october_2025():
    # Lambda requires lambda:InvokeFunctionUrl and lambda:InvokeFunction for a new function
    # URL with AuthType NONE; without the second, every push gets 403 Forbidden and the
    # transmitter never reaches the receiver. SAM adds both: checked here so that a SAM
    # version that did not would fail the suite rather than a deployment.
    out = sam_transformed({**ON, "UserPoolArns": ",".join(POOLS)})
    public = [
        r["Properties"]
        for r in out["Resources"].values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"].get("Principal") == "*"
        and r["Properties"].get("FunctionName") == {"Ref": "SsfReceiverFunction"}
    ]
    assert {p["Action"] for p in public} == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}, public
    url = next(p for p in public if p["Action"] == "lambda:InvokeFunctionUrl")
    assert url["FunctionUrlAuthType"] == "NONE"
    invoke = next(p for p in public if p["Action"] == "lambda:InvokeFunction")
    assert invoke["InvokedViaFunctionUrl"] is True  # only through the URL, not any invoke
    # Only the two functions with a public URL (this one and the transmitter, checked in
    # test_ssf_transmitter.py) have public permissions, each under its own condition.
    own_condition = {"SsfReceiverFunction": "IsSsfReceiverDeployed",
                     "SsfTransmitterFunction": "IsSsfTransmitterDeployed"}
    for name, r in out["Resources"].items():
        if r["Type"] == "AWS::Lambda::Permission" and r["Properties"].get("Principal") == "*":
            function = r["Properties"]["FunctionName"].get("Ref")
            assert function in own_condition, name
            assert r.get("Condition") == own_condition[function], name


def test_the_environment_names_every_variable_of_the_contract(template):
    _, fn = receiver(template)
    variables = set(fn["Properties"]["Environment"]["Variables"])
    assert variables >= {
        "SSF_ISSUER", "SSF_AUDIENCE", "SSF_JWKS_URI", "SSF_AUTHORIZATION", "SSF_USER_POOL_IDS",
        "SSF_IDENTITY_PROVIDER", "SSF_COMPROMISE_ACTIONS", "ALERT_QUEUE_URL", "REVOCATION_TABLE",
    }
    assert template["Parameters"]["SsfAuthorization"].get("NoEcho") is True


def test_the_role_grants_exactly_the_contracts_actions(template):
    params = {**ON, "UserPoolArns": POOLS, "EnableRevocation": "true"}
    statements = grants(template, params)
    actions = sorted(a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))
    assert actions == [
        "cognito-idp:ListUsers", "dynamodb:GetItem", "dynamodb:PutItem",
        "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage",
    ]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["SendAlerts"]["Resource"] == "<AlertQueue.Arn>"
    assert by_sid["FindUsers"]["Resource"] == POOLS
    replay = by_sid["ReplayItems"]
    assert replay["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["set#*"]}}


def test_without_the_table_there_is_no_table_grant(template):
    statements = grants(template, {**ON, "UserPoolArns": POOLS, "EnableRevocation": "false"})
    assert not [s for s in statements if str(s["Action"]).startswith("dynamodb")]


def test_errors_alarm_watches_the_receiver(template):
    alarm = template["Resources"]["SsfReceiverErrorsAlarm"]["Properties"]
    assert alarm["MetricName"] == "Errors"
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "SsfReceiverFunction"}}]
    assert "AlarmActions" in alarm


def test_a_deployment_without_issuer_or_audience_is_refused(template):
    rule = template["Rules"]["SsfReceiverNeedsIssuerAndAudience"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "DeploySsfReceiver"}, "true"]}
    assert len(rule["Assertions"]) == 4


def environment_of(t: dict, params: dict[str, Any]) -> dict:
    _, fn = receiver(t)
    return resolved(t, fn["Properties"]["Environment"]["Variables"], params)


def test_credential_variables_are_left_out_when_empty_since_the_receiver_refuses_them_empty(template):
    env = environment_of(template, {**ON, "UserPoolArns": POOLS})
    for name in [
        "SSF_AUTHORIZATION", "SSF_AUTHORIZATION_SECRET_ARN", "SSF_POLL_URL",
        "SSF_POLL_AUTHORIZATION", "SSF_POLL_AUTHORIZATION_SECRET_ARN",
    ]:
        assert name not in env, name
    env = environment_of(template, {**ON, "UserPoolArns": POOLS, "SsfAuthorization": "Bearer x"})
    assert env["SSF_AUTHORIZATION"] == "Bearer x"


SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssf-push-AbCdEf"
POLL_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ssf-poll-AbCdEf"


def test_secrets_are_readable_only_when_named_and_only_those(template):
    base = {**ON, "UserPoolArns": POOLS}
    assert not [s for s in grants(template, base) if "secretsmanager" in str(s["Action"])]
    params = {
        **base, "SsfAuthorizationSecretArn": SECRET,
        "SsfPollUrl": "https://idp.example.com/ssf/poll", "SsfPollAuthorizationSecretArn": POLL_SECRET,
    }
    (read,) = [s for s in grants(template, params) if "secretsmanager" in str(s["Action"])]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert read["Resource"] == [SECRET, POLL_SECRET]
    env = environment_of(template, params)
    assert env["SSF_AUTHORIZATION_SECRET_ARN"] == SECRET
    assert env["SSF_POLL_AUTHORIZATION_SECRET_ARN"] == POLL_SECRET
    # A poll secret without a poll URL is not granted (the receiver would refuse it anyway).
    only_push = {**base, "SsfPollAuthorizationSecretArn": POLL_SECRET}
    assert not [s for s in grants(template, only_push) if "secretsmanager" in str(s["Action"])]


def test_polling_adds_a_schedule_that_invokes_the_receiver_and_is_not_retried(template):
    rule = template["Resources"]["SsfPollRule"]
    permission = template["Resources"]["SsfPollPermission"]
    assert rule["Condition"] == permission["Condition"] == "IsSsfPolling"
    base = {**ON, "UserPoolArns": POOLS}
    assert not condition_holds(template, "IsSsfPolling", base)
    assert condition_holds(template, "IsSsfPolling", {**base, "SsfPollUrl": "https://idp.example.com/poll"})
    assert not condition_holds(template, "IsSsfPolling", {"SsfPollUrl": "https://idp.example.com/poll"})
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["SsfReceiverFunction", "Arn"]}
    assert rule["Properties"]["ScheduleExpression"] == {"Ref": "SsfPollSchedule"}
    assert permission["Properties"]["Principal"] == "events.amazonaws.com"
    assert permission["Properties"]["SourceArn"] == {"Fn::GetAtt": ["SsfPollRule", "Arn"]}
    _, fn = receiver(template)
    assert fn["Properties"]["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    env = environment_of(template, {**base, "SsfPollUrl": "https://idp.example.com/poll"})
    assert env["SSF_POLL_URL"] == "https://idp.example.com/poll"


def test_a_credential_and_its_secret_together_are_refused(template):
    rule = template["Rules"]["SsfReceiverNeedsIssuerAndAudience"]
    described = " ".join(a["AssertDescription"] for a in rule["Assertions"])
    assert "SsfAuthorization or SsfAuthorizationSecretArn, not both" in described
    assert "SsfPollAuthorization or SsfPollAuthorizationSecretArn, not both" in described


def test_compromise_actions_beyond_allowed_actions_are_refused_at_deploy_time(template):
    # Beyond AllowedActions, the responder would sign the user out and dead-letter every
    # compromise alert as forbidden-action: the stack says so before anything is deployed.
    from test_template import action_set, rules_refusing

    allowed_values = template["Parameters"]["AllowedActions"]["AllowedValues"]
    compromise_values = template["Parameters"]["SsfCompromiseActions"]["AllowedValues"]
    for allowed in allowed_values:
        for compromise in compromise_values:
            for deployed in ("true", "false"):
                params = {**ON, "DeploySsfReceiver": deployed, "UserPoolArns": POOLS,
                          "AllowedActions": allowed, "SsfCompromiseActions": compromise}
                refused = rules_refusing(template, params)
                beyond = not action_set(compromise) <= action_set(allowed)
                assert bool(refused) == (beyond and deployed == "true"), (params, refused)
