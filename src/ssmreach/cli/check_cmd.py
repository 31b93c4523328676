"""`ssmreach check`: verdicts per instance and feature, from a snapshot or the live account."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from datetime import date
from pathlib import Path

import click

from ssmreach.analysis.baseline import DEFAULT_FILE, Baseline, apply_baseline, parse_baseline
from ssmreach.analysis.engine import CheckOptions, check_estate, cycle_collector_paused
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.analysis.retirement import ASSUMPTIONS, Assumption
from ssmreach.analysis.verdict import CheckResult, Verdict
from ssmreach.analysis.workers import DEFAULT_MAX_WORKERS, POOL_MIN_INSTANCES
from ssmreach.cli.live import feature_option, live_options
from ssmreach.cli.loading import load_estate
from ssmreach.cli.output import write_output
from ssmreach.cli.preview import (
    Planned,
    echo_plan_diff,
    plan_diff,
    plan_options,
    planned_estate,
)
from ssmreach.cli.sites_option import echo_sites, read_sites_file, sites_option
from ssmreach.errors import UsageError
from ssmreach.model.estate import Estate
from ssmreach.report.formats import FORMATS, RenderContext
from ssmreach.report.json_report import check_document


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip().lower() for n in value.split(",") if n.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise click.BadParameter(
            f"{', '.join(unknown) or value!r} is not a format; choose from {', '.join(FORMATS)}"
        )
    return names


def _text_width() -> int:
    """The terminal's width (COLUMNS wins, as everywhere), at least 60; 140 off a terminal."""
    if os.environ.get("COLUMNS") or sys.stdout.isatty():
        return max(60, shutil.get_terminal_size((140, 24)).columns)
    return 140


def _write_reports(
    result: CheckResult,
    estate: Estate,
    formats: tuple[str, ...],
    output: Path | None,
    output_dir: Path | None,
    trace: bool,
    quiet: bool,
    detail: str = "full",
    all_vpcs: bool = False,
) -> None:
    """Render every chosen format from the one result and write each where it goes."""
    if len(formats) > 1 and output_dir is None:
        raise UsageError("several formats need --output-dir DIR (one file per format)")
    if output is not None and output_dir is not None:
        raise UsageError("give --output FILE or --output-dir DIR, not both")
    if output is not None and output.name.lower() in FORMATS and not output.suffix:
        click.echo(
            f"warning: --output takes a file name (writing {output}); "
            f"for the {output.name.lower()} format use --format {output.name.lower()}",
            err=True,
        )
    to_terminal = output is None and output_dir is None and sys.stdout.isatty()
    ctx = RenderContext(
        estate=estate,
        trace=trace,
        color=to_terminal and "NO_COLOR" not in os.environ,
        width=_text_width() if output is None and output_dir is None else 140,
        quiet=quiet,
        detail=detail,
        all_vpcs=all_vpcs,
    )
    if output_dir is not None:
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"{output_dir}: cannot create the folder ({exc.strerror or exc})"
            ) from None
    for name in formats:
        fmt = FORMATS[name]
        target = output_dir / f"ssmreach-report.{fmt.suffix}" if output_dir is not None else output
        write_output(fmt.render(result, ctx), target)


def read_baseline(path: Path | None) -> Baseline | None:
    """The baseline named by --baseline, else the default file of the current folder."""
    if path is None:
        default = Path(DEFAULT_FILE)
        if not default.is_file():
            return None
        path = default
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the baseline ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the baseline is not UTF-8 text") from None
    return parse_baseline(text, str(path))


def instance_tags(estate: Estate) -> dict[str, dict[str, str]]:
    return {
        i.instance_id: {t.key: t.value for t in i.tags}
        for region in estate.regions.values()
        for i in region.instances
    }


def exit_code(result: CheckResult, *, require_private: bool, fail_on_unknown: bool) -> int:
    """Exit codes of check-output.md: 1 on BLOCKED (or INTERNET with --require-private), 3 on UNKNOWN."""
    if result.count(Verdict.BLOCKED) or (require_private and result.count(Verdict.INTERNET)):
        return 1
    if fail_on_unknown and result.count(Verdict.UNKNOWN):
        return 3
    return 0


