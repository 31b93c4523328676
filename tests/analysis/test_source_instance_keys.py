"""The source-instance condition keys: `ec2:SourceInstanceARN` and `ssm:SourceInstanceARN`.

IAM User Guide, "AWS global condition context keys": `ec2:SourceInstanceARN` is in the
request context "whenever the role session is created by an Amazon EC2 instance";
`ssm:SourceInstanceARN` "whenever role credentials are delivered to an AWS Systems Manager
managed instance", and is "not present" for instance profile credentials.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import EstateBuilder
from scenario import one_vpc, result_for, run
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.identity import PolicyCache, request_keys
from ssmreach.model.estate import RegionData
from ssmreach.policy.evaluate import RequestContext

ARN = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0"


def _region() -> RegionData:
    return RegionData(account="111122223333", region="us-east-1")


def _keys(credentials: Any) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    return request_keys(
        _region(),
        "arn:r",
        instance_ip=None,
        via_endpoint=None,
        source_instance=ARN,
        credentials=credentials,
    )


def test_instance_profile_credentials_carry_the_ec2_key_only() -> None:
    keys, absent = _keys("profile")
    assert keys["ec2:sourceinstancearn"] == (ARN,)
    assert "ssm:sourceinstancearn" in absent and "ssm:sourceinstancearn" not in keys


def test_default_host_management_credentials_carry_the_ssm_key() -> None:
    keys, absent = _keys("dhmc")
    assert keys["ssm:sourceinstancearn"] == (ARN,)
    # No page says the EC2 key is absent then: it stays unknown.
    assert "ec2:sourceinstancearn" not in keys and "ec2:sourceinstancearn" not in absent


@pytest.mark.parametrize("credentials", [None, "unknown", "none"])
def test_without_known_credentials_both_keys_are_unknown(credentials: Any) -> None:
    keys, absent = _keys(credentials)
    for key in ("ec2:sourceinstancearn", "ssm:sourceinstancearn"):
        assert key not in keys and key not in absent


def test_the_cache_key_counts_any_unnamed_instance_as_one() -> None:
    cache = PolicyCache(named_instances=frozenset({"i-0000000000000000a"}))

    def key(arn: str) -> tuple[object, ...]:
        ctx = RequestContext(
            action="ssm:UpdateInstanceInformation",
            resource="*",
            principal_arn="arn:r",
            principal_account="111122223333",
            keys={"ec2:sourceinstancearn": (arn,)},
        )
        return cache.request_key(ctx)

    other = ARN.replace("0123456789abcdef0", "0fedcba9876543210")
    named = ARN.replace("0123456789abcdef0", "0000000000000000a")
    assert key(ARN) == key(other)
    assert key(named) != key(ARN)


# -- end to end: a role whose statements are scoped to the instances ----------------------------


def _scoped_role(b: EstateBuilder, key: str, pattern: str) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": ["ssm:*", "ssmmessages:*", "ec2messages:*"],
        "Resource": "*",
        "Condition": {"ArnLike": {key: pattern}},
    }
    return b.role("scoped", managed=[], inline={"scoped": {"Statement": [statement]}})


def _estate(key: str, pattern: str, instances: int = 1) -> tuple[EstateBuilder, list[str]]:
    e = one_vpc()
    role = _scoped_role(e.b, key, pattern)
    return e.b, [e.b.instance(f"web-{n}", e.app, [e.app_sg], role) for n in range(instances)]


def test_a_role_scoped_to_the_accounts_instances_allows_the_heartbeat() -> None:
    b, (iid,) = _estate("ec2:SourceInstanceARN", "arn:aws:ec2:*:111122223333:instance/*")
    assert result_for(b, iid, "core").verdict.value == "PRIVATE"


def test_a_role_that_needs_the_ssm_key_gets_nothing_from_an_instance_profile() -> None:
    b, (iid,) = _estate("ssm:SourceInstanceARN", "arn:aws:ec2:*:*:instance/*")
    assert result_for(b, iid, "core").verdict.value == "BLOCKED"


def test_a_role_scoped_to_one_instance_serves_that_instance_only() -> None:
    b, iids = _estate("ec2:SourceInstanceARN", "arn:aws:ec2:*:*:instance/PLACEHOLDER", instances=3)
    chosen = iids[1]
    (role,) = [r for r in b.roles if r["RoleName"] == "scoped"]
    assert "PLACEHOLDER" in str(role["RolePolicyList"][0]["PolicyDocument"])
    role["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Condition"]["ArnLike"][
        "ec2:SourceInstanceARN"
    ] = f"arn:aws:ec2:*:*:instance/{chosen}"
    verdicts = {r.instance: r.verdict.value for r in run(b).results if r.feature == "core"}
    assert verdicts == {iid: "PRIVATE" if iid == chosen else "BLOCKED" for iid in iids}
    single = check_estate(b.estate(), CheckOptions(features=("core",), grouped=False))
    assert {r.instance: r.verdict.value for r in single.results} == verdicts


def test_a_profile_role_that_needs_the_ssm_key_falls_back_to_default_host_management() -> None:
    """The heartbeat that chooses between the instance profile and Default Host
    Management carries the same keys as the path's requests: with the profile's
    credentials `ssm:SourceInstanceARN` is absent, so the profile role cannot call it,
    and the agent uses the Default Host Management role instead."""
    e = one_vpc()
    role = _scoped_role(e.b, "ssm:SourceInstanceARN", "arn:aws:ec2:*:*:instance/*")
    e.b.role(
        "AWSSystemsManagerDefaultEC2InstanceManagementRole",
        managed=["arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy"],
        profile=False,
    )
    e.b.dhmc_role = "service-role/AWSSystemsManagerDefaultEC2InstanceManagementRole"
    iid = e.b.instance("web", e.app, [e.app_sg], role)
    assert result_for(e.b, iid, "core").verdict.value == "PRIVATE"
