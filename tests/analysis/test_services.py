"""Unit tests of `analysis.services`: endpoint service names, the hostnames the agent calls,
whether a Region offers a service, and the names an endpoint's private DNS answers."""

from __future__ import annotations

from ssmreach.analysis.services import (
    endpoint_private_names,
    endpoint_service_name,
    service_host,
    service_offered,
)
from ssmreach.model import aws
from ssmreach.model.estate import Gap, RegionData

ACCOUNT = "111122223333"


def region(
    details: tuple[aws.ServiceDetail, ...] = (),
    names: frozenset[str] = frozenset(),
    name: str = "us-east-1",
    gaps: dict[str, Gap] | None = None,
) -> RegionData:
    return RegionData(
        account=ACCOUNT,
        region=name,
        endpoint_services={d.service_name: d for d in details},
        endpoint_service_names=names,
        gaps=gaps or {},
    )


def test_the_endpoint_service_name_of_a_service() -> None:
    assert (
        endpoint_service_name("eu-west-1", "ssmmessages") == "com.amazonaws.eu-west-1.ssmmessages"
    )


def test_the_host_is_the_private_dns_name_aws_lists_for_the_service() -> None:
    detail = aws.ServiceDetail(
        service_name="com.amazonaws.us-east-1.ssm", private_dns_name="SSM.us-east-1.amazonaws.com"
    )
    assert service_host(region((detail,)), "ssm", "aws") == "ssm.us-east-1.amazonaws.com"


def test_s3_is_called_by_its_regional_name_not_its_wildcard_private_dns_name() -> None:
    """S3's endpoint service lists `*.s3.<region>.amazonaws.com`, which is no host to call."""
    detail = aws.ServiceDetail(
        service_name="com.amazonaws.us-east-1.s3", private_dns_name="*.s3.us-east-1.amazonaws.com"
    )
    assert service_host(region((detail,)), "s3", "aws") == "s3.us-east-1.amazonaws.com"


def test_outside_the_aws_partition_a_host_is_never_built_by_string() -> None:
    data = region(name="cn-north-1")
    assert service_host(data, "ssm", "aws-cn") is None
    assert service_host(data, "ssm", "aws") == "ssm.cn-north-1.amazonaws.com"


def test_service_offered_compares_whole_names() -> None:
    """`com.amazonaws.R.ec2` is a different service from `com.amazonaws.R.ec2messages`."""
    data = region(names=frozenset({"com.amazonaws.us-east-1.ec2"}))
    assert service_offered(data, "ec2") is True
    assert service_offered(data, "ec2messages") is False


def test_service_offered_is_unknown_without_the_service_list() -> None:
    assert service_offered(region(), "ssm") is None
    gap = Gap(ACCOUNT, "us-east-1", "ec2", "DescribeVpcEndpointServices", "denied")
    denied = region(
        names=frozenset({"com.amazonaws.us-east-1.ssm"}),
        gaps={"DescribeVpcEndpointServices": gap},
    )
    assert service_offered(denied, "ssm") is None


def test_private_names_come_from_the_service_and_the_endpoint_entries() -> None:
    """PrivateLink guide, "Private DNS": the endpoint's regional and zonal names live under
    `vpce.amazonaws.com` and are not the service's private name."""
    detail = aws.ServiceDetail(
        service_name="com.amazonaws.us-east-1.ssm", private_dns_name="ssm.us-east-1.amazonaws.com."
    )
    names = endpoint_private_names(
        region((detail,)),
        "com.amazonaws.us-east-1.ssm",
        (
            "vpce-0abc-1234.ssm.us-east-1.vpce.amazonaws.com",
            "vpce-0abc-1234-us-east-1a.ssm.us-east-1.vpce.amazonaws.com",
            "SSM.us-east-1.amazonaws.com.",
            "",
        ),
    )
    assert names == ("ssm.us-east-1.amazonaws.com",)


def test_private_names_fall_back_to_the_standard_hostname() -> None:
    names = endpoint_private_names(region(), "com.amazonaws.us-east-1.ssmmessages", ())
    assert names == ("ssmmessages.us-east-1.amazonaws.com",)
    assert endpoint_private_names(region(), "com.example.custom", ()) == ()
