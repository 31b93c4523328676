"""Which credentials the agent uses, and what they allow (requirements.md §1 "Identity").

An instance profile whose role allows `ssm:UpdateInstanceInformation` is used;
otherwise Default Host Management Configuration (the service setting
`/ssm/managed-instance/default-ec2-instance-management-role`, IMDSv2, agent
3.2.582.0 or newer) supplies the role; otherwise `NO_INSTANCE_PROFILE`. A role's
effective permissions are its inline and attached managed policies (default
version), minus explicit denies, inside its permissions boundary. Source: SSM user
guide, "Configure instance permissions" and "Default Host Management Configuration".
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Literal

from ssmreach.analysis.dns import gap_reason
from ssmreach.analysis.features import DHMC_MIN, AgentFacts, format_version
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.verdict import Reason, Severity, Verdict
from ssmreach.model import aws
from ssmreach.model.estate import AccountData, Estate, Gap, RegionData
from ssmreach.model.reader import DHMC_SETTING
from ssmreach.policy.document import Policy, PolicyParseError, parse_policy, referenced_keys
from ssmreach.policy.evaluate import Decision, Evaluation, RequestContext, evaluate_identity
from ssmreach.policy.managed import builtin_managed_policy

IdentityKind = Literal["profile", "dhmc", "none", "unknown"]

_INSTANCE_ARN = re.compile(r":instance/(i-[0-9a-f]+)$")
# An instance ARN inside a message (policy_hops.py words it "the instance's ARN" too)
INSTANCE_ARN_TEXT = re.compile(r"arn:[\w-]+:ec2:[\w-]*:\d*:instance/i-[0-9a-f]+")
# Condition keys whose value is the calling node's instance ARN (see request_keys).
SOURCE_INSTANCE_KEYS = frozenset({"ec2:sourceinstancearn", "ssm:sourceinstancearn"})


@dataclass(frozen=True, slots=True)
class RolePolicies:
    role: aws.RoleDetail
    policies: tuple[Policy, ...]
    boundary: Policy | None
    missing: tuple[str, ...]  # attached policies whose documents the snapshot lacks
    keys: frozenset[str] | None  # the condition keys they read (None: any, see referenced_keys)


@dataclass(frozen=True, slots=True)
class Identity:
    kind: IdentityKind
    role: RolePolicies | None
    verdict: Verdict  # PRIVATE when credentials are fine; BLOCKED / UNKNOWN otherwise
    reasons: tuple[Reason, ...]
    detail: str

    @property
    def role_arn(self) -> str | None:
        return self.role.role.arn if self.role else None


class PolicyCache:
    """Parses each policy document once per check run."""

    def __init__(self, named_instances: frozenset[str] = frozenset()) -> None:
        self.named_instances = named_instances
        self._roles: dict[tuple[str, str], RolePolicies] = {}
        self._evaluations: dict[tuple[object, ...], Evaluation] = {}
        self._managed_policies: dict[tuple[str, str], Policy | None] = {}
        self._inline_policies: dict[tuple[str, str], Policy | None] = {}

    def role_policies(self, account: AccountData, role: aws.RoleDetail) -> RolePolicies:
        key = (account.account, role.arn)
        cached = self._roles.get(key)
        if cached is not None:
            return cached
        policies: list[Policy] = []
        missing: list[str] = []
        for inline in role.role_policy_list:
            policy = self._inline(inline)
            if policy is None:
                missing.append(f"inline policy {inline.policy_name} (unreadable)")
            else:
                policies.append(policy)
        for attached in role.attached_managed_policies:
            policy = self._managed(account, attached.policy_arn)
            if policy is None:
                missing.append(attached.policy_arn)
            else:
                policies.append(policy)
        boundary = None
        if role.permissions_boundary is not None:
            boundary = self._managed(account, role.permissions_boundary.permissions_boundary_arn)
            if boundary is None:
                missing.append(
                    role.permissions_boundary.permissions_boundary_arn + " (permissions boundary)"
                )
        result = RolePolicies(
            role,
            tuple(policies),
            boundary,
            tuple(missing),
            referenced_keys([*policies, boundary]),
        )
        self._roles[key] = result
        return result

    def _inline(self, inline: aws.InlinePolicy) -> Policy | None:
        """An inline policy, parsed once per name and document: roles holding copies of
        one (a role per instance from one template) share it, and so their evaluations.
        Its name does not name the role: every finding that quotes it names the role."""
        document = inline.policy_document
        text = document if isinstance(document, str) else json.dumps(document, sort_keys=True)
        key = (inline.policy_name, text)
        if key not in self._inline_policies:
            try:
                parsed: Policy | None = parse_policy(
                    document, f"inline policy {inline.policy_name}"
                )
            except PolicyParseError:
                parsed = None
            self._inline_policies[key] = parsed
        return self._inline_policies[key]

    def _managed(self, account: AccountData, arn: str) -> Policy | None:
        """A managed policy of the account, parsed once: roles that attach it share it
        (and so their evaluations, see `evaluate`)."""
        key = (account.account, arn)
        if key not in self._managed_policies:
            self._managed_policies[key] = self._parse_managed(account, arn)
        return self._managed_policies[key]

    def _parse_managed(self, account: AccountData, arn: str) -> Policy | None:
        detail = account.managed_policies.get(arn)
        if detail is not None and detail.default_document is not None:
            try:
                return parse_policy(detail.default_document, arn)
            except PolicyParseError:
                return None
        return builtin_managed_policy(arn)

    def request_key(
        self, ctx: RequestContext, read: frozenset[str] | None = None, *, principal: bool = True
    ) -> tuple[object, ...]:
        """A cache key for a request: an instance ARN counts as any instance ARN unless
        some policy names that instance (see grouping.py); with `read` (the condition
        keys the policies read), other keys do not count; with `principal` False, the
        caller's ARN does not count either (the policies read it through no Principal
        element; a condition on `aws:PrincipalArn` still counts through `read`)."""
        resource = ctx.resource
        match = _INSTANCE_ARN.search(resource)
        if match and match.group(1) not in self.named_instances:
            resource = resource[: match.start(1)] + "*"
        if read is None:
            keys = tuple(sorted(ctx.keys.items()))
            absent = ctx.absent_keys
        else:
            keys = tuple(sorted((k, v) for k, v in ctx.keys.items() if k in read))
            absent = ctx.absent_keys & read
        if any(k in SOURCE_INSTANCE_KEYS for k, _ in keys):
            keys = tuple(
                (k, tuple(self._any_instance(value) for value in values))
                if k in SOURCE_INSTANCE_KEYS
                else (k, values)
                for k, values in keys
            )
        return (
            ctx.action.lower(),
            resource,
            ctx.principal_arn if principal else None,
            keys,
            absent,
        )

    def _any_instance(self, arn: str) -> str:
        """An instance ARN as any instance's, unless a policy names that instance."""
        match = _INSTANCE_ARN.search(arn)
        if match and match.group(1) not in self.named_instances:
            return arn[: match.start(1)] + "*"
        return arn

    def evaluate(self, role: RolePolicies, ctx: RequestContext) -> Evaluation:
        """The role's identity-based decision on `ctx`, once per set of policy documents:
        identity policies have no Principal element and their findings name policies, not
        roles, so roles holding the same parsed documents share decisions (a role with
        documents missing is its own: that finding names it)."""
        holder = role.role.arn if role.missing else None
        documents = (tuple(map(id, role.policies)), id(role.boundary), holder)
        key = (documents, *self.request_key(ctx, role.keys, principal=False))
        cached = self._evaluations.get(key)
        if cached is not None:
            return cached
        result = evaluate_identity(role.policies, ctx, boundary=role.boundary)
        if role.missing and result.decision is not Decision.DENY:
            result = Evaluation(
                decision=Decision.UNKNOWN,
                policy=None,
                statement=None,
                unknown_keys=(),
                explanation=(
                    f"the documents of {', '.join(role.missing)} are not in the snapshot, "
                    f"so whether role {role.role.role_name} may call {ctx.action} cannot be decided"
                ),
            )
        result = self.neutral(result, ctx)
        self._evaluations[key] = result
        return result

    def neutral(self, result: Evaluation, ctx: RequestContext) -> Evaluation:
        """`result` as it may serve every request of its cache key: when the key counts the
        request's instance ARN as any instance's, its explanation names "the instance's
        ARN", not the instance it was decided for."""
        if (
            ":instance/" not in result.explanation
            or self._any_instance(ctx.resource) == ctx.resource
        ):
            return result
        text = INSTANCE_ARN_TEXT.sub("the instance's ARN", result.explanation)
        return (
            dataclasses.replace(result, explanation=text) if text != result.explanation else result
        )


