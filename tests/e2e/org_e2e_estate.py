"""An AWS Organization on in-process moto for the end-to-end test of `--org`.

The organization (`collect.org_estate.build_org`): the management account (moto's default,
the caller, holding nothing but its default VPC), a network account and two workload
accounts. In us-east-2:

- network account: a VPC `shared` (10.0.0.0/16) whose two subnets are shared through an
  AWS RAM resource share with both workload accounts; its route table sends the hub's
  range through a peering connection and carries an S3 gateway endpoint whose policy is a
  data perimeter on `aws:PrincipalOrgID` and `aws:ResourceOrgID` with the exemption for the
  AWS-owned Systems Manager buckets. A VPC `hub` (10.10.0.0/16) with the ssm, ssmmessages
  and ec2messages interface endpoints (private DNS off, a policy that admits only principals
  of the organization) and one private hosted zone per service name, aliased to its
  endpoint and associated with the hub, the shared VPC and the spoke of workload B.
  A third shared subnet has a network ACL of the owner's that lets no reply in.
- workload A: one instance in the first shared subnet, one in the third in a security group
  that allows no egress.
- workload B: one instance in the second shared subnet, and a VPC `spoke` (10.30.0.0/16)
  of its own, peered with the hub across accounts, with one instance. The spoke is missing
  from the ssmmessages zone's associations, and its S3 gateway endpoint's perimeter lacks
  the exemption for the AWS-owned buckets: broken on purpose, with the third subnet's ACL and
  the locked group.

Where moto is not AWS, the test layer makes it answer as AWS would
(shared/reference/moto-coverage.md), never the analysis:

- RAM: moto records the resource share but shares nothing with EC2, so the participants'
  EC2 backends are given the owner's VPC and subnet objects: a participant then lists the
  shared VPC and subnets with the owner's `OwnerId`, launches instances and creates security
  groups in them, and sees none of the owner's route tables, network ACLs or endpoints.
- Route 53: a cross-account zone association is authorised by the zone owner
  (`CreateVPCAssociationAuthorization`) and made from the VPC's account; moto associates any
  VPC id from the zone owner's side without either step, so the association is made there.
- `ssm:DescribeInstanceInformation`, `GetServiceSetting`, `ListAssociations`,
  `DescribeActivations` and `directconnect:DescribeDirectConnectGateways` are not
  implemented: answered by `before-call` hooks (every running instance with a profile is
  an online managed node with a current agent; Default Host Management is off; no
  associations, activations or Direct Connect gateways).
- Endpoint network interfaces get random 10.x addresses outside their subnets: moved into
  them in moto's backend before the collection, so the snapshot holds AWS-like addresses.
- AWS-managed IAM policies are not loaded by default: AmazonSSMManagedInstanceCore is written
  into each account as a customer policy with the document ssmreach bundles (loading moto's
  1,485 managed policies costs time in every account); the analysis reads the document.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import boto3
import boto3.session

from collect.moto_estate import ACCOUNT, REGION, TRUST_EC2
from collect.org_estate import ROLE_NAME, Org, account_of, build_org, role_arn
from ssmreach.plan.policies import plan_buckets, s3_statement

AGENT_VERSION = "3.3.1142.0"
SERVICES = ("ssm", "ssmmessages", "ec2messages")
SHARED_SUBNETS = ("shared-a", "shared-b", "shared-c")
CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
CORE_DOCUMENT = json.loads(
    resources.files("ssmreach").joinpath("data", "aws_managed_policies.json").read_text("utf-8")
)["policies"][CORE]
AWS_OWNED_BUCKET_EXEMPTION = s3_statement(plan_buckets(REGION, ("agent-update", "patch-manager")))
"""The statement a plan adds for the AWS-owned buckets (AWS's data-perimeter exemption)."""


def org_only(org_id: str) -> dict[str, Any]:
    """An interface endpoint policy: principals of the organization only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganizationPrincipalsOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
            }
        ],
    }


def s3_perimeter(org_id: str, *, exempt: bool) -> dict[str, Any]:
    """An S3 endpoint policy: principals and buckets of the organization only, with or
    without the statement for the AWS-owned buckets of AWS's data-perimeter examples."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OrganizationPrincipalsAndBuckets",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:PrincipalOrgID": org_id, "aws:ResourceOrgID": org_id}
            },
        }
    ]
    if exempt:
        statements.append(AWS_OWNED_BUCKET_EXEMPTION)
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class OrgEstate:
    org: Org
    network: str
    workload_a: str
    workload_b: str
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def accounts(self) -> list[str]:
        return self.org.active


