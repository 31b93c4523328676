"""`check`: every instance x every feature → a verdict with reasons and hop traces.

Pure: takes an `Estate`, returns a `CheckResult`. Results that depend only on the
VPC (DNS answers), on the role (policy evaluations) or on the whole path are
cached per run, so the cost grows with distinct configurations, not instances.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import msgspec

from ssmreach.analysis.buckets import aws_owned_buckets
from ssmreach.analysis.dns import gap_reason
from ssmreach.analysis.ec2messages_usage import may_need_ec2messages, unused_ec2messages_endpoints
from ssmreach.analysis.features import (
    CHANNEL_EITHER,
    CLOUDWATCH_STREAMING_MIN,
    DEFAULT_FEATURES,
    DHMC_MIN,
    KMS_ENCRYPTION_MIN,
    NEEDS,
    SESSION_MANAGER_MIN,
    AgentFacts,
    SessionPreferences,
    channel_options,
    format_version,
    is_legacy_windows,
    parse_version,
    session_services,
)
from ssmreach.analysis.grouping import Grouper
from ssmreach.analysis.identity import Identity, resolve_identity
from ssmreach.analysis.network import Node
from ssmreach.analysis.path import (
    NetworkStage,
    PathContext,
    ServiceNeed,
    network_stage,
    reach_service,
)
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.resources import CallResources, kms_key_resources, log_group_resources
from ssmreach.analysis.retirement import (
    Assumption,
    as_of_date,
    ec2messages_retirement,
    relies_on_ec2messages,
)
from ssmreach.analysis.services import endpoint_service_name, service_offered
from ssmreach.analysis.verdict import (
    CheckResult,
    FeatureResult,
    Hop,
    Outcome,
    Reason,
    ServiceResult,
    Severity,
    Verdict,
    worst,
)
from ssmreach.model import aws
from ssmreach.model.estate import AccountData, Estate, Gap, RegionData
from ssmreach.model.preferences import PreferencesError, session_inputs
from ssmreach.pricing import price_table

LINUX_EPHEMERAL = (32768, 60999)
WINDOWS_EPHEMERAL = (49152, 65535)
ANY_EPHEMERAL = (1024, 65535)


@dataclass(frozen=True, slots=True)
class CheckOptions:
    features: tuple[str, ...] = DEFAULT_FEATURES
    instances: tuple[str, ...] = ()  # empty: all
    grouped: bool = True  # analyse instances with equal group keys once (see grouping.py)
    assume_ec2messages: Assumption = "auto"  # see retirement.py
    as_of: date | None = None  # the day the check judges; None: the snapshot's date, else today


def agent_facts(region: RegionData, instance: aws.Instance) -> AgentFacts:
    info = region.instance_information.get(instance.instance_id)
    if info is None:
        return AgentFacts(
            False, None, None, (instance.platform or "").lower() == "windows" and False
        )
    return AgentFacts(
        listed=True,
        ping_status=info.ping_status,
        version=parse_version(info.agent_version),
        legacy_windows=is_legacy_windows(
            info.platform_type, info.platform_name, info.platform_version
        ),
    )


def ephemeral_ports(region: RegionData, instance: aws.Instance) -> tuple[int, int]:
    """The client ports return traffic goes to: Linux 32768-60999, Windows 49152-65535.

    Judgement (README): the spec checks 1024-65535; checking the platform's own range
    avoids flagging NACLs that open only the range the OS really uses. Unknown
    platform: the whole 1024-65535 range.
    """
    info = region.instance_information.get(instance.instance_id)
    platform = (
        (info.platform_type if info else None)
        or instance.platform
        or instance.platform_details
        or ""
    ).lower()
    if "windows" in platform:
        return WINDOWS_EPHEMERAL
    if "linux" in platform or "unix" in platform:
        return LINUX_EPHEMERAL
    return ANY_EPHEMERAL


def session_preferences(region: RegionData) -> SessionPreferences:
    prefs = region.session_preferences
    gap = prefs if isinstance(prefs, Gap) else region.gap("GetDocument") if prefs is None else None
    if gap is not None and gap.kind == "missing":
        # Not collected (the AWS CLI recipe does not read it): the defaults are assumed and
        # said (README, judgement calls).
        return SessionPreferences(
            read=False,
            code=gap.code,
            note=gap.describe() + "; the defaults (no S3, CloudWatch or KMS) are assumed",
        )
    if gap is not None:
        # Denied or failed: what the preferences add cannot be known.
        return SessionPreferences(
            read=False,
            unknown=True,
            code=gap.code,
            note=gap.describe()
            + "; whether sessions also need S3, CloudWatch Logs or KMS cannot be known",
        )
    if prefs is None or isinstance(prefs, Gap):
        return SessionPreferences()
    try:
        inputs = session_inputs(prefs)
    except PreferencesError as exc:
        return SessionPreferences(
            read=False, note=f"the Session Manager preferences: {exc}; the defaults are assumed"
        )
    return SessionPreferences(
        s3_bucket=str(inputs.get("s3BucketName") or "") or None,
        log_group=str(inputs.get("cloudWatchLogGroupName") or "") or None,
        kms_key=str(inputs.get("kmsKeyId") or "") or None,
        cloudwatch_streaming=bool(inputs.get("cloudWatchStreamingEnabled")),
    )


@dataclass(frozen=True, slots=True)
class _FeaturePart:
    services: tuple[ServiceResult, ...]
    verdict: Verdict
    reasons: tuple[Reason, ...]


class _Shared:
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
    ) -> None:
        self.assumption: Assumption = assumption
        self.as_of = as_of or as_of_date(estate.created)
        self.features: dict[tuple[int, str], _FeaturePart] = {}
        self.part_groups: dict[Hashable, int] = {}
        self._prefs: dict[tuple[str, str], SessionPreferences] = {}
        self._offered: dict[tuple[str, str], bool | None] = {}
        self.named_instances = Grouper.instances_named_in_policies(estate)
        self.grouper = Grouper(estate, self.named_instances) if grouped else None
        self.identities: dict[Hashable, tuple[str, Identity]] = {}
        self.services: dict[Hashable, ServiceResult] = {}
        self.stages: dict[Hashable, NetworkStage] = {}
        self.profiles: dict[Hashable, list[FeatureResult]] = {}


class _InstanceCheck:
    def __init__(
        self, ctx: PathContext, region: RegionData, instance: aws.Instance, shared: _Shared
    ) -> None:
        self.ctx = ctx
        self.region = region
        self.instance = instance
        self.shared = shared
        self.agent = agent_facts(region, instance)
        self.reasons: list[Reason] = []
        self.verdict = Verdict.PRIVATE
        self.node: Node | None = None
        self.identity: Identity | None = None
        self.personal = False  # has reasons of its own (set with its results)
        self.ephemeral = ephemeral_ports(region, instance)
        self.group_ids = instance.group_ids
        grouper = shared.grouper
        iid = instance.instance_id
        dhmc = None if self.agent.version is None else self.agent.version >= DHMC_MIN
        self.identity_key: Hashable = (
            grouper.identity_key(region, instance, dhmc) if grouper else iid
        )
        self.network_key: Hashable = (
            grouper.network_key(region, instance, self.ephemeral, self.group_ids)
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
            (self.network_key, self.identity_key, self.channels, self.relies, self.node is None),
            len(groups),
        )

    def _block(self, verdict: Verdict, *reasons: Reason) -> None:
        self.verdict = worst([self.verdict, verdict])
        self.reasons.extend(reasons)

    def _setup(self) -> None:
        inst, region = self.instance, self.region
        iid = inst.instance_id
        options = inst.metadata_options
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
        known = self.shared.identities.get(self.identity_key)
        if known is None:
            identity = resolve_identity(
                self.ctx.estate, region, inst, self.agent, self.ctx.policies, self.ctx.partition
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
        if region.gap("DescribeInstanceInformation") is None:
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
        self.node = self._node()

    def _node(self) -> Node | None:
        inst, region = self.instance, self.region
        problems: list[Gap] = []
        vpc = region.vpcs.get(inst.vpc_id or "")
        if vpc is None:
            problems.append(
                region.gap("DescribeVpcs")
                or Gap(
                    region.account,
                    region.region,
                    "ec2",
                    "DescribeVpcs",
                    "missing",
                    request=inst.vpc_id,
                )
            )
        subnet = region.subnets.get(inst.subnet_id or "")
        if subnet is None:
            problems.append(
                region.gap("DescribeSubnets")
                or Gap(
                    region.account,
                    region.region,
                    "ec2",
                    "DescribeSubnets",
                    "missing",
                    request=inst.subnet_id,
                )
            )
        groups: list[aws.SecurityGroup] = []
        for gid in self.group_ids:
            group = region.security_groups.get(gid)
            if group is None:
                problems.append(
                    region.gap("DescribeSecurityGroups")
                    or Gap(
                        region.account,
                        region.region,
                        "ec2",
                        "DescribeSecurityGroups",
                        "missing",
                        request=gid,
                    )
                )
            else:
                groups.append(group)
        if problems or vpc is None or subnet is None or not inst.private_ip_address:
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
        return Node(
            inst,
            region,
            vpc,
            subnet,
            inst.private_ip_address,
            tuple(groups),
            self.ephemeral,
        )

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
            result = _with_every_gap(
                reach_service(self.ctx, self.node, self.identity, need, stage),
                self.region,
                self.ctx.estate.account_data(self.region.account),
            )
            self.shared.services[key] = result
        return result

    def channel(self) -> ServiceResult:
        """The better of the message channels the agent can use (requirements.md §1)."""
        if not self.channels:
            return self._no_channel()
        results = [self.service(ServiceNeed(o)) for o in self.channels]
        return self._retirement(min(results, key=lambda r: r.verdict.rank))

    def _retirement(self, result: ServiceResult) -> ServiceResult:
        """The ec2messages retirement on a node that relies on it (retirement.py)."""
        assumption = self.shared.assumption
        if not self.relies or assumption == "available":
            return result
        fact = ec2messages_retirement()
        service_name = endpoint_service_name(self.region.region, "ec2messages")
        who = (
            f"the node's agent (older than {fact.fixed_in_text}, or Windows Server 2012 or older, "
            "or Nano Server) relies on the ec2messages channel"
        )
        if assumption == "retired":
            msg = f"{who}; ec2messages is assumed retired (--assume-ec2messages retired), and whether this agent moves to ssmmessages is not known"
            verdict = worst([result.verdict, Verdict.UNKNOWN])
        elif self.shared.as_of < fact.date:
            msg = f"{who}, which AWS retires on {fact.date.isoformat()} for nodes that rely solely on it ({fact.source})"
            verdict = result.verdict
        else:
            msg = f"{who}; since {fact.date.isoformat()} AWS may no longer serve it to such nodes (an AWS Health notice quoted at {fact.source}; not confirmed by AWS documentation)"
            verdict = result.verdict
        found = reason(
            "EC2MESSAGES_RETIRED",
            Severity.WARNING,
            service_name,
            msg,
            f"Update the SSM agent to {fact.fixed_in_text} or later: AWS-UpdateSSMAgent while Run Command still works, otherwise out of band (user data, a new AMI).",
        )
        return msgspec.structs.replace(result, verdict=verdict, reasons=(*result.reasons, found))

    def _no_channel(self) -> ServiceResult:
        """The agent can use only ec2messages, which this Region does not offer (or which is
        assumed retired): no channel (requirements.md section 1). Never fall back to
        ssmmessages, which the agent lacks."""
        region = self.region
        service_name = endpoint_service_name(region.region, "ec2messages")
        only = (
            "the agent can use only the ec2messages channel (older than "
            f"{format_version(CHANNEL_EITHER)}, Windows Server 2012 or older, or Nano Server)"
        )
        if self.offered is False:
            found = reason(
                "EC2MESSAGES_NOT_OFFERED",
                Severity.ERROR,
                service_name,
                f"{only}, and {region.region} offers no {service_name} endpoint service",
            )
        else:
            fact = ec2messages_retirement()
            found = reason(
                "EC2MESSAGES_RETIRED",
                Severity.ERROR,
                service_name,
                f"{only}, which is assumed retired since {fact.date.isoformat()} (--assume-ec2messages retired)",
                f"Update the SSM agent to {fact.fixed_in_text} or later out of band (user data, a new AMI, EC2 Instance Connect): AWS-UpdateSSMAgent itself travels over Run Command.",
            )
        hop = Hop("channel", service_name, Outcome.FAIL, found.message)
        return ServiceResult("ec2messages", None, Verdict.BLOCKED, None, (found,), (hop,))

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
                needs = self._session_needs(extra)
            else:
                needs = [
                    ServiceNeed("s3", aws_owned_buckets(region.region, spec.buckets))
                    if svc == "s3" and spec.buckets is not None
                    else ServiceNeed(svc)
                    for svc in spec.services
                ]
            channel = spec.channel
            services = [self.service(n) for n in needs]
            if channel:
                services.insert(1, self.channel())
        verdicts = [s.verdict for s in services]
        if any(r.severity is Severity.WARNING and r.code in _GAP_CODES for r in extra):
            verdicts.append(Verdict.UNKNOWN)
        part = _FeaturePart(
            services=tuple(services),
            verdict=worst(verdicts),
            reasons=tuple(_unique(extra + [r for s in services for r in s.reasons])),
        )
        self.shared.features[key] = part
        return part

    def _session_needs(self, extra: list[Reason]) -> list[ServiceNeed]:
        """The services of a session: ssm and ssmmessages, and what the preferences add
        (the S3 bucket, the KMS key, the log group), each on its real resource."""
        region = self.region
        prefs = self.shared.session_preferences(region)
        if not prefs.read and prefs.note:
            severity = Severity.WARNING if prefs.unknown else Severity.INFO
            extra.append(reason(prefs.code, severity, None, prefs.note))
        where = (self.ctx.partition, region.region, region.account)
        needs: list[ServiceNeed] = []
        for svc in session_services(prefs):
            if svc == "s3" and prefs.s3_bucket:
                where_bucket = region.bucket_region(prefs.s3_bucket)
                needs.append(
                    ServiceNeed(
                        "s3",
                        (prefs.s3_bucket,),
                        "s3:PutObject",
                        bucket_region=None if where_bucket == region.region else where_bucket,
                    )
                )
            elif svc == "kms" and prefs.kms_key:
                described = region.kms_key(prefs.kms_key)
                resources = (
                    kms_key_resources(prefs.kms_key, *where)
                    if isinstance(described, Gap)
                    else CallResources((described.arn,))
                )
                needs.append(ServiceNeed("kms", resources=resources, key_id=prefs.kms_key))
            elif svc == "logs" and prefs.log_group:
                needs.append(
                    ServiceNeed("logs", resources=log_group_resources(prefs.log_group, *where))
                )
            else:
                needs.append(ServiceNeed(svc))
        return needs

    def features(self, names: Sequence[str]) -> list[FeatureResult]:
        """The result of each named feature for this instance, in the order given."""
        inst, region = self.instance, self.region
        gates: list[Reason] = []
        if "session-manager" in names and self.agent.version is not None:
            gates = self._session_gates(self.shared.session_preferences(region))
        name = inst.name
        # Reasons of its own name the instance: its results cannot serve another one.
        self.personal = bool(self.reasons or gates)
        out = []
        for feature in names:
            part = self._feature_part(feature)
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

    def _session_gates(self, prefs: SessionPreferences) -> list[Reason]:
        version = self.agent.version
        if version is None:
            return []
        iid = self.instance.instance_id
        gates = [(SESSION_MANAGER_MIN, "Session Manager")]
        if prefs.kms_key:
            gates.append((KMS_ENCRYPTION_MIN, "KMS session encryption"))
        if prefs.cloudwatch_streaming:
            gates.append((CLOUDWATCH_STREAMING_MIN, "CloudWatch log streaming"))
        out = []
        for minimum, what in gates:
            if version < minimum:
                out.append(
                    reason(
                        "AGENT_TOO_OLD",
                        Severity.WARNING,
                        iid,
                        f"{what} needs agent {format_version(minimum)} or newer; {iid} runs {format_version(version)}",
                        f"Update the SSM agent on {iid} (AWS-UpdateSSMAgent).",
                    )
                )
        return out


PATH_READS: tuple[tuple[str, str], ...] = (
    ("regional", "DescribeVpcAttribute"),
    ("regional", "DescribeDhcpOptions"),
    ("regional", "ListResolverRules"),
    ("regional", "ListResolverRuleAssociations"),
    ("global", "ListHostedZones"),
    ("regional", "DescribeRouteTables"),
    ("regional", "DescribeSecurityGroups"),
    ("regional", "DescribeNetworkAcls"),
    ("regional", "DescribeVpcEndpoints"),
    ("regional", "DescribeNetworkInterfaces"),
)
"""The whole-account reads every service path uses (DNS, route, security groups, network
ACLs, endpoints), in path order."""

_GAP_CODES = frozenset({"DATA_MISSING", "READ_DENIED"})


def _with_every_gap(
    result: ServiceResult, region: RegionData, account: AccountData
) -> ServiceResult:
    """A result left UNKNOWN by missing data names every read of its path that is missing,
    not only the first one the path stopped at, so that one collection run fixes them all."""
    if result.verdict is not Verdict.UNKNOWN or not any(
        r.code in _GAP_CODES for r in result.reasons
    ):
        return result
    named = " ".join(r.message for r in result.reasons if r.code in _GAP_CODES)
    extra = []
    for scope, operation in PATH_READS:
        gap = account.gap(operation) if scope == "global" else region.gap(operation)
        if gap is not None and gap.api not in named:
            extra.append(gap_reason(gap))
    if not extra:
        return result
    return msgspec.structs.replace(result, reasons=(*result.reasons, *extra))


def _unique(reasons: Iterable[Reason]) -> list[Reason]:
    seen: set[Reason] = set()
    out: list[Reason] = []
    for r in reasons:
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def _instance_results(
    ctx: PathContext,
    region: RegionData,
    instance: aws.Instance,
    shared: _Shared,
    features: Sequence[str],
) -> list[FeatureResult]:
    """An instance's results; copied from an instance with the same profile (see
    grouping.py) when that instance had no reason of its own, computed otherwise."""
    grouper = shared.grouper
    key = grouper.profile_key(region, instance) if grouper else None
    model = shared.profiles.get(key) if key is not None else None
    if model is not None:
        name = instance.name
        return [msgspec.structs.replace(r, instance=instance.instance_id, name=name) for r in model]
    check = _InstanceCheck(ctx, region, instance, shared)
    results = check.features(features)
    if key is not None and not check.personal:
        shared.profiles[key] = results
    return results


def check_estate(estate: Estate, options: CheckOptions | None = None) -> CheckResult:
    """Verdicts for every instance (or the chosen ones) and every chosen feature."""
    options = options or CheckOptions()
    shared = _Shared(estate, options.grouped, options.assume_ec2messages, options.as_of)
    ctx = PathContext(estate, shared.named_instances)
    wanted = set(options.instances)
    features = sorted(options.features)
    results: list[FeatureResult] = []
    count = not_running = 0
    needing: dict[tuple[str, str, str], tuple[RegionData, str]] = {}
    for _key, region in sorted(estate.regions.items()):
        for instance in sorted(region.instances, key=lambda i: i.instance_id):
            if wanted and instance.instance_id not in wanted:
                continue
            count += 1
            not_running += instance.state_name != "running"
            results.extend(_instance_results(ctx, region, instance, shared, features))
            where = (region.account, region.region, instance.vpc_id or "")
            if where not in needing and may_need_ec2messages(agent_facts(region, instance)):
                needing[where] = (region, instance.vpc_id or "")
    # About endpoints rather than instances: only when every instance is checked.
    estate_findings = (
        ()
        if wanted
        else unused_ec2messages_endpoints(
            estate, needing.values(), ctx.resolve, ctx.partition, price_table()
        )
    )
    return CheckResult(
        accounts=estate.account_ids,
        regions=estate.region_names,
        created=estate.created,
        source=estate.source,
        instances=count,
        results=tuple(results),
        not_running=not_running,
        estate_findings=estate_findings,
    )


def instance_ids(estate: Estate) -> Sequence[str]:
    return [i.instance_id for r in estate.regions.values() for i in r.instances]