def _require_known(estate: Estate, instances: tuple[str, ...], snapshot: Path | None) -> None:
    known = {i.instance_id for r in estate.regions.values() for i in r.instances}
    unknown_ids = [i for i in instances if i not in known]
    hybrid = {n for r in estate.regions.values() for n in r.hybrid.nodes}
    if any(i in hybrid for i in unknown_ids):
        node = next(i for i in unknown_ids if i in hybrid)
        raise UsageError(
            f"{node} is a hybrid node: verdicts cover EC2 instances only so far (docs/hybrid.md)"
        )
    if unknown_ids:
        raise UsageError(
            f"instance {unknown_ids[0]} is not in {'the snapshot' if snapshot else 'the account'} "
            f"({len(known)} instance(s) there); check the id and the Region"
        )


def _triage(
    result: CheckResult, baseline: Baseline | None, estate: Estate
) -> tuple[CheckResult, CheckResult]:
    """(the result with accepted findings marked, the result that counts for the exit code)."""
    if baseline is None:
        return result, result
    triage = apply_baseline(result, baseline, instance_tags(estate), date.today())
    counted = dataclasses.replace(
        triage.result,
        results=tuple(
            r for r in triage.result.results if (r.instance, r.feature) not in triage.accepted
        ),
    )
    click.echo(f"baseline {baseline.source}: {len(triage.accepted)} result(s) accepted", err=True)
    for entry in triage.expired:
        click.echo(
            f"warning: baseline {entry.describe()} expired on {entry.expires}: its findings fail again",
            err=True,
        )
    return triage.result, counted


def _plan_worse(
    planned: Planned, options: CheckOptions, result: CheckResult, plan: Path | None
) -> bool:
    """Print what the plan changes; whether it makes any verdict worse."""
    changes = plan_diff(planned, options, check_document(result))
    echo_plan_diff(changes, plan or Path("plan"))
    return changes is not None and bool(changes.worse)


@click.command("check")
@click.option(
    "--snapshot",
    "snapshot",
    type=click.Path(path_type=Path),
    help="Read this snapshot folder instead of the live account.",
)
@live_options
@click.option(
    "--instance",
    "instances",
    multiple=True,
    metavar="ID",
    help="Only this instance (repeatable); also prints its full hop trace.",
)
@feature_option()
@click.option(
    "--format",
    "formats",
    callback=_formats,
    default="text",
    show_default=True,
    metavar="FORMAT[,FORMAT...]",
    help="Report format: "
    + "; ".join(f"{f.name} {f.purpose}" for f in FORMATS.values())
    + ". Several, comma-separated, with --output-dir: the snapshot is read and analysed once.",
)
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path),
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--output-dir",
    "output_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write each format to DIR/ssmreach-report.<suffix> (the folder is created).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line (text format).")