def _no_credentials(iid: str, msg: str, fix: str) -> Identity:
    return Identity(
        "none",
        None,
        Verdict.BLOCKED,
        (reason("NO_INSTANCE_PROFILE", Severity.ERROR, iid, msg, fix),),
        msg,
    )


def _unreadable(gap: Gap, iid: str, detail: str) -> Identity:
    return Identity("unknown", None, Verdict.UNKNOWN, (gap_reason(gap, iid),), detail)


def _dhmc_setting(region: RegionData) -> str | Gap:
    """The Default Host Management role setting of the Region ("" or "$None": off)."""
    setting = region.service_settings.get(DHMC_SETTING)
    if setting is not None:
        return setting
    return region.gap("GetServiceSetting") or Gap(
        region.account,
        region.region,
        "ssm",
        "GetServiceSetting",
        "missing",
        request=DHMC_SETTING,
    )


def _role_from_dhmc(
    estate: Estate,
    region: RegionData,
    instance: aws.Instance,
    agent: AgentFacts,
    cache: PolicyCache,
) -> Identity:
    """The role Default Host Management supplies: the setting must name a role that
    exists, and the agent must be new enough to use it."""
    setting = _dhmc_setting(region)
    iid = instance.instance_id
    if isinstance(setting, Gap):
        return _unreadable(
            setting,
            iid,
            "the instance has no instance profile and the Default Host Management setting cannot be read",
        )
    if setting in ("", "$None"):
        msg = f"the instance has no instance profile and Default Host Management Configuration is off in {region.region}"
        return _no_credentials(
            iid,
            msg,
            f"Attach an instance profile whose role has AmazonSSMManagedInstanceCore to the instance, or turn on Default Host Management Configuration in {region.region}.",
        )
    account = estate.account_data(region.account)
    iam_gap = account.gap("GetAccountAuthorizationDetails")
    if iam_gap is not None:
        return _unreadable(
            iam_gap, iid, f"Default Host Management names role {setting}, but IAM was not read"
        )
    role = account.roles_by_name.get(setting.rsplit("/", 1)[-1])
    if role is None:
        msg = f"the instance has no instance profile, and the Default Host Management role {setting} does not exist"
        return _no_credentials(
            iid,
            msg,
            f"Create the role {setting} with AmazonSSMManagedEC2InstanceDefaultPolicy, or attach an instance profile to the instance.",
        )
    return _dhmc_for_agent(iid, agent, account, role, cache)


