"""Small typed network ACLs for the analysis unit tests."""

from __future__ import annotations

from ssmreach.model import aws


def entry(
    number: int, action: str, *, egress: bool, ports: tuple[int, int] | None = None
) -> aws.NetworkAclEntry:
    return aws.NetworkAclEntry(
        rule_number=number,
        protocol="6" if ports else "-1",
        rule_action=action,
        egress=egress,
        cidr_block="0.0.0.0/0",
        port_range=aws.PortRange(from_=ports[0], to=ports[1]) if ports else None,
    )


def acl(acl_id: str, *entries: aws.NetworkAclEntry) -> aws.NetworkAcl:
    """An ACL of `entries` and the catch-all deny (`*`, rule 32767) in both directions."""
    star = (entry(32767, "deny", egress=False), entry(32767, "deny", egress=True))
    return aws.NetworkAcl(network_acl_id=acl_id, vpc_id="vpc-1", entries=(*entries, *star))


OPEN = acl("acl-open", entry(100, "allow", egress=False), entry(100, "allow", egress=True))
CLOSED = acl("acl-closed")
