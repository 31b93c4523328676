"""apply of network ACL entries against moto in server mode (fixtures of `apply_helpers`).

The estate of `apply_helpers.broken_estate`, with the app subnet moved to a network
ACL that takes only SSH in: the plan adds one inbound entry for the replies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from apply.apply_helpers import (
    REGION,
    apply,
    aws,
    broken_estate,
    plan_now,
    refuse_dry_runs,
    server,
    session_factory,
)
from ssmreach.analysis.verdict import Verdict
from ssmreach.apply import ApplyOptions, Prepared, carry_out, client_factory, state_reader
from ssmreach.plan import changes as c
from ssmreach.plan.verify import PlanMismatchError

if TYPE_CHECKING:  # boto3-stubs: types only
    from mypy_boto3_ec2.type_defs import NetworkAclEntryTypeDef

__all__ = ["aws", "server"]  # the moto fixtures


def ssh_only_acl(ids: dict[str, str]) -> str:
    """A new network ACL on the app subnet: inbound TCP 22 only, outbound everything."""
    ec2 = boto3.client("ec2", region_name=REGION)
    acl = ec2.create_network_acl(VpcId=ids["vpc"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 22, "To": 22},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="-1",
        RuleAction="allow",
        Egress=True,
        CidrBlock="0.0.0.0/0",
    )
    current = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [ids["app"]]}]
    )["NetworkAcls"][0]
    association = next(
        a["NetworkAclAssociationId"] for a in current["Associations"] if a["SubnetId"] == ids["app"]
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    return acl


def entries(acl: str) -> list[NetworkAclEntryTypeDef]:
    ec2 = boto3.client("ec2", region_name=REGION)
    found = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
    return [e for e in found if e["RuleNumber"] < 32767]


def planned_entry(plan: Any) -> c.AddNetworkAclEntry:
    (entry,) = [ch for ch in plan.changes if isinstance(ch, c.AddNetworkAclEntry)]
    return entry


def test_apply_adds_the_entry_and_a_second_run_changes_nothing(aws: str) -> None:
    ids = broken_estate()
    acl = ssh_only_acl(ids)
    plan = plan_now()
    entry = planned_entry(plan)
    assert (entry.network_acl_id, entry.egress, entry.cidr, entry.rule_number) == (
        acl,
        False,
        "0.0.0.0/0",
        110,
    )
    assert (entry.from_port, entry.to_port) == (32768, 60999)
    result = apply(plan)
    assert result.ok and result.changed == len(plan.changes)
    assert result.before is not None and result.after is not None
    # before, the path stops earlier (no private DNS): the entry is for the planned path
    assert entry.fixes
    assert {r.verdict for r in result.after.results} == {Verdict.PRIVATE}
    added = next(e for e in entries(acl) if e["RuleNumber"] == 110)
    assert added["RuleAction"] == "allow" and added["Egress"] is False
    assert added["CidrBlock"] == "0.0.0.0/0"
    assert added["PortRange"] == {"From": 32768, "To": 60999}
    assert plan_now().empty
    count = len(entries(acl))
    second = apply(plan, force=True, recheck=False)
    assert second.ok and second.changed == 0
    step = next(s for s in second.steps if s.change_id == entry.id)
    assert step.status == "skipped"  # a fresh plan no longer holds it
    assert len(entries(acl)) == count
    # and the handler itself, given the change again, finds the entry and does nothing
    again = carry_out(
        Prepared(plan, state_reader([REGION], session_factory=session_factory())(), True),
        state_reader([REGION], session_factory=session_factory()),
        client_factory(session_factory=session_factory()),
        ApplyOptions(poll=0.05, recheck=False),
    )
    step = next(s for s in again.steps if s.change_id == entry.id)
    assert step.status == "unchanged" and step.note == "the entry exists"
    assert len(entries(acl)) == count


def test_rollback_deletes_the_entry(aws: str) -> None:
    ids = broken_estate()
    acl = ssh_only_acl(ids)
    ec2 = boto3.client("ec2", region_name=REGION)
    # the app group allows no egress: the plan ends with AuthorizeEgress, which fails here
    ec2.revoke_security_group_egress(
        GroupId=ids["sg"],
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    plan = plan_now()
    kinds = [type(ch).__name__ for ch in plan.changes]
    assert kinds.index("AddNetworkAclEntry") < kinds.index("AuthorizeEgress")
    before = entries(acl)

    def fail_egress(model: Any, **_: Any) -> None:
        if model.name == "AuthorizeSecurityGroupEgress":
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "x")

    result = apply(plan, {"before-call.ec2": fail_egress})
    assert not result.ok and result.failed is not None
    assert result.failed.change_id.startswith("egress/")
    assert any(r.startswith(f"delete inbound rule 110 from {acl}") for r in result.rolled_back)
    assert entries(acl) == before


def test_dry_run_and_a_taken_rule_number(aws: str) -> None:
    ids = broken_estate()
    acl = ssh_only_acl(ids)
    plan = plan_now()
    entry = planned_entry(plan)
    dry = apply(plan, {"provide-client-params.ec2": refuse_dry_runs}, dry_run=True)
    step = next(s for s in dry.steps if s.change_id == entry.id)
    assert step.status == "dry-run" and step.note == "dry run: would succeed"
    assert len(entries(acl)) == 2
    # someone takes the rule number with another entry: it is not replaced
    boto3.client("ec2", region_name=REGION).create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=entry.rule_number,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.9.0.0/16",
        PortRange={"From": 443, "To": 443},
    )
    # a fresh plan takes another number, so the file's entry is refused
    with pytest.raises(PlanMismatchError, match=entry.id):
        apply(plan, force=True, recheck=False)
    # the handler itself never replaces the entry it finds at its number
    result = carry_out(
        Prepared(plan, state_reader([REGION], session_factory=session_factory())(), True),
        state_reader([REGION], session_factory=session_factory()),
        client_factory(session_factory=session_factory()),
        ApplyOptions(poll=0.05, recheck=False),
    )
    assert not result.ok and result.failed is not None
    assert result.failed.change_id == entry.id
    assert "not replaced" in result.failed.note
    taken = next(e for e in entries(acl) if e["RuleNumber"] == entry.rule_number)
    assert taken["CidrBlock"] == "10.9.0.0/16"