def _dhmc_for_agent(
    iid: str, agent: AgentFacts, account: AccountData, role: aws.RoleDetail, cache: PolicyCache
) -> Identity:
    """The Default Host Management role, as far as the agent's version lets it use it."""
    if agent.version is None:
        msg = f"the instance would use the Default Host Management role {role.role_name}, which needs agent {format_version(DHMC_MIN)} or newer; the agent version is unknown"
        return Identity(
            "unknown",
            cache.role_policies(account, role),
            Verdict.UNKNOWN,
            (
                reason(
                    "DATA_MISSING",
                    Severity.WARNING,
                    iid,
                    msg + " (the instance is not in DescribeInstanceInformation)",
                ),
            ),
            msg,
        )
    if agent.version < DHMC_MIN:
        msg = (
            f"the instance has no instance profile and its agent {format_version(agent.version)} is older than "
            f"{format_version(DHMC_MIN)}, which Default Host Management needs"
        )
        blocked = _no_credentials(
            iid, msg, "Attach an instance profile to the instance, or update its agent."
        )
        too_old = reason(
            "AGENT_TOO_OLD",
            Severity.WARNING,
            iid,
            msg,
            f"Update the SSM agent on the instance to {format_version(DHMC_MIN)} or newer.",
        )
        return dataclasses.replace(blocked, reasons=(*blocked.reasons, too_old))
    return Identity(
        "dhmc",
        cache.role_policies(account, role),
        Verdict.PRIVATE,
        (),
        f"no instance profile; Default Host Management supplies role {role.role_name}",
    )


