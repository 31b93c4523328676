"""`preview.overlay`: which account and Region a plan is laid over, the notes it leaves
for what it cannot lay, and the plan checked alone."""

from __future__ import annotations

import json

import msgspec
import pytest

from preview.plan_builders import (
    ACCOUNT,
    DEFAULT_ACL,
    ENDPOINT_GROUP,
    REGION,
    Doc,
    change,
    check,
    created,
    decode,
    key,
    lay,
    plan,
    snapshot,
    verdicts,
    with_files,
)
from ssmreach.errors import SnapshotError, UsageError
from ssmreach.model.raw import GLOBAL, OperationKey, RawError, RawOk, RawSnapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.preview.overlay import ALONE_ACCOUNT
from ssmreach.preview.plan_document import decode_plan
from ssmreach.preview.records import LIST_KEYS, NETWORK

OTHER_ACCOUNT = "444455556666"


def _deny_https_out(**extra: object) -> Doc:
    return created(
        "aws_network_acl_rule.no_https_out",
        "aws_network_acl_rule",
        {
            "network_acl_id": DEFAULT_ACL,
            "rule_number": 50,
            "egress": True,
            "protocol": "tcp",
            "rule_action": "deny",
            "cidr_block": "0.0.0.0/0",
            "from_port": 443,
            "to_port": 443,
            **extra,
        },
    )


def _manifest(
    raw: RawSnapshot, *, accounts: tuple[str, ...], regions: tuple[str, ...]
) -> RawSnapshot:
    manifest = msgspec.structs.replace(raw.manifest, accounts=accounts, regions=regions)
    return RawSnapshot(manifest=manifest, files=raw.files, source=raw.source)


# --- the account ----------------------------------------------------------------------------


def test_a_snapshot_of_two_accounts_needs_terraform_account() -> None:
    raw = _manifest(snapshot(), accounts=(ACCOUNT, OTHER_ACCOUNT), regions=(REGION,))
    with pytest.raises(UsageError) as raised:
        lay(plan([_deny_https_out()]), raw)
    assert "--terraform-account" in raised.value.message
    assert f"{ACCOUNT}, {OTHER_ACCOUNT}" in raised.value.message


def test_the_named_account_of_a_two_account_snapshot_is_the_one_laid_over() -> None:
    raw = _manifest(snapshot(), accounts=(ACCOUNT, OTHER_ACCOUNT), regions=(REGION,))
    overlay = lay(plan([_deny_https_out()]), raw, account=ACCOUNT)
    assert verdicts(overlay.raw)[("web", "core")] == "BLOCKED"


def test_an_account_the_snapshot_does_not_hold_is_a_usage_error() -> None:
    with pytest.raises(
        UsageError, match=rf"account {OTHER_ACCOUNT} is not in the snapshot \({ACCOUNT}\)"
    ):
        lay(plan([_deny_https_out()]), snapshot(), account=OTHER_ACCOUNT)


# --- the Region -----------------------------------------------------------------------------


def test_no_region_in_the_provider_and_a_multi_region_snapshot_is_a_usage_error() -> None:
    raw = _manifest(snapshot(), accounts=(ACCOUNT,), regions=("eu-west-1", REGION))
    with pytest.raises(UsageError) as raised:
        lay(plan([_deny_https_out()], region=None), raw)
    message = raised.value.message
    assert message.startswith("aws_network_acl_rule.no_https_out: cannot tell its Region")
    assert "eu-west-1, us-east-1" in message and "set region in the provider block" in message


def test_no_region_in_the_provider_and_a_one_region_snapshot_takes_that_region() -> None:
    overlay = lay(plan([_deny_https_out()], region=None), snapshot())
    assert verdicts(overlay.raw)[("web", "core")] == "BLOCKED"


def test_a_resources_own_region_argument_settles_a_multi_region_snapshot() -> None:
    """AWS provider 6: every resource has `region`."""
    raw = _manifest(snapshot(), accounts=(ACCOUNT,), regions=("eu-west-1", REGION))
    overlay = lay(plan([_deny_https_out(region=REGION)], region=None), raw)
    assert verdicts(overlay.raw)[("web", "core")] == "BLOCKED"


