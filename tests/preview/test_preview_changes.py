"""Deletions, updates and replacements laid over the partly-private snapshot: what the
plan takes out or rewrites, and the verdicts that change with it."""

from __future__ import annotations

import json
from typing import Any

from preview.plan_builders import (
    ACCOUNT,
    APP_GROUP,
    APP_TABLE,
    DEFAULT_ACL,
    ENDPOINT_GROUP,
    NAT,
    REGION,
    SSM_ENDPOINT,
    VPC,
    WEB_SUBNET,
    Doc,
    Verdicts,
    change,
    codes,
    const,
    created,
    deleted,
    edited,
    key,
    lay,
    plan,
    records,
    resource,
    services,
    snapshot,
    verdicts,
)
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.model.estate import RegionData
from ssmreach.model.raw import RawSnapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.preview.endpoints import FULL_ACCESS

ENDPOINT_SUBNETS = ["subnet-0b0ea3510ca08b762", "subnet-076c3e412257b75ea"]
CUSTOM_ACL = "acl-0deny0000000001"
DENY_ALL = json.dumps(
    {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}
)
BEFORE: Verdicts = {
    ("web", "core"): "PRIVATE",
    ("web", "run-command"): "INTERNET",
    ("web", "session-manager"): "INTERNET",
    ("web", "patch-manager"): "INTERNET",
    ("web", "agent-update"): "INTERNET",
}


def _all(verdict: str) -> Verdicts:
    return {("web", f): verdict for f in DEFAULT_FEATURES}


def _region(raw: RawSnapshot) -> RegionData:
    return parse_snapshot(raw).regions[(ACCOUNT, REGION)]


def test_the_snapshot_before_any_plan() -> None:
    assert verdicts(snapshot()) == BEFORE


# --- routes ---------------------------------------------------------------------------------


def _nat_route() -> Doc:
    return {
        "id": "r-rtb-0dfeb02a3226550eb1080289494",
        "route_table_id": APP_TABLE,
        "destination_cidr_block": "0.0.0.0/0",
        "nat_gateway_id": NAT,
        "gateway_id": "",
    }


def test_deleting_the_nat_route_takes_it_out_of_the_route_table() -> None:
    overlay = lay(plan([deleted("aws_route.nat", "aws_route", _nat_route())]), snapshot())
    table = _region(overlay.raw).route_tables[APP_TABLE]
    assert [r.destination_cidr_block for r in table.routes] == ["10.0.0.0/16"]
    assert overlay.changed == 1 and overlay.placeholders == ()


def test_without_the_nat_route_what_went_through_the_nat_gateway_is_blocked() -> None:
    """core reaches ssm through its endpoint and stays PRIVATE; the rest had only the NAT."""
    after = verdicts(
        lay(plan([deleted("aws_route.nat", "aws_route", _nat_route())]), snapshot()).raw
    )
    assert after == {**_all("BLOCKED"), ("web", "core"): "PRIVATE"}


def test_replacing_a_route_with_a_new_target_draws_the_new_route_only() -> None:
    """["delete", "create"]: the old route is taken out, the new one written in."""
    new = {**_nat_route(), "nat_gateway_id": "", "gateway_id": "igw-055a9ba236f973bbb"}
    del new["id"]
    doc = plan(
        [
            change(
                "aws_route.nat",
                "aws_route",
                ["delete", "create"],
                before=_nat_route(),
                after=new,
                unknown={"id": True},
            )
        ],
        [
            resource(
                "aws_route.nat",
                "aws_route",
                {
                    "route_table_id": const(APP_TABLE),
                    "destination_cidr_block": const("0.0.0.0/0"),
                    "gateway_id": const("igw-055a9ba236f973bbb"),
                },
            )
        ],
    )
    table = _region(lay(doc, snapshot()).raw).route_tables[APP_TABLE]
    defaults = [r for r in table.routes if r.destination_cidr_block == "0.0.0.0/0"]
    assert [(r.gateway_id, r.nat_gateway_id) for r in defaults] == [("igw-055a9ba236f973bbb", None)]