def resolve_identity(
    estate: Estate,
    region: RegionData,
    instance: aws.Instance,
    agent: AgentFacts,
    cache: PolicyCache,
    partition: str,
) -> Identity:
    """The credentials the agent on `instance` uses."""
    iid = instance.instance_id
    profile = instance.iam_instance_profile
    if profile is None:
        return _role_from_dhmc(estate, region, instance, agent, cache)
    account = estate.account_data(region.account)
    gap = account.gap("GetAccountAuthorizationDetails")
    if gap is not None:
        return _unreadable(
            gap, iid, f"instance profile {profile.arn} cannot be resolved: IAM was not read"
        )
    role = account.profile_roles.get(profile.arn)
    if role is None:
        fallback = _role_from_dhmc(estate, region, instance, agent, cache)
        if fallback.kind == "dhmc":
            return fallback
        msg = f"instance profile {profile.arn.rsplit('/', 1)[-1]} holds no role (or no longer exists), so the agent gets no credentials"
        return Identity(
            fallback.kind if fallback.kind == "unknown" else "none",
            None,
            fallback.verdict,
            (
                reason(
                    "NO_INSTANCE_PROFILE",
                    Severity.ERROR if fallback.verdict is Verdict.BLOCKED else Severity.WARNING,
                    profile.arn,
                    msg,
                    f"Add a role with AmazonSSMManagedInstanceCore to instance profile {profile.arn.rsplit('/', 1)[-1]}.",
                ),
                *tuple(r for r in fallback.reasons if r.code != "NO_INSTANCE_PROFILE"),
            ),
            msg,
        )
    policies = cache.role_policies(account, role)
    heartbeat = cache.evaluate(
        policies,
        heartbeat_context(
            instance,
            region,
            role.arn,
            partition,
            via_endpoint=None,
            organization=estate.account_data(region.account).organization,
        ),
    )
    if heartbeat.decision in (Decision.DENY, Decision.NO_ALLOW):
        fallback = _role_from_dhmc(estate, region, instance, agent, cache)
        if fallback.kind == "dhmc":
            return Identity(
                "dhmc",
                fallback.role,
                Verdict.PRIVATE,
                (),
                f"role {role.role_name} does not allow ssm:UpdateInstanceInformation; Default Host Management supplies {fallback.role_arn}",
            )
    return Identity(
        "profile", policies, Verdict.PRIVATE, (), f"instance profile role {role.role_name}"
    )


def instance_arn(instance: aws.Instance, region: RegionData, partition: str) -> str:
    return f"arn:{partition}:ec2:{region.region}:{region.account}:instance/{instance.instance_id}"


_ORG_NOT_READ = Gap("", "global", "organizations", "DescribeOrganization", "missing")

# Services whose requests carry `aws:VpceAccount` and `aws:VpceOrgID` when they arrive
# through a VPC endpoint (IAM User Guide, "AWS global condition context keys",
# aws:VpceAccount and aws:VpceOrgID: "currently supported" for a listed set of services,
# which names Amazon S3 and AWS KMS and none of Systems Manager, its message services,
# CloudWatch Logs or EC2). An S3 gateway endpoint sets them as an interface endpoint does:
# AWS's pages do not say so either way; a published test (a bucket policy denying requests
# whose aws:VpceAccount is null admitted requests through a gateway endpoint) shows it.
# For any other service the keys are left unknown: AWS does not say what such a request
# carries, and a perimeter on them is then UNKNOWN, never guessed.
VPCE_OWNER_KEY_SERVICES = frozenset({"s3", "kms"})
_VPCE_OWNER_KEYS = ("aws:vpceaccount", "aws:vpceorgid")