class _Http:
    status_code = 200
    headers: dict[str, str] = {}  # noqa: RUF012
    content = b""


def _session(account: str) -> boto3.session.Session:
    """A session in `account` with the credentials moto's STS gives for its role."""
    if account == ACCOUNT:
        return boto3.session.Session(region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    c = sts.assume_role(RoleArn=role_arn(account), RoleSessionName="builder")["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
        region_name=REGION,
    )


def _ec2_backend(account: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][REGION]


def _share_subnets(owner: str, vpc: str, subnets: list[str], participants: list[str]) -> None:
    """What a RAM share of `subnets` gives the participants in EC2 (moto gives nothing)."""
    source = _ec2_backend(owner)
    for participant in participants:
        target = _ec2_backend(participant)
        target.vpcs[vpc] = source.vpcs[vpc]
        for subnet_id in subnets:
            subnet = source.get_subnet(subnet_id)
            target.subnets[subnet.availability_zone][subnet_id] = subnet


def _endpoint_addresses_inside_subnets(account: str) -> None:
    """moto gives endpoint interfaces random 10.x addresses; AWS takes them from the subnet."""
    backend = _ec2_backend(account)
    used: dict[str, int] = {}
    for endpoint in backend.vpc_end_points.values():
        for eni_id in getattr(endpoint, "network_interface_ids", None) or []:
            eni = backend.enis[eni_id]
            cidr = eni.subnet.cidr_block
            used[cidr] = used.get(cidr, 200) + 1
            address = str(ipaddress.ip_network(cidr).network_address + used[cidr])
            eni.private_ip_address = address
            eni.private_ip_addresses = [{"PrivateIpAddress": address, "Primary": True}]


def _profile(session: boto3.session.Session) -> str:
    iam = session.client("iam")
    iam.create_role(RoleName="ssm-core", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    arn = iam.create_policy(
        PolicyName="AmazonSSMManagedInstanceCore", PolicyDocument=json.dumps(CORE_DOCUMENT)
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="ssm-core", PolicyArn=arn)
    iam.create_instance_profile(InstanceProfileName="ssm-core")
    iam.add_role_to_instance_profile(InstanceProfileName="ssm-core", RoleName="ssm-core")
    return "ssm-core"


def _instance(ec2: Any, subnet: str, group: str, name: str) -> str:
    return str(
        ec2.run_instances(
            ImageId="ami-760aaa0f",
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            SubnetId=subnet,
            SecurityGroupIds=[group],
            IamInstanceProfile={"Name": "ssm-core"},
            MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
            ],
        )["Instances"][0]["InstanceId"]
    )


def _vpc(ec2: Any, cidr: str) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    return vpc, table


def _subnet(ec2: Any, vpc: str, table: str, cidr: str, az: str) -> str:
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{az}")[
        "Subnet"
    ]["SubnetId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    return str(subnet)


def _app_group(ec2: Any, vpc: str) -> str:
    return str(ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"])


def _s3_gateway(ec2: Any, vpc: str, table: str, policy: dict[str, Any]) -> str:
    return str(
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{REGION}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=[table],
            PolicyDocument=json.dumps(policy),
        )["VpcEndpoint"]["VpcEndpointId"]
    )


def build_org_estate() -> OrgEstate:
    """The organization above, built in moto (call inside `mock_aws`)."""
    org = build_org()
    network, workload_a, workload_b = org.members
    e = OrgEstate(org, network, workload_a, workload_b)
    ids = e.ids
    net = _session(network)
    ec2 = net.client("ec2")

    ids["shared"], ids["shared-rtb"] = _vpc(ec2, "10.0.0.0/16")
    ids["shared-a"] = _subnet(ec2, ids["shared"], ids["shared-rtb"], "10.0.1.0/24", "a")
    ids["shared-b"] = _subnet(ec2, ids["shared"], ids["shared-rtb"], "10.0.2.0/24", "b")
    ids["shared-c"] = _subnet(ec2, ids["shared"], ids["shared-rtb"], "10.0.3.0/24", "c")
    # The owner's network ACL of the third shared subnet lets requests out but no reply in.
    ids["shared-c-acl"] = ec2.create_network_acl(VpcId=ids["shared"])["NetworkAcl"]["NetworkAclId"]
    acl = ids["shared-c-acl"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True,
        CidrBlock="0.0.0.0/0",
    )  # fmt: skip
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="10.0.0.0/8", PortRange={"From": 443, "To": 443},
    )  # fmt: skip
    association = next(
        a["NetworkAclAssociationId"]
        for acl in ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [ids["shared-c"]]}]
        )["NetworkAcls"]
        for a in acl["Associations"]
        if a["SubnetId"] == ids["shared-c"]
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=ids["shared-c-acl"])
    ids["hub"], ids["hub-rtb"] = _vpc(ec2, "10.10.0.0/16")
    hub_subnets = [
        _subnet(ec2, ids["hub"], ids["hub-rtb"], "10.10.1.0/24", "a"),
        _subnet(ec2, ids["hub"], ids["hub-rtb"], "10.10.2.0/24", "b"),
    ]
    endpoint_sg = ec2.create_security_group(
        GroupName="ssm-endpoints", Description="ssm endpoints", VpcId=ids["hub"]
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=endpoint_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            }
        ],
    )
    for service in SERVICES:
        ids[f"vpce-{service}"] = ec2.create_vpc_endpoint(
            VpcId=ids["hub"],
            ServiceName=f"com.amazonaws.{REGION}.{service}",
            VpcEndpointType="Interface",
            SubnetIds=hub_subnets,
            SecurityGroupIds=[endpoint_sg],
            PrivateDnsEnabled=False,
            PolicyDocument=json.dumps(org_only(org.id)),
        )["VpcEndpoint"]["VpcEndpointId"]
    ids["shared-s3"] = _s3_gateway(
        ec2, ids["shared"], ids["shared-rtb"], s3_perimeter(org.id, exempt=True)
    )
    pcx = ec2.create_vpc_peering_connection(VpcId=ids["shared"], PeerVpcId=ids["hub"])
    ids["shared-pcx"] = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=ids["shared-pcx"])
    for table, cidr in (("shared-rtb", "10.10.0.0/16"), ("hub-rtb", "10.0.0.0/16")):
        ec2.create_route(
            RouteTableId=ids[table],
            DestinationCidrBlock=cidr,
            VpcPeeringConnectionId=ids["shared-pcx"],
        )

    # The RAM share, and what it does in EC2.
    subnet_arns = [f"arn:aws:ec2:{REGION}:{network}:subnet/{ids[s]}" for s in SHARED_SUBNETS]
    net.client("ram").create_resource_share(
        name="shared-app-subnets",
        resourceArns=subnet_arns,
        principals=[workload_a, workload_b],
        allowExternalPrincipals=False,
    )
    _share_subnets(
        network, ids["shared"], [ids[s] for s in SHARED_SUBNETS], [workload_a, workload_b]
    )

    # Workload A: one instance in the first shared subnet.
    wa = _session(workload_a)
    _profile(wa)
    wa_ec2 = wa.client("ec2")
    ids["a-sg"] = _app_group(wa_ec2, ids["shared"])
    ids["a-shared"] = _instance(wa_ec2, ids["shared-a"], ids["a-sg"], "a-shared")
    # ... and one in the third, behind the owner's ACL, in a group that allows no egress.
    ids["a-locked-sg"] = ec2_group = wa_ec2.create_security_group(
        GroupName="locked", Description="no egress", VpcId=ids["shared"]
    )["GroupId"]
    wa_ec2.revoke_security_group_egress(
        GroupId=ec2_group,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ids["a-locked"] = _instance(wa_ec2, ids["shared-c"], ec2_group, "a-locked")

    # Workload B: one instance in the second shared subnet, and its own spoke.
    wb = _session(workload_b)
    _profile(wb)
    wb_ec2 = wb.client("ec2")
    ids["b-sg"] = _app_group(wb_ec2, ids["shared"])
    ids["b-shared"] = _instance(wb_ec2, ids["shared-b"], ids["b-sg"], "b-shared")
    ids["spoke"], ids["spoke-rtb"] = _vpc(wb_ec2, "10.30.0.0/16")
    ids["spoke-a"] = _subnet(wb_ec2, ids["spoke"], ids["spoke-rtb"], "10.30.1.0/24", "a")
    ids["spoke-sg"] = _app_group(wb_ec2, ids["spoke"])
    ids["b-spoke"] = _instance(wb_ec2, ids["spoke-a"], ids["spoke-sg"], "b-spoke")
    ids["spoke-s3"] = _s3_gateway(
        wb_ec2, ids["spoke"], ids["spoke-rtb"], s3_perimeter(org.id, exempt=False)
    )
    pcx = wb_ec2.create_vpc_peering_connection(
        VpcId=ids["spoke"], PeerVpcId=ids["hub"], PeerOwnerId=network
    )
    ids["spoke-pcx"] = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=ids["spoke-pcx"])
    wb_ec2.create_route(
        RouteTableId=ids["spoke-rtb"],
        DestinationCidrBlock="10.10.0.0/16",
        VpcPeeringConnectionId=ids["spoke-pcx"],
    )
    ec2.create_route(
        RouteTableId=ids["hub-rtb"],
        DestinationCidrBlock="10.30.0.0/16",
        VpcPeeringConnectionId=ids["spoke-pcx"],
    )

    # The hub's zones: one per service name, aliased to its endpoint.
    r53 = net.client("route53")
    endpoints = {ep["VpcEndpointId"]: ep for ep in ec2.describe_vpc_endpoints()["VpcEndpoints"]}
    for service in SERVICES:
        name = f"{service}.{REGION}.amazonaws.com"
        zone = r53.create_hosted_zone(
            Name=name,
            CallerReference=f"hub-{service}",
            HostedZoneConfig={"PrivateZone": True, "Comment": f"hub {service}"},
            VPC={"VPCRegion": REGION, "VPCId": ids["hub"]},
        )["HostedZone"]["Id"]
        ids[f"zone-{service}"] = zone.rsplit("/", 1)[-1]
        entry = endpoints[ids[f"vpce-{service}"]]["DnsEntries"][0]
        r53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": name,
                            "Type": "A",
                            "AliasTarget": {
                                "HostedZoneId": entry["HostedZoneId"],
                                "DNSName": entry["DnsName"],
                                "EvaluateTargetHealth": False,
                            },
                        },
                    }
                ]
            },
        )
        spokes = [ids["shared"]] + ([ids["spoke"]] if service != "ssmmessages" else [])
        for vpc in spokes:
            r53.associate_vpc_with_hosted_zone(
                HostedZoneId=zone, VPC={"VPCRegion": REGION, "VPCId": vpc}
            )
    for account in (network, workload_b):
        _endpoint_addresses_inside_subnets(account)
    return e