@click.option(
    "--all-vpcs",
    is_flag=True,
    help="html: also draw the VPCs that no checked instance uses (left out by default).",
)
@click.option(
    "--detail",
    type=click.Choice(["full", "failing"]),
    default="full",
    show_default=True,
    help="json-compact: failing leaves out the hop traces of PRIVATE results.",
)
@click.option(
    "--require-private", is_flag=True, help="Exit 1 when anything works only over the internet."
)
@click.option(
    "--fail-on-unknown", is_flag=True, help="Exit 3 when nothing failed but something is UNKNOWN."
)
@click.option(
    "--probe",
    "probes",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="JSON written by `ssmreach probe --format json` on a node (repeatable): its evidence "
    "settles what the model leaves UNKNOWN, and a disagreement becomes MODEL_PROBE_MISMATCH.",
)
@click.option(
    "--assume-ec2messages",
    "assume_ec2messages",
    type=click.Choice(ASSUMPTIONS),
    default="auto",
    show_default=True,
    help="AWS retires ec2messages on 2026-09-30 for nodes that rely solely on it (a quoted AWS "
    "Health notice, not in AWS documentation). auto: a warning on such nodes; retired: an error, "
    "and ec2messages is no channel; available: no finding.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Accepted findings (YAML): shown as accepted, they do not fail the run. Default: "
    f"{DEFAULT_FILE} in the current folder, when there is one.",
)
@plan_options
@sites_option
@click.option("--trace", is_flag=True, help="Print the hop trace of every instance (text format).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="N",
    help=f"Analyse in N processes, whole VPCs each (default: one per core, at most "
    f"{DEFAULT_MAX_WORKERS}, for {POOL_MIN_INSTANCES:,} instances or more, else 1). The "
    "report is the same for any N.",
)
def check_command(
    snapshot: Path | None,
    region: tuple[str, ...],
    profile: str | None,
    role_arn: tuple[str, ...],
    instances: tuple[str, ...],
    features: tuple[str, ...],
    formats: tuple[str, ...],
    output: Path | None,
    output_dir: Path | None,
    quiet: bool,
    detail: str,
    all_vpcs: bool,
    require_private: bool,
    fail_on_unknown: bool,
    probes: tuple[Path, ...],
    assume_ec2messages: Assumption,
    baseline_file: Path | None,
    terraform_plan: Path | None,
    terraform_account: str | None,
    plan_alone: bool,
    fail_on_worse: bool,
    sites_file: Path | None,
    trace: bool,
    workers: int | None,
) -> None:
    """Verdict per instance and SSM feature: PRIVATE, INTERNET, BLOCKED or UNKNOWN.

    PRIVATE: every service the feature needs is reached through VPC endpoints.
    INTERNET: it works, through a NAT or internet gateway. BLOCKED: something
    is certainly in the way (the finding names it and the fix). UNKNOWN: the
    data cannot decide it (custom DNS, denied reads, unevaluable conditions).

    Exit codes: 0 nothing BLOCKED; 1 something BLOCKED (or INTERNET with
    --require-private); 2 bad input; 3 UNKNOWN with --fail-on-unknown.

    \b
    Examples:
      ssmreach check --snapshot snap/
      ssmreach check --snapshot snap/ --instance i-0abc123 --feature session-manager
      ssmreach check --region eu-west-1 --format json --output report.json
      ssmreach check --snapshot snap/ --require-private --fail-on-unknown   # in CI
      ssmreach check --snapshot snap/ --format html --output report.html
      ssmreach check --snapshot snap/ --probe web-1.json   # with evidence from a node
      ssmreach check --snapshot snap/ --terraform-plan plan.json   # before terraform apply
    """
    sites = read_sites_file(sites_file)
    planned = (
        planned_estate(
            terraform_plan,
            snapshot,
            region,
            profile,
            role_arn,
            account=terraform_account,
            alone=plan_alone,
        )
        if terraform_plan is not None
        else None
    )
    if planned is None and (terraform_account or plan_alone or fail_on_worse):
        raise UsageError(
            "--terraform-account, --plan-alone and --fail-on-worse go with --terraform-plan FILE"
        )
    estate = planned.after if planned else load_estate(snapshot, region, profile, role_arn)
    # From here (not while reading: AWS clients leave cycles) to the end (see the engine)
    click.get_current_context().with_resource(cycle_collector_paused())
    _require_known(estate, instances, snapshot)
    echo_sites(sites, estate)
    options = CheckOptions(
        features=features or DEFAULT_FEATURES,
        instances=instances,
        assume_ec2messages=assume_ec2messages,
        workers=workers,
    )
    result = check_estate(estate, options)
    worse = planned is not None and _plan_worse(planned, options, result, terraform_plan)
    if probes:
        from ssmreach.analysis.evidence import load_probe_documents, merge_probe_evidence

        result = merge_probe_evidence(result, load_probe_documents(probes))
    result, counted = _triage(result, read_baseline(baseline_file), estate)
    _write_reports(
        result,
        estate,
        formats,
        output,
        output_dir,
        trace or bool(instances),
        quiet,
        detail,
        all_vpcs,
    )
    code = exit_code(counted, require_private=require_private, fail_on_unknown=fail_on_unknown)
    if fail_on_worse and worse and code != 1:
        click.echo(f"{terraform_plan}: the plan makes verdicts worse (--fail-on-worse)", err=True)
        code = 1
    if code:
        sys.exit(code)
