"""`ssmreach snapshot merge`: shards of disjoint accounts joined into one snapshot, and
what it refuses (exit 2, one line, nothing written)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import msgspec
from click.testing import CliRunner

from scenario import one_vpc
from ssmreach.cli.app import cli
from ssmreach.model.raw import read_raw_snapshot, write_raw_snapshot


def _shard(folder: Path, account: str, region: str = "us-east-1") -> Path:
    e = one_vpc()
    e.b.account = account
    e.b.region = region
    e.b.instance("web", e.app, [e.app_sg], e.profile)
    return e.b.write(folder)


def _merge(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["snapshot", "merge", *args])
    return result.exit_code, result.stderr


def test_two_shards_become_one_snapshot_that_checks(tmp_path: Path) -> None:
    a = _shard(tmp_path / "a", "111111111111")
    b = _shard(tmp_path / "b", "222222222222")
    code, err = _merge("-o", str(tmp_path / "org"), str(a), str(b))
    assert code == 0, err
    assert "2 accounts" in err
    merged = read_raw_snapshot(tmp_path / "org")
    assert merged.manifest.accounts == ("111111111111", "222222222222")
    result = CliRunner().invoke(
        cli, ["check", "--snapshot", str(tmp_path / "org"), "--format", "json"]
    )
    doc = json.loads(result.stdout)
    assert {r["account"] for r in doc["results"]} == {"111111111111", "222222222222"}


def test_an_account_failed_in_one_shard_and_read_in_another_is_read(tmp_path: Path) -> None:
    a = _shard(tmp_path / "a", "111111111111")
    raw = read_raw_snapshot(a)
    failed = {"222222222222": "AccessDenied", "333333333333": "AccessDenied"}
    manifest = msgspec.structs.replace(raw.manifest, failed_accounts=failed)
    with_failed = tmp_path / "a2"
    write_raw_snapshot(dataclasses.replace(raw, manifest=manifest), with_failed)
    b = _shard(tmp_path / "b", "222222222222")
    code, err = _merge("-o", str(tmp_path / "org"), str(with_failed), str(b))
    assert code == 0, err
    assert read_raw_snapshot(tmp_path / "org").manifest.failed_accounts == {
        "333333333333": "AccessDenied"
    }


def test_the_same_account_in_two_shards_is_refused(tmp_path: Path) -> None:
    a = _shard(tmp_path / "a", "111111111111")
    b = _shard(tmp_path / "b", "111111111111")
    code, err = _merge("-o", str(tmp_path / "org"), str(a), str(b))
    assert code == 2 and "111111111111" in err and "--accounts" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "org").exists()


def test_shards_of_other_regions_are_refused(tmp_path: Path) -> None:
    a = _shard(tmp_path / "a", "111111111111")
    b = _shard(tmp_path / "b", "222222222222", region="eu-west-1")
    code, err = _merge("-o", str(tmp_path / "org"), str(a), str(b))
    assert code == 2 and "--region" in err and not (tmp_path / "org").exists()


def test_one_shard_or_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    a = _shard(tmp_path / "a", "111111111111")
    code, err = _merge("-o", str(tmp_path / "org"), str(a))
    assert code == 2 and "at least two" in err
    code, err = _merge("-o", str(tmp_path / "org"), str(a), str(tmp_path / "nope"))
    assert code == 2 and "nope" in err


def test_group_options_before_merge_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["snapshot", "-o", str(tmp_path / "x"), "merge", "a", "b"])
    assert result.exit_code == 2 and "after `merge`" in result.stderr
