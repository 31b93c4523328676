"""The benchmark script runs end to end on a small estate (the real sizes are for
`python scripts/benchmark.py`; timing is not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from paths import ROOT


def _run(tmp_path: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "benchmark.py"), "--keep", str(tmp_path), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.splitlines()


def test_full_records_snapshot_is_checked_and_measured(tmp_path: Path) -> None:
    lines = _run(tmp_path, "--repeat", "1", "300")
    assert lines[0].startswith("machine:")
    size, vpcs, megabytes, floor, check, ratio, peak, results = lines[2].split()
    assert float(megabytes) > 1 and float(results) > 1
    assert (size, vpcs) == ("300", "10")
    # Printed rounded to two decimals, so the ratio is not recomputed from them.
    assert float(floor) > 0 and float(check) > 0 and float(ratio) > 0 and float(peak) > 0
    # Written as `ssmreach snapshot` writes: indented, with the fields AWS returns.
    instances = next(tmp_path.glob("estate-300/*/*/ec2/DescribeInstances.json"))
    text = instances.read_text()
    assert text.startswith('{\n "Reservations"')
    first = json.loads(text)["Reservations"][0]["Instances"][0]
    assert {"BlockDeviceMappings", "MetadataOptions", "NetworkInterfaces"} <= set(first)
    report = json.loads((tmp_path / "check-300.json").read_bytes())
    assert report["summary"]["instances"] == 300


def test_minimal_records_are_compact(tmp_path: Path) -> None:
    lines = _run(tmp_path, "--repeat", "1", "--minimal", "200")
    assert lines[2].split()[0] == "200"
    instances = next(tmp_path.glob("estate-200-minimal/*/*/ec2/DescribeInstances.json"))
    assert not instances.read_text().startswith("{\n")


def test_formats_are_measured_against_json(tmp_path: Path) -> None:
    lines = _run(tmp_path, "--repeat", "1", "--formats", "text,csv", "200")
    assert lines[1].split()[:3] == ["instances", "format", "cpu"]
    rows = {line.split()[1]: line.split() for line in lines[2:]}
    assert list(rows) == ["json", "text", "csv"]  # json first: the reference
    size, _, cpu, cpu_ratio, peak, peak_ratio, output = rows["json"]
    assert size == "200" and (cpu_ratio, peak_ratio) == ("1.00", "1.00")
    assert float(cpu) > 0 and float(peak) > 0 and float(output) > 0
    assert float(rows["text"][3]) > 0 and (tmp_path / "check-200.txt").stat().st_size > 0
    assert (tmp_path / "check-200.csv").read_text().startswith("account,region")


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "benchmark.py"), "--formats", "yaml", "10"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "yaml" in done.stderr and "sarif" in done.stderr
