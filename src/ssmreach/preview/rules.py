"""Terraform's rule blocks as the EC2 API returns them: security-group permissions and
network ACL entries.

Terraform writes protocols as names or numbers (`tcp`, `6`, `-1`, `all`); the EC2 API
returns security-group protocols as `tcp`/`udp`/`icmp` or a number, `-1` for all (ports
left out), and network ACL protocols as numbers. Source: EC2 API reference,
`IpPermission` and `NetworkAclEntry`; Terraform AWS provider, `aws_security_group`,
`aws_security_group_rule`, `aws_vpc_security_group_ingress_rule`, `aws_network_acl_rule`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_SG_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
_ACL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": "-1"}


def sg_protocol(protocol: Any) -> str:
    p = str(protocol if protocol is not None else "-1").lower()
    return _SG_NAMES.get(p, p)


def acl_protocol(protocol: Any) -> str:
    p = str(protocol if protocol is not None else "-1").lower()
    return _ACL_NUMBERS.get(p, p)


def permission(
    protocol: Any,
    from_port: Any,
    to_port: Any,
    *,
    cidrs: Iterable[str] = (),
    ipv6: Iterable[str] = (),
    prefix_lists: Iterable[str] = (),
    groups: Iterable[str] = (),
) -> dict[str, Any]:
    """One `IpPermission`."""
    proto = sg_protocol(protocol)
    perm: dict[str, Any] = {"IpProtocol": proto}
    if proto != "-1" and from_port is not None:
        perm["FromPort"] = int(from_port)
        perm["ToPort"] = int(to_port if to_port is not None else from_port)
    perm["IpRanges"] = [{"CidrIp": c} for c in cidrs]
    perm["Ipv6Ranges"] = [{"CidrIpv6": c} for c in ipv6]
    perm["PrefixListIds"] = [{"PrefixListId": p} for p in prefix_lists]
    perm["UserIdGroupPairs"] = [{"GroupId": g} for g in groups]
    return perm


def same_ports(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same protocol (however written: `6` is `tcp`) and ports."""
    return sg_protocol(a.get("IpProtocol")) == sg_protocol(b.get("IpProtocol")) and all(
        a.get(k) == b.get(k) for k in ("FromPort", "ToPort")
    )


def remove_permission(permissions: list[dict[str, Any]], rule: dict[str, Any]) -> None:
    """Revoke one rule: take its ranges, prefix lists and groups out of the entries with the
    same protocol and ports, and drop entries left with nothing."""
    fields = {
        "IpRanges": "CidrIp",
        "Ipv6Ranges": "CidrIpv6",
        "PrefixListIds": "PrefixListId",
        "UserIdGroupPairs": "GroupId",
    }
    for perm in permissions:
        if not same_ports(perm, rule):
            continue
        for field, key in fields.items():
            gone = {item[key] for item in rule.get(field, [])}
            perm[field] = [item for item in perm.get(field, []) if item.get(key) not in gone]
    permissions[:] = [p for p in permissions if any(p.get(f) for f in fields)]


def acl_entry(
    number: Any,
    *,
    egress: bool,
    protocol: Any,
    action: Any,
    cidr: str | None,
    ipv6: str | None = None,
    from_port: Any = None,
    to_port: Any = None,
    icmp_type: Any = None,
    icmp_code: Any = None,
) -> dict[str, Any]:
    """One `NetworkAclEntry`."""
    proto = acl_protocol(protocol)
    entry: dict[str, Any] = {
        "RuleNumber": int(number),
        "Protocol": proto,
        "RuleAction": str(action).lower(),
        "Egress": egress,
    }
    if cidr:
        entry["CidrBlock"] = cidr
    if ipv6:
        entry["Ipv6CidrBlock"] = ipv6
    if proto in ("6", "17") and from_port is not None:
        entry["PortRange"] = {
            "From": int(from_port),
            "To": int(to_port if to_port is not None else from_port),
        }
    if proto in ("1", "58") and icmp_type is not None:
        entry["IcmpTypeCode"] = {"Type": int(icmp_type), "Code": int(icmp_code or 0)}
    return entry


def default_acl_entries(*, allow: bool) -> list[dict[str, Any]]:
    """A new ACL's entries: the catch-all deny (rule `*`, number 32767) in each direction,
    and for a VPC's default ACL the allow-all rule 100 (VPC user guide, "Default network ACL")."""
    entries = []
    for egress in (False, True):
        if allow:
            entries.append(
                acl_entry(100, egress=egress, protocol="-1", action="allow", cidr="0.0.0.0/0")
            )
        entries.append(
            acl_entry(32767, egress=egress, protocol="-1", action="deny", cidr="0.0.0.0/0")
        )
    return entries
