"""Which instances must give the same answers, so that each group is analysed once.

Two instances share every service path, identity and policy decision when they share
Region, VPC, subnet (so Availability Zone and route table), security groups, instance
profile, agent version and ping status, platform class, metadata options and whether
they have a public address, and when no rule, route or policy tells them apart:

- a rule CIDR narrower than their subnet (a security-group, NACL, route or prefix-list
  entry) may cover one address and not the other, so the narrow CIDRs that cover an
  instance's address are part of its key;
- a policy that names an instance id singles that instance out, so such an instance
  is a group of its own; so is an instance in an IPv6-only subnet, whose paths name it
  and read its agent's version (ipv6_path.py).

Security groups count by what they hold, not by their ids, when nothing else names them
(`Grouper.group_key`): a group that no rule references, that no endpoint uses and that no
policy names decides every flow by its rules alone, so two such groups with equal rules
decide alike. Instances whose groups differ only so share their network results, which
are computed with the first such instance's groups and then name the instance's own
(group_alias.py).

Messages of shared results name no instance-specific value ("the instance", "the
instance's ARN"); instance-level reasons are rebound per instance.

Instances whose every fact the check reads is equal (`profile_key`) and that have no
reason of their own (such as an offline agent) share even their feature results, which
then differ only in the instance's id and name.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import msgspec

from ssmreach.analysis.addresses import NestedIndex, Network, network, span
from ssmreach.analysis.group_alias import GROUP_ID_WORD
from ssmreach.analysis.identity import instance_arn
from ssmreach.model import aws
from ssmreach.model.estate import Estate, KmsKey, RegionData
from ssmreach.policy.document import PolicyParseError, parse_policy

_INSTANCE_ID = re.compile(r"\bi-[0-9a-f]{8,17}\b")

# A group's part of a network key: its id when something names it, else what it holds.
GroupKey = Hashable


@dataclass(frozen=True, slots=True)
class PolicyNames:
    """What the estate's policies name, found in one pass over them (`policy_names`)."""

    instances: frozenset[str]  # the instances they tell apart from the others
    groups: frozenset[str]  # the security group ids they name


def policy_names(estate: Estate) -> PolicyNames:
    """The instances the policies tell apart: named by their id (in any case), or
    matched, by id or by ARN, by a wildcard value (`instance/i-0ab*`, `*0ab*`) that does
    not match every instance of the estate; and the security groups they name. Every
    string value of every statement counts, wherever it is (a resource, a condition)."""
    instances: set[str] = set()
    groups: set[str] = set()
    patterns: set[str] = set()
    for value in _policy_strings(estate):
        instances.update(_INSTANCE_ID.findall(value.lower()))
        groups.update(GROUP_ID_WORD.findall(value))
        if ("*" in value or "?" in value) and value.strip("*"):
            patterns.add(value)
    if patterns:
        partition = estate.partition or "aws"
        ids = [
            (i.instance_id, instance_arn(i, data, partition))
            for data in estate.regions.values()
            for i in data.instances
        ]
        for pattern in patterns:
            match = _wildcard(pattern).fullmatch
            matched = [iid for iid, arn in ids if match(iid) or match(arn)]
            if len(matched) < len(ids):
                instances.update(matched)
    return PolicyNames(frozenset(instances), frozenset(groups))


def _named_groups(estate: Estate, in_policies: frozenset[str]) -> frozenset[str]:
    """Security groups that something other than their own instances names: a rule's
    group reference, an endpoint's groups (and the default groups endpoints without any
    get), a policy (`in_policies`)."""
    named: set[str] = set(in_policies)
    for data in estate.regions.values():
        for group in data.security_groups.values():
            for perm in (*group.ip_permissions, *group.ip_permissions_egress):
                named.update(p.group_id for p in perm.user_id_group_pairs if p.group_id)
        for ep in data.endpoints.values():
            named.update(g.group_id for g in ep.groups)
        named.update(data.default_security_group.values())
    return frozenset(named)


def _contents(group: aws.SecurityGroup) -> bytes:
    """What decides a flow through `group`: its VPC, owner and rules (not its id or name)."""
    return msgspec.json.encode(
        (group.vpc_id, group.owner_id, group.ip_permissions, group.ip_permissions_egress)
    )


