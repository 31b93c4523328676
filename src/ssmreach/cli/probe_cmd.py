"""`ssmreach probe`: the view from inside a node (DNS, TCP, TLS, HTTPS, IMDS, proxy, agent)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ssmreach.errors import SsmreachError, UsageError
from ssmreach.probe.controller import inprocess as node
from ssmreach.probe.controller.export import export_script


def _split(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _ssm_client(profile: str | None, region: str | None) -> Any:
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        if not session.region_name:
            raise UsageError("--via-ssm needs a Region: pass --region (or set AWS_REGION)")
        return session.client("ssm")
    except BotoCoreError as exc:
        raise UsageError(f"cannot set up the SSM client: {exc}") from exc


def build_config(
    *,
    region: str | None,
    snapshot: Path | None,
    timeout: float,
    step_timeout: float,
    features: tuple[str, ...],
    services: tuple[str, ...],
    instance_id: str | None,
    lab: dict[str, Any],
) -> node.ProbeConfig:
    """The probe's configuration from the command-line options (and a snapshot, if given)."""
    if timeout <= 0 or step_timeout <= 0:
        raise UsageError("--timeout and --step-timeout must be positive")
    known: dict[str, dict[str, str]] = {}
    gateways: dict[str, str] = {}
    if snapshot is not None:
        from ssmreach.model.reader import load_snapshot
        from ssmreach.probe.controller.snapshot_index import address_owners, s3_gateways

        estate = load_snapshot(snapshot)
        known = address_owners(estate)
        gateways = s3_gateways(estate)
    resolver: node.Resolver = node.system_resolver
    try:
        if lab["resolve"]:
            resolver = node.mapping_resolver(
                node.parse_resolve_options(lab["resolve"]), node.system_resolver
            )
        node.services_for(features or node.DEFAULT_FEATURES, services)
    except node.ProbeUsageError as exc:
        raise UsageError(str(exc)) from exc
    return node.ProbeConfig(
        region=region,
        features=features or node.DEFAULT_FEATURES,
        services=services,
        timeout=timeout,
        step_timeout=step_timeout,
        port=lab["port"],
        domain=lab["domain"],
        resolver=resolver,
        ca_bundle=lab["ca_bundle"],
        expected_issuers=lab["expected_issuer"] or node.AWS_ISSUERS,
        imds_url=None if lab["no_imds"] else lab["imds_url"],
        resolv_conf=lab["resolv_conf"],
        agent=not lab["no_agent"],
        agent_configs=lab["agent_config"] or node.AGENT_CONFIG_PATHS,
        agent_logs=lab["agent_log"] or node.AGENT_LOG_PATHS,
        registration_files=lab["registration_file"] or node.REGISTRATION_PATHS,
        known_addresses=known,
        s3_gateways=gateways,
        vpc_cidrs=lab["vpc_cidr"],
        public_cidrs=lab["public_cidr"],
        instance_id=instance_id,
    )


def _write(data: str, output: Path | None) -> None:
    from ssmreach.cli.output import write_output

    write_output(data.encode("utf-8"), output)


