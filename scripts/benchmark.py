#!/usr/bin/env python3
"""Benchmark `ssmreach check` on generated estates of 1k, 10k and 100k instances.

For each size it writes a snapshot (hundreds of VPCs, healthy and broken ones, several
roles, old and new agents, Linux and Windows) as `ssmreach snapshot` writes one: every
record with all the fields AWS returns, indented by one space. `--minimal` writes only
the fields the analysis reads, compact, for comparison. Then it measures in one run:

- floor: the time to only `json.load` every file of the snapshot;
- check: `ssmreach check --snapshot DIR --format json --output FILE` as a subprocess;
- peak memory (max RSS) of the check process;

each the best of `--repeat` runs (3), and prints the ratio check / floor. With
`--formats`, it measures instead `check --format F --output FILE` for each format F: the
CPU time (user and system) and the peak memory of the process, each also as a ratio to
the same run's `--format json` check. With `--shapes`, it measures instead estates of
one size (10,000 instances by default) in different shapes, each against the shape it
should cost no more than (the target) and against its own floor:

- base: 200 VPCs, instances sharing their tier's security group and role;
- vpcs2000: the same instances in 2,000 VPCs (target: at most 2 times base);
- own-groups: a security group per instance (target: at most 1.5 times base);
- own-roles: a role per instance (no target; identity is shared per role);
- routes10 and routes1000: route tables of 10 and 1,000 extra routes (target: routes1000
  at most 1.5 times routes10).

Usage:

    python scripts/benchmark.py                 # 1000 10000 100000
    python scripts/benchmark.py 1000 10000      # chosen sizes
    python scripts/benchmark.py --keep DIR 5000 # keep the generated snapshots in DIR
    python scripts/benchmark.py --minimal 10000 # records with only what the analysis reads
    python scripts/benchmark.py --formats text,sarif,csv 10000  # each format against json
    python scripts/benchmark.py --shapes        # network and configuration shapes at 10k
    python scripts/benchmark.py --shapes 2000   # the same shapes at 2,000 instances
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import msgspec

from generated import full_records, generate
from ssmreach.model.raw import RawOk, RawSnapshot, write_raw_snapshot
from ssmreach.report.formats import FORMATS


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


@dataclass(frozen=True)
class Shape:
    """A generated estate's shape: VPCs per 10,000 instances, generate() options, and
    the shape it is measured against with its target ratio (None: no target)."""

    vpcs_per_10k: int
    options: dict[str, object]
    against: str | None = None
    target: float | None = None


SHAPES: dict[str, Shape] = {
    "base": Shape(200, {}),
    "vpcs2000": Shape(2000, {}, "base", 2.0),
    "own-groups": Shape(200, {"own_groups": True}, "base", 1.5),
    "own-roles": Shape(200, {"own_roles": True}, "base"),
    "routes10": Shape(200, {"routes": 10}),
    "routes1000": Shape(200, {"routes": 1000}, "routes10", 1.5),
}


def write_shape(name: str, size: int, folder: Path) -> None:
    """A shape of SHAPES at `size` instances, with the analysis's fields only, compact."""
    shape = SHAPES[name]
    vpcs = max(1, shape.vpcs_per_10k * size // 10000)
    generate(size, vpcs, **shape.options).write(folder)  # type: ignore[arg-type]


def measure_shapes(work: Path, size: int, repeat: int) -> None:
    """Each shape's floor and check CPU time (best of `repeat` interleaved runs), the
    check as a ratio to its floor and to the shape it is measured against. The check
    runs in one process (`--workers 1`): the ratios are of the analysis's cost, which a
    pool of workers spreads over the cores but does not lower."""
    folders = {name: work / f"shape-{name}-{size}" for name in SHAPES}
    for name, folder in folders.items():
        if not folder.exists():
            child("--write-shape", name, str(size), str(folder))
    cpu: dict[str, list[float]] = {name: [] for name in SHAPES}
    peak: dict[str, list[float]] = {name: [] for name in SHAPES}
    floors: dict[str, list[float]] = {name: [] for name in SHAPES}
    for _ in range(repeat):
        for name, folder in folders.items():
            floors[name].append(floor_seconds(folder))
            run = run_check(folder, work / f"check-{name}-{size}.json", workers=1)
            cpu[name].append(run.cpu)
            peak[name].append(run.peak)
    for name, shape in SHAPES.items():
        seconds, floor = min(cpu[name]), min(floors[name])
        against = ""
        if shape.against is not None:
            ratio = seconds / min(cpu[shape.against])
            against = f"{ratio:.2f} x {shape.against}"
            if shape.target is not None:
                verdict = "met" if ratio <= shape.target else "NOT met"
                against += f" (target {shape.target:g}: {verdict})"
        print(
            f"{name:>12} {size:>10} {floor:>8.2f} {seconds:>8.2f} {seconds / floor:>8.1f} "
            f"{max(peak[name]):>9.0f}  {against}",
            flush=True,
        )


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


@dataclass(frozen=True)
class Run:
    """One `ssmreach check` process: wall and CPU seconds, peak RSS in MiB, exit code."""

    seconds: float
    cpu: float
    peak: float
    code: int


def run_check(
    folder: Path, output: Path, report_format: str = "json", workers: int | None = None
) -> Run:
    """Run one `ssmreach check` process and measure it (CPU time counts its workers)."""
    command = [sys.executable, "-m", "ssmreach", "check", "--snapshot", str(folder)]
    command += ["--format", report_format, "--output", str(output)]
    if workers is not None:
        command += ["--workers", str(workers)]
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
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, usage.ru_maxrss / 1024, proc.returncode)


