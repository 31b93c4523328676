"""The exported script's command line: options, configuration, output and exit code."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .config import ProbeConfig
from .constants import (
    AGENT_CONFIG_PATHS,
    AGENT_LOG_PATHS,
    AWS_ISSUERS,
    DEFAULT_FEATURES,
    FEATURES,
    IMDS_URL,
    REGISTRATION_PATHS,
)
from .deadline import ProbeUsageError
from .dns import mapping_resolver, parse_resolve_options, system_resolver
from .output import dump_json, exit_status, render_text
from .run import run_probe

if TYPE_CHECKING:  # only for type checkers: this file must run on Python 3.8
    from collections.abc import Sequence

    from .constants import Resolver


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssmreach-probe",
        description="Probe, from this node, whether each SSM service is reachable and private "
        "(DNS, TCP 443, TLS, HTTPS, IMDS, proxy, agent). Standard library only.",
    )
    parser.add_argument("--region", help="Region (default: from the metadata service)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="whole-probe deadline in seconds (default 20)"
    )
    parser.add_argument(
        "--step-timeout", type=float, default=5.0, help="timeout of one network step (default 5)"
    )
    parser.add_argument(
        "--features",
        action="append",
        default=[],
        help="comma-separated features ({}, all); default: {}".format(
            ", ".join(FEATURES), ", ".join(DEFAULT_FEATURES)
        ),
    )
    parser.add_argument("--service", action="append", default=[], help="also probe this service")
    parser.add_argument("--instance-id", help="the node's id, when the metadata service has none")
    parser.add_argument("--compress", action="store_true", help="print base64(gzip(JSON))")
    # Test and lab settings: where the probe looks.
    parser.add_argument("--port", type=int, default=443, help=argparse.SUPPRESS)
    parser.add_argument("--domain", help=argparse.SUPPRESS)
    parser.add_argument("--resolve", action="append", default=[], metavar="HOST=IP[,IP]")
    parser.add_argument("--ca-bundle", help="CA certificates to validate against (PEM file)")
    parser.add_argument("--expected-issuer", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--imds-url", default=IMDS_URL, help=argparse.SUPPRESS)
    parser.add_argument("--no-imds", action="store_true", help="do not query the metadata service")
    parser.add_argument("--resolv-conf", default="/etc/resolv.conf", help=argparse.SUPPRESS)
    parser.add_argument("--agent-config", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--agent-log", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--registration-file", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--no-agent", action="store_true", help="skip the agent checks")
    parser.add_argument("--vpc-cidr", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--public-cidr", action="append", default=[], help=argparse.SUPPRESS)
    return parser


def config_from_args(args: argparse.Namespace) -> ProbeConfig:
    features: list[str] = []
    for value in args.features:
        features.extend(f.strip() for f in value.split(",") if f.strip())
    resolver: Resolver = system_resolver
    if args.resolve:
        resolver = mapping_resolver(parse_resolve_options(args.resolve), system_resolver)
    if args.timeout <= 0 or args.step_timeout <= 0:
        raise ProbeUsageError("--timeout and --step-timeout must be positive")
    return ProbeConfig(
        region=args.region,
        features=tuple(features) or DEFAULT_FEATURES,
        services=tuple(args.service),
        timeout=args.timeout,
        step_timeout=args.step_timeout,
        port=args.port,
        domain=args.domain,
        resolver=resolver,
        ca_bundle=args.ca_bundle,
        expected_issuers=tuple(args.expected_issuer) or AWS_ISSUERS,
        imds_url=None if args.no_imds else args.imds_url,
        resolv_conf=args.resolv_conf,
        agent=not args.no_agent,
        agent_configs=tuple(args.agent_config) or AGENT_CONFIG_PATHS,
        agent_logs=tuple(args.agent_log) or AGENT_LOG_PATHS,
        registration_files=tuple(args.registration_file) or REGISTRATION_PATHS,
        vpc_cidrs=tuple(args.vpc_cidr),
        public_cidrs=tuple(args.public_cidr),
        instance_id=args.instance_id,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        doc = run_probe(config)
    except ProbeUsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    if args.format == "json" or args.compress:
        sys.stdout.write(dump_json(doc, args.compress) + "\n")
    else:
        sys.stdout.write(render_text(doc))
    sys.stdout.flush()
    return exit_status(doc)
