"""Malformed records never decide a verdict: each is one error naming the file and the record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builders import EstateBuilder, nacl_entry, tcp
from ssmreach.cli.app import cli
from ssmreach.errors import SnapshotError

Mutation = Callable[[EstateBuilder], None]


def _estate() -> EstateBuilder:
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16")
    app = b.subnet(vpc, "10.0.1.0/24")
    ep = b.subnet(vpc, "10.0.11.0/24")
    rtb = b.route_table(vpc, [app, ep])
    b.nacl(
        vpc, [app], [nacl_entry(100, "allow", egress=True), nacl_entry(100, "allow", egress=False)]
    )
    sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/16")])
    b.private_endpoints(vpc, [ep], [sg], [rtb])
    b.instance("web", app, [b.sg(vpc, "app")], b.role("ssm-core"))
    return b


def _sg(b: EstateBuilder) -> dict[str, Any]:
    return next(g for g in b.sgs if g["GroupName"] == "endpoints")  # it has an inbound rule


def _drop(record: dict[str, Any], key: str) -> None:
    del record[key]


CASES: dict[str, tuple[Mutation, str, str]] = {
    # name: (mutation, file, what the one line must name)
    "security group without IpPermissionsEgress": (
        lambda b: _drop(_sg(b), "IpPermissionsEgress"),
        "DescribeSecurityGroups.json",
        "IpPermissionsEgress",
    ),
    "security group without IpPermissions": (
        lambda b: _drop(_sg(b), "IpPermissions"),
        "DescribeSecurityGroups.json",
        "IpPermissions",
    ),
    "network ACL without Entries": (
        lambda b: _drop(b.nacls[-1], "Entries"),
        "DescribeNetworkAcls.json",
        "Entries",
    ),
    "network ACL entry without RuleAction": (
        lambda b: _drop(b.nacls[-1]["Entries"][0], "RuleAction"),
        "DescribeNetworkAcls.json",
        "RuleAction",
    ),
    "network ACL entry with RuleAction maybe": (
        lambda b: b.nacls[-1]["Entries"][0].update(RuleAction="maybe"),
        "DescribeNetworkAcls.json",
        "'maybe'",
    ),
    "network ACL entry with port 70000": (
        lambda b: b.nacls[-1]["Entries"][0].update(
            Protocol="6", PortRange={"From": 443, "To": 70000}
        ),
        "DescribeNetworkAcls.json",
        "outside 0-65535",
    ),
    "route table without Routes": (
        lambda b: _drop(b.route_tables[-1], "Routes"),
        "DescribeRouteTables.json",
        "Routes",
    ),
    "route without State": (
        lambda b: _drop(b.route_tables[-1]["Routes"][0], "State"),
        "DescribeRouteTables.json",
        "State",
    ),
    "route to 10.0.0.0/33": (
        lambda b: b.route_tables[-1]["Routes"][0].update(DestinationCidrBlock="10.0.0.0/33"),
        "DescribeRouteTables.json",
        "10.0.0.0/33",
    ),
    "security group rule from abc": (
        lambda b: _sg(b)["IpPermissions"][0].update(IpRanges=[{"CidrIp": "abc"}]),
        "DescribeSecurityGroups.json",
        "'abc'",
    ),
    "security group rule with ports 500-400": (
        lambda b: _sg(b)["IpPermissions"][0].update(FromPort=500, ToPort=400),
        "DescribeSecurityGroups.json",
        "start is after its end",
    ),
    "security group rule with port -5": (
        lambda b: _sg(b)["IpPermissions"][0].update(FromPort=-5),
        "DescribeSecurityGroups.json",
        "outside 0-65535",
    ),
    "a port of the wrong type": (
        lambda b: _sg(b)["IpPermissions"][0].update(FromPort="443"),
        "DescribeSecurityGroups.json",
        "FromPort",
    ),
    "subnet CIDR without prefix": (
        lambda b: b.subnets[0].update(CidrBlock="10.0.1.0"),
        "DescribeSubnets.json",
        "no prefix length",
    ),
    "endpoint without its type": (
        lambda b: _drop(b.endpoints[0], "VpcEndpointType"),
        "DescribeVpcEndpoints.json",
        "VpcEndpointType",
    ),
    "the same security group twice": (
        lambda b: b.sgs.append(dict(_sg(b))),
        "DescribeSecurityGroups.json",
        "appears twice",
    ),
    "the same instance twice": (
        lambda b: b.reservations.append(b.reservations[0]),
        "DescribeInstances.json",
        "appears twice",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_malformed_record_is_one_error_naming_file_and_record(name: str) -> None:
    mutate, file, named = CASES[name]
    b = _estate()
    mutate(b)
    with pytest.raises(SnapshotError) as caught:
        b.estate()
    message = caught.value.message
    assert file in caught.value.path and named in message, message
    assert "\n" not in message


def test_the_cli_says_it_in_one_line_with_exit_2(tmp_path: Path) -> None:
    b = _estate()
    _drop(_sg(b), "IpPermissionsEgress")
    folder = b.write(tmp_path / "snap")
    result = CliRunner().invoke(cli, ["check", "--snapshot", str(folder)])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert "DescribeSecurityGroups.json" in line and "IpPermissionsEgress" in line
    assert "Traceback" not in result.output


def test_a_well_formed_estate_reads() -> None:
    _estate().estate()