def request_keys(
    region: RegionData,
    role_arn: str | None,
    *,
    instance_ip: str | None,
    via_endpoint: aws.VpcEndpoint | None,
    organization: str | Gap | None = _ORG_NOT_READ,
    service: str | None = None,
    endpoint_organization: str | Gap | None = _ORG_NOT_READ,
    source_instance: str | None = None,
    credentials: IdentityKind | None = None,
) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """Condition keys the snapshot can decide for a call from the node.

    `organization`: the node account's organization id (`aws:PrincipalOrgID`), None when
    it is in no organization (the key is then absent from the request: IAM User Guide,
    "AWS global condition context keys", aws:PrincipalOrgID), or a Gap (the key is unknown).
    Callers that do not pass it leave the key unknown.

    `service` (the endpoint service the call goes to) and `endpoint_organization` (the
    organization of the account that owns `via_endpoint`, in the same three forms) decide
    `aws:VpceAccount` and `aws:VpceOrgID` for the services in VPCE_OWNER_KEY_SERVICES;
    both keys are absent from a call that uses no endpoint.

    `source_instance` (the node's instance ARN) and `credentials` (how it got them)
    decide the source-instance keys (IAM User Guide, "AWS global condition context
    keys"): with instance profile credentials `ec2:SourceInstanceARN` is the instance
    ("whenever the role session is created by an Amazon EC2 instance") and
    `ssm:SourceInstanceARN` is absent ("not present" for instance profile credentials);
    with credentials Systems Manager delivers (Default Host Management)
    `ssm:SourceInstanceARN` is the instance ("whenever role credentials are delivered to
    an AWS Systems Manager managed instance") and `ec2:SourceInstanceARN` stays unknown
    (no page says it is absent). Otherwise both are unknown."""
    keys: dict[str, tuple[str, ...]] = {
        "aws:principalaccount": (region.account,),
        "ssm:nodeaccountid": (region.account,),
        "aws:securetransport": ("true",),
        "aws:requestedregion": (region.region,),
        "aws:principaltype": ("AssumedRole",),
    }
    if role_arn:
        keys["aws:principalarn"] = (role_arn,)
    absent: set[str] = set()
    if source_instance is not None and credentials == "profile":
        keys["ec2:sourceinstancearn"] = (source_instance,)
        absent.add("ssm:sourceinstancearn")
    elif source_instance is not None and credentials == "dhmc":
        keys["ssm:sourceinstancearn"] = (source_instance,)
    if isinstance(organization, str):
        keys["aws:principalorgid"] = (organization,)
    elif organization is None:
        absent.add("aws:principalorgid")
    if via_endpoint is not None:
        keys["aws:sourcevpce"] = (via_endpoint.vpc_endpoint_id,)
        keys["aws:sourcevpc"] = (via_endpoint.vpc_id,)
        # aws:VpcSourceIp stays unknown: conditions on it are not decided from the snapshot,
        # which also keeps decisions equal for every instance of a group.
        absent.add("aws:sourceip")
        if service in VPCE_OWNER_KEY_SERVICES:
            if via_endpoint.owner_id:
                keys["aws:vpceaccount"] = (via_endpoint.owner_id,)
            if isinstance(endpoint_organization, str):
                keys["aws:vpceorgid"] = (endpoint_organization,)
            elif endpoint_organization is None:
                absent.add("aws:vpceorgid")
    else:
        absent.update({"aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip", *_VPCE_OWNER_KEYS})
    return keys, frozenset(absent)


def heartbeat_context(
    instance: aws.Instance,
    region: RegionData,
    role_arn: str,
    partition: str,
    via_endpoint: aws.VpcEndpoint | None,
    credentials: IdentityKind = "profile",
    organization: str | Gap | None = _ORG_NOT_READ,
) -> RequestContext:
    resource = instance_arn(instance, region, partition)
    keys, absent = request_keys(
        region,
        role_arn,
        instance_ip=instance.private_ip_address,
        via_endpoint=via_endpoint,
        source_instance=resource,
        credentials=credentials,
        organization=organization,
    )
    if via_endpoint is None:
        # The path is not known here: the VPC keys are unknown, not absent (the other
        # keys, decided or absent, stay as the path's own requests have them).
        path_keys = ("aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip", *_VPCE_OWNER_KEYS)
        for key in path_keys:
            keys.pop(key, None)
        absent = absent - frozenset(path_keys)
    return RequestContext(
        action="ssm:UpdateInstanceInformation",
        resource=resource,
        principal_arn=role_arn,
        principal_account=region.account,
        keys=keys,
        absent_keys=absent,
    )
