"""The reader on the shared examples, on builder snapshots, and on broken input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import EstateBuilder
from paths import EXAMPLES
from ssmreach.errors import SnapshotError
from ssmreach.model.reader import load_snapshot


@pytest.mark.parametrize("name", ["default-sg-trap", "partly-private"])
def test_reads_the_shared_examples(name: str) -> None:
    estate = load_snapshot(EXAMPLES / name)
    region = estate.regions[("111122223333", "us-east-1")]
    assert region.instances and region.vpcs and region.endpoints
    assert region.vpc_attributes
    account = estate.accounts["111122223333"]
    assert "arn:aws:iam::111122223333:instance-profile/ssm-core" in account.profile_roles


def test_round_trip_through_a_folder(tmp_path: Path) -> None:
    b = EstateBuilder()
    vpc = b.vpc()
    subnet = b.subnet(vpc, "10.0.1.0/24")
    b.instance("web", subnet, [b.default_sg(vpc)], b.role("r"))
    b.private_zone("example.internal", [vpc])
    b.denied.add("DescribeNetworkAcls")
    b.omitted.add("DescribeNatGateways")
    estate = load_snapshot(b.write(tmp_path / "snap"))
    region = estate.regions[("111122223333", "us-east-1")]
    assert [i.name for i in region.instances] == ["web"]
    denied, missing = region.gap("DescribeNetworkAcls"), region.gap("DescribeNatGateways")
    assert denied is not None and denied.kind == "denied"
    assert missing is not None and missing.kind == "missing"
    assert estate.zones_by_vpc[vpc][0].domain == "example.internal"


def _snap(tmp_path: Path) -> Path:
    b = EstateBuilder()
    b.vpc()
    return b.write(tmp_path / "snap")


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no such folder"):
        load_snapshot(tmp_path / "nope")


def test_missing_manifest(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    (snap / "manifest.json").unlink()
    with pytest.raises(SnapshotError, match=r"manifest.json: missing"):
        load_snapshot(snap)


def test_unknown_format(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    (snap / "manifest.json").write_text(json.dumps({"format": "ssmreach-snapshot/2"}))
    with pytest.raises(SnapshotError, match="newer than this ssmreach reads"):
        load_snapshot(snap)
    (snap / "manifest.json").write_text(json.dumps({"format": "something-else/1"}))
    with pytest.raises(SnapshotError, match="unknown format"):
        load_snapshot(snap)


def test_truncated_json_names_the_file(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    path = snap / "111122223333" / "us-east-1" / "ec2" / "DescribeVpcs.json"
    path.write_text(path.read_text()[:20])
    with pytest.raises(SnapshotError) as err:
        load_snapshot(snap)
    assert "DescribeVpcs.json" in str(err.value) and "not valid JSON" in str(err.value)


def test_wrong_shape_names_the_file_and_field(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    path = snap / "111122223333" / "us-east-1" / "ec2" / "DescribeVpcs.json"
    path.write_text(json.dumps({"Vpcs": [{"CidrBlock": "10.0.0.0/16"}]}))
    with pytest.raises(SnapshotError) as err:
        load_snapshot(snap)
    assert "DescribeVpcs.json" in str(err.value) and "VpcId" in str(err.value)


def test_broken_error_file(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    (snap / "111122223333" / "us-east-1" / "ec2" / "DescribeNatGateways.json").unlink()
    (snap / "111122223333" / "us-east-1" / "ec2" / "DescribeNatGateways.error.json").write_text(
        "{}"
    )
    with pytest.raises(SnapshotError, match=r"DescribeNatGateways\.error\.json"):
        load_snapshot(snap)


def test_a_lazy_read_equals_an_eager_one(tmp_path: Path) -> None:
    from ssmreach.model.raw import RawOk, read_raw_snapshot
    from ssmreach.model.reader import parse_snapshot

    b = EstateBuilder()
    vpc = b.vpc()
    b.instance("web", b.subnet(vpc, "10.0.1.0/24"), [b.default_sg(vpc)], b.role("r"))
    b.denied.add("DescribeNetworkAcls")
    snap = b.write(tmp_path / "snap")
    lazy, eager = read_raw_snapshot(snap, lazy=True), read_raw_snapshot(snap)
    assert dict(lazy.files.items()) == eager.files
    assert all(
        isinstance(v, RawOk) for k, v in eager.files.items() if k.operation != "DescribeNetworkAcls"
    )
    assert parse_snapshot(lazy) == parse_snapshot(eager)


def test_a_file_that_goes_away_after_listing_is_named(tmp_path: Path) -> None:
    from ssmreach.model.raw import read_raw_snapshot
    from ssmreach.model.reader import parse_snapshot

    snap = _snap(tmp_path)
    raw = read_raw_snapshot(snap, lazy=True)
    path = snap / "111122223333" / "us-east-1" / "ec2" / "DescribeSubnets.json"
    path.unlink()
    with pytest.raises(SnapshotError, match=r"DescribeSubnets\.json: cannot be read"):
        parse_snapshot(raw)
