"""Names of AWS services as a VPC sees them: endpoint service names and hostnames.

Service `X` in Region `R` (partition `aws`) is the endpoint service
`com.amazonaws.R.X` with the hostname `X.R.amazonaws.com`. In other partitions the
names come from `DescribeVpcEndpointServices` and are never built by string. Names
are always compared whole: `com.amazonaws.R.ec2` is not `com.amazonaws.R.ec2messages`.
"""

from __future__ import annotations

from ssmreach.model.estate import RegionData


def endpoint_service_name(region: str, service: str) -> str:
    return f"com.amazonaws.{region}.{service}"


def service_host(data: RegionData, service: str, partition: str) -> str | None:
    """The DNS name the agent calls for `service`, or None when the snapshot cannot say."""
    detail = data.endpoint_services.get(endpoint_service_name(data.region, service))
    if detail is not None and detail.private_dns_name and service != "s3":
        return detail.private_dns_name.lower()
    if partition == "aws":
        return f"{service}.{data.region}.amazonaws.com"
    return None


def service_offered(data: RegionData, service: str) -> bool | None:
    """Whether the Region offers an endpoint service (None: the snapshot does not say)."""
    if data.gap("DescribeVpcEndpointServices") is not None or not data.endpoint_service_names:
        return None
    return endpoint_service_name(data.region, service) in data.endpoint_service_names


def endpoint_private_names(
    data: RegionData, service_name: str, dns_entries: tuple[str, ...]
) -> tuple[str, ...]:
    """The names whose private zone an interface endpoint with private DNS provides."""
    detail = data.endpoint_services.get(service_name)
    names: list[str] = []
    if detail is not None and detail.private_dns_name:
        names.append(detail.private_dns_name.lower().rstrip("."))
    for entry in dns_entries:
        entry = entry.lower().rstrip(".")
        # Endpoint-specific names (regional and zonal) all live under `.vpce.amazonaws.com`.
        if entry and ".vpce." not in entry and entry not in names:
            names.append(entry)
    if not names:
        prefix = "com.amazonaws."
        if service_name.startswith(prefix):
            region_service = service_name[len(prefix) :]
            region, _, service = region_service.partition(".")
            if service:
                names.append(f"{service}.{region}.amazonaws.com")
    return tuple(names)
