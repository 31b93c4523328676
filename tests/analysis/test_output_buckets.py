"""End-to-end: the S3 buckets Run Command and State Manager write output to are part of
`run-command`, on the node's real path, for the nodes their targets take in."""

from __future__ import annotations

import pytest

from builders import EstateBuilder
from scenario import Estate1, codes, one_vpc, result_for, run
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.output_buckets import applies
from ssmreach.analysis.verdict import FeatureResult, Severity, Verdict
from ssmreach.model.estate import OutputSource, node_target

BUCKET = "run-output"
OTHER = "eu-west-1"


def _estate(
    *, nat: bool = False, endpoints: bool = True, tags: dict[str, str] | None = None
) -> tuple[Estate1, str]:
    """One VPC with the SSM endpoints and an S3 gateway endpoint; the role may write to
    the output bucket."""
    e = one_vpc(endpoints=endpoints)
    if nat:
        e.b.internet_via_nat(e.vpc, e.rtb, "10.0.200.0/24")
    statements = [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    ]
    profile = e.b.role("out", inline={"s3": {"Statement": statements}})
    return e, e.b.instance("web", e.app, [e.app_sg], profile, tags=tags)


def _s3(r: FeatureResult) -> list[str]:
    return [s.verdict.value for s in r.services if s.service == "s3"]


def _reason(r: FeatureResult, code: str) -> tuple[str, str]:
    found = next(x for x in r.reasons if x.code == code)
    return found.severity.value, found.message


def test_without_commands_run_command_is_as_before() -> None:
    e, iid = _estate()
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.PRIVATE and _s3(r) == []


def test_a_bucket_in_the_node_region_is_reached_through_the_gateway_endpoint() -> None:
    e, iid = _estate()
    e.b.command(BUCKET, instance_ids=[iid])
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.PRIVATE and _s3(r) == ["PRIVATE"]
    assert "S3_BUCKET_OTHER_REGION" not in codes(r)


def test_a_bucket_in_another_region_through_the_gateway_endpoint_only_is_blocked() -> None:
    e, iid = _estate()
    e.b.command(BUCKET, instance_ids=[iid])
    e.b.bucket_regions[BUCKET] = OTHER
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.BLOCKED and _s3(r) == ["BLOCKED"]
    severity, message = _reason(r, "S3_BUCKET_OTHER_REGION")
    assert severity == "error" and OTHER in message and "Run Command output bucket" in message
    # the other features do not write output
    assert result_for(e.b, iid, "core").verdict is Verdict.PRIVATE


def test_a_bucket_in_another_region_with_nat_goes_over_the_internet() -> None:
    e, iid = _estate(nat=True)
    e.b.command(BUCKET, instance_ids=[iid])
    e.b.bucket_regions[BUCKET] = OTHER
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.INTERNET and _s3(r) == ["INTERNET"]
    assert _reason(r, "S3_BUCKET_OTHER_REGION")[0] == "warning"


def test_the_role_must_allow_putobject_under_the_key_prefix() -> None:
    e, iid = _estate()
    e.b.command("elsewhere", instance_ids=[iid], prefix="ssm/")
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.BLOCKED
    denied = next(x for x in r.reasons if x.code == "IAM_ACTION_DENIED")
    assert "s3:PutObject" in denied.message and "elsewhere/ssm/*" in denied.message


