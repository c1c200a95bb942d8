"""Checks on member-role.yaml, the role the responder assumes in a member account
(docs/alerts-and-dead-letters.md#already-signed-out-alert-storms-cost-one-call-per-user), ready for CloudFormation StackSets.

Least privilege, as a reviewer would demand it of a role that can lock users out:
- one trust statement: `sts:AssumeRole` for the responder's role ARN (parameter
  ResponderRoleArn, whole ARNs only) and no one else, with `sts:ExternalId` required exactly
  when the ExternalId parameter is set (NoEcho);
- one permission statement: exactly AdminUserGlobalSignOut, AdminResetUserPassword,
  AdminDisableUser and AdminGetUser, on the UserPoolArns list, which is required and accepts
  whole pool ARNs only, so no resource is ever "*" or a wildcard; no managed policy, no
  boundary-free extras, no other resource than the role;
- the role's name is the RoleName parameter (the responder's CrossAccountRoleName), and the
  role's ARN is an output.

Each check is a ``check_*(template) -> list[str]`` run on the real template and on broken
copies, as in test_template.py.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

import pytest

from test_template import (
    NO_VALUE,
    ROOT,
    as_list,
    condition_holds,
    lint,
    load_template,
    resolved,
    sample_pool_arns,
    strings_in,
)

MEMBER_ROLE = ROOT / "member-role.yaml"
ACTIONS = {
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminGetUser",
}
RESPONDER_ROLE = "arn:aws:iam::111111111111:role/responder-SignoutFunctionRole-AbC123"
DEFAULT_ROLE_NAME = "cognito-signout-responder-member"
WILDCARDS = [
    "*",
    "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/*",
    "arn:aws:cognito-idp:*:123456789012:userpool/eu-west-1_Ab",
    "arn:aws:cognito-idp:eu-west-1:*:userpool/eu-west-1_Ab",
    "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_*",
    "",
]


def the_role(t: dict) -> tuple[str, dict]:
    roles = {k: v for k, v in t.get("Resources", {}).items() if v.get("Type") == "AWS::IAM::Role"}
    if len(roles) != 1:
        raise AssertionError(f"expected one role, found {sorted(roles)}")
    return next(iter(roles.items()))


def deployed(t: dict, params: dict[str, Any]) -> dict:
    """The role's properties as CloudFormation would create them for these parameters."""
    base = {"ResponderRoleArn": RESPONDER_ROLE, "UserPoolArns": sample_pool_arns(2)}
    return resolved(t, the_role(t)[1]["Properties"], {**base, **params})


def check_resources(t: dict) -> list[str]:
    """The role and nothing else: no policy, user, group or second role elsewhere."""
    problems = []
    others = {k: v.get("Type") for k, v in t.get("Resources", {}).items() if v.get("Type") != "AWS::IAM::Role"}
    if others:
        problems.append(f"resources besides the role: {others}")
    try:
        name, role = the_role(t)
    except AssertionError as err:
        return [str(err)]
    if role.get("Condition"):
        problems.append(f"{name} is conditional")
    props = role.get("Properties", {})
    for key in ("ManagedPolicyArns", "PermissionsBoundary", "Path"):
        if key in props:
            problems.append(f"{name} has {key}")
    if props.get("RoleName") != {"Ref": "RoleName"}:
        problems.append(f"{name} RoleName is {props.get('RoleName')!r}, not the RoleName parameter")
    if t.get("Parameters", {}).get("RoleName", {}).get("Default") != DEFAULT_ROLE_NAME:
        problems.append(f"RoleName does not default to {DEFAULT_ROLE_NAME}")
    outputs = t.get("Outputs", {})
    if not any(o.get("Value") == {"Fn::GetAtt": [name, "Arn"]} for o in outputs.values()):
        problems.append(f"no output gives {name}'s ARN")
    return problems


