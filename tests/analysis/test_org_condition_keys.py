"""Organisation condition keys: `aws:PrincipalOrgID` decided from DescribeOrganization.

IAM User Guide, "AWS global condition context keys": aws:PrincipalOrgID is the
organization of the requesting principal's account, and is present in the request
only when that account is a member of an organization.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import EstateBuilder, tcp
from plan.simulate import after
from scenario import result_for
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.plan import PlanOptions, make_plan
from ssmreach.plan import changes as c

ORG = "o-a1b2c3d4e5"


def _perimeter(org: str) -> dict[str, Any]:
    """A data-perimeter endpoint policy: only principals of `org`."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}},
            }
        ],
    }


def _estate(
    organization: str | None, policy_org: str = ORG, *, policy: dict[str, Any] | None = None
) -> tuple[EstateBuilder, str]:
    """One instance, and an ssm endpoint whose policy is `policy` (by default a perimeter
    on `policy_org`)."""
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16")
    app = b.subnet(vpc, "10.0.1.0/24", "a")
    ep = b.subnet(vpc, "10.0.11.0/24", "a")
    b.route_table(vpc, [app, ep])
    sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/16")])
    b.endpoint(vpc, "ssm", [ep], [sg], policy=policy or _perimeter(policy_org))
    b.organization = organization
    iid = b.instance("web", app, [b.sg(vpc, "app")], b.role("ssm-core"))
    return b, iid


def test_a_member_of_the_organization_passes_the_perimeter() -> None:
    b, iid = _estate(ORG)
    assert result_for(b, iid, "core").verdict.value == "PRIVATE"


def test_a_member_of_another_organization_is_denied_by_it() -> None:
    b, iid = _estate(ORG, policy_org="o-zzzzzzzzzz")
    r = result_for(b, iid, "core")
    assert r.verdict.value == "BLOCKED"


def test_an_account_in_no_organization_lacks_the_key_and_is_denied() -> None:
    b, iid = _estate(None)
    assert result_for(b, iid, "core").verdict.value == "BLOCKED"


@pytest.mark.parametrize("read", ["omitted", "denied"])
def test_without_describe_organization_the_perimeter_is_unknown(read: str) -> None:
    b, iid = _estate(ORG)
    b.organization = ""  # not collected
    if read == "denied":
        b.organization = ORG
        b.denied.add("DescribeOrganization")
    r = result_for(b, iid, "core")
    assert r.verdict.value == "UNKNOWN"
    assert "aws:PrincipalOrgID" in " ".join(x.message for s in r.services for x in s.reasons) or (
        "aws:principalorgid" in " ".join(x.message.lower() for x in r.reasons)
    )


# -- aws:ResourceOrgID and the AWS-owned buckets ----------------------------------------------


def _resource_perimeter(*, exempt: bool, key: str = "aws:ResourceOrgID") -> dict[str, Any]:
    """An S3 endpoint policy that admits only resources of our organization (account),
    with or without the exemption AWS's data-perimeter examples add for AWS-owned buckets."""
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringEquals": {key: ORG if "Org" in key else "111122223333"}},
        }
    ]
    if exempt:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": [
                    "arn:aws:s3:::amazon-ssm-us-east-1/*",
                    "arn:aws:s3:::aws-ssm-us-east-1/*",
                ],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _s3_estate(policy: dict[str, Any]) -> tuple[EstateBuilder, str]:
    b = EstateBuilder()
    b.organization = ORG
    vpc = b.vpc("10.0.0.0/16")
    app = b.subnet(vpc, "10.0.1.0/24", "a")
    ep = b.subnet(vpc, "10.0.11.0/24", "a")
    rtb = b.route_table(vpc, [app, ep])
    sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/16")])
    for svc in ("ssm", "ssmmessages", "ec2messages"):
        b.endpoint(vpc, svc, [ep], [sg])
    b.s3_gateway(vpc, [rtb], policy=policy)
    return b, b.instance("web", app, [b.sg(vpc, "app")], b.role("ssm-core"))