def test_a_grant_under_the_key_prefix_is_enough() -> None:
    e = one_vpc()
    statements = [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/ssm/*"}
    ]
    profile = e.b.role("prefix", inline={"s3": {"Statement": statements}})
    iid = e.b.instance("web", e.app, [e.app_sg], profile)
    e.b.command(BUCKET, instance_ids=[iid], prefix="ssm/")
    assert result_for(e.b, iid, "run-command").verdict is Verdict.PRIVATE
    e.b.command(BUCKET, instance_ids=[iid])  # and one without a prefix: the whole bucket
    assert result_for(e.b, iid, "run-command").verdict is Verdict.BLOCKED


def test_an_association_output_region_that_is_not_the_bucket_region_is_an_error() -> None:
    e, iid = _estate()
    e.b.association(BUCKET, targets=[("InstanceIds", [iid])], output_region="us-west-2")
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.BLOCKED
    severity, message = _reason(r, "S3_OUTPUT_REGION_MISMATCH")
    assert severity == "error" and "us-west-2" in message and "us-east-1" in message


def test_a_command_output_region_is_ignored_as_systems_manager_does() -> None:
    e, iid = _estate()
    e.b.command(BUCKET, instance_ids=[iid], output_region="us-west-2")
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.PRIVATE
    assert "S3_OUTPUT_REGION_MISMATCH" not in codes(r)


def test_an_unread_bucket_region_through_the_gateway_endpoint_is_unknown() -> None:
    e, iid = _estate()
    e.b.command(BUCKET, instance_ids=[iid])
    e.b.denied.add("GetBucketLocation")
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.UNKNOWN and _s3(r) == ["UNKNOWN"]
    assert any("s3:GetBucketLocation" in x.message for x in r.reasons if x.code == "READ_DENIED")


def test_a_command_for_other_instances_does_not_touch_this_node() -> None:
    e, iid = _estate()
    other = e.b.instance("db", e.app, [e.app_sg], e.profile)
    e.b.command(BUCKET, instance_ids=[other])
    e.b.bucket_regions[BUCKET] = OTHER
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.PRIVATE and _s3(r) == []
    assert result_for(e.b, other, "run-command").verdict is Verdict.BLOCKED


def test_a_tag_target_takes_in_the_tagged_node_only() -> None:
    e, iid = _estate(tags={"Role": "web"})
    untagged = e.b.instance("db", e.app, [e.app_sg], e.profile)
    e.b.command(BUCKET, targets=[("tag:Role", ["web", "api"])])
    e.b.bucket_regions[BUCKET] = OTHER
    assert result_for(e.b, iid, "run-command").verdict is Verdict.BLOCKED
    assert result_for(e.b, untagged, "run-command").verdict is Verdict.PRIVATE


def test_an_association_for_every_node_applies_to_every_node() -> None:
    e, iid = _estate()
    e.b.association(BUCKET, targets=[("InstanceIds", ["*"])])
    e.b.bucket_regions[BUCKET] = OTHER
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.BLOCKED
    assert "State Manager output bucket" in _reason(r, "S3_BUCKET_OTHER_REGION")[1]


def test_a_target_ssmreach_cannot_resolve_is_named_and_changes_nothing() -> None:
    e, iid = _estate()
    e.b.command(BUCKET, targets=[("resource-groups:Name", ["web-servers"])])
    e.b.bucket_regions[BUCKET] = OTHER
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.PRIVATE and _s3(r) == []
    severity, message = _reason(r, "OUTPUT_TARGET_UNRESOLVED")
    assert (
        severity == "info" and BUCKET in message and "resource-groups:Name=web-servers" in message
    )


def test_denied_listings_leave_run_command_unknown_and_absent_ones_change_nothing() -> None:
    e, iid = _estate()
    e.b.command(BUCKET, instance_ids=[iid])
    e.b.denied.add("ListCommands")
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.UNKNOWN
    assert any("ssm:ListCommands" in x.message for x in r.reasons if x.code == "READ_DENIED")
    e.b.denied.clear()
    e.b.omitted.add("ListCommands")
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.PRIVATE and "READ_DENIED" not in codes(r)
    # not collected: said, as a note that leaves the verdict alone
    note = next(x for x in r.reasons if x.resource == "ssm:ListCommands")
    assert note.code == "DATA_MISSING" and note.severity is Severity.INFO
    assert "not checked" in note.message


def test_an_association_not_described_is_unknown_only_when_denied() -> None:
    e, iid = _estate()
    association = e.b.association(BUCKET, targets=[("InstanceIds", [iid])])
    e.b.association_errors[association] = "AccessDeniedException"
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.UNKNOWN
    assert any("ssm:DescribeAssociation" in x.message for x in r.reasons if x.code == "READ_DENIED")
    e.b.association_errors.clear()
    e.b.omitted.add("DescribeAssociation")
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.PRIVATE
    note = next(x for x in r.reasons if x.code == "DATA_MISSING" and association in x.message)
    assert note.severity is Severity.INFO


def test_buckets_of_one_region_are_one_need_and_another_region_is_another() -> None:
    e, iid = _estate(nat=True)
    for bucket in (BUCKET, "second"):
        e.b.command(bucket, instance_ids=[iid])
    e.b.command("far", instance_ids=[iid])
    e.b.bucket_regions["far"] = OTHER
    statements = [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]
    profile = e.b.role("wide", inline={"s3": {"Statement": statements}})
    node = e.b.instance("wide", e.app, [e.app_sg], profile)
    e.b.commands = [{**c, "InstanceIds": [node]} for c in e.b.commands or ()]
    r = result_for(e.b, node, "run-command")
    assert _s3(r) == ["PRIVATE", "INTERNET"]
    assert r.verdict is Verdict.INTERNET


def test_grouped_and_single_analysis_agree_when_output_buckets_tell_nodes_apart() -> None:
    e, tagged = _estate(tags={"Role": "web"})
    twins = [e.b.instance(f"twin{i}", e.app, [e.app_sg], e.profile) for i in range(2)]
    e.b.command(BUCKET, targets=[("tag:Role", ["web"])])
    e.b.command(BUCKET, instance_ids=[twins[1]])
    e.b.bucket_regions[BUCKET] = OTHER
    estate = e.b.estate()
    grouped = check_estate(estate, CheckOptions(features=FEATURES))
    single = check_estate(estate, CheckOptions(features=FEATURES, grouped=False))
    assert grouped.results == single.results
    verdicts = {r.instance: r.verdict for r in grouped.results if r.feature == "run-command"}
    assert verdicts[tagged] is Verdict.BLOCKED and verdicts[twins[1]] is Verdict.BLOCKED
    assert verdicts[twins[0]] is Verdict.PRIVATE


def test_targets_decide_only_when_they_all_agree() -> None:
    b = EstateBuilder()
    vpc = b.vpc("10.0.0.0/16")
    subnet = b.subnet(vpc, "10.0.1.0/24")
    iid = b.instance("web", subnet, [b.sg(vpc, "app")], None, tags={"Env": "prod"})
    [instance] = b.estate().regions[(b.account, b.region)].instances

    def source(*targets: tuple[str, tuple[str, ...]]) -> OutputSource:
        return OutputSource("command", "c", None, tuple(node_target(k, v) for k, v in targets))

    assert applies(source(("tag:Env", ("prod",)), ("InstanceIds", (iid,))), instance) is True
    assert applies(source(("tag:Env", ("dev",)), ("tag-key", ("Team",))), instance) is False
    assert applies(source(("tag:Env", ("prod",)), ("tag:Team", ("a",))), instance) is None
    assert (
        applies(
            source(
                ("tag-key", ("Env",)),
            ),
            instance,
        )
        is True
    )
    assert (
        applies(
            source(
                ("AWS::EC2::Instance", ("*",)),
            ),
            instance,
        )
        is True
    )
    assert (
        applies(
            source(
                ("resource-groups:Name", ("g",)),
            ),
            instance,
        )
        is None
    )
    assert run(b).results  # the estate itself checks


def _outputs_estate() -> EstateBuilder:
    """Nodes with output buckets of every kind: in the Region, in another one over NAT,
    an association's by tag, and one a resource group may target."""
    e, here = _estate(nat=True, tags={"Role": "web"})
    statements = [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]
    profile = e.b.role("wide", inline={"s3": {"Statement": statements}})
    far = e.b.instance("far", e.app, [e.app_sg], profile)
    e.b.command(BUCKET, instance_ids=[here])
    e.b.command("far-output", instance_ids=[far])
    e.b.bucket_regions["far-output"] = OTHER
    e.b.association(BUCKET, targets=[("tag:Role", ["web"])], output_region="us-east-1")
    e.b.command(BUCKET, targets=[("resource-groups:Name", ["all"])])
    return e.b


@pytest.mark.parametrize("mode", ["absent", "denied"])
@pytest.mark.parametrize(
    "operation", ["ListCommands", "ListAssociations", "DescribeAssociation", "GetBucketLocation"]
)
def test_a_missing_output_read_never_changes_a_definite_verdict(operation: str, mode: str) -> None:
    def verdicts(b: EstateBuilder) -> dict[tuple[str, str], FeatureResult]:
        return {(r.instance, r.feature): r for r in run(b, ("run-command",)).results}

    if mode == "absent" and operation in ("ListCommands", "ListAssociations"):
        pytest.skip("the judgement call: listings not collected are no output buckets")
    before = verdicts(_outputs_estate())
    assert {r.verdict for r in before.values()} == {Verdict.PRIVATE, Verdict.INTERNET}
    b = _outputs_estate()
    (b.omitted if mode == "absent" else b.denied).add(operation)
    for key, result in verdicts(b).items():
        if result.verdict is before[key].verdict:
            continue
        named = [
            r
            for r in (*result.reasons, *(x for s in result.services for x in s.reasons))
            if r.code in ("DATA_MISSING", "READ_DENIED") and operation in r.message
        ]
        assert result.verdict is Verdict.UNKNOWN and named, (key, result.reasons)


def test_a_deleted_output_bucket_is_an_error() -> None:
    e, iid = _estate()
    e.b.command(BUCKET, instance_ids=[iid])
    e.b.missing_buckets.add(BUCKET)
    r = result_for(e.b, iid, "run-command")
    assert r.verdict is Verdict.BLOCKED and _s3(r) == ["BLOCKED"]
    severity, message = _reason(r, "S3_BUCKET_NOT_FOUND")
    assert severity == "error" and BUCKET in message


def test_a_bucket_in_another_region_is_not_called_a_missing_endpoint() -> None:
    e, iid = _estate()
    e.b.command(BUCKET, instance_ids=[iid])
    e.b.bucket_regions[BUCKET] = OTHER
    r = result_for(e.b, iid, "run-command")
    s3 = [s for s in r.services if s.service == "s3"]
    assert "ENDPOINT_MISSING" not in {x.code for s in s3 for x in s.reasons}
    assert "S3_BUCKET_OTHER_REGION" in codes(r)
