"""One instance's check: its agent and identity, its place in the network, and for each
feature the services it needs, each reached along its path (path.py).

Instances with equal keys (grouping.py) share their identity, their network stages,
their service results and their feature parts; an instance with no reason of its own
serves as the model for every instance with its profile (`instance_results`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import msgspec

from ssmreach.analysis.buckets import aws_owned_buckets
from ssmreach.analysis.dns import gap_reason
from ssmreach.analysis.features import DHMC_MIN, NEEDS, SessionPreferences, channel_options
from ssmreach.analysis.group_alias import AliasCache, GroupAlias
from ssmreach.analysis.grouping import Grouper, PolicyNames, policy_names
from ssmreach.analysis.identity import Identity, resolve_identity
from ssmreach.analysis.instance_facts import agent_facts, ephemeral_ports
from ssmreach.analysis.legs import source_address
from ssmreach.analysis.message_channel import no_channel, with_retirement
from ssmreach.analysis.missing_reads import GAP_CODES, with_every_gap
from ssmreach.analysis.network import Node
from ssmreach.analysis.network_stage import NetworkStage, network_stage
from ssmreach.analysis.output_buckets import NO_OUTPUT, OutputPlan, output_plan
from ssmreach.analysis.path import reach_service
from ssmreach.analysis.path_context import PathContext, ServiceNeed
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.retirement import Assumption, as_of_date, relies_on_ec2messages
from ssmreach.analysis.services import service_offered
from ssmreach.analysis.sessions import session_gates, session_needs, session_preferences
from ssmreach.analysis.verdict import FeatureResult, Reason, ServiceResult, Severity, Verdict, worst
from ssmreach.model import aws
from ssmreach.model.estate import Estate, Gap, RegionData


@dataclass(frozen=True, slots=True)
class _FeaturePart:
    services: tuple[ServiceResult, ...]
    verdict: Verdict
    reasons: tuple[Reason, ...]


class Shared:
    """What instances share within one check run (see grouping.py for why it is exact):
    resolved identities by identity key, service results by network key and role."""

    def session_preferences(self, region: RegionData) -> SessionPreferences:
        key = (region.account, region.region)
        prefs = self._prefs.get(key)
        if prefs is None:
            prefs = self._prefs[key] = session_preferences(region)
        return prefs

    def ec2messages_offered(self, region: RegionData) -> bool | None:
        key = (region.account, region.region)
        if key not in self._offered:
            self._offered[key] = service_offered(region, "ec2messages")
        return self._offered[key]

    def __init__(
        self,
        estate: Estate,
        grouped: bool,
        assumption: Assumption = "auto",
        as_of: date | None = None,
        names: PolicyNames | None = None,
    ) -> None:
        """`names`: what the estate's policies name (grouping.policy_names), when the
        caller has it."""
        self.assumption: Assumption = assumption
        self.as_of = as_of or as_of_date(estate.created)
        self.features: dict[tuple[int, str], _FeaturePart] = {}
        self.part_groups: dict[Hashable, int] = {}
        self._prefs: dict[tuple[str, str], SessionPreferences] = {}
        self._offered: dict[tuple[str, str], bool | None] = {}
        names = names if names is not None else policy_names(estate)
        self.named_instances = names.instances
        self.grouper = Grouper(estate, names) if grouped else None
        self.identities: dict[Hashable, tuple[str, Identity]] = {}
        self.services: dict[Hashable, ServiceResult] = {}
        self.stages: dict[Hashable, NetworkStage] = {}
        self.profiles: dict[Hashable, list[FeatureResult]] = {}
        self.addresses: dict[Hashable, str] = {}  # by Grouper.address_key
        # The security groups that stand for every instance's of a network key (see _node)
        self.groups: dict[Hashable, tuple[aws.SecurityGroup, ...]] = {}
        self.aliases = AliasCache()


class InstanceCheck:
    """One instance: its own reasons and verdict (metadata service, identity, agent,
    placement), then its features (`features`), sharing what it can through `Shared`.
    `outputs`: the buckets its commands and associations write to (output_buckets.py)."""

    def __init__(
        self,
        ctx: PathContext,
        region: RegionData,
        instance: aws.Instance,
        shared: Shared,
        outputs: OutputPlan = NO_OUTPUT,
    ) -> None:
        self.ctx = ctx
        self.region = region
        self.instance = instance
        self.shared = shared
        self.outputs = outputs
        self.agent = agent_facts(region, instance)
        self.reasons: list[Reason] = []
        self.verdict = Verdict.PRIVATE
        self.node: Node | None = None
        self.identity: Identity | None = None
        self.personal = False  # has reasons of its own (set with its results)
        self.ephemeral = ephemeral_ports(region, instance)
        self.group_ids = instance.group_ids
        self.groups = self._groups()
        self.alias: GroupAlias | None = None  # set by _node when other groups stand for its own
        grouper = shared.grouper
        iid = instance.instance_id
        dhmc: Hashable = None if self.agent.version is None else self.agent.version >= DHMC_MIN
        if dhmc is False:
            # Too old for Default Host Management: the finding names the agent's version.
            dhmc = ("older", self.agent.version)
        self.identity_key: Hashable = (
            grouper.identity_key(region, instance, dhmc) if grouper else iid
        )
        self.network_key: Hashable = (
            grouper.network_key(region, instance, self.ephemeral, grouper.group_key(self.groups))
            if grouper
            else iid
        )
        # Empty when the agent can use only ec2messages and the Region does not offer it
        # (or it is assumed retired).
        self.offered = shared.ec2messages_offered(region)
        self.relies = relies_on_ec2messages(self.agent) and self.offered is not False
        self.channels = channel_options(self.agent, self.offered)
        if shared.assumption == "retired":
            self.channels = tuple(c for c in self.channels if c != "ec2messages")
        self._setup()
        # Instances with equal keys share their feature parts; one small number stands
        # for the key so that each lookup does not hash it again.
        groups = shared.part_groups
        self.part_group: int = groups.setdefault(
            (
                self.network_key,
                self.identity_key,
                self.channels,
                self.relies,
                self.node is None,
                outputs,
            ),
            len(groups),
        )

    def _block(self, verdict: Verdict, *reasons: Reason) -> None:
        self.verdict = worst([self.verdict, verdict])
        self.reasons.extend(reasons)

    def _setup(self) -> None:
        """The instance's own steps before any service path: the metadata service, the
        credentials, the agent's registration, and its place in the network."""
        self._check_metadata_service()
        self._resolve_identity()
        if self.region.gap("DescribeInstanceInformation") is None:
            self._check_agent_listed()
        self.node = self._node()

    def _check_metadata_service(self) -> None:
        iid = self.instance.instance_id
        options = self.instance.metadata_options
        if options is not None and options.http_endpoint.lower() == "disabled":
            msg = f"{iid} has the instance metadata service turned off (HttpEndpoint disabled): the agent gets no identity or credentials"
            self._block(
                Verdict.BLOCKED,
                reason(
                    "IMDS_DISABLED",
                    Severity.ERROR,
                    iid,
                    msg,
                    f"aws ec2 modify-instance-metadata-options --instance-id {iid} --http-endpoint enabled",
                ),
            )
        elif self._in_ipv6_only_subnet():
            self._check_ipv6_metadata(iid, options)

    def _in_ipv6_only_subnet(self) -> bool:
        subnet_id = self.instance.subnet_id or ""
        network = self.ctx.estate.network_of(self.region, subnet_id)
        subnet = network.subnets.get(subnet_id) if network is not None else None
        return subnet is not None and subnet.ipv6_only

    def _check_ipv6_metadata(self, iid: str, options: aws.MetadataOptions | None) -> None:
        """In an IPv6-only subnet the metadata service answers only at [fd00:ec2::254], and
        only with HttpProtocolIpv6 enabled (off by default, even there: EC2 user guide,
        "Configure the instance metadata options")."""
        setting = options.http_protocol_ipv6 if options is not None else None
        if setting is None:
            msg = f"{iid} is in an IPv6-only subnet and its MetadataOptions.HttpProtocolIpv6 is not in the snapshot: whether the agent reaches the metadata service at [fd00:ec2::254] is not known"
            self._block(Verdict.UNKNOWN, reason("DATA_MISSING", Severity.WARNING, iid, msg))
        elif setting.lower() != "enabled":
            msg = f"{iid} is in an IPv6-only subnet and has the IPv6 metadata endpoint turned off (HttpProtocolIpv6 {setting}): it cannot reach 169.254.169.254, so the agent gets no identity or credentials"
            self._block(
                Verdict.BLOCKED,
                reason(
                    "IMDS_IPV6_DISABLED",
                    Severity.ERROR,
                    iid,
                    msg,
                    f"aws ec2 modify-instance-metadata-options --instance-id {iid} --http-protocol-ipv6 enabled",
                ),
            )

    def _resolve_identity(self) -> None:
        """The credentials, resolved once per identity key; reasons that name the
        instance the identity was resolved for name this one instead."""
        iid = self.instance.instance_id
        known = self.shared.identities.get(self.identity_key)
        if known is None:
            identity = resolve_identity(
                self.ctx.estate,
                self.region,
                self.instance,
                self.agent,
                self.ctx.policies,
                self.ctx.partition,
            )
            known = self.shared.identities[self.identity_key] = (iid, identity)
        rep, self.identity = known
        self._block(
            self.identity.verdict,
            *(
                msgspec.structs.replace(r, resource=iid) if r.resource == rep else r
                for r in self.identity.reasons
            ),
        )

    def _check_agent_listed(self) -> None:
        iid = self.instance.instance_id
        if not self.agent.listed:
            self.reasons.append(
                reason(
                    "AGENT_OFFLINE",
                    Severity.INFO,
                    iid,
                    f"SSM does not list {iid} as a managed node (it never registered, or was deregistered)",
                )
            )
        elif (self.agent.ping_status or "").lower() != "online":
            self.reasons.append(
                reason(
                    "AGENT_OFFLINE",
                    Severity.INFO,
                    iid,
                    f"SSM reports {iid} as {self.agent.ping_status}",
                )
            )

    def _groups(self) -> list[aws.SecurityGroup | str]:
        """The instance's security groups in its order; a group not in the snapshot by its id."""
        region = self.region
        network = self.ctx.estate.network_of(region, self.instance.subnet_id or "")
        out: list[aws.SecurityGroup | str] = []
        for gid in self.group_ids:
            group = region.security_groups.get(gid) or (
                network.security_groups.get(gid) if network is not None else None
            )
            out.append(gid if group is None else group)
        return out

    def _node(self) -> Node | None:
        """The instance as the source of a flow; None (and UNKNOWN, naming every read it
        lacks) when its VPC, subnet, security groups or private address are not known.

        Its network (VPC, subnet, route tables, ACLs, endpoints) is read from the subnet's
        owner: another account's for a subnet shared through AWS RAM. Its security groups
        are its own account's."""
        inst, region = self.instance, self.region
        network = self._network_region()
        if network is None:
            return None
        problems: list[Gap] = []
        vpc = network.vpcs.get(inst.vpc_id or "")
        if vpc is None:
            problems.append(_missing(network, "DescribeVpcs", inst.vpc_id))
        subnet = network.subnets.get(inst.subnet_id or "")
        if subnet is None:
            problems.append(_missing(network, "DescribeSubnets", inst.subnet_id))
        groups: list[aws.SecurityGroup] = []
        for group in self.groups:
            if isinstance(group, str):
                problems.append(_missing(region, "DescribeSecurityGroups", group))
            else:
                groups.append(group)
        # An instance not launched yet (a planned one) has no address: any address of its
        # subnet, so a rule that tells addresses of the subnet apart leaves it UNKNOWN.
        address = source_address(inst, subnet)
        grouper = self.shared.grouper
        key = grouper.address_key(region, inst) if grouper is not None and address else None
        if key is not None and address:
            # The first address of its class stands for it: the same flows, decided once.
            address = self.shared.addresses.setdefault(key, address)
        if problems or vpc is None or subnet is None or not address:
            # Every read the node lacks, so that one collection run fixes them all.
            self._block(Verdict.UNKNOWN, *(gap_reason(p, inst.instance_id) for p in problems))
            if not problems:
                self._block(
                    Verdict.UNKNOWN,
                    reason(
                        "DATA_MISSING",
                        Severity.WARNING,
                        inst.instance_id,
                        f"{inst.instance_id} has no VPC placement or private address in the snapshot",
                    ),
                )
            return None
        if grouper is not None:
            # The first groups of their network key stand for these in every flow (equal
            # contents, named by nothing else: grouping.py); results name them, and
            # `alias` tells them for this instance's groups.
            standing = self.shared.groups.setdefault(self.network_key, tuple(groups))
            self.alias = GroupAlias.between(
                [g.group_id for g in standing], [g.group_id for g in groups], self.shared.aliases
            )
            groups = list(standing)
        return Node(inst, network, vpc, subnet, address, tuple(groups), self.ephemeral, region)

    def _network_region(self) -> RegionData | None:
        """The data holding the instance's network; None (and UNKNOWN) when its subnet is
        shared by an account the snapshot does not hold."""
        subnet_id = self.instance.subnet_id or ""
        network = self.ctx.estate.network_of(self.region, subnet_id)
        if network is None:
            subnet = self.region.subnets[subnet_id]
            owner = subnet.owner_id
            self._block(
                Verdict.UNKNOWN,
                reason(
                    "SHARED_SUBNET_OWNER_NOT_COLLECTED",
                    Severity.WARNING,
                    self.instance.instance_id,
                    f"{subnet_id} is shared with {self.region.account} by account {owner}, which "
                    "owns its route tables, network ACLs and endpoints; the snapshot does not hold "
                    f"{owner}/{self.region.region}",
                    f"Collect account {owner} too (`--role-arn arn:aws:iam::{owner}:role/NAME`, "
                    "or `snapshot --org`), then check again.",
                ),
            )
        return network

    def service(self, need: ServiceNeed) -> ServiceResult:
        assert self.node is not None and self.identity is not None
        key = (self.network_key, self.identity.kind, self.identity.role_arn, need)
        result = self.shared.services.get(key)
        if result is None:
            target = need.bucket_region if isinstance(need.bucket_region, str) else None
            stage_key = (self.network_key, need.service, target)
            stage = self.shared.stages.get(stage_key)
            if stage is None:
                stage = self.shared.stages[stage_key] = network_stage(
                    self.ctx, self.node, need.service, target
                )
            result = with_every_gap(
                reach_service(self.ctx, self.node, self.identity, need, stage),
                self.region,
                self.ctx.estate.account_data(self.region.account),
            )
            self.shared.services[key] = result
        return result

    def channel(self) -> ServiceResult:
        """The better of the message channels the agent can use (requirements.md §1)."""
        if not self.channels:
            return no_channel(self.region, self.offered)
        results = [self.service(ServiceNeed(o)) for o in self.channels]
        best = min(results, key=lambda r: r.verdict.rank)
        if not self.relies:
            return best
        return with_retirement(best, self.region, self.shared.assumption, self.shared.as_of)

    def _feature_part(self, feature: str) -> _FeaturePart:
        """What a feature needs from the network and the role: shared by the instances
        with the same network key, identity and message channels."""
        region = self.region
        key = (self.part_group, feature)
        part = self.shared.features.get(key)
        if part is not None:
            return part
        extra: list[Reason] = []
        services: list[ServiceResult] = []
        if self.node is not None:
            spec = NEEDS[feature]
            if spec.preferences:
                prefs = self.shared.session_preferences(region)
                needs = session_needs(region, prefs, self.ctx.partition, extra)
            else:
                needs = [
                    ServiceNeed(
                        "s3", aws_owned_buckets(region.region, spec.buckets), aws_owned=True
                    )
                    if svc == "s3" and spec.buckets is not None
                    else ServiceNeed(svc)
                    for svc in spec.services
                ]
            if spec.output_buckets:
                needs += self.outputs.needs
                extra += self.outputs.reasons
            channel = spec.channel
            services = [self.service(n) for n in needs]
            if channel:
                services.insert(1, self.channel())
        verdicts = [s.verdict for s in services]
        if any(r.severity is Severity.WARNING and r.code in GAP_CODES for r in extra):
            verdicts.append(Verdict.UNKNOWN)
        part = _FeaturePart(
            services=tuple(services),
            verdict=worst(verdicts),
            reasons=tuple(_unique(extra + [r for s in services for r in s.reasons])),
        )
        self.shared.features[key] = part
        return part

    def features(self, names: Sequence[str]) -> list[FeatureResult]:
        """The result of each named feature for this instance, in the order given."""
        inst, region = self.instance, self.region
        gates: list[Reason] = []
        if "session-manager" in names and self.agent.version is not None:
            gates = session_gates(
                self.agent.version, inst.instance_id, self.shared.session_preferences(region)
            )
        name = inst.name
        # Reasons of its own name the instance: its results cannot serve another one.
        self.personal = bool(self.reasons or gates)
        out = []
        alias = self.alias
        for feature in names:
            part = self._feature_part(feature)
            if alias is not None:
                part = _FeaturePart(
                    tuple(alias.service(s) for s in part.services),
                    part.verdict,
                    alias.reasons(part.reasons),
                )
            own = self.reasons + gates if feature == "session-manager" else self.reasons
            out.append(
                FeatureResult(
                    instance=inst.instance_id,
                    account=region.account,
                    region=region.region,
                    vpc=inst.vpc_id,
                    subnet=inst.subnet_id,
                    name=name,
                    feature=feature,
                    verdict=self.verdict if self.verdict.rank > part.verdict.rank else part.verdict,
                    reasons=tuple(_unique(own + list(part.reasons))) if own else part.reasons,
                    services=part.services,
                    state=inst.state_name,
                )
            )
        return out


def _missing(region: RegionData, api: str, request: str | None) -> Gap:
    """Why a record the instance names is absent: its read's gap, or the record missing."""
    return region.gap(api) or Gap(
        region.account, region.region, "ec2", api, "missing", request=request
    )


def _unique(reasons: Iterable[Reason]) -> list[Reason]:
    seen: set[Reason] = set()
    out: list[Reason] = []
    for r in reasons:
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def instance_results(
    ctx: PathContext,
    region: RegionData,
    instance: aws.Instance,
    shared: Shared,
    features: Sequence[str],
) -> list[FeatureResult]:
    """An instance's results; copied from an instance with the same profile (see
    grouping.py) and output buckets when that instance had no reason of its own, computed
    otherwise."""
    grouper = shared.grouper
    outputs = output_plan(region, instance)
    key = (grouper.profile_key(region, instance), outputs) if grouper else None
    model = shared.profiles.get(key) if key is not None else None
    if model is not None:
        name = instance.name
        return [msgspec.structs.replace(r, instance=instance.instance_id, name=name) for r in model]
    check = InstanceCheck(ctx, region, instance, shared, outputs)
    results = check.features(features)
    if key is not None and not check.personal:
        shared.profiles[key] = results
    return results