# --- endpoints ------------------------------------------------------------------------------


def _ssm_endpoint() -> Doc:
    return {
        "id": SSM_ENDPOINT,
        "vpc_id": VPC,
        "service_name": "com.amazonaws.us-east-1.ssm",
        "vpc_endpoint_type": "Interface",
        "private_dns_enabled": True,
        "subnet_ids": ENDPOINT_SUBNETS,
        "security_group_ids": [ENDPOINT_GROUP],
        "route_table_ids": [],
    }


def test_deleting_the_ssm_endpoint_sends_core_over_the_internet() -> None:
    overlay = lay(
        plan([deleted("aws_vpc_endpoint.ssm", "aws_vpc_endpoint", _ssm_endpoint())]), snapshot()
    )
    assert SSM_ENDPOINT not in _region(overlay.raw).endpoints
    assert verdicts(overlay.raw) == {**BEFORE, ("web", "core"): "INTERNET"}
    assert "INTERNET_PATH" in codes(overlay.raw, "web", "core")


def test_replacing_the_ssm_endpoint_gives_a_new_placeholder_and_keeps_core_private() -> None:
    after = {k: v for k, v in _ssm_endpoint().items() if k != "id"}
    doc = plan(
        [
            change(
                "aws_vpc_endpoint.ssm",
                "aws_vpc_endpoint",
                ["delete", "create"],
                before=_ssm_endpoint(),
                after=after,
                unknown={"id": True, "dns_entry": True, "policy": True},
            )
        ],
        [
            resource(
                "aws_vpc_endpoint.ssm", "aws_vpc_endpoint", {k: const(v) for k, v in after.items()}
            )
        ],
    )
    overlay = lay(doc, snapshot())
    [(new_id, address)] = overlay.placeholders
    assert address == "aws_vpc_endpoint.ssm" and new_id.startswith("vpce-plan")
    endpoints = _region(overlay.raw).endpoints
    assert SSM_ENDPOINT not in endpoints
    assert endpoints[new_id].policy_document == FULL_ACCESS
    assert [g.group_id for g in endpoints[new_id].listed_groups or ()] == [ENDPOINT_GROUP]
    assert overlay.changed == 1  # a replacement is one planned change (two steps)
    assert verdicts(overlay.raw) == BEFORE


def test_turning_private_dns_off_on_the_ssm_endpoint_sends_core_over_the_internet() -> None:
    doc = plan(
        [
            change(
                "aws_vpc_endpoint.ssm",
                "aws_vpc_endpoint",
                ["update"],
                before=_ssm_endpoint(),
                after={**_ssm_endpoint(), "private_dns_enabled": False},
            )
        ]
    )
    overlay = lay(doc, snapshot())
    assert not _region(overlay.raw).endpoints[SSM_ENDPOINT].private_dns_enabled
    assert verdicts(overlay.raw)[("web", "core")] == "INTERNET"


def _policy_plan() -> Doc:
    return plan(
        [
            created(
                "aws_vpc_endpoint_policy.ssm",
                "aws_vpc_endpoint_policy",
                {"vpc_endpoint_id": SSM_ENDPOINT, "policy": DENY_ALL},
            )
        ],
        [
            resource(
                "aws_vpc_endpoint_policy.ssm",
                "aws_vpc_endpoint_policy",
                {"vpc_endpoint_id": const(SSM_ENDPOINT), "policy": const(DENY_ALL)},
            )
        ],
    )


def test_creating_an_endpoint_policy_sets_the_endpoints_policy() -> None:
    overlay = lay(_policy_plan(), snapshot())
    assert _region(overlay.raw).endpoints[SSM_ENDPOINT].policy_document == DENY_ALL
    assert verdicts(overlay.raw)[("web", "core")] == "BLOCKED"
    assert "ENDPOINT_POLICY_DENIED" in codes(overlay.raw, "web", "core")


