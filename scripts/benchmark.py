#!/usr/bin/env python3
"""Benchmark `ssmreach check` on generated estates of 1k, 10k and 100k instances.

For each size it writes a snapshot (hundreds of VPCs, healthy and broken ones, several
roles, old and new agents, Linux and Windows) as `ssmreach snapshot` writes one: every
record with all the fields AWS returns, indented by one space. `--minimal` writes only
the fields the analysis reads, compact, for comparison. Then it measures in one run:

- floor: the time to only `json.load` every file of the snapshot;
- check: `ssmreach check --snapshot DIR --format json --output FILE` as a subprocess;
- peak memory (max RSS) of the check process;

each the best of `--repeat` runs (3), and prints the ratio check / floor. Usage:

    python scripts/benchmark.py                 # 1000 10000 100000
    python scripts/benchmark.py 1000 10000      # chosen sizes
    python scripts/benchmark.py --keep DIR 5000 # keep the generated snapshots in DIR
    python scripts/benchmark.py --minimal 10000 # records with only what the analysis reads
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import msgspec

from generated import full_records, generate
from ssmreach.model.raw import RawOk, RawSnapshot, write_raw_snapshot


def write_estate(size: int, vpcs: int, folder: Path, *, minimal: bool) -> None:
    """The generated estate as a snapshot folder (see the module docstring)."""
    builder = generate(size, vpcs)
    if minimal:
        builder.write(folder)
        return
    raw = full_records(builder).raw()
    files = {
        key: RawOk(msgspec.json.format(content.body, indent=1))
        if isinstance(content, RawOk)
        else content
        for key, content in raw.files.items()
    }
    write_raw_snapshot(RawSnapshot(raw.manifest, files, raw.source), folder)


def json_load_all(folder: Path) -> float:
    """Seconds to `json.load` every file of the snapshot (the floor)."""
    start = time.perf_counter()
    for path in folder.rglob("*.json"):
        with path.open("rb") as handle:
            json.load(handle)
    return time.perf_counter() - start


# Generating an estate and loading the floor take a lot of memory. They run in child
# processes, so that this process stays small: a child's peak memory (ru_maxrss) counts
# the memory of the process it was forked from.


def child(*args: str) -> str:
    """Run this script with `args` in a new process and return what it prints."""
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark step {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def floor_seconds(folder: Path) -> float:
    return float(child("--floor", str(folder)))


def run_check(folder: Path, output: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB, exit code of one `ssmreach check` process."""
    command = [sys.executable, "-m", "ssmreach", "check", "--snapshot", str(folder)]
    command += ["--format", "json", "--output", str(output)]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1, 3):
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise SystemExit(f"check failed ({proc.returncode}): {message}")
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--keep", type=Path, help="keep the generated snapshots in this folder")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure the floor and the check this many times each and keep the best (default 3)",
    )
    parser.add_argument(
        "--minimal",
        action="store_true",
        help="write only the fields the analysis reads, compact (a smaller, faster-to-read snapshot)",
    )
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write", nargs=3, metavar=("SIZE", "VPCS", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        print(json_load_all(args.floor))
        return
    if args.write:
        size, vpcs, folder = args.write
        write_estate(int(size), int(vpcs), Path(folder), minimal=args.minimal)
        return
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
            folder = work / f"estate-{size}{'-minimal' if args.minimal else ''}"
            if not folder.exists():
                child("--write", str(size), str(vpcs), str(folder), *["--minimal"] * args.minimal)
            mb = sum(p.stat().st_size for p in folder.rglob("*.json")) / 1e6
            report = work / f"check-{size}.json"
            # Best of --repeat runs of each, interleaved, so that a noisy moment on a
            # shared machine does not decide the ratio.
            floors, checks, peaks = [], [], []
            for _ in range(args.repeat):
                floors.append(floor_seconds(folder))
                seconds, peak, _ = run_check(folder, report)
                checks.append(seconds)
                peaks.append(peak)
            floor, seconds, peak = min(floors), min(checks), max(peaks)
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
