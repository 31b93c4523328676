"""The demo's sample estate, built with ordinary boto3 calls against the embedded AWS.

Five VPCs and ten instances, with six different causes of failure next to healthy
instances and a working hub-and-spoke pair:

| VPC | what is wrong | instances |
|---|---|---|
| prod | endpoints created without a security group (the VPC default group trap); an S3 gateway endpoint whose policy admits only the company bucket | prod-web-1, prod-web-2 (BLOCKED), prod-ops (in the default group) |
| batch | the ssm endpoint has private DNS off and there is no ssmmessages endpoint; a NAT gateway carries it all over the internet | batch-worker-1 (INTERNET), batch-legacy (no instance profile) |
| data | healthy endpoints, but the app subnet's network ACL has no rule for return traffic | data-etl (BLOCKED), data-api (PRIVATE, other subnet) |
| hub + spoke | endpoints in the hub with private DNS off, private hosted zones associated with the spoke, peering both ways | spoke-app-1, spoke-app-2 (PRIVATE) |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

REGION = "us-east-1"
CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
AMI = "ami-0123456789abcdef0"


@dataclass
class DemoEstate:
    """Ids of what was built, by the names the demo prints."""

    vpcs: dict[str, str] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)


def _tags(name: str, kind: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


class _Builder:
    def __init__(self, ec2: Any, iam: Any, route53: Any) -> None:
        self.ec2 = ec2
        self.iam = iam
        self.route53 = route53
        self.estate = DemoEstate()

    def vpc(self, name: str, cidr: str) -> str:
        vpc_id: str = self.ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_tags(name, "vpc"))[
            "Vpc"
        ]["VpcId"]
        self.ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        self.estate.vpcs[name] = vpc_id
        return vpc_id

    def subnet(self, vpc_id: str, cidr: str, az: str, name: str) -> str:
        subnet_id: str = self.ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=f"{REGION}{az}",
            TagSpecifications=_tags(name, "subnet"),
        )["Subnet"]["SubnetId"]
        return subnet_id

    def route_table(self, vpc_id: str, subnets: list[str]) -> str:
        rtb: str = self.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        for subnet in subnets:
            self.ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
        return rtb

    def group(self, vpc_id: str, name: str, ingress_cidr: str | None = None) -> str:
        gid: str = self.ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)[
            "GroupId"
        ]
        if ingress_cidr:
            self.ec2.authorize_security_group_ingress(
                GroupId=gid,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "IpRanges": [{"CidrIp": ingress_cidr}],
                    }
                ],
            )
        return gid

    def default_group(self, vpc_id: str) -> str:
        groups = self.ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"]
        return str(groups[0]["GroupId"])

    def endpoint(
        self,
        vpc_id: str,
        service: str,
        subnets: list[str],
        groups: list[str] | None,
        *,
        private_dns: bool = True,
    ) -> str:
        args: dict[str, Any] = {
            "VpcId": vpc_id,
            "ServiceName": f"com.amazonaws.{REGION}.{service}",
            "VpcEndpointType": "Interface",
            "SubnetIds": subnets,
            "PrivateDnsEnabled": private_dns,
        }
        if groups:
            args["SecurityGroupIds"] = groups
        return str(self.ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"])

    def s3_gateway(
        self, vpc_id: str, tables: list[str], policy: dict[str, Any] | None = None
    ) -> str:
        args: dict[str, Any] = {
            "VpcId": vpc_id,
            "ServiceName": f"com.amazonaws.{REGION}.s3",
            "VpcEndpointType": "Gateway",
            "RouteTableIds": tables,
        }
        if policy:
            args["PolicyDocument"] = json.dumps(policy)
        return str(self.ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"])

    def nat_to_internet(self, vpc_id: str, public_cidr: str, private_table: str) -> None:
        public = self.subnet(vpc_id, public_cidr, "a", "public")
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        public_table = self.route_table(vpc_id, [public])
        self.ec2.create_route(
            RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw
        )
        eip = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"][
            "NatGatewayId"
        ]
        self.ec2.create_route(
            RouteTableId=private_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat
        )

    def role(self, name: str) -> str:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        self.iam.attach_role_policy(RoleName=name, PolicyArn=CORE_POLICY)
        self.iam.create_instance_profile(InstanceProfileName=name)
        self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return name

    def instance(self, name: str, subnet: str, groups: list[str], profile: str | None) -> str:
        args: dict[str, Any] = {
            "ImageId": AMI,
            "InstanceType": "t3.micro",
            "MinCount": 1,
            "MaxCount": 1,
            "SubnetId": subnet,
            "SecurityGroupIds": groups,
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
            "TagSpecifications": _tags(name, "instance"),
        }
        if profile:
            args["IamInstanceProfile"] = {"Name": profile}
        iid = str(self.ec2.run_instances(**args)["Instances"][0]["InstanceId"])
        self.estate.instances[name] = iid
        return iid

    def private_zone(self, name: str, spoke: str, endpoint_dns: str) -> None:
        zone = self.route53.create_hosted_zone(
            Name=name,
            CallerReference=name,
            VPC={"VPCRegion": REGION, "VPCId": spoke},
            HostedZoneConfig={"PrivateZone": True, "Comment": "ssm endpoint in the hub"},
        )["HostedZone"]["Id"]
        self.route53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": name,
                            "Type": "A",
                            "AliasTarget": {
                                "HostedZoneId": "Z7HUB22UULQXV",
                                "DNSName": endpoint_dns,
                                "EvaluateTargetHealth": False,
                            },
                        },
                    }
                ]
            },
        )

    def acl_without_return_ports(self, vpc_id: str, subnet: str) -> None:
        """A network ACL for `subnet` that lets everything out but only SSH from 10/8 in."""
        acl = self.ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
        self.ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="-1",
            RuleAction="allow",
            Egress=True,
            CidrBlock="0.0.0.0/0",
        )
        self.ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="6",
            RuleAction="allow",
            Egress=False,
            CidrBlock="10.0.0.0/8",
            PortRange={"From": 22, "To": 22},
        )
        assoc = next(
            a["NetworkAclAssociationId"]
            for n in self.ec2.describe_network_acls(
                Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
            )["NetworkAcls"]
            for a in n["Associations"]
            if a["SubnetId"] == subnet
        )
        self.ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)

    def peering(self, vpc_id: str, peer_vpc_id: str) -> str:
        """An accepted peering connection from `vpc_id` to `peer_vpc_id`."""
        pcx: str = self.ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=peer_vpc_id)[
            "VpcPeeringConnection"
        ]["VpcPeeringConnectionId"]
        self.ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        return pcx


def build_estate(ec2: Any, iam: Any, route53: Any) -> DemoEstate:
    """Create the sample estate; returns the ids by name."""
    b = _Builder(ec2, iam, route53)
    core = b.role("ssm-core")
    _prod(b, core)
    _batch(b, core)
    _data(b, core)
    _hub_and_spoke(b, core)
    return b.estate


def _prod(b: _Builder, core: str) -> None:
    """prod: the default security group trap, and an S3 endpoint policy for one bucket only."""
    prod = b.vpc("prod", "10.10.0.0/16")
    prod_app = b.subnet(prod, "10.10.1.0/24", "a", "prod-app-a")
    prod_ep = b.subnet(prod, "10.10.11.0/24", "a", "prod-endpoints-a")
    prod_rtb = b.route_table(prod, [prod_app, prod_ep])
    for service in ("ssm", "ssmmessages", "ec2messages"):
        b.endpoint(prod, service, [prod_ep], None)
    b.s3_gateway(
        prod,
        [prod_rtb],
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::corp-artifacts", "arn:aws:s3:::corp-artifacts/*"],
                }
            ],
        },
    )
    web = b.group(prod, "prod-web")
    b.instance("prod-web-1", prod_app, [web], core)
    b.instance("prod-web-2", prod_app, [web], core)
    b.instance("prod-ops", prod_app, [b.default_group(prod)], core)


def _batch(b: _Builder, core: str) -> None:
    """batch: private DNS off on the ssm endpoint, no ssmmessages endpoint, a NAT gateway."""
    batch = b.vpc("batch", "10.20.0.0/16")
    batch_app = b.subnet(batch, "10.20.1.0/24", "a", "batch-app-a")
    batch_rtb = b.route_table(batch, [batch_app])
    batch_ep_sg = b.group(batch, "batch-endpoints", "10.20.0.0/16")
    b.endpoint(batch, "ssm", [batch_app], [batch_ep_sg], private_dns=False)
    b.nat_to_internet(batch, "10.20.100.0/24", batch_rtb)
    worker = b.group(batch, "batch-worker")
    b.instance("batch-worker-1", batch_app, [worker], core)
    b.instance("batch-legacy", batch_app, [worker], None)


def _data(b: _Builder, core: str) -> None:
    """data: healthy endpoints, but the ETL subnet's network ACL forgets the return ports."""
    data = b.vpc("data", "10.30.0.0/16")
    etl = b.subnet(data, "10.30.1.0/24", "a", "data-etl-a")
    api = b.subnet(data, "10.30.2.0/24", "a", "data-api-a")
    data_ep = b.subnet(data, "10.30.11.0/24", "a", "data-endpoints-a")
    data_rtb = b.route_table(data, [etl, api, data_ep])
    data_ep_sg = b.group(data, "data-endpoints", "10.30.0.0/16")
    for service in ("ssm", "ssmmessages", "ec2messages"):
        b.endpoint(data, service, [data_ep], [data_ep_sg])
    b.s3_gateway(data, [data_rtb])
    b.acl_without_return_ports(data, etl)
    app = b.group(data, "data-app")
    b.instance("data-etl", etl, [app], core)
    b.instance("data-api", api, [app], core)