def _with_deny_policy() -> RawSnapshot:
    def deny(body: Any) -> None:
        body["VpcEndpoints"][0]["PolicyDocument"] = DENY_ALL

    return edited(snapshot(), "DescribeVpcEndpoints", deny)


def test_deleting_an_endpoint_policy_restores_full_access() -> None:
    raw = _with_deny_policy()
    assert verdicts(raw)[("web", "core")] == "BLOCKED"
    doc = plan(
        [
            deleted(
                "aws_vpc_endpoint_policy.ssm",
                "aws_vpc_endpoint_policy",
                {"id": SSM_ENDPOINT, "vpc_endpoint_id": SSM_ENDPOINT, "policy": DENY_ALL},
            )
        ]
    )
    overlay = lay(doc, raw)
    assert _region(overlay.raw).endpoints[SSM_ENDPOINT].policy_document == FULL_ACCESS
    assert verdicts(overlay.raw) == BEFORE


# --- security groups ------------------------------------------------------------------------


def _rule(protocol: str, port: int, cidrs: list[str]) -> Doc:
    return {
        "protocol": protocol,
        "from_port": port,
        "to_port": port,
        "cidr_blocks": cidrs,
        "ipv6_cidr_blocks": [],
        "prefix_list_ids": [],
        "security_groups": [],
        "self": False,
        "description": "",
    }


def _endpoint_group(ingress: list[Doc]) -> Doc:
    return {
        "id": ENDPOINT_GROUP,
        "name": "endpoints",
        "vpc_id": VPC,
        "ingress": ingress,
        "egress": [_rule("-1", 0, ["0.0.0.0/0"])],
    }


def test_updating_a_security_group_replaces_its_ingress_rules() -> None:
    """HTTPS now only from a subnet the instance is not in: the endpoint refuses it."""
    before = _endpoint_group([_rule("tcp", 443, ["10.0.0.0/16"])])
    after = _endpoint_group([_rule("tcp", 443, ["10.0.200.0/24"])])
    doc = plan(
        [
            change(
                "aws_security_group.endpoints",
                "aws_security_group",
                ["update"],
                before=before,
                after=after,
            )
        ]
    )
    overlay = lay(doc, snapshot())
    group = _region(overlay.raw).security_groups[ENDPOINT_GROUP]
    assert [
        (p.ip_protocol, p.from_port, [r.cidr_ip for r in p.ip_ranges]) for p in group.ip_permissions
    ] == [("tcp", 443, ["10.0.200.0/24"])]
    assert verdicts(overlay.raw)[("web", "core")] == "BLOCKED"
    assert "SG_INGRESS_DENIED" in codes(overlay.raw, "web", "core")


def test_updating_a_security_group_replaces_its_egress_rules() -> None:
    before = {**_endpoint_group([]), "id": APP_GROUP, "name": "app"}
    after = {**before, "egress": [_rule("tcp", 22, ["0.0.0.0/0"])]}
    doc = plan(
        [
            change(
                "aws_security_group.app",
                "aws_security_group",
                ["update"],
                before=before,
                after=after,
            )
        ]
    )
    overlay = lay(doc, snapshot())
    assert verdicts(overlay.raw) == _all("BLOCKED")
    assert "SG_EGRESS_DENIED" in codes(overlay.raw, "web", "core")


def test_an_update_whose_egress_is_unknown_keeps_the_groups_egress_rules() -> None:
    before = _endpoint_group([_rule("tcp", 443, ["10.0.0.0/16"])])
    after = {k: v for k, v in before.items() if k != "egress"}
    doc = plan(
        [
            change(
                "aws_security_group.endpoints",
                "aws_security_group",
                ["update"],
                before=before,
                after=after,
                unknown={"egress": True},
            )
        ]
    )
    group = _region(lay(doc, snapshot()).raw).security_groups[ENDPOINT_GROUP]
    assert [p.ip_protocol for p in group.ip_permissions_egress] == ["-1"]