def test_a_constant_region_in_the_provider_block_is_read() -> None:
    doc = plan([_deny_https_out()], region=None)
    doc["configuration"]["provider_config"]["aws"]["expressions"]["region"] = {
        "constant_value": REGION
    }
    raw = _manifest(snapshot(), accounts=(ACCOUNT,), regions=("eu-west-1", REGION))
    assert verdicts(lay(doc, raw).raw)[("web", "core")] == "BLOCKED"


# --- notes ----------------------------------------------------------------------------------


def test_an_unmodelled_relevant_type_is_named_in_a_note() -> None:
    route = created(
        "aws_ec2_transit_gateway_route.spoke",
        "aws_ec2_transit_gateway_route",
        {"destination_cidr_block": "0.0.0.0/0", "transit_gateway_route_table_id": "tgw-rtb-1"},
    )
    overlay = lay(plan([route]), snapshot())
    assert overlay.notes == (
        "aws_ec2_transit_gateway_route.spoke (create): aws_ec2_transit_gateway_route is not "
        "modelled; the verdicts do not include this change",
    )
    assert overlay.changed == 0


def test_unrelated_types_and_unchanged_resources_leave_no_note() -> None:
    doc = plan(
        [
            created("aws_cloudwatch_log_group.x", "aws_cloudwatch_log_group", {"name": "x"}),
            change(
                "aws_ec2_transit_gateway.hub",
                "aws_ec2_transit_gateway",
                ["no-op"],
                before={"id": "tgw-1"},
                after={"id": "tgw-1"},
            ),
        ]
    )
    assert lay(doc, snapshot()).notes == ()


def test_a_denied_read_is_noted_and_left_as_it_was() -> None:
    denied = RawError("UnauthorizedOperation", "You are not authorized to perform this operation.")
    raw = with_files(snapshot(), {key("DescribeSecurityGroups"): denied})
    rule = created(
        "aws_security_group_rule.https",
        "aws_security_group_rule",
        {
            "security_group_id": ENDPOINT_GROUP,
            "type": "ingress",
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "cidr_blocks": ["10.0.1.0/24"],
        },
    )
    overlay = lay(plan([rule]), raw)
    assert overlay.notes == (
        "aws_security_group_rule.https: the snapshot has no usable ec2:DescribeSecurityGroups "
        f"answer in {ACCOUNT}/{REGION}, so it is not laid over it (verdicts there stay UNKNOWN)",
    )
    assert overlay.raw.files[key("DescribeSecurityGroups")] == denied


def test_verdicts_that_need_a_denied_read_stay_unknown_after_the_plan() -> None:
    denied = RawError("UnauthorizedOperation", "denied")
    raw = with_files(snapshot(), {key("DescribeSecurityGroups"): denied})
    overlay = lay(plan([_deny_https_out()]), raw)
    result = check(overlay.raw)
    assert {r.verdict.value for r in result.results} == {"UNKNOWN"}
    assert all("READ_DENIED" in {x.code for x in r.reasons} for r in result.results)


def test_a_rule_for_a_group_nowhere_to_be_found_is_noted() -> None:
    rule = created(
        "aws_security_group_rule.https",
        "aws_security_group_rule",
        {
            "security_group_id": "sg-0nowhere",
            "type": "ingress",
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "cidr_blocks": [],
        },
    )
    overlay = lay(plan([rule]), snapshot())
    assert overlay.notes == (
        "aws_security_group_rule.https: security group sg-0nowhere is not in the snapshot or the plan",
    )


def test_the_overlay_names_the_plan_in_its_source() -> None:
    overlay = lay(plan([_deny_https_out()]), snapshot())
    assert overlay.raw.source.endswith(" with plan.json")


# --- the plan alone -------------------------------------------------------------------------


def _new_vpc() -> Doc:
    return plan(
        [
            created(
                "aws_vpc.main",
                "aws_vpc",
                {
                    "cidr_block": "10.20.0.0/16",
                    "enable_dns_support": True,
                    "enable_dns_hostnames": True,
                },
                {
                    "default_security_group_id": True,
                    "main_route_table_id": True,
                    "default_network_acl_id": True,
                },
            )
        ]
    )


