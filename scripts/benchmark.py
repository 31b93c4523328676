#!/usr/bin/env python3
"""Benchmark `ssmreach check` on generated estates of 1k, 10k and 100k instances.

For each size it writes a snapshot (hundreds of VPCs, healthy and broken ones, several
roles, old and new agents, Linux and Windows), then measures in one run:

- floor: the time to only `json.load` every file of the snapshot;
- check: `ssmreach check --snapshot DIR --format json --output FILE` as a subprocess;
- peak memory (max RSS) of the check process;

and prints the ratio check / floor. Usage:

    python scripts/benchmark.py                 # 1000 10000 100000
    python scripts/benchmark.py 1000 10000      # chosen sizes
    python scripts/benchmark.py --keep DIR 5000 # keep the generated snapshots in DIR
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from generated import generate


def floor_seconds(folder: Path) -> float:
    start = time.perf_counter()
    for path in folder.rglob("*.json"):
        with path.open("rb") as handle:
            json.load(handle)
    return time.perf_counter() - start


def run_check(folder: Path, output: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB, exit code of one `ssmreach check` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ssmreach",
            "check",
            "--snapshot",
            str(folder),
            "--format",
            "json",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1, 3):
        raise SystemExit(f"check failed ({proc.returncode}): {proc.stderr.strip()}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return seconds, peak, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--keep", type=Path, help="keep the generated snapshots in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ssmreach-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"date {time.strftime('%Y-%m-%d')}"
    )
    print(
        f"{'instances':>10} {'VPCs':>5} {'snapshot MB':>11} {'floor s':>8} {'check s':>8} {'ratio':>6} {'peak MiB':>9} {'results MB':>10}"
    )
    try:
        for size in args.sizes:
            vpcs = max(10, min(300, size // 100))
            folder = work / f"estate-{size}"
            if not folder.exists():
                generate(size, vpcs).write(folder)
            mb = sum(p.stat().st_size for p in folder.rglob("*.json")) / 1e6
            floor = floor_seconds(folder)
            report = work / f"check-{size}.json"
            seconds, peak, _ = run_check(folder, report)
            print(
                f"{size:>10} {vpcs:>5} {mb:>11.1f} {floor:>8.2f} {seconds:>8.2f} {seconds / floor:>6.1f} {peak:>9.0f} "
                f"{report.stat().st_size / 1e6:>10.1f}",
                flush=True,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
