"""Generated estates with realistic variety, for the benchmark and the grouping tests."""

from __future__ import annotations

import random

from builders import EstateBuilder, nacl_entry, tcp

KINDS = (
    "healthy",
    "healthy",
    "healthy",
    "default-sg",
    "no-ssmmessages-nat",
    "nacl-no-return",
    "private-dns-off-nat",
    "s3-policy",
    "no-endpoints-nat",
)
AGENTS = ("3.3.1142.0", "3.3.1142.0", "3.2.2303.0", "3.1.1004.0", "3.0.1390.0", "2.3.1319.0")


def generate(instances: int, vpcs: int, seed: int = 7) -> EstateBuilder:
    """A deterministic estate of `instances` instances spread over `vpcs` VPCs."""
    rnd = random.Random(seed)
    b = EstateBuilder()
    profiles = [
        b.role("ssm-core"),
        b.role(
            "ssm-core-s3",
            inline={
                "buckets": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::*-us-east-1*/*",
                        }
                    ]
                }
            },
        ),
        b.role("app-only", managed=[]),
        b.role(
            "no-sessions",
            inline={
                "deny": {
                    "Statement": [{"Effect": "Deny", "Action": "ssmmessages:*", "Resource": "*"}]
                }
            },
        ),
    ]
    per_vpc = max(1, instances // vpcs)
    made = 0
    for v in range(vpcs):
        kind = KINDS[v % len(KINDS)]
        base = f"10.{v // 16}.{(v % 16) * 16}"
        vpc = b.vpc(f"{base}.0/20")
        app_a = b.subnet(vpc, f"{base}.0/22", "a")
        app_b = b.subnet(
            vpc, f"{base}.0/22".replace(f"{(v % 16) * 16}.0/22", f"{(v % 16) * 16 + 4}.0/22"), "b"
        )
        ep_a = b.subnet(vpc, f"10.{v // 16}.{(v % 16) * 16 + 8}.0/26", "a")
        ep_b = b.subnet(vpc, f"10.{v // 16}.{(v % 16) * 16 + 8}.64/26", "b")
        rtb = b.route_table(vpc, [app_a, app_b, ep_a, ep_b])
        groups = [b.sg(vpc, f"app-{g}") for g in range(3)]
        ep_sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr=f"{base}.0/20")])
        if kind in ("no-ssmmessages-nat", "private-dns-off-nat", "no-endpoints-nat"):
            b.internet_via_nat(vpc, rtb, f"10.{v // 16}.{(v % 16) * 16 + 8}.128/26")
        if kind == "default-sg":
            b.private_endpoints(vpc, [ep_a, ep_b], [], [rtb])
        elif kind == "no-ssmmessages-nat":
            b.endpoint(vpc, "ssm", [ep_a, ep_b], [ep_sg])
        elif kind == "private-dns-off-nat":
            for svc in ("ssm", "ssmmessages", "ec2messages"):
                b.endpoint(vpc, svc, [ep_a, ep_b], [ep_sg], private_dns=False)
        elif kind == "s3-policy":
            for svc in ("ssm", "ssmmessages", "ec2messages"):
                b.endpoint(vpc, svc, [ep_a, ep_b], [ep_sg])
            b.s3_gateway(
                vpc,
                [rtb],
                policy={
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": "arn:aws:s3:::corp-*/*",
                        }
                    ]
                },
            )
        elif kind != "no-endpoints-nat":
            b.private_endpoints(vpc, [ep_a, ep_b], [ep_sg], [rtb])
        if kind == "nacl-no-return":
            b.nacl(
                vpc,
                [app_a],
                [
                    nacl_entry(100, "allow", egress=True),
                    nacl_entry(100, "allow", egress=False, ports=(443, 443)),
                ],
            )
        count = per_vpc if v < vpcs - 1 else instances - made
        # Three tiers per VPC, as auto scaling groups make them: one security group, role,
        # platform and agent version each, with a few stragglers (old agents, no profile).
        tiers = [
            (groups[t], rnd.choice(profiles), rnd.random() < 0.2, rnd.choice(AGENTS))
            for t in range(3)
        ]
        for i in range(count):
            group, profile, windows, agent = tiers[i % 3]
            if rnd.random() < 0.05:
                agent = rnd.choice(AGENTS)
            b.instance(
                f"n{v}-{i}",
                app_a if i % 2 == 0 else app_b,
                [group],
                profile if rnd.random() < 0.98 else None,
                agent=agent if rnd.random() < 0.97 else None,
                platform="Windows" if windows else "Linux",
                platform_name="Microsoft Windows Server 2019 Datacenter"
                if windows
                else "Amazon Linux",
                platform_version="10.0.17763" if windows else "2023",
            )
        made += count
    return b