def _rule_cidrs(estate: Estate) -> Iterable[str]:
    for data in estate.regions.values():
        for group in data.security_groups.values():
            for perm in (*group.ip_permissions, *group.ip_permissions_egress):
                yield from (r.cidr_ip for r in perm.ip_ranges)
                yield from (r.cidr_ipv6 for r in perm.ipv6_ranges)
        for acl in data.network_acls.values():
            yield from (c for e in acl.entries if (c := e.cidr_block or e.ipv6_cidr_block))
        for table in data.route_tables.values():
            yield from (
                c
                for r in table.routes
                if (c := r.destination_cidr_block or r.destination_ipv6_cidr_block)
            )
        for info in data.prefix_lists.values():
            yield from info.cidrs or ()


def _policy_documents(estate: Estate) -> Iterator[tuple[str, object]]:
    """Every policy a check evaluates, as (name, document): endpoint policies, the roles'
    inline and managed policies, and KMS key policies."""
    for data in estate.regions.values():
        for ep in data.endpoints.values():
            if ep.policy_document:
                yield f"endpoint policy of {ep.vpc_endpoint_id}", ep.policy_document
        for key in data.kms_keys.values():
            if isinstance(key, KmsKey) and isinstance(key.policy, str):
                yield f"key policy of {key.arn}", key.policy
    for account in estate.accounts.values():
        for role in account.roles.values():
            for inline in role.role_policy_list:
                yield f"inline policy of {role.role_name}", inline.policy_document
        for arn, policy in account.managed_policies.items():
            if policy.default_document is not None:
                yield arn, policy.default_document


