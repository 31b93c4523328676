"""A small estate built through boto3 against moto (in-process or server), for collector tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import boto3

if TYPE_CHECKING:  # boto3-stubs: types only
    from mypy_boto3_route53.literals import VPCRegionType

REGION: Final = "us-east-2"
ACCOUNT = "123456789012"  # moto's default account

TRUST_EC2 = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
SESSION_BUCKET = "ssm-session-logs"  # in eu-west-1, another Region than the estate's
CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


@dataclass
class Estate:
    vpc: str
    subnets: list[str]
    endpoint_sg: str
    nacl: str
    endpoints: list[str]
    instances: list[str] = field(default_factory=list)
    private_zone: str = ""
    public_zone: str = ""
    resolver_rule: str = ""
    tgw_route_table: str = ""
    prefix_list: str = ""
    local_policy: str = ""
    session_key: str = ""  # the ARN of the KMS key the Session Manager preferences name


def build_estate(
    *,
    region: VPCRegionType = REGION,
    endpoint_url: str | None = None,
    managed_policies: bool = False,
    tgw: bool = True,
    session_key: bool = False,
) -> Estate:
    """One VPC with two subnets, a custom NACL, SSM interface endpoints, an S3 gateway
    endpoint, two instances with an instance profile, a private and a public hosted
    zone, a Resolver FORWARD rule for amazonaws.com, a TGW route table and a prefix list.
    `session_key` saves Session Manager preferences that encrypt with a KMS key named by
    alias, with a grant to the instance role. `managed_policies` attaches AmazonSSMManagedInstanceCore (moto must load them)."""
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint_url)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    sg = ec2.create_security_group(GroupName="endpoints", Description="ssm endpoints", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
            }
        ],
    )
    nacl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=nacl,
        RuleNumber=100,
        Protocol="-1",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
    )
    endpoints = [
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{region}.{svc}",
            VpcEndpointType="Interface",
            SubnetIds=subnets,
            SecurityGroupIds=[sg],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]["VpcEndpointId"]
        for svc in ("ssm", "ssmmessages", "ec2messages")
    ]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnets[0])
    endpoints.append(
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{region}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=[rtb],
        )["VpcEndpoint"]["VpcEndpointId"]
    )
    estate = Estate(vpc=vpc, subnets=subnets, endpoint_sg=sg, nacl=nacl, endpoints=endpoints)

    iam = boto3.client("iam", region_name=region, endpoint_url=endpoint_url)
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    local = iam.create_policy(
        PolicyName="app-extra",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=local,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
        SetAsDefault=True,
    )
    iam.create_policy(
        PolicyName="unused",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    iam.attach_role_policy(RoleName="app", PolicyArn=local)
    if managed_policies:
        iam.attach_role_policy(RoleName="app", PolicyArn=CORE_POLICY)
    iam.put_role_policy(
        RoleName="app",
        PolicyName="inline",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}],
            }
        ),
    )
    iam.create_instance_profile(InstanceProfileName="app")
    iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    estate.local_policy = local
    reservation = ec2.run_instances(
        ImageId="ami-12345678",
        MinCount=2,
        MaxCount=2,
        InstanceType="t3.micro",
        SubnetId=subnets[0],
        IamInstanceProfile={"Name": "app"},
    )
    estate.instances = [i["InstanceId"] for i in reservation["Instances"]]

    r53 = boto3.client("route53", region_name=region, endpoint_url=endpoint_url)
    estate.private_zone = r53.create_hosted_zone(
        Name="corp.internal",
        CallerReference="private",
        HostedZoneConfig={"PrivateZone": True, "Comment": "private"},
        VPC={"VPCRegion": region, "VPCId": vpc},
    )["HostedZone"]["Id"]
    estate.public_zone = r53.create_hosted_zone(Name="example.com", CallerReference="public")[
        "HostedZone"
    ]["Id"]

    resolver = boto3.client("route53resolver", region_name=region, endpoint_url=endpoint_url)
    outbound = resolver.create_resolver_endpoint(
        CreatorRequestId="out",
        SecurityGroupIds=[sg],
        Direction="OUTBOUND",
        IpAddresses=[{"SubnetId": s} for s in subnets],
    )["ResolverEndpoint"]["Id"]
    estate.resolver_rule = resolver.create_resolver_rule(
        CreatorRequestId="fwd",
        RuleType="FORWARD",
        DomainName="amazonaws.com",
        TargetIps=[{"Ip": "192.168.0.2", "Port": 53}],
        ResolverEndpointId=outbound,
    )["ResolverRule"]["Id"]
    resolver.associate_resolver_rule(ResolverRuleId=estate.resolver_rule, VPCId=vpc)

    if tgw:
        tgw_id = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
        estate.tgw_route_table = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw_id)[
            "TransitGatewayRouteTable"
        ]["TransitGatewayRouteTableId"]
    estate.prefix_list = ec2.create_managed_prefix_list(
        PrefixListName="corp",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": "192.168.0.0/16"}],
    )["PrefixList"]["PrefixListId"]
    if session_key:
        kms = boto3.client("kms", region_name=region, endpoint_url=endpoint_url)
        key = kms.create_key(Description="session encryption")["KeyMetadata"]
        kms.create_alias(AliasName="alias/sessions", TargetKeyId=key["KeyId"])
        kms.create_grant(
            KeyId=key["KeyId"],
            GranteePrincipal=f"arn:aws:iam::{ACCOUNT}:role/app",
            Operations=["Decrypt"],
        )
        estate.session_key = key["Arn"]
        boto3.client("s3", region_name="eu-west-1", endpoint_url=endpoint_url).create_bucket(
            Bucket=SESSION_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        boto3.client("ssm", region_name=region, endpoint_url=endpoint_url).create_document(
            Name="SSM-SessionManagerRunShell",
            DocumentType="Session",
            DocumentFormat="JSON",
            Content=json.dumps(
                {
                    "schemaVersion": "1.0",
                    "sessionType": "Standard_Stream",
                    "inputs": {"kmsKeyId": "alias/sessions", "s3BucketName": SESSION_BUCKET},
                }
            ),
        )
    return estate


def add_instances(count: int, *, per_reservation: int = 1, endpoint_url: str | None = None) -> None:
    """`count` more reservations of `per_reservation` instances each (moto pages by reservation)."""
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint_url)
    for _ in range(count):
        ec2.run_instances(
            ImageId="ami-12345678", MinCount=per_reservation, MaxCount=per_reservation
        )