@click.command("probe")
@click.option("--region", metavar="REGION", help="Region (default: from the metadata service).")
@click.option(
    "--snapshot",
    type=click.Path(path_type=Path),
    help="A snapshot folder: say which endpoint and ENI own each DNS answer.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format (json: ssmreach.probe/1).",
)
@click.option(
    "--timeout",
    type=float,
    default=20.0,
    show_default=True,
    help="Deadline of the whole probe, in seconds.",
)
@click.option(
    "--step-timeout",
    type=float,
    default=5.0,
    show_default=True,
    help="Timeout of one network step (DNS, TCP, TLS, HTTPS, IMDS).",
)
@click.option(
    "--features",
    "features",
    multiple=True,
    metavar="F[,F]",
    help="Features whose services to probe (comma-separated or repeated; `all` for every "
    f"service). Default: {', '.join(node.DEFAULT_FEATURES)}.",
)
@click.option(
    "--service",
    "services",
    multiple=True,
    type=click.Choice(node.SERVICES),
    help="Also probe this service (repeatable), e.g. sts.",
)
@click.option("--instance-id", help="The node's id when it has no metadata service.")
@click.option("--output", type=click.Path(path_type=Path), help="Write the report to this file.")
@click.option(
    "--export-script",
    "export_path",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Write the probe as one standard-library-only Python file and exit.",
)
@click.option(
    "--via-ssm",
    "via_ssm",
    multiple=True,
    metavar="INSTANCE",
    help="Run the probe on this Online node through Run Command (ssm:SendCommand, a write "
    "call) and collect its result. Repeatable.",
)
@click.option("--profile", metavar="NAME", help="AWS profile for --via-ssm.")
@click.option("--resolve", multiple=True, metavar="HOST=IP[,IP]", hidden=True)
@click.option("--ca-bundle", type=click.Path(), help="CA certificates (PEM) to validate TLS with.")
@click.option("--port", type=int, default=443, hidden=True)
@click.option("--domain", hidden=True)
@click.option("--expected-issuer", multiple=True, hidden=True)
@click.option("--imds-url", default=node.IMDS_URL, hidden=True)
@click.option("--no-imds", is_flag=True, help="Do not query the instance metadata service.")
@click.option("--resolv-conf", default="/etc/resolv.conf", hidden=True)
@click.option("--agent-config", multiple=True, hidden=True)
@click.option("--agent-log", multiple=True, hidden=True)
@click.option("--registration-file", multiple=True, hidden=True)
@click.option("--no-agent", is_flag=True, help="Skip the SSM agent checks.")
@click.option("--vpc-cidr", multiple=True, hidden=True)
@click.option("--public-cidr", multiple=True, hidden=True)
def probe_command(
    region: str | None,
    snapshot: Path | None,
    fmt: str,
    timeout: float,
    step_timeout: float,
    features: tuple[str, ...],
    services: tuple[str, ...],
    instance_id: str | None,
    output: Path | None,
    export_path: Path | None,
    via_ssm: tuple[str, ...],
    profile: str | None,
    **lab: Any,
) -> None:
    """Probe from this node whether each SSM service is reachable, and privately.

    For every service the features need (ssm, ssmmessages, ec2messages, s3, kms,
    logs, ec2, sts): the DNS answer through the node's resolvers and whether each
    address is private or public, TCP 443, the TLS handshake (a TLS-inspecting
    proxy shows as an unexpected issuer), and an unsigned HTTPS request proving AWS
    answers. Also IMDSv2/IMDSv1, the role's credentials (never printed), proxy
    settings, the SSM agent's state, version, endpoint overrides and recent log
    errors, and the clock skew. Verdicts and reason codes are those of `check`;
    feed the JSON to `ssmreach check --probe FILE` to settle what the model
    cannot see (custom DNS, appliances).

    `--export-script FILE` writes the probe as one Python 3.8+ file that needs
    nothing installed. `--via-ssm` runs it through Run Command: that is a write
    call (ssm:SendCommand), made only when asked; `check` and `snapshot` never
    make it.

    Exit codes: 0 nothing BLOCKED, 1 something BLOCKED, 2 bad usage.

    \b
    Examples:
      ssmreach probe --region eu-west-1
      ssmreach probe --format json --output probe.json --snapshot snap/
      ssmreach probe --export-script probe.py && python3 probe.py --format json
      ssmreach probe --via-ssm i-0abc --via-ssm i-0def --region eu-west-1 --format json
    """
    if export_path is not None:
        if via_ssm:
            raise UsageError("--export-script and --via-ssm do not go together")
        written = export_script(export_path)
        click.echo(f"wrote {written}: run it with python3 {written} --format json", err=True)
        return
    chosen = _split(features)
    if via_ssm:
        _run_via_ssm(via_ssm, region, profile, fmt, output, timeout, chosen, services)
        return
    config = build_config(
        region=region,
        snapshot=snapshot,
        timeout=timeout,
        step_timeout=step_timeout,
        features=chosen,
        services=services,
        instance_id=instance_id,
        lab=lab,
    )
    try:
        doc = node.run_probe(config)
    except node.ProbeUsageError as exc:
        raise UsageError(str(exc)) from exc
    text = node.dump_json(doc) + "\n" if fmt == "json" else node.render_text(doc)
    _write(text, output)
    code = node.exit_status(doc)
    if code:
        sys.exit(code)


def _run_via_ssm(
    instances: tuple[str, ...],
    region: str | None,
    profile: str | None,
    fmt: str,
    output: Path | None,
    timeout: float,
    features: tuple[str, ...],
    services: tuple[str, ...],
) -> None:
    from ssmreach.probe.controller.via_ssm import run_via_ssm

    args: list[str] = []
    if region:
        args += ["--region", region]
    if features:
        args += ["--features", ",".join(features)]
    for service in services:
        args += ["--service", service]
    results = run_via_ssm(_ssm_client(profile, region), instances, args, probe_timeout=timeout)
    docs = [r.document for r in results if r.document is not None]
    for failed in (r for r in results if r.document is None):
        click.echo(f"{failed.instance}: {failed.error}", err=True)
    if not docs:
        raise SsmreachError("no probe result came back from any node")
    if fmt == "json":
        text = json.dumps(docs, indent=2) + "\n"
    else:
        text = "\n".join(node.render_text(d) for d in docs)
    _write(text, output)
    if any(node.exit_status(d) for d in docs):
        sys.exit(1)
