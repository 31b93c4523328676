"""Helpers to run the engine on a builder estate and read verdicts and codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Unpack

from builders import EstateBuilder, VpcOptions, tcp
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.verdict import CheckResult, FeatureResult


def run(builder: EstateBuilder, features: tuple[str, ...] = FEATURES) -> CheckResult:
    return check_estate(builder.estate(), CheckOptions(features=features))


def result_for(builder: EstateBuilder, instance: str, feature: str) -> FeatureResult:
    result = run(builder)
    return next(r for r in result.results if r.instance == instance and r.feature == feature)


def codes(result: FeatureResult) -> set[str]:
    return {r.code for r in result.reasons} | {r.code for s in result.services for r in s.reasons}


@dataclass
class Estate1:
    """One VPC with two private app subnets, two endpoint subnets, and an app route table."""

    b: EstateBuilder
    vpc: str
    app: str
    app_b: str
    ep_a: str
    ep_b: str
    rtb: str
    app_sg: str
    ep_sg: str
    profile: str


def one_vpc(*, endpoints: bool = True, **vpc_kwargs: Unpack[VpcOptions]) -> Estate1:
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16", **vpc_kwargs)
    app = b.subnet(vpc, "10.0.1.0/24", "a")
    app_b = b.subnet(vpc, "10.0.2.0/24", "b")
    ep_a = b.subnet(vpc, "10.0.11.0/24", "a")
    ep_b = b.subnet(vpc, "10.0.12.0/24", "b")
    rtb = b.route_table(vpc, [app, app_b, ep_a, ep_b])
    app_sg = b.sg(vpc, "app")
    ep_sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/16")])
    profile = b.role("ssm-core")
    if endpoints:
        b.private_endpoints(vpc, [ep_a, ep_b], [ep_sg], [rtb])
    return Estate1(b, vpc, app, app_b, ep_a, ep_b, rtb, app_sg, ep_sg, profile)
