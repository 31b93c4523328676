"""Unit tests of `analysis.identity`: which credentials the agent uses (instance profile,
Default Host Management, none), what a role's policies allow, and the request keys.

Sources: SSM user guide, "Configure instance permissions for Systems Manager" and
"Default Host Management Configuration" (the setting names the role; IMDSv2 and agent
3.2.582.0 or later); IAM user guide, "Policy evaluation logic" (an explicit deny wins;
a permissions boundary limits what identity policies allow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ssmreach.analysis.features import AgentFacts, Version
from ssmreach.analysis.identity import (
    Identity,
    PolicyCache,
    instance_arn,
    request_keys,
    resolve_identity,
)
from ssmreach.analysis.verdict import Severity, Verdict
from ssmreach.model import aws
from ssmreach.model.estate import AccountData, Estate, Gap, RegionData
from ssmreach.model.reader import DHMC_SETTING
from ssmreach.policy.evaluate import Decision, RequestContext

ACCOUNT = "111122223333"
CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
DHMC_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/app"
DHMC_ROLE = "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"
NEW_AGENT: Version = (3, 3, 40, 0)


def role(
    name: str,
    *,
    managed: tuple[str, ...] = (),
    inline: dict[str, Any] | None = None,
    boundary: str | None = None,
) -> aws.RoleDetail:
    return aws.RoleDetail(
        role_name=name,
        arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        instance_profile_list=(),
        role_policy_list=(aws.InlinePolicy(policy_name="inline", policy_document=inline),)
        if inline
        else (),
        attached_managed_policies=tuple(aws.AttachedPolicy(policy_arn=a) for a in managed),
        permissions_boundary=aws.PermissionsBoundary(permissions_boundary_arn=boundary)
        if boundary
        else None,
    )


def statement(effect: str, action: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}],
    }


def managed_policy(arn: str, document: dict[str, Any]) -> aws.ManagedPolicyDetail:
    return aws.ManagedPolicyDetail(
        arn=arn,
        default_version_id="v1",
        policy_version_list=(aws.PolicyVersion(document=document, version_id="v1"),),
    )


@dataclass
class Account:
    profile_role: aws.RoleDetail | None = None
    roles: tuple[aws.RoleDetail, ...] = ()
    policies: tuple[aws.ManagedPolicyDetail, ...] = ()
    setting: str | Gap | None = "$None"
    iam_read: bool = True
    has_profile: bool = True
    gaps: dict[str, Gap] = field(default_factory=dict)

    def parts(self) -> tuple[Estate, RegionData, aws.Instance]:
        every = (*self.roles, *((self.profile_role,) if self.profile_role else ()))
        account = AccountData(
            ACCOUNT,
            gaps={}
            if self.iam_read
            else {
                "GetAccountAuthorizationDetails": Gap(
                    ACCOUNT, "global", "iam", "GetAccountAuthorizationDetails", "denied"
                )
            },
            roles={r.arn: r for r in every},
            roles_by_name={r.role_name: r for r in every},
            profile_roles={PROFILE: self.profile_role} if self.profile_role else {},
            managed_policies={p.arn: p for p in self.policies},
        )
        data = RegionData(
            account=ACCOUNT,
            region="us-east-1",
            gaps=self.gaps,
            service_settings={} if self.setting is None else {DHMC_SETTING: self.setting},
        )
        estate = Estate("test", None, "aws", {(ACCOUNT, "us-east-1"): data}, {ACCOUNT: account})
        instance = aws.Instance(
            instance_id="i-0123456789abcdef0",
            private_ip_address="10.0.1.10",
            iam_instance_profile=aws.IamInstanceProfileRef(arn=PROFILE)
            if self.has_profile
            else None,
        )
        return estate, data, instance

    def identity(self, version: Version | None = NEW_AGENT) -> Identity:
        estate, data, instance = self.parts()
        agent = AgentFacts(listed=True, ping_status="Online", version=version, legacy_windows=False)
        return resolve_identity(estate, data, instance, agent, PolicyCache(), "aws")


def codes(identity: Identity) -> list[str]:
    return [r.code for r in identity.reasons]


DHMC = role("AWSSystemsManagerDefaultEC2InstanceManagementRole", managed=(DHMC_POLICY,))


# -- which credentials --------------------------------------------------------------------


def test_an_instance_profile_role_is_used() -> None:
    identity = Account(profile_role=role("app", managed=(CORE,))).identity()
    assert identity.kind == "profile" and identity.verdict is Verdict.PRIVATE
    assert identity.role_arn == f"arn:aws:iam::{ACCOUNT}:role/app"
    assert identity.reasons == ()


def test_no_profile_and_default_host_management_off_gives_no_credentials() -> None:
    identity = Account(has_profile=False).identity()
    assert identity.kind == "none" and identity.verdict is Verdict.BLOCKED
    assert codes(identity) == ["NO_INSTANCE_PROFILE"]
    assert identity.reasons[0].severity is Severity.ERROR


def test_default_host_management_supplies_its_role() -> None:
    identity = Account(has_profile=False, roles=(DHMC,), setting=DHMC_ROLE).identity()
    assert identity.kind == "dhmc" and identity.verdict is Verdict.PRIVATE
    assert identity.role_arn == DHMC.arn


def test_default_host_management_needs_a_recent_agent() -> None:
    account = Account(has_profile=False, roles=(DHMC,), setting=DHMC_ROLE)
    old = account.identity(version=(3, 2, 581, 0))
    assert old.verdict is Verdict.BLOCKED
    assert codes(old) == ["NO_INSTANCE_PROFILE", "AGENT_TOO_OLD"]
    assert account.identity(version=(3, 2, 582, 0)).kind == "dhmc"
    unknown = account.identity(version=None)
    assert unknown.kind == "unknown" and unknown.verdict is Verdict.UNKNOWN
    assert codes(unknown) == ["DATA_MISSING"]


def test_default_host_management_naming_a_missing_role_gives_no_credentials() -> None:
    identity = Account(has_profile=False, setting=DHMC_ROLE).identity()
    assert identity.verdict is Verdict.BLOCKED and codes(identity) == ["NO_INSTANCE_PROFILE"]
    assert "does not exist" in identity.detail


def test_an_unread_default_host_management_setting_is_unknown() -> None:
    identity = Account(has_profile=False, setting=None).identity()
    assert identity.kind == "unknown" and codes(identity) == ["DATA_MISSING"]
    assert f"ssm:GetServiceSetting ({DHMC_SETTING})" in identity.reasons[0].message


def test_iam_not_read_leaves_a_profile_unresolved() -> None:
    identity = Account(profile_role=role("app", managed=(CORE,)), iam_read=False).identity()
    assert identity.kind == "unknown" and codes(identity) == ["READ_DENIED"]


def test_a_profile_without_a_role_falls_back_to_default_host_management() -> None:
    fallback = Account(roles=(DHMC,), setting=DHMC_ROLE).identity()
    assert fallback.kind == "dhmc"
    alone = Account().identity()
    assert alone.kind == "none" and alone.verdict is Verdict.BLOCKED
    assert codes(alone) == ["NO_INSTANCE_PROFILE"]
    assert alone.reasons[0].resource == PROFILE


def test_a_profile_role_without_the_heartbeat_action_gives_way_to_default_host_management() -> None:
    """The agent uses DHMC when the profile's role cannot call UpdateInstanceInformation."""
    bare = role("app", inline=statement("Allow", "s3:GetObject"))
    identity = Account(profile_role=bare, roles=(DHMC,), setting=DHMC_ROLE).identity()
    assert identity.kind == "dhmc" and identity.role_arn == DHMC.arn
    assert Account(profile_role=bare).identity().kind == "profile"