def report_formats(value: str) -> list[str]:
    """`--formats`: names of `ssmreach check` formats, json first (the reference)."""
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or value!r}: choose from {', '.join(FORMATS)}"
        )
    return list(dict.fromkeys(["json", *names]))


def measure_formats(folder: Path, work: Path, size: int, names: list[str], repeat: int) -> None:
    """CPU time and peak memory of `check --format F` for each format, and their ratio
    to the json check's: the best CPU time and the highest peak of `repeat` interleaved
    runs of each."""
    cpu: dict[str, list[float]] = {name: [] for name in names}
    peak: dict[str, list[float]] = {name: [] for name in names}
    outputs = {name: work / f"check-{size}.{FORMATS[name].suffix}" for name in names}
    for _ in range(repeat):
        for name in names:
            run = run_check(folder, outputs[name], name)
            cpu[name].append(run.cpu)
            peak[name].append(run.peak)
    base_cpu, base_peak = min(cpu["json"]), max(peak["json"])
    for name in names:
        seconds, most = min(cpu[name]), max(peak[name])
        print(
            f"{size:>10} {name:>12} {seconds:>8.2f} {seconds / base_cpu:>8.2f} {most:>9.0f} "
            f"{most / base_peak:>8.2f} {outputs[name].stat().st_size / 1e6:>10.1f}",
            flush=True,
        )


def measure_check(folder: Path, work: Path, size: int, vpcs: int, repeat: int) -> None:
    """The floor, the json check's wall time and peak memory, and their ratio."""
    mb = sum(p.stat().st_size for p in folder.rglob("*.json")) / 1e6
    report = work / f"check-{size}.json"
    # Best of --repeat runs of each, interleaved, so that a noisy moment on a
    # shared machine does not decide the ratio.
    floors, checks, peaks = [], [], []
    for _ in range(repeat):
        floors.append(floor_seconds(folder))
        run = run_check(folder, report)
        checks.append(run.seconds)
        peaks.append(run.peak)
    floor, seconds, peak = min(floors), min(checks), max(peaks)
    print(
        f"{size:>10} {vpcs:>5} {mb:>11.1f} {floor:>8.2f} {seconds:>8.2f} {seconds / floor:>6.1f} {peak:>9.0f} "
        f"{report.stat().st_size / 1e6:>10.1f}",
        flush=True,
    )


DEFAULT_SIZES = [1000, 10000, 100000]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=DEFAULT_SIZES)
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
    parser.add_argument(
        "--formats",
        type=report_formats,
        metavar="F,F,...",
        help="measure `check --format F` for each of these formats against `--format json` "
        f"(CPU time and peak memory; from {', '.join(FORMATS)})",
    )
    parser.add_argument(
        "--shapes",
        action="store_true",
        help="measure the estate shapes (VPC count, a group or role per instance, route table "
        "size) at one size (default 10000), each against its target",
    )
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--write-shape", nargs=3, metavar=("NAME", "SIZE", "DIR"), help=argparse.SUPPRESS
    )
    parser.add_argument("--write", nargs=3, metavar=("SIZE", "VPCS", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        print(json_load_all(args.floor))
        return
    if args.write_shape:
        name, size, folder = args.write_shape
        write_shape(name, int(size), Path(folder))
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
    if args.shapes:
        print(
            f"{'shape':>12} {'instances':>10} {'floor s':>8} {'cpu s':>8} {'cpu/floor':>8} "
            f"{'peak MiB':>9}  against"
        )
        try:
            for size in args.sizes if args.sizes != DEFAULT_SIZES else [10000]:
                measure_shapes(work, size, args.repeat)
        finally:
            if args.keep is None:
                shutil.rmtree(work, ignore_errors=True)
        return
    if args.formats:
        print(
            f"{'instances':>10} {'format':>12} {'cpu s':>8} {'cpu/json':>8} {'peak MiB':>9} {'mem/json':>8} {'output MB':>10}"
        )
    else:
        print(
            f"{'instances':>10} {'VPCs':>5} {'snapshot MB':>11} {'floor s':>8} {'check s':>8} {'ratio':>6} {'peak MiB':>9} {'results MB':>10}"
        )
    try:
        for size in args.sizes:
            vpcs = max(10, min(300, size // 100))
            folder = work / f"estate-{size}{'-minimal' if args.minimal else ''}"
            if not folder.exists():
                child("--write", str(size), str(vpcs), str(folder), *["--minimal"] * args.minimal)
            if args.formats:
                measure_formats(folder, work, size, args.formats, args.repeat)
            else:
                measure_check(folder, work, size, vpcs, args.repeat)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
