"""Generated estates with realistic variety, for the benchmark and the grouping tests.

`generate` builds the estate with the fields the analysis reads; `full_records` then
fills every instance, managed-node and network-interface record with the other fields
AWS returns for it (DescribeInstances, DescribeInstanceInformation and the instances'
own interfaces in DescribeNetworkInterfaces, which lists every interface of the Region),
so that a benchmark reads a snapshot of the size `ssmreach snapshot` writes for such a
fleet. Field sets follow the EC2 and SSM API references (Instance, InstanceNetworkInterface,
NetworkInterface, InstanceInformation).
"""

from __future__ import annotations

import random
import zlib
from typing import Any

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


ROLES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("ssm-core", {}),
    (
        "ssm-core-s3",
        {
            "inline": {
                "buckets": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::*-us-east-1*/*",
                        }
                    ]
                }
            }
        },
    ),
    ("app-only", {"managed": []}),
    (
        "no-sessions",
        {
            "inline": {
                "deny": {
                    "Statement": [{"Effect": "Deny", "Action": "ssmmessages:*", "Resource": "*"}]
                }
            }
        },
    ),
)
"""The four roles of a generated estate: name and `EstateBuilder.role` options."""


def generate(
    instances: int,
    vpcs: int,
    seed: int = 7,
    *,
    own_groups: bool = False,
    own_roles: bool = False,
    routes: int = 0,
) -> EstateBuilder:
    """A deterministic estate of `instances` instances spread over `vpcs` VPCs.

    `own_groups`: every instance has a security group of its own (with its tier's rules)
    instead of its tier's; `own_roles`: a role of its own (a copy of its tier's);
    `routes`: each VPC's route table also holds that many routes to on-premises networks
    (/24s of 172.16.0.0/12, at most 4,096, through a virtual private gateway)."""
    rnd = random.Random(seed)
    b = EstateBuilder()
    profiles = [b.role(name, **options) for name, options in ROLES]
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
        if routes:
            vgw = f"vgw-{v:017x}"
            for r in range(min(routes, 4096)):
                b.add_route(rtb, f"172.{16 + r // 256}.{r % 256}.0/24", vgw)
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
            if own_groups:
                group = b.sg(vpc, f"app-{v}-{i}")
            with_profile = rnd.random() < 0.98
            if own_roles and with_profile:
                name, options = ROLES[profiles.index(profile)]
                profile = b.role(f"{name}-{v}-{i}", **options)
            b.instance(
                f"n{v}-{i}",
                app_a if i % 2 == 0 else app_b,
                [group],
                profile if with_profile else None,
                agent=agent if rnd.random() < 0.97 else None,
                platform="Windows" if windows else "Linux",
                platform_name="Microsoft Windows Server 2019 Datacenter"
                if windows
                else "Amazon Linux",
                platform_version="10.0.17763" if windows else "2023",
            )
        made += count
    return b


LAUNCHED = "2026-10-02T08:14:51+00:00"
PINGED = "2026-11-28T11:58:07.431000+00:00"


def _dns_name(ip: str) -> str:
    return f"ip-{ip.replace('.', '-')}.ec2.internal"


def _mac(n: int) -> str:
    return "0e:" + ":".join(f"{(n >> s) & 0xFF:02x}" for s in (32, 24, 16, 8, 0))


def full_records(b: EstateBuilder) -> EstateBuilder:
    """Give the instances, managed nodes and instance interfaces of `b` every field AWS
    returns, in place; what the analysis reads is left as it is."""
    names = {g["GroupId"]: g.get("GroupName", g["GroupId"]) for g in b.sgs}
    info = {i["InstanceId"]: i for i in b.info}
    for n, reservation in enumerate(b.reservations):
        reservation.setdefault("Groups", [])
        for inst in reservation["Instances"]:
            iid, ip = inst["InstanceId"], inst["PrivateIpAddress"]
            tier = inst["SecurityGroups"][0]["GroupId"]
            groups = [
                {"GroupName": names.get(g["GroupId"], ""), "GroupId": g["GroupId"]}
                for g in inst["SecurityGroups"]
            ]
            eni = inst["NetworkInterfaces"][0]
            az = inst["Placement"]["AvailabilityZone"]
            attachment = {
                "AttachTime": LAUNCHED,
                "AttachmentId": f"eni-attach-{n:017x}",
                "DeleteOnTermination": True,
                "DeviceIndex": 0,
                "Status": "attached",
                "NetworkCardIndex": 0,
            }
            addresses = [{"Primary": True, "PrivateDnsName": _dns_name(ip), "PrivateIpAddress": ip}]
            eni.update(
                {
                    "Attachment": attachment,
                    "Description": "",
                    "Groups": groups,
                    "Ipv6Addresses": [],
                    "MacAddress": _mac(n),
                    "OwnerId": b.account,
                    "PrivateDnsName": _dns_name(ip),
                    "PrivateIpAddresses": addresses,
                    "SourceDestCheck": True,
                    "Status": "in-use",
                    "VpcId": inst["VpcId"],
                    "InterfaceType": "interface",
                    "Operator": {"Managed": False},
                }
            )
            b.enis.append(
                {
                    "Attachment": {**attachment, "InstanceId": iid, "InstanceOwnerId": b.account},
                    "AvailabilityZone": az,
                    "Description": "",
                    "Groups": groups,
                    "InterfaceType": "interface",
                    "Ipv6Addresses": [],
                    "MacAddress": _mac(n),
                    "NetworkInterfaceId": eni["NetworkInterfaceId"],
                    "OwnerId": b.account,
                    "PrivateDnsName": _dns_name(ip),
                    "PrivateIpAddress": ip,
                    "PrivateIpAddresses": addresses,
                    "RequesterManaged": False,
                    "SourceDestCheck": True,
                    "Status": "in-use",
                    "SubnetId": inst["SubnetId"],
                    "TagSet": [],
                    "VpcId": inst["VpcId"],
                    "Operator": {"Managed": False},
                }
            )
            windows = inst.get("Platform") == "windows"
            asg = f"{names.get(tier, tier)}-{inst['VpcId'][-6:]}"
            full: dict[str, Any] = {
                "AmiLaunchIndex": 0,
                "ImageId": "ami-0c1f4a7e2b9d85316" if windows else "ami-0a3c14e1ddbe7f23c",
                "InstanceId": iid,
                "InstanceType": "m6i.large" if windows else "t3.medium",
                "KeyName": "ops-2026",
                "LaunchTime": LAUNCHED,
                "Monitoring": {"State": "disabled"},
                "Placement": {"AvailabilityZone": az, "GroupName": "", "Tenancy": "default"},
                "PrivateDnsName": _dns_name(ip),
                "PrivateIpAddress": ip,
                "ProductCodes": [],
                "PublicDnsName": "",
                "State": {"Code": 16, "Name": "running"},
                "StateTransitionReason": "",
                "SubnetId": inst["SubnetId"],
                "VpcId": inst["VpcId"],
                "Architecture": "x86_64",
                "BlockDeviceMappings": [
                    {
                        "DeviceName": "/dev/sda1" if windows else "/dev/xvda",
                        "Ebs": {
                            "AttachTime": LAUNCHED,
                            "DeleteOnTermination": True,
                            "Status": "attached",
                            "VolumeId": f"vol-{n:017x}",
                        },
                    }
                ],
                "ClientToken": f"{asg}-{n:08x}",
                "EbsOptimized": True,
                "EnaSupport": True,
                "Hypervisor": "xen",
                "NetworkInterfaces": [eni],
                "RootDeviceName": "/dev/sda1" if windows else "/dev/xvda",
                "RootDeviceType": "ebs",
                "SecurityGroups": groups,
                "SourceDestCheck": True,
                "Tags": [
                    *inst.get("Tags", []),
                    {"Key": "aws:autoscaling:groupName", "Value": asg},
                    {
                        "Key": "aws:ec2launchtemplate:id",
                        "Value": f"lt-{zlib.crc32(asg.encode()):017x}",
                    },
                    {"Key": "aws:ec2launchtemplate:version", "Value": "7"},
                    {"Key": "Environment", "Value": "production"},
                    {"Key": "CostCenter", "Value": "platform-4410"},
                ],
                "VirtualizationType": "hvm",
                "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2},
                "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
                "HibernationOptions": {"Configured": False},
                "MetadataOptions": {
                    "State": "applied",
                    "HttpPutResponseHopLimit": 2,
                    "HttpProtocolIpv6": "disabled",
                    "InstanceMetadataTags": "disabled",
                    **inst["MetadataOptions"],
                },
                "EnclaveOptions": {"Enabled": False},
                "BootMode": "uefi-preferred",
                "PlatformDetails": inst["PlatformDetails"],
                "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
                "UsageOperationUpdateTime": LAUNCHED,
                "PrivateDnsNameOptions": {
                    "HostnameType": "ip-name",
                    "EnableResourceNameDnsARecord": False,
                    "EnableResourceNameDnsAAAARecord": False,
                },
                "MaintenanceOptions": {"AutoRecovery": "default", "RebootMigration": "default"},
                "CurrentInstanceBootMode": "legacy-bios",
                "NetworkPerformanceOptions": {"BandwidthWeighting": "default"},
                "Operator": {"Managed": False},
            }
            for key in ("Platform", "IamInstanceProfile", "PublicIpAddress"):
                if key in inst:
                    full[key] = inst[key]
            inst.clear()
            inst.update(full)
            node = info.get(iid)
            if node is not None:
                node.update(
                    {
                        "LastPingDateTime": PINGED,
                        "IsLatestVersion": node["AgentVersion"] == AGENTS[0],
                        "IPAddress": ip,
                        "ComputerName": _dns_name(ip) if not windows else f"EC2AMAZ-{n:07X}",
                        "AssociationStatus": "Success",
                        "LastAssociationExecutionDate": PINGED,
                        "LastSuccessfulAssociationExecutionDate": PINGED,
                        "AssociationOverview": {
                            "DetailedStatus": "Success",
                            "InstanceAssociationStatusAggregatedCount": {"Success": 2},
                        },
                        "SourceId": iid,
                        "SourceType": "AWS::EC2::Instance",
                    }
                )
    return b
