"""Plans for a VPC shared through AWS RAM: the owner makes the network changes, the
participant its own security groups' (VPC user guide, "Share your VPC": participants
cannot create endpoints, route tables or ACLs in a shared VPC)."""

from __future__ import annotations

import pytest

from analysis.test_shared_subnets import OWNER, PARTICIPANT, shared_vpc
from builders import nacl_entry
from ssmreach.cli.apply_cmd import _refuse_other_accounts
from ssmreach.errors import UsageError
from ssmreach.model.estate import Estate
from ssmreach.model.raw import FORMAT, Manifest, RawSnapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.plan import Plan, PlanOptions, make_plan
from ssmreach.plan import changes as c
from ssmreach.plan.guards import problems


def _plan(*, egress: bool, owner: bool = True) -> tuple[Plan, Estate]:
    s = shared_vpc(endpoints=False)
    if not egress:
        for group in s.participant.sgs:
            group["IpPermissionsEgress"] = []
    builders = (s.owner, s.participant) if owner else (s.participant,)
    files = {k: v for b in builders for k, v in b.files().items()}
    manifest = Manifest(
        format=FORMAT, accounts=tuple(b.account for b in builders), regions=("us-east-1",)
    )
    estate = parse_snapshot(RawSnapshot(manifest=manifest, files=files))
    return make_plan(estate, options=PlanOptions()), estate


def test_the_owner_creates_the_endpoints_of_a_shared_vpc() -> None:
    plan, estate = _plan(egress=True)
    network = [x for x in plan.changes if not isinstance(x, c.AuthorizeEgress)]
    assert network and {x.account for x in network} == {OWNER}
    assert any(isinstance(x, c.CreateGatewayEndpoint) for x in network)  # on the owner's table
    assert list(problems(plan, estate)) == []


def test_the_participant_opens_its_own_groups() -> None:
    plan, _ = _plan(egress=False)
    egress = [x for x in plan.changes if isinstance(x, c.AuthorizeEgress)]
    assert egress and {x.account for x in egress} == {PARTICIPANT}


def test_without_the_owner_nothing_is_planned_and_the_step_is_manual() -> None:
    plan, _ = _plan(egress=True, owner=False)
    assert plan.changes == ()
    assert any("owner account" in str(m) for m in plan.manual)


def test_apply_refuses_a_plan_for_accounts_its_credentials_do_not_reach() -> None:
    plan, _ = _plan(egress=False)
    with pytest.raises(UsageError, match=OWNER):
        _refuse_other_accounts(plan, (PARTICIPANT,))
    _refuse_other_accounts(plan, (PARTICIPANT, OWNER))


def test_a_participant_instance_s_reply_ports_come_from_its_own_account() -> None:
    """The owner's ACL lets no reply in; the entry the plan adds opens the range of the
    instance's platform, which the participant's DescribeInstanceInformation names (here
    DescribeInstances does not: no PlatformDetails), not the whole 1024-65535."""
    s = shared_vpc()
    s.owner.nacl(
        s.vpc,
        [s.subnet],
        [
            nacl_entry(100, "allow", egress=True),
            nacl_entry(100, "allow", egress=False, cidr="10.0.0.0/16", ports=(443, 443)),
        ],
    )
    for reservation in s.participant.reservations:
        for instance in reservation["Instances"]:
            instance.pop("PlatformDetails", None)
    files = {k: v for b in (s.owner, s.participant) for k, v in b.files().items()}
    manifest = Manifest(format=FORMAT, accounts=(OWNER, PARTICIPANT), regions=("us-east-1",))
    estate = parse_snapshot(RawSnapshot(manifest=manifest, files=files))
    plan = make_plan(estate, options=PlanOptions(features=("core",)))
    entries = [x for x in plan.changes if isinstance(x, c.AddNetworkAclEntry)]
    assert entries and {(x.account, x.from_port, x.to_port) for x in entries} == {
        (OWNER, 32768, 60999)
    }
