"""Property: grouped analysis gives exactly the results of instance-by-instance analysis,
and several worker processes exactly those of one, on random small estates.

The estates mix what grouping must tell apart or may share: security groups of equal
rules (own or shared, one to three per instance, in any order), rules on CIDRs narrower
than a subnet, prefix lists and endpoint groups, endpoints, NAT and internet gateways,
network ACLs, public addresses, roles with the same documents and without any, old and
new agents, and endpoint policies that admit anyone or refuse a call.
"""

from __future__ import annotations

import json
import multiprocessing
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import EstateBuilder, nacl_entry, tcp
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import FEATURES

_REFUSING = {
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ssm:Describe*", "Resource": "*"}]
}


def _egress_rules(vpc_cidr: str, narrow: str, ep_sg: str, pl: str) -> list[list[Any] | None]:
    """Egress rule sets to copy into groups (None: the builder's allow-all)."""
    return [
        None,
        [],
        [tcp(80, cidr="0.0.0.0/0")],
        [tcp(443, cidr=vpc_cidr)],
        [tcp(443, cidr=narrow)],
        [tcp(443, group=ep_sg)],
        [tcp(443, prefix_list=pl)],
        [tcp(443, cidr=narrow), tcp(443, prefix_list=pl)],
    ]


def _estate(rnd: random.Random) -> EstateBuilder:
    b = EstateBuilder()
    roles = [b.role("core"), b.role("core-copy"), b.role("nothing", managed=[])]
    for v in range(rnd.choice([1, 1, 2])):
        cidr = f"10.{v}.0.0/16"
        vpc = b.vpc(cidr)
        apps = [b.subnet(vpc, f"10.{v}.1.0/24", "a"), b.subnet(vpc, f"10.{v}.2.0/24", "b")]
        eps = [b.subnet(vpc, f"10.{v}.11.0/24", "a"), b.subnet(vpc, f"10.{v}.12.0/24", "b")]
        rtb = b.route_table(vpc, [*apps, *eps])
        admitted = rnd.choice([cidr, f"10.{v}.1.0/25", "10.0.0.0/8"])
        ep_sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr=admitted)])
        pl = b.managed_prefix_list(f"corp{v}", [f"10.{v}.11.0/24", f"10.{v}.12.0/24"])
        kind = rnd.choice(["endpoints", "nat", "igw", "partial", "none"])
        if kind == "endpoints":
            b.private_endpoints(vpc, eps, [ep_sg], [rtb])
            if rnd.random() < 0.3:
                for endpoint in b.endpoints:
                    if endpoint["VpcId"] == vpc and endpoint["ServiceName"].endswith(".ssm"):
                        endpoint["PolicyDocument"] = json.dumps(_REFUSING)
        elif kind == "partial":
            b.endpoint(vpc, "ssm", eps[:1], [ep_sg])
            b.internet_via_nat(vpc, rtb, f"10.{v}.200.0/24")
        elif kind == "nat":
            b.internet_via_nat(vpc, rtb, f"10.{v}.200.0/24")
        elif kind == "igw":
            b.add_route(rtb, "0.0.0.0/0", b.igw(vpc))
        if rnd.random() < 0.3:
            b.nacl(
                vpc,
                apps[:1],
                [
                    nacl_entry(100, "allow", egress=True),
                    nacl_entry(100, "allow", egress=False, ports=(443, 443)),
                    nacl_entry(110, "allow", egress=False, ports=(32768, 60999)),
                ],
            )
        rules = _egress_rules(cidr, f"10.{v}.11.0/25", ep_sg, pl)
        pool = [b.sg(vpc, f"pool{v}-{i}", egress=rnd.choice(rules)) for i in range(3)]
        for i in range(rnd.randint(3, 9)):
            groups: list[str] = []
            for n in range(rnd.choice([1, 1, 2, 3])):
                if rnd.random() < 0.5:
                    groups.append(b.sg(vpc, f"own{v}-{i}-{n}", egress=rnd.choice(rules)))
                else:
                    groups.append(rnd.choice(pool))
            groups = list(dict.fromkeys(groups))
            rnd.shuffle(groups)
            b.instance(
                f"n{v}-{i}",
                rnd.choice(apps),
                groups,
                rnd.choice(roles),
                public_ip=f"54.0.{v}.{i + 1}" if rnd.random() < 0.3 else None,
                agent=rnd.choice(["3.3.1142.0", "3.3.1142.0", "3.1.1004.0"]),
            )
    return b


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_grouped_equals_ungrouped_on_random_estates(rnd: random.Random) -> None:
    estate = _estate(rnd).estate()
    grouped = check_estate(estate, CheckOptions(features=FEATURES, workers=1))
    single = check_estate(estate, CheckOptions(features=FEATURES, grouped=False, workers=1))
    assert grouped.results == single.results


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_two_workers_equal_one_on_random_estates(rnd: random.Random) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        return
    estate = _estate(rnd).estate()
    one = check_estate(estate, CheckOptions(features=("core", "session-manager"), workers=1))
    two = check_estate(estate, CheckOptions(features=("core", "session-manager"), workers=2))
    assert two.results == one.results