def check_permissions(t: dict) -> list[str]:
    """Exactly the four Cognito actions on exactly the listed pools, in one statement, for
    any list the parameter accepts; the parameter is required and refuses wildcards."""
    problems = []
    parameter = t.get("Parameters", {}).get("UserPoolArns", {})
    if parameter.get("Type") != "CommaDelimitedList":
        problems.append("UserPoolArns is not a CommaDelimitedList")
    if "Default" in parameter:
        problems.append(f"UserPoolArns has a default {parameter['Default']!r}: the list must be given")
    pattern = parameter.get("AllowedPattern")
    if not pattern:
        problems.append("UserPoolArns has no AllowedPattern keeping wildcards out")
    else:
        for bad in WILDCARDS:
            if re.fullmatch(pattern, bad):
                problems.append(f"UserPoolArns accepts {bad!r}")
        for good in sample_pool_arns(3):
            if not re.fullmatch(pattern, good):
                problems.append(f"UserPoolArns refuses {good!r}")
    for n in (1, 3):
        pools = sample_pool_arns(n)
        props = deployed(t, {"UserPoolArns": pools})
        statements = [st for policy in props.get("Policies", [])
                      for st in as_list(policy.get("PolicyDocument", {}).get("Statement"))]
        if len(statements) != 1:
            problems.append(f"{n} pools: {len(statements)} permission statements, expected one")
        for st in statements:
            actions = set(as_list(st.get("Action")))
            resource = as_list(st.get("Resource"))
            if st.get("Effect") != "Allow" or actions != ACTIONS:
                problems.append(f"{n} pools: {st.get('Effect')} {sorted(actions)}, expected Allow {sorted(ACTIONS)}")
            if resource != pools:
                problems.append(f"{n} pools: on {resource}, expected exactly {pools}")
            if any("*" in s for s in strings_in(st.get("Resource"))) or any("*" in str(r) for r in resource):
                problems.append(f"{n} pools: a wildcard resource {resource}")
            for key in ("NotAction", "NotResource", "Condition", "Principal"):
                if key in st:
                    problems.append(f"{n} pools: the statement has {key}")
    return problems


def check_trust(t: dict) -> list[str]:
    """Only the responder's role may assume it, and only with the external id when one is
    set; the role ARN parameter refuses wildcards and account roots; the id is NoEcho."""
    problems = []
    parameters = t.get("Parameters", {})
    arn_pattern = parameters.get("ResponderRoleArn", {}).get("AllowedPattern")
    if "Default" in parameters.get("ResponderRoleArn", {}):
        problems.append("ResponderRoleArn has a default")
    if not arn_pattern:
        problems.append("ResponderRoleArn has no AllowedPattern")
    else:
        for bad in ("*", "arn:aws:iam::111111111111:root", "111111111111",
                    "arn:aws:iam::111111111111:role/*", "arn:aws:iam::*:role/responder",
                    "arn:aws:iam::111111111111:user/responder"):
            if re.fullmatch(arn_pattern, bad):
                problems.append(f"ResponderRoleArn accepts {bad!r}")
        if not re.fullmatch(arn_pattern, RESPONDER_ROLE):
            problems.append(f"ResponderRoleArn refuses {RESPONDER_ROLE!r}")
    external = parameters.get("ExternalId", {})
    if external.get("Default") != "":
        problems.append("ExternalId does not default to empty (optional)")
    if str(external.get("NoEcho")).lower() != "true":
        problems.append("ExternalId is not NoEcho")
    for external_id in ("", "ext-123"):
        document = deployed(t, {"ExternalId": external_id}).get("AssumeRolePolicyDocument", {})
        statements = as_list(document.get("Statement"))
        where = f"ExternalId={external_id!r}"
        if len(statements) != 1:
            problems.append(f"{where}: {len(statements)} trust statements, expected one")
            continue
        (st,) = statements
        if st.get("Effect") != "Allow" or as_list(st.get("Action")) != ["sts:AssumeRole"]:
            problems.append(f"{where}: trust {st.get('Effect')} {st.get('Action')}, expected Allow sts:AssumeRole")
        if st.get("Principal") != {"AWS": RESPONDER_ROLE}:
            problems.append(f"{where}: trusts {st.get('Principal')}, expected the responder's role only")
        if "NotPrincipal" in st:
            problems.append(f"{where}: the trust statement has NotPrincipal")
        wanted = {"StringEquals": {"sts:ExternalId": external_id}} if external_id else NO_VALUE
        if st.get("Condition", NO_VALUE) != wanted:
            problems.append(f"{where}: trust condition {st.get('Condition', None)!r}, expected {'none' if wanted is NO_VALUE else wanted}")
    if condition_holds(t, "HasExternalId", {}):
        problems.append("an external id is required by default")
    return problems


CHECKS: list[Callable[[dict], list[str]]] = [check_resources, check_permissions, check_trust]