def _policy_strings(estate: Estate) -> Iterator[str]:
    """Every string value of every statement of those policies, decoded as the check
    reads them (URL-encoded documents included; unreadable ones have no statements)."""
    for name, document in _policy_documents(estate):
        try:
            policy = parse_policy(document, name)
        except PolicyParseError:
            continue
        for statement in policy.statements:
            yield from _strings(json.loads(statement.source))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _wildcard(pattern: str) -> re.Pattern[str]:
    """An IAM wildcard (`*` any run, `?` one character), matched without regard to case."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL)


def _placement(region: RegionData, instance: aws.Instance) -> tuple[str | None, ...]:
    """Where an instance is: account, Region, VPC, subnet, Availability Zone."""
    zone = instance.placement.availability_zone if instance.placement else None
    return (region.account, region.region, instance.vpc_id, instance.subnet_id, zone)


class Grouper:
    """Computes group keys for the instances of one estate."""

    def __init__(self, estate: Estate, names: PolicyNames | None = None) -> None:
        """`names`: what the estate's policies name (`policy_names`), when the caller has it."""
        names = names if names is not None else policy_names(estate)
        self._estate = estate
        cidrs = {c for c in _rule_cidrs(estate) if c}
        self._networks: NestedIndex[Network] = NestedIndex(
            (block, net)
            for c in cidrs
            if (block := span(c)) is not None and (net := network(c)) is not None
        )
        self._narrow: dict[str, tuple[Network, ...]] = {}
        self._named_groups = _named_groups(estate, names.groups)
        # by the group object (ids may repeat across Regions of a merged snapshot)
        self._group_keys: dict[int, tuple[aws.SecurityGroup, GroupKey]] = {}
        self.named_instances = names.instances

    def _ipv6_only(self, region: RegionData, instance: aws.Instance) -> bool:
        """In an IPv6-only subnet an instance is a group of its own: the dual-stack hop of
        its paths names it and reads its agent's version (ipv6_path.py)."""
        subnet_id = instance.subnet_id or ""
        network = self._estate.network_of(region, subnet_id)
        subnet = network.subnets.get(subnet_id) if network is not None else None
        return subnet is not None and subnet.ipv6_only

    def _narrow_for(self, subnet: aws.Subnet | None) -> tuple[Network, ...]:
        """The rule CIDRs narrower than the subnet's range its flows leave from (IPv6 in an
        IPv6-only subnet, else IPv4) that overlap it."""
        cidr = subnet.source_cidr if subnet is not None else None
        if subnet is None or cidr is None:
            return ()
        cached = self._narrow.get(subnet.subnet_id)
        if cached is None:
            outer = span(cidr)
            inside = self._networks.inside(outer) if outer is not None else []
            # (sorted by prefix length, then address: the key names them in that order)
            inside.sort(key=lambda pair: (pair[0].length, pair[0].first))
            cached = tuple(dict.fromkeys(net for _, net in inside))
            self._narrow[subnet.subnet_id] = cached
        return cached

    def _covering(self, region: RegionData, instance: aws.Instance) -> tuple[str, ...]:
        subnet = region.subnets.get(instance.subnet_id or "")
        narrow = self._narrow_for(subnet)
        source = aws.flow_address(instance, subnet)
        if not source:
            return ("address not known: the whole subnet",)
        if not narrow:
            return ()
        address = ipaddress.ip_address(source)
        return tuple(str(n) for n in narrow if address in n)

    def address_key(self, region: RegionData, instance: aws.Instance) -> Hashable | None:
        """Equal keys: addresses of one subnet that every rule, route and prefix-list CIDR
        of the estate covers alike, so either may stand for the other in every flow (and
        the caches of flow decisions serve both). None: the instance is its own group."""
        if instance.instance_id in self.named_instances:
            return None
        return (*_placement(region, instance), self._covering(region, instance))

    def identity_key(
        self, region: RegionData, instance: aws.Instance, dhmc_capable: Hashable
    ) -> Hashable:
        """Equal keys resolve to the same credentials (instance profile or Default Host
        Management). `dhmc_capable`: whether the agent can use Default Host Management
        (None: unknown; for an agent too old, its version, which the finding names)."""
        if instance.instance_id in self.named_instances:
            return ("single", instance.instance_id)
        options = instance.metadata_options
        return (
            region.account,
            region.region,
            instance.iam_instance_profile.arn if instance.iam_instance_profile else None,
            dhmc_capable,
            (options.http_endpoint, options.http_tokens, options.http_protocol_ipv6)
            if options
            else None,
        )

    def group_key(self, groups: Sequence[aws.SecurityGroup | str]) -> tuple[GroupKey, ...]:
        """The instance's security groups, in its order (which a hop's wording follows),
        as part of a network key: a group nothing else names counts by its contents (see
        the module docstring), any other group (or one not in the snapshot, given by its
        id) by its id."""
        out: list[GroupKey] = []
        for group in groups:
            if isinstance(group, str):
                out.append(group)
                continue
            known = self._group_keys.get(id(group))
            if known is None or known[0] is not group:
                gid = group.group_id
                key = gid if gid in self._named_groups else ("contents", _contents(group))
                known = self._group_keys[id(group)] = (group, key)
            out.append(known[1])
        return tuple(out)

    def network_key(
        self,
        region: RegionData,
        instance: aws.Instance,
        ephemeral: tuple[int, int],
        groups: tuple[GroupKey, ...] | None = None,
    ) -> Hashable:
        """Equal keys (with the same role) reach every service the same way.

        `groups`: the instance's `group_key`, when the caller has it (else its group ids)."""
        if instance.instance_id in self.named_instances or self._ipv6_only(region, instance):
            return ("single", instance.instance_id)
        return (
            *_placement(region, instance),
            instance.group_ids if groups is None else groups,
            ephemeral,
            instance.public_ip is not None,
            self._covering(region, instance),
        )

    def profile_key(self, region: RegionData, instance: aws.Instance) -> Hashable:
        """Equal keys: every fact of the instance that a check reads is equal (placement,
        address class, groups, profile, metadata options, what SSM reports of its agent,
        platform), so their results differ only in the instance's id and name."""
        iid = instance.instance_id
        if iid in self.named_instances or self._ipv6_only(region, instance):
            return ("single", iid)
        info = region.instance_information.get(iid)
        options = instance.metadata_options
        return (
            *_placement(region, instance),
            instance.group_ids,
            bool(aws.flow_address(instance, region.subnets.get(instance.subnet_id or ""))),
            instance.public_ip is not None,
            self._covering(region, instance),
            instance.iam_instance_profile.arn if instance.iam_instance_profile else None,
            (options.http_endpoint, options.http_tokens, options.http_protocol_ipv6)
            if options
            else None,
            (
                info.ping_status,
                info.agent_version,
                info.platform_type,
                info.platform_name,
                info.platform_version,
            )
            if info
            else None,
            instance.platform,
            instance.platform_details,
        )
