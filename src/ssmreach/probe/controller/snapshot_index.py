"""What a snapshot tells the probe: which endpoint and ENI own an address, and S3 gateways.

Built from a parsed `Estate` outside the standard-library-only probe core, and
handed to it as plain dictionaries (`ProbeConfig.known_addresses`, `s3_gateways`).
"""

from __future__ import annotations

from ssmreach.model.estate import Estate


def short_service(service_name: str) -> str:
    """`com.amazonaws.us-east-1.ssm` → `ssm`."""
    return service_name.rsplit(".", 1)[-1]


def address_owners(estate: Estate) -> dict[str, dict[str, str]]:
    """Private address of every interface endpoint ENI → endpoint, ENI, service, VPC."""
    owners: dict[str, dict[str, str]] = {}
    for region in estate.regions.values():
        for endpoint in region.endpoints.values():
            if not endpoint.is_interface:
                continue
            for eni_id in endpoint.network_interface_ids:
                eni = region.network_interfaces.get(eni_id)
                if eni is None:
                    continue
                addresses = {eni.private_ip_address} | {
                    a.private_ip_address for a in eni.private_ip_addresses
                }
                for address in sorted(a for a in addresses if a):
                    owners[address] = {
                        "endpoint": endpoint.vpc_endpoint_id,
                        "eni": eni_id,
                        "service": short_service(endpoint.service_name),
                        "vpc": endpoint.vpc_id,
                    }
    return owners


def s3_gateways(estate: Estate) -> dict[str, str]:
    """Subnet id → the S3 gateway endpoint its route table sends the S3 prefix list to."""
    out: dict[str, str] = {}
    for region in estate.regions.values():
        for subnet_id, subnet in region.subnets.items():
            table_id = region.subnet_route_table.get(subnet_id) or region.main_route_table.get(
                subnet.vpc_id or ""
            )
            table = region.route_tables.get(table_id or "")
            if table is None:
                continue
            for route in table.routes:
                target = route.gateway_id or ""
                endpoint = region.endpoints.get(target)
                if (
                    endpoint is not None
                    and endpoint.is_gateway
                    and short_service(endpoint.service_name) == "s3"
                    and route.state == "active"
                ):
                    out[subnet_id] = endpoint.vpc_endpoint_id
                    break
    return out
