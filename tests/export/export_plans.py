"""Plans for the export tests: the two examples, a hub design, and one of every change kind."""

from __future__ import annotations

import json
from typing import TypedDict

from builders import EstateBuilder
from paths import EXAMPLES
from ssmreach.model.reader import load_snapshot
from ssmreach.plan import Plan, PlanOptions, make_plan
from ssmreach.plan import changes as c
from ssmreach.plan.plan import Scope

A, R = "111122223333", "us-east-1"
VPC = "vpc-0123456789abcdef0"


class _Where(TypedDict):
    """The fields every change of `every_kind` shares (typed, so `**` checks each one)."""

    account: str
    region: str
    vpc_id: str


def example(name: str) -> Plan:
    return make_plan(load_snapshot(EXAMPLES / name))


def hub_plan() -> Plan:
    b = EstateBuilder()
    hub = b.vpc("10.1.0.0/16")
    hub_a = b.subnet(hub, "10.1.1.0/24", "a")
    b.route_table(hub, [hub_a])
    spoke = b.vpc("10.2.0.0/16")
    app = b.subnet(spoke, "10.2.1.0/24", "a")
    b.route_table(spoke, [app])
    b.peering(spoke, hub)
    locked = b.sg(spoke, "locked", egress=[])
    b.instance("web", app, [locked], b.role("ssm-core"))
    return make_plan(b.estate(), options=PlanOptions(hub=hub))


def nacl_plan() -> Plan:
    """An instance subnet whose network ACL takes only SSH in: one entry for the replies."""
    from builders import nacl_entry
    from scenario import one_vpc

    s = one_vpc()
    s.b.nacl(
        s.vpc,
        [s.app],
        [
            nacl_entry(100, "allow", egress=False, ports=(22, 22)),
            nacl_entry(100, "allow", egress=True),
        ],
    )
    s.b.instance("etl", s.app, [s.app_sg], s.profile)
    return make_plan(s.b.estate())


def every_kind() -> Plan:
    """One change of each kind, with references between them."""
    common: _Where = {"account": A, "region": R, "vpc_id": VPC}
    policy = json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    )
    changes: list[c.Change] = [
        c.SetVpcAttribute(
            id="attr", attribute="enableDnsHostnames", summary="dns hostnames", **common
        ),
        c.CreateSecurityGroup(
            id="sg", group_name="ssmreach-endpoints", description="d", summary="sg", **common
        ),
        c.AuthorizeIngress(
            id="in",
            group_id=c.ref("sg"),
            cidrs=("10.0.1.0/24",),
            source_group_ids=("sg-0aaaaaaaaaaaaaaa1",),
            depends_on=("sg",),
            summary="in",
            **common,
        ),
        c.CreateInterfaceEndpoint(
            id="ep",
            service="ssm",
            service_name=f"com.amazonaws.{R}.ssm",
            subnet_ids=("subnet-0aaaaaaaaaaaaaaa1",),
            availability_zones=(f"{R}a",),
            security_group_ids=(c.ref("sg"),),
            private_dns=False,
            policy=policy,
            depends_on=("sg", "in", "attr"),
            monthly_cost=7.3,
            summary="ep",
            **common,
        ),
        c.ModifyEndpointPrivateDns(
            id="dns",
            endpoint_id="vpce-0aaaaaaaaaaaaaaa1",
            service="ssmmessages",
            summary="dns",
            **common,
        ),
        c.ModifyEndpointSecurityGroups(
            id="groups",
            endpoint_id="vpce-0aaaaaaaaaaaaaaa2",
            service="ec2messages",
            add_group_ids=(c.ref("sg"),),
            depends_on=("sg",),
            summary="groups",
            **common,
        ),
        c.SetEndpointPolicy(
            id="policy",
            endpoint_id="vpce-0aaaaaaaaaaaaaaa3",
            service="logs",
            policy=policy,
            summary="policy",
            **common,
        ),
        c.CreateGatewayEndpoint(
            id="gw",
            service_name=f"com.amazonaws.{R}.s3",
            route_table_ids=("rtb-0aaaaaaaaaaaaaaa1",),
            policy=policy,
            summary="gw",
            **common,
        ),
        c.AssociateGatewayRouteTables(
            id="gwrt",
            endpoint_id="vpce-0aaaaaaaaaaaaaaa4",
            route_table_ids=("rtb-0aaaaaaaaaaaaaaa2",),
            summary="gwrt",
            **common,
        ),
        c.AuthorizeEgress(
            id="out",
            group_id="sg-0aaaaaaaaaaaaaaa2",
            prefix_list_ids=("pl-63a5400a",),
            destination_group_ids=(c.ref("sg"),),
            cidrs=("10.1.0.0/16",),
            depends_on=("sg",),
            summary="out",
            **common,
        ),
        c.CreateRoute(
            id="route",
            route_table_id="rtb-0aaaaaaaaaaaaaaa1",
            destination_cidr="10.1.0.0/16",
            target="pcx-0aaaaaaaaaaaaaaa1",
            summary="route",
            **common,
        ),
        c.CreateRoute(
            id="route-tgw",
            route_table_id="rtb-0aaaaaaaaaaaaaaa1",
            destination_cidr="10.3.0.0/16",
            target="tgw-0aaaaaaaaaaaaaaa1",
            summary="route",
            **common,
        ),
        c.AddNetworkAclEntry(
            id="acl-entry",
            network_acl_id="acl-0aaaaaaaaaaaaaaa1",
            rule_number=90,
            egress=False,
            cidr="10.0.11.0/24",
            from_port=32768,
            to_port=60999,
            summary="acl entry",
            **common,
        ),
        c.CreatePrivateHostedZone(
            id="zone",
            zone_name=f"ssm.{R}.amazonaws.com",
            service="ssm",
            endpoint_id=c.ref("ep"),
            vpc_ids=("vpc-0bbbbbbbbbbbbbbb1",),
            depends_on=("ep",),
            monthly_cost=0.5,
            summary="zone",
            account=A,
            region=R,
        ),
        c.CreatePrivateHostedZone(
            id="zone2",
            zone_name=f"ssmmessages.{R}.amazonaws.com",
            service="ssmmessages",
            endpoint_id="vpce-0aaaaaaaaaaaaaaa1",
            vpc_ids=("vpc-0bbbbbbbbbbbbbbb1",),
            monthly_cost=0.5,
            summary="zone2",
            account=A,
            region=R,
        ),
        c.AssociateHostedZone(
            id="assoc",
            zone_id="Z0123456789ABCDEFGHIJ",
            zone_name=f"kms.{R}.amazonaws.com",
            summary="assoc",
            account=A,
            region=R,
            vpc_id="vpc-0bbbbbbbbbbbbbbb2",
        ),
    ]
    return Plan(
        id="plan-everykind00",
        source="test",
        snapshot_created=None,
        fingerprint="sha256:" + "0" * 64,
        scope=(Scope(account=A, region=R, vpc_ids=(VPC,)),),
        features=("core",),
        design="hub",
        changes=tuple(changes),
        monthly_cost=8.3,
    )


PLANS = {
    "default-sg-trap": lambda: example("default-sg-trap"),
    "partly-private": lambda: example("partly-private"),
    "hub": hub_plan,
    "every-kind": every_kind,
    "nacl": nacl_plan,
}