def _managed_nodes(account: str) -> dict[str, Any]:
    nodes = []
    for reservation in _ec2_backend(account).reservations.values():
        for inst in reservation.instances:
            if inst.instance_state.name != "running" or not inst.iam_instance_profile:
                continue
            nodes.append(
                {
                    "InstanceId": inst.id,
                    "PingStatus": "Online",
                    "AgentVersion": AGENT_VERSION,
                    "IsLatestVersion": True,
                    "PlatformType": "Linux",
                    "PlatformName": "Amazon Linux",
                    "PlatformVersion": "2023",
                    "ResourceType": "EC2Instance",
                    "IPAddress": inst.private_ip,
                }
            )
    return {"InstanceInformationList": nodes}


def _answer(body: dict[str, Any] | Callable[[], dict[str, Any]]) -> Callable[..., Any]:
    def handler(**_: Any) -> tuple[_Http, dict[str, Any]]:
        return _Http(), (body() if callable(body) else json.loads(json.dumps(body)))

    return handler


def moto_as_aws(sent: list[tuple[str, str, str]] | None = None) -> Callable[..., Any]:
    """A `boto3.Session` factory for the CLI: each session answers moto's missing SSM and
    Direct Connect reads for its own account, and (when given) records its calls."""

    def factory(**kwargs: Any) -> boto3.session.Session:
        session = boto3.session.Session(**kwargs)
        account = account_of(kwargs) if "aws_access_key_id" in kwargs else ACCOUNT
        events: Any = session.events
        events.register(
            "before-call.ssm.DescribeInstanceInformation",
            _answer(lambda: _managed_nodes(account)),
        )
        events.register(
            "before-call.ssm.GetServiceSetting",
            _answer(
                {
                    "ServiceSetting": {
                        "SettingId": "/ssm/managed-instance/default-ec2-instance-management-role",
                        "SettingValue": "$None",
                        "Status": "Default",
                    }
                }
            ),
        )
        events.register("before-call.ssm.ListAssociations", _answer({"Associations": []}))
        events.register("before-call.ssm.DescribeActivations", _answer({"ActivationList": []}))
        events.register(
            "before-call.directconnect.DescribeDirectConnectGateways",
            _answer({"directConnectGateways": []}),
        )
        if sent is not None:

            def record(model: Any, **_: Any) -> None:
                sent.append((account, model.service_model.service_name, model.name))

            events.register("before-call", record)
        return session

    return factory


__all__ = ["ROLE_NAME", "OrgEstate", "build_org_estate", "moto_as_aws"]