# -- what a role allows -------------------------------------------------------------------


def _heartbeat(role_arn: str) -> RequestContext:
    return RequestContext(
        action="ssm:UpdateInstanceInformation",
        resource=f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0",
        principal_arn=role_arn,
        principal_account=ACCOUNT,
    )


def _decide(detail: aws.RoleDetail, *policies: aws.ManagedPolicyDetail) -> Decision:
    cache = PolicyCache()
    account = AccountData(ACCOUNT, managed_policies={p.arn: p for p in policies})
    return cache.evaluate(cache.role_policies(account, detail), _heartbeat(detail.arn)).decision


def test_an_aws_managed_policy_missing_from_the_snapshot_uses_the_bundled_copy() -> None:
    assert _decide(role("app", managed=(CORE,))) is Decision.ALLOW


def test_a_customer_policy_missing_from_the_snapshot_leaves_the_decision_unknown() -> None:
    custom = f"arn:aws:iam::{ACCOUNT}:policy/ssm"
    assert _decide(role("app", managed=(CORE, custom))) is Decision.UNKNOWN


def test_an_explicit_deny_decides_even_when_a_policy_is_missing() -> None:
    deny = role(
        "app", managed=(f"arn:aws:iam::{ACCOUNT}:policy/gone",), inline=statement("Deny", "ssm:*")
    )
    assert _decide(deny) is Decision.DENY


def test_a_permissions_boundary_limits_what_the_policies_allow() -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    only_s3 = managed_policy(boundary, statement("Allow", "s3:*"))
    assert _decide(role("app", managed=(CORE,), boundary=boundary), only_s3) is Decision.NO_ALLOW
    ssm_ok = managed_policy(boundary, statement("Allow", "ssm:*"))
    assert _decide(role("app", managed=(CORE,), boundary=boundary), ssm_ok) is Decision.ALLOW


def test_an_instance_arn_counts_as_any_instance_unless_a_policy_names_it() -> None:
    ctx = _heartbeat(f"arn:aws:iam::{ACCOUNT}:role/app")
    shared = PolicyCache().request_key(ctx)
    assert shared[1] == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*"
    named = PolicyCache(frozenset({"i-0123456789abcdef0"})).request_key(ctx)
    assert named[1] == ctx.resource


# -- request keys -------------------------------------------------------------------------


def test_the_instance_arn() -> None:
    _, data, instance = Account().parts()
    assert instance_arn(instance, data, "aws-cn") == (
        f"arn:aws-cn:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0"
    )


def test_request_keys_through_an_endpoint_name_it_and_its_vpc() -> None:
    """IAM condition keys: `aws:SourceVpce` and `aws:SourceVpc` are present only on
    requests through a VPC endpoint."""
    _, data, _ = Account().parts()
    via = aws.VpcEndpoint(
        vpc_endpoint_id="vpce-1",
        vpc_endpoint_type="Interface",
        vpc_id="vpc-1",
        service_name="com.amazonaws.us-east-1.ssm",
        state="available",
    )
    keys, absent = request_keys(data, "arn:r", instance_ip="10.0.1.10", via_endpoint=via)
    assert keys["aws:sourcevpce"] == ("vpce-1",) and keys["aws:sourcevpc"] == ("vpc-1",)
    assert keys["aws:principalarn"] == ("arn:r",)
    assert keys["aws:securetransport"] == ("true",)
    assert absent == frozenset({"aws:sourceip"})
    public, absent_public = request_keys(data, None, instance_ip=None, via_endpoint=None)
    assert "aws:sourcevpce" not in public and "aws:principalarn" not in public
    assert absent_public == frozenset(
        {"aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip", "aws:vpceaccount", "aws:vpceorgid"}
    )