ONE_EACH = (
    "DescribeVpcs",
    "DescribeSecurityGroups",
    "DescribeRouteTables",
    "DescribeNetworkAcls",
    "DescribeDhcpOptions",
)
"""What a new VPC brings: itself, its default group, main table, default ACL, DHCP options."""


def test_the_plan_alone_writes_every_network_answer_of_its_region() -> None:
    overlay = lay(_new_vpc(), None)
    assert overlay.raw.manifest.accounts == (ALONE_ACCOUNT,)
    assert overlay.raw.manifest.regions == (REGION,)
    for operation in NETWORK:
        file = overlay.raw.files.get(OperationKey(ALONE_ACCOUNT, REGION, "ec2", operation))
        assert isinstance(file, RawOk), operation
        body = json.loads(file.body)
        if operation == "DescribeVpcAttribute":
            attributes = [c["Request"]["Attribute"] for c in body]
            assert attributes == ["enableDnsSupport", "enableDnsHostnames"]
        elif operation in ONE_EACH:
            assert len(body[LIST_KEYS[("ec2", operation)]]) == 1, operation
        else:
            assert body == {LIST_KEYS[("ec2", operation)]: []}, operation


def test_the_plan_alone_leaves_iam_a_gap() -> None:
    overlay = lay(_new_vpc(), None)
    assert (
        OperationKey(ALONE_ACCOUNT, GLOBAL, "iam", "GetAccountAuthorizationDetails")
        not in overlay.raw.files
    )
    estate = parse_snapshot(overlay.raw)
    assert "GetAccountAuthorizationDetails" in estate.accounts[ALONE_ACCOUNT].gaps
    region = estate.regions[(ALONE_ACCOUNT, REGION)]
    assert [v.cidr_block for v in region.vpcs.values()] == ["10.20.0.0/16"]
    assert "DescribeSubnets" not in region.gaps  # the plan is the whole network: none planned


def test_the_plan_alone_takes_the_named_account() -> None:
    overlay = lay(_new_vpc(), None, account=OTHER_ACCOUNT)
    assert overlay.raw.manifest.accounts == (OTHER_ACCOUNT,)


def test_a_new_vpc_gets_the_regions_default_dhcp_options_naming_amazon_dns() -> None:
    estate = parse_snapshot(lay(_new_vpc(), None).raw)
    region = estate.regions[(ALONE_ACCOUNT, REGION)]
    [vpc] = region.vpcs.values()
    assert vpc.dhcp_options_id is not None and vpc.dhcp_options_id.startswith("dopt-plan")
    options = region.dhcp_options[vpc.dhcp_options_id]
    assert [v.value for c in options.dhcp_configurations for v in c.values] == ["AmazonProvidedDNS"]


# --- the plan document ----------------------------------------------------------------------


def test_a_plan_of_format_2_is_refused() -> None:
    doc = plan([])
    doc["format_version"] = "2.0"
    with pytest.raises(SnapshotError, match=r"format_version '2\.0'; ssmreach reads 1\.x"):
        decode(doc)


def test_a_file_that_is_not_json_names_the_command_that_writes_one() -> None:
    with pytest.raises(SnapshotError) as raised:
        decode_plan(b"Terraform will perform the following actions:", "plan.txt")
    assert raised.value.path == "plan.txt"
    assert raised.value.problem.startswith("not valid JSON")
    assert "terraform show -json plan.out > plan.json" in raised.value.problem


def test_module_instance_addresses_give_the_configuration_address() -> None:
    rc = decode(
        plan(
            [
                change(
                    'module.a[0].module.b["x"].aws_subnet.s[2]',
                    "aws_subnet",
                    ["create"],
                    after={},
                    module='module.a[0].module.b["x"]',
                    index=2,
                )
            ]
        )
    ).resource_changes[0]
    assert rc.config_address == "module.a.module.b.aws_subnet.s"
    assert rc.module_path == ("a", "b")
    assert rc.creates and not rc.deletes
