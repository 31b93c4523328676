"""The demo story: build a broken estate on an embedded AWS, check, plan, apply, check again.

Everything runs in this process on moto (no account, no credentials, no network). The
snapshot, the reports and the plan are left on disk so a user can open them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.verdict import CheckResult, Verdict
from ssmreach.demo.estate import REGION, DemoEstate, build_estate
from ssmreach.demo.moto_adapter import (
    add_default_group_self_rules,
    correct_snapshot,
    session_factory,
)
from ssmreach.model.estate import Estate
from ssmreach.model.raw import RawSnapshot, write_raw_snapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.report.json_report import render_json
from ssmreach.report.text_report import render_text

ACCOUNT = "123456789012"  # moto's account


@dataclass(frozen=True)
class DemoOutcome:
    before: CheckResult
    after: CheckResult
    folder: Path
    changes: int
    seconds: float


@contextmanager
def embedded_aws() -> Iterator[None]:
    """moto in this process, with fake credentials and AWS-managed IAM policies loaded."""
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ.update(_ENV)
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ):
        saved.setdefault(name, os.environ.get(name))
        os.environ.pop(name, None)
    from moto import mock_aws

    try:
        with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def _read(factory: Callable[..., Any]) -> RawSnapshot:
    from ssmreach.collect import collect_snapshot

    return correct_snapshot(collect_snapshot([REGION], session_factory=factory).raw)


def run_demo(folder: Path, console: Console) -> DemoOutcome:
    """Run the whole story, printing it; leaves snapshots and reports in `folder`."""
    from ssmreach.apply.executor import ApplyOptions, apply_plan
    from ssmreach.plan import encode_plan, make_plan
    from ssmreach.plan.render import render_plan_text as render_plan

    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    with embedded_aws():
        factory = session_factory(ACCOUNT, REGION)
        session = factory(region_name=REGION)
        ec2 = session.client("ec2")
        step(
            console,
            1,
            "An estate with problems",
            "five VPCs, nine instances, on an embedded AWS (moto)",
        )
        estate_ids = build_estate(ec2, session.client("iam"), session.client("route53"))
        add_default_group_self_rules(ec2)
        _describe(console, estate_ids)

        step(
            console,
            2,
            "ssmreach check",
            "read the account (read-only calls), then a verdict per instance and feature",
        )
        raw = _read(factory)
        write_raw_snapshot(raw, folder / "snapshot-before")
        estate = parse_snapshot(raw)
        before = check_estate(estate, CheckOptions())
        console.print(render_text(before, color=console.is_terminal, width=console.width), end="")
        _reports(before, estate, folder, "before")

        step(console, 3, "ssmreach plan", "the smallest set of changes that makes them private")
        plan = make_plan(estate, before)
        (folder / "plan.json").write_bytes(encode_plan(plan))
        console.print(render_plan(plan), end="")

        step(console, 4, "ssmreach apply --yes", "create what the plan says, in dependency order")
        clients: dict[tuple[str, str], Any] = {}

        def client(service: str, region: str) -> Any:
            if (service, region) not in clients:
                clients[(service, region)] = factory(region_name=region).client(service)
            return clients[(service, region)]

        # Nothing changed since the check, so the state apply compares the plan with is
        # the estate just read (apply refuses a plan older than the account's state).
        result = apply_plan(
            plan,
            lambda: estate,
            client,
            ApplyOptions(timeout=30, poll=0.05, recheck=False),
        )
        for s in result.steps:
            console.print(
                f"  {s.status:8} {s.summary}" + (f"  [{s.resource}]" if s.resource else "")
            )
        if not result.ok and result.failed is not None:
            console.print(
                f"[red]apply stopped at {result.failed.summary}: {result.failed.note}[/red]"
            )

        step(console, 5, "ssmreach check, again", "the same read and analysis after the changes")
        raw_after = _read(factory)
        write_raw_snapshot(raw_after, folder / "snapshot-after")
        estate_after = parse_snapshot(raw_after)
        after = check_estate(estate_after, CheckOptions())
        console.print(render_text(after, color=console.is_terminal, width=console.width), end="")
        _reports(after, estate_after, folder, "after")
    outcome = DemoOutcome(before, after, folder, result.changed, time.monotonic() - started)
    _closing(console, outcome)
    return outcome


def step(console: Console, number: int, title: str, what: str) -> None:
    console.print()
    console.rule(f"[bold]{number}. {title}[/bold]", align="left")
    console.print(f"[dim]{what}[/dim]")


def _describe(console: Console, ids: DemoEstate) -> None:
    lines = [
        "prod   endpoints created without a security group; S3 endpoint policy admits only corp-artifacts",
        "batch  ssm endpoint with private DNS off, no ssmmessages endpoint, a NAT gateway; one instance without a profile",
        "data   the ETL subnet's network ACL has no rule for return traffic",
        "hub    endpoints (private DNS off) shared with spoke through private hosted zones and peering",
    ]
    for line in lines:
        console.print(f"  {line}")
    console.print(f"  [dim]{len(ids.vpcs)} VPCs, {len(ids.instances)} instances[/dim]")


def _reports(result: CheckResult, estate: Estate, folder: Path, label: str) -> None:
    from ssmreach.report.html import render_html

    (folder / f"check-{label}.json").write_bytes(render_json(result))
    (folder / f"check-{label}.html").write_bytes(render_html(result, estate))


def _closing(console: Console, outcome: DemoOutcome) -> None:
    step(console, 6, "What changed", "")
    counts = []
    for label, result in (("before", outcome.before), ("after", outcome.after)):
        counts.append(f"{label}: " + ", ".join(f"{result.count(v)} {v.value}" for v in Verdict))
    for line in counts:
        console.print(f"  {line}")
    left = sorted(
        {
            r.code
            for res in outcome.after.results
            if res.verdict is not Verdict.PRIVATE
            for r in res.reasons
            if r.severity.value == "error"
        }
    )
    console.print(f"  {outcome.changes} change(s) applied in {outcome.seconds:.1f} s")
    if left:
        console.print(
            f"  still not private, and why: {', '.join(left)} (the plan lists these as steps for a person)"
        )
    console.print(f"\n  Snapshots, plan and reports are in {outcome.folder}/:")
    for name in (
        "snapshot-before/",
        "check-before.html",
        "check-before.json",
        "plan.json",
        "snapshot-after/",
        "check-after.html",
        "check-after.json",
    ):
        console.print(f"    {outcome.folder / name}")
    console.print(
        f"\n  Try: ssmreach check --snapshot {outcome.folder / 'snapshot-before'} --instance "
        f"{outcome.before.results[0].instance}"
    )