def _https_rule_removed() -> Doc:
    return plan(
        [
            deleted(
                "aws_security_group_rule.https",
                "aws_security_group_rule",
                {
                    "id": "sgrule-1234567890",
                    "security_group_id": ENDPOINT_GROUP,
                    "type": "ingress",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": ["10.0.0.0/16"],
                },
            )
        ]
    )


def _https_written(protocol: str) -> RawSnapshot:
    def write(body: Any) -> None:
        for group in body["SecurityGroups"]:
            if group["GroupId"] == ENDPOINT_GROUP:
                group["IpPermissions"][0]["IpProtocol"] = protocol

    return edited(snapshot(), "DescribeSecurityGroups", write)


def test_deleting_a_rule_written_tcp_revokes_it() -> None:
    raw = _https_written("tcp")
    assert verdicts(raw) == BEFORE
    overlay = lay(_https_rule_removed(), raw)
    assert _region(overlay.raw).security_groups[ENDPOINT_GROUP].ip_permissions == ()
    assert verdicts(overlay.raw)[("web", "core")] == "BLOCKED"


def test_deleting_a_rule_recorded_as_protocol_6_revokes_it() -> None:
    overlay = lay(_https_rule_removed(), snapshot())
    assert _region(overlay.raw).security_groups[ENDPOINT_GROUP].ip_permissions == ()
    assert verdicts(overlay.raw)[("web", "core")] == "BLOCKED"


# --- network ACLs ---------------------------------------------------------------------------


def _on_custom_acl() -> RawSnapshot:
    """The web subnet moved to a custom ACL that denies everything."""

    def move(body: Any) -> None:
        default = body["NetworkAcls"][0]
        default["Associations"] = [
            a for a in default["Associations"] if a["SubnetId"] != WEB_SUBNET
        ]
        body["NetworkAcls"].append(
            {
                "NetworkAclId": CUSTOM_ACL,
                "VpcId": VPC,
                "IsDefault": False,
                "OwnerId": ACCOUNT,
                "Tags": [],
                "Associations": [
                    {
                        "NetworkAclAssociationId": "aclassoc-0deny0000000001",
                        "NetworkAclId": CUSTOM_ACL,
                        "SubnetId": WEB_SUBNET,
                    }
                ],
                "Entries": [
                    {
                        "RuleNumber": 32767,
                        "Protocol": "-1",
                        "RuleAction": "deny",
                        "Egress": egress,
                        "CidrBlock": "0.0.0.0/0",
                    }
                    for egress in (False, True)
                ],
            }
        )

    return edited(snapshot(), "DescribeNetworkAcls", move)


def test_deleting_a_network_acl_association_returns_the_subnet_to_the_default_acl() -> None:
    raw = _on_custom_acl()
    assert verdicts(raw) == _all("BLOCKED")
    doc = plan(
        [
            deleted(
                "aws_network_acl_association.web",
                "aws_network_acl_association",
                {
                    "id": "aclassoc-0deny0000000001",
                    "network_acl_id": CUSTOM_ACL,
                    "subnet_id": WEB_SUBNET,
                },
            )
        ]
    )
    overlay = lay(doc, raw)
    region = _region(overlay.raw)
    assert region.subnet_network_acl[WEB_SUBNET] == DEFAULT_ACL
    assert all(a.subnet_id != WEB_SUBNET for a in region.network_acls[CUSTOM_ACL].associations)
    assert verdicts(overlay.raw) == BEFORE


def test_deleting_a_network_acl_rule_takes_out_only_that_entry() -> None:
    rule = {
        "id": "nacl-123",
        "network_acl_id": DEFAULT_ACL,
        "rule_number": 100,
        "egress": True,
        "protocol": "-1",
        "rule_action": "allow",
        "cidr_block": "0.0.0.0/0",
    }
    overlay = lay(
        plan([deleted("aws_network_acl_rule.out", "aws_network_acl_rule", rule)]), snapshot()
    )
    entries = _region(overlay.raw).network_acls[DEFAULT_ACL].entries
    assert sorted((e.rule_number, e.egress) for e in entries) == [
        (100, False),
        (32767, False),
        (32767, True),
    ]
    assert verdicts(overlay.raw) == _all("BLOCKED")