@pytest.mark.parametrize("key", ["aws:ResourceOrgID", "aws:ResourceAccount"])
def test_a_resource_perimeter_shuts_out_the_aws_owned_buckets(key: str) -> None:
    b, iid = _s3_estate(_resource_perimeter(exempt=False, key=key))
    r = result_for(b, iid, "agent-update")
    found = {x.code: x for x in r.reasons}
    assert r.verdict.value == "BLOCKED" and "PERIMETER_DENIES_AWS_BUCKETS" in found
    assert key.lower() in found["PERIMETER_DENIES_AWS_BUCKETS"].message


def test_the_exemption_for_the_aws_owned_buckets_lets_them_through() -> None:
    b, iid = _s3_estate(_resource_perimeter(exempt=True))
    assert result_for(b, iid, "agent-update").verdict.value == "PRIVATE"


def test_the_plan_adds_the_exemption_and_the_check_then_passes() -> None:
    b, iid = _s3_estate(_resource_perimeter(exempt=False))
    options = PlanOptions(features=("agent-update",))
    plan = make_plan(b.estate(), options=options)
    policies = [ch for ch in plan.changes if isinstance(ch, c.SetEndpointPolicy)]
    assert len(policies) == 1 and "PERIMETER_DENIES_AWS_BUCKETS" in {
        f.code for f in policies[0].fixes
    }
    fixed = check_estate(after(b.raw(), plan), CheckOptions(features=("agent-update",)))
    assert {r.verdict.value for r in fixed.results if r.instance == iid} == {"PRIVATE"}


# -- aws:VpceAccount and aws:VpceOrgID -------------------------------------------------------


def _endpoint_owner_perimeter(key: str, value: str) -> dict[str, Any]:
    """An S3 endpoint policy that admits only calls through endpoints of `value`."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {key: value}},
            }
        ],
    }


@pytest.mark.parametrize(
    ("key", "value", "verdict"),
    [
        ("aws:VpceAccount", "111122223333", "PRIVATE"),
        ("aws:VpceAccount", "444455556666", "BLOCKED"),
        ("aws:VpceOrgID", ORG, "PRIVATE"),
        ("aws:VpceOrgID", "o-zzzzzzzzzz", "BLOCKED"),
    ],
)
def test_the_endpoint_owner_keys_are_decided_for_s3(key: str, value: str, verdict: str) -> None:
    b, iid = _s3_estate(_endpoint_owner_perimeter(key, value))
    assert b.account == "111122223333"
    assert result_for(b, iid, "agent-update").verdict.value == verdict


def test_an_endpoint_owner_in_no_organization_lacks_vpce_org_id() -> None:
    b, iid = _s3_estate(_endpoint_owner_perimeter("aws:VpceOrgID", ORG))
    b.organization = None
    assert result_for(b, iid, "agent-update").verdict.value == "BLOCKED"


def test_without_describe_organization_vpce_org_id_is_unknown() -> None:
    b, iid = _s3_estate(_endpoint_owner_perimeter("aws:VpceOrgID", ORG))
    b.organization = ""  # not collected
    r = result_for(b, iid, "agent-update")
    assert r.verdict.value == "UNKNOWN"
    assert "aws:vpceorgid" in " ".join(x.message.lower() for x in r.reasons)


def test_an_endpoint_listed_without_its_owner_leaves_vpce_account_unknown() -> None:
    b, iid = _s3_estate(_endpoint_owner_perimeter("aws:VpceAccount", "111122223333"))
    for endpoint in b.endpoints:
        endpoint.pop("OwnerId")
    r = result_for(b, iid, "agent-update")
    assert r.verdict.value == "UNKNOWN"
    assert "aws:vpceaccount" in " ".join(x.message.lower() for x in r.reasons)


def test_systems_manager_endpoints_leave_the_endpoint_owner_keys_unknown() -> None:
    """The IAM list of services that set aws:VpceAccount does not name Systems Manager:
    a perimeter on it in the ssm endpoint's policy is not guessed either way."""
    policy = _endpoint_owner_perimeter("aws:VpceAccount", EstateBuilder().account)
    policy["Statement"][0]["Action"] = "*"
    b, iid = _estate(ORG, policy=policy)
    r = result_for(b, iid, "core")
    assert r.verdict.value == "UNKNOWN"
    assert "aws:vpceaccount" in " ".join(x.message.lower() for x in r.reasons)
