"""The ssf-receiver's resources (CONTRACT.md section 11): deployed only when
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
    assert len(rule["Assertions"]) == 2