def test_deleting_a_network_acl_returns_its_subnets_to_the_default_acl() -> None:
    doc = plan(
        [
            deleted(
                "aws_network_acl.deny",
                "aws_network_acl",
                {
                    "id": CUSTOM_ACL,
                    "vpc_id": VPC,
                    "subnet_ids": [WEB_SUBNET],
                    "ingress": [],
                    "egress": [],
                },
            )
        ]
    )
    overlay = lay(doc, _on_custom_acl())
    assert _region(overlay.raw).subnet_network_acl.get(WEB_SUBNET) == DEFAULT_ACL
    assert verdicts(overlay.raw) == BEFORE


# --- gateway endpoints ----------------------------------------------------------------------


def _s3_gateway() -> Doc:
    after = {
        "vpc_id": VPC,
        "service_name": "com.amazonaws.us-east-1.s3",
        "vpc_endpoint_type": "Gateway",
        "route_table_ids": [APP_TABLE],
    }
    return plan(
        [
            created(
                "aws_vpc_endpoint.s3",
                "aws_vpc_endpoint",
                after,
                {"policy": True, "dns_entry": True},
            )
        ],
        [
            resource(
                "aws_vpc_endpoint.s3", "aws_vpc_endpoint", {k: const(v) for k, v in after.items()}
            )
        ],
    )


def test_a_gateway_endpoint_draws_its_prefix_list_route_in_each_table() -> None:
    overlay = lay(_s3_gateway(), snapshot())
    [(endpoint_id, _)] = overlay.placeholders
    routes = _region(overlay.raw).route_tables[APP_TABLE].routes
    assert [
        (r.destination_prefix_list_id, r.gateway_id) for r in routes if r.destination_prefix_list_id
    ] == [("pl-63a5400a", endpoint_id)]
    assert services(overlay.raw, "web", "patch-manager")["s3"] == "PRIVATE"  # was the NAT's


def test_deleting_a_gateway_endpoint_takes_its_routes_out() -> None:
    overlay = lay(_s3_gateway(), snapshot())
    [(endpoint_id, _)] = overlay.placeholders
    before = {
        "id": endpoint_id,
        "vpc_id": VPC,
        "vpc_endpoint_type": "Gateway",
        "route_table_ids": [APP_TABLE],
    }
    removed = lay(plan([deleted("aws_vpc_endpoint.s3", "aws_vpc_endpoint", before)]), overlay.raw)
    routes = _region(removed.raw).route_tables[APP_TABLE].routes
    assert all(r.gateway_id != endpoint_id for r in routes)
    assert verdicts(removed.raw) == BEFORE


def test_a_gateway_endpoint_without_the_prefix_list_names_the_route_table() -> None:
    raw = snapshot()
    files = {k: v for k, v in raw.files.items() if k != key("DescribePrefixLists")}
    overlay = lay(_s3_gateway(), RawSnapshot(manifest=raw.manifest, files=files, source=raw.source))
    [note] = overlay.notes
    assert "DescribePrefixLists" in note
    assert APP_TABLE in note and "{table_id}" not in note


def test_unchanged_records_are_not_rewritten() -> None:
    """Only the operations a change touches are written; the rest are the snapshot's own."""
    raw = snapshot()
    overlay = lay(plan([deleted("aws_route.nat", "aws_route", _nat_route())]), raw)
    assert (
        overlay.raw.files[key("DescribeSecurityGroups")] == raw.files[key("DescribeSecurityGroups")]
    )
    assert records(overlay.raw, "DescribeRouteTables") != records(raw, "DescribeRouteTables")
