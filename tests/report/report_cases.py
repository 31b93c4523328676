"""Cases for the report tests: the two example snapshots and builder estates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builders import EstateBuilder, nacl_entry, tcp
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.verdict import CheckResult
from ssmreach.model.estate import Estate
from ssmreach.model.reader import load_snapshot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "snapshots"
HOSTILE_NAME = '<script>window.__xss=1</script><img src="https://evil.example/x.png">|`*_'


@dataclass(frozen=True)
class Case:
    name: str
    estate: Estate
    result: CheckResult


def _case(name: str, estate: Estate, features: tuple[str, ...] | None = None) -> Case:
    options = CheckOptions(features=features) if features else CheckOptions()
    return Case(name, estate, check_estate(estate, options))


def example(name: str) -> Case:
    return _case(name, load_snapshot(EXAMPLES / name))


def _deny_443_out() -> list[dict[str, object]]:
    return [
        nacl_entry(90, "deny", egress=True, ports=(443, 443)),
        nacl_entry(100, "allow", egress=True),
        nacl_entry(100, "allow", egress=False),
    ]


def hub_and_spoke() -> Case:
    """A spoke reaching endpoints in a hub over peering, a NACL'd subnet, a NAT-only VPC,
    and an instance whose Name tag is hostile markup."""
    b = EstateBuilder()
    hub = b.vpc("10.1.0.0/16")
    hub_a = b.subnet(hub, "10.1.1.0/24", "a")
    hub_b = b.subnet(hub, "10.1.2.0/24", "b")
    hub_rtb = b.route_table(hub, [hub_a, hub_b])
    hub_sg = b.sg(hub, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/8")])
    spoke = b.vpc("10.2.0.0/16")
    app = b.subnet(spoke, "10.2.1.0/24", "a")
    locked = b.subnet(spoke, "10.2.2.0/24", "b")
    spoke_rtb = b.route_table(spoke, [app, locked])
    pcx = b.peering(spoke, hub)
    b.add_route(spoke_rtb, "10.1.0.0/16", pcx)
    b.add_route(hub_rtb, "10.2.0.0/16", pcx)
    b.hub_endpoints(hub, [hub_a, hub_b], [hub_sg], [spoke])
    b.s3_gateway(spoke, [spoke_rtb])
    b.nacl(spoke, [locked], _deny_443_out())
    profile = b.role("ssm-core")
    b.instance("spoke-app", app, [b.sg(spoke, "app")], profile)
    b.instance(HOSTILE_NAME, locked, [b.sg(spoke, "locked")], profile)
    edge = b.vpc("10.3.0.0/16")
    edge_app = b.subnet(edge, "10.3.1.0/24", "a")
    edge_rtb = b.route_table(edge, [edge_app])
    b.internet_via_nat(edge, edge_rtb, "10.3.100.0/24")
    b.instance("edge-web", edge_app, [b.sg(edge, "web")], profile)
    return _case("hub-and-spoke", b.estate())


def big_estate(subnets: int = 12, per_subnet: int = 4) -> Case:
    """Many instances and many distinct findings: one NACL'd subnet after another."""
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16")
    ep_a = b.subnet(vpc, "10.0.200.0/24", "a")
    ep_b = b.subnet(vpc, "10.0.201.0/24", "b")
    ep_sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr="10.0.0.0/16")])
    app_sg = b.sg(vpc, "app")
    profile = b.role("ssm-core")
    made = []
    for n in range(subnets):
        sn = b.subnet(vpc, f"10.0.{n + 1}.0/24", "abc"[n % 3])
        made.append(sn)
        if n % 2:
            b.nacl(vpc, [sn], _deny_443_out())
        for i in range(per_subnet):
            b.instance(f"app-{n:02d}-{i}", sn, [app_sg], profile)
    rtb = b.route_table(vpc, [*made, ep_a, ep_b])
    b.private_endpoints(vpc, [ep_a, ep_b], [ep_sg], [rtb])
    return _case("big", b.estate(), FEATURES)
