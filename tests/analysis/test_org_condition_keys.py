"""Organisation condition keys: `aws:PrincipalOrgID` decided from DescribeOrganization.

IAM User Guide, "AWS global condition context keys": aws:PrincipalOrgID is the
organization of the requesting principal's account, and is present in the request
only when that account is a member of an organization.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import EstateBuilder, tcp
from scenario import result_for

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


def _estate(organization: str | None, policy_org: str = ORG) -> tuple[EstateBuilder, str]:
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16")
    app = b.subnet(vpc, "10.0.1.0/24", "a")
    ep = b.subnet(vpc, "10.0.11.0/24", "a")
    b.route_table(vpc, [app, ep])
    sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/16")])
    b.endpoint(vpc, "ssm", [ep], [sg], policy=_perimeter(policy_org))
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