@pytest.fixture(scope="module")
def member() -> dict:
    return load_template(MEMBER_ROLE)


def test_cfn_lint_reports_no_error_or_warning():
    assert lint(MEMBER_ROLE) == []


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_member_role_passes(check, member):
    assert check(member) == []


def test_no_transform_so_stacksets_can_deploy_it(member):
    # StackSets do not run macros or transforms.
    assert "Transform" not in member


def test_one_pool_list_for_every_account(member):
    # A StackSet passes one value to every account: the responder's whole list works, since
    # an ARN of another account grants nothing there.
    pools = ["arn:aws:cognito-idp:eu-west-1:222222222222:userpool/eu-west-1_AbC123",
             "arn:aws:cognito-idp:us-east-1:333333333333:userpool/us-east-1_XyZ9"]
    (statement,) = deployed(member, {"UserPoolArns": pools})["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == pools


def statement(t: dict) -> dict:
    return the_role(t)[1]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]


def trust(t: dict) -> dict:
    return the_role(t)[1]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]


BREAKAGES: dict[str, tuple[Callable[[dict], list[str]], Callable[[dict], None]]] = {
    "an extra Cognito action": (
        check_permissions, lambda t: statement(t)["Action"].append("cognito-idp:AdminDeleteUser")),
    "a wildcard action": (
        check_permissions, lambda t: statement(t).update(Action="cognito-idp:Admin*")),
    "an action missing": (
        check_permissions, lambda t: statement(t)["Action"].remove("cognito-idp:AdminGetUser")),
    "every pool of the account": (
        check_permissions, lambda t: statement(t).update(
            Resource={"Fn::Sub": "arn:${AWS::Partition}:cognito-idp:*:${AWS::AccountId}:userpool/*"})),
    "Resource *": (check_permissions, lambda t: statement(t).update(Resource="*")),
    "a second statement": (
        check_permissions, lambda t: the_role(t)[1]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"].append({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"})),
    "a second policy": (
        check_permissions, lambda t: the_role(t)[1]["Properties"]["Policies"].append(
            {"PolicyName": "x", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}})),
    "pools parameter accepts wildcards": (
        check_permissions, lambda t: t["Parameters"]["UserPoolArns"].update(AllowedPattern="^.*$")),
    "pools parameter with a default (the list not required)": (
        check_permissions, lambda t: t["Parameters"]["UserPoolArns"].update(
            Default="arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Ab")),
    "a managed policy": (
        check_resources, lambda t: the_role(t)[1]["Properties"].update(
            ManagedPolicyArns=["arn:aws:iam::aws:policy/AmazonCognitoPowerUser"])),
    "another resource": (
        check_resources, lambda t: t["Resources"].update(
            Extra={"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {}}})),
    "a fixed role name": (
        check_resources, lambda t: the_role(t)[1]["Properties"].update(RoleName="member")),
    "no role ARN output": (check_resources, lambda t: t.pop("Outputs")),
    "the responder's whole account trusted": (
        check_trust, lambda t: trust(t).update(
            Principal={"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::111111111111:root"}})),
    "anyone trusted": (check_trust, lambda t: trust(t).update(Principal={"AWS": "*"})),
    "a service trusted as well": (
        check_trust, lambda t: trust(t).update(
            Principal={"AWS": {"Ref": "ResponderRoleArn"}, "Service": "lambda.amazonaws.com"})),
    "the external id ignored": (check_trust, lambda t: trust(t).pop("Condition")),
    "the external id always required": (
        check_trust, lambda t: trust(t).update(Condition={"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}})),
    "the external id shown": (check_trust, lambda t: t["Parameters"]["ExternalId"].pop("NoEcho")),
    "a second trust statement": (
        check_trust, lambda t: the_role(t)[1]["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})),
    "trust of any role ARN pattern": (
        check_trust, lambda t: t["Parameters"]["ResponderRoleArn"].update(AllowedPattern="^arn:aws:iam::.*$")),
    "sts:TagSession as well": (
        check_trust, lambda t: trust(t).update(Action=["sts:AssumeRole", "sts:TagSession"])),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_member_role_check_notices(breakage, member):
    check, change = BREAKAGES[breakage]
    broken = copy.deepcopy(member)
    change(broken)
    assert check(broken), f"{check.__name__} did not notice: {breakage}"
    assert check(member) == []