def _hub_and_spoke(b: _Builder, core: str) -> None:
    """hub and spoke: the hub holds the endpoints, the spoke resolves them through private
    zones."""
    hub = b.vpc("hub", "10.40.0.0/16")
    hub_ep = b.subnet(hub, "10.40.11.0/24", "a", "hub-endpoints-a")
    hub_rtb = b.route_table(hub, [hub_ep])
    hub_sg = b.group(hub, "hub-endpoints", "10.0.0.0/8")
    spoke = b.vpc("spoke", "10.50.0.0/16")
    spoke_app = b.subnet(spoke, "10.50.1.0/24", "a", "spoke-app-a")
    spoke_rtb = b.route_table(spoke, [spoke_app])
    pcx = b.peering(spoke, hub)
    b.ec2.create_route(
        RouteTableId=spoke_rtb, DestinationCidrBlock="10.40.0.0/16", VpcPeeringConnectionId=pcx
    )
    b.ec2.create_route(
        RouteTableId=hub_rtb, DestinationCidrBlock="10.50.0.0/16", VpcPeeringConnectionId=pcx
    )
    for service in ("ssm", "ssmmessages", "ec2messages"):
        eid = b.endpoint(hub, service, [hub_ep], [hub_sg], private_dns=False)
        b.private_zone(
            f"{service}.{REGION}.amazonaws.com",
            spoke,
            f"{eid}-demo.{service}.{REGION}.vpce.amazonaws.com",
        )
    b.s3_gateway(spoke, [spoke_rtb])
    spoke_sg = b.group(spoke, "spoke-app")
    b.instance("spoke-app-1", spoke_app, [spoke_sg], core)
    b.instance("spoke-app-2", spoke_app, [spoke_sg], core)
