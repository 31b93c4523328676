"""`--org` against in-process moto: the listing, the accounts read through their roles, a
failed account that never stops the others, the selection, `--resume`, and the guard.

moto's STS hands out credentials for any role ARN, so a member account without the role
is simulated in the test layer (`org_estate.deny_assume_role`, a botocore `before-call`
handler answering AccessDenied for that account's AssumeRole).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import msgspec
import pytest

from collect.collect_helpers import aws_env, error_answer, moto  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION
from collect.org_estate import ROLE_NAME, Org, Recorder, build_org, deny_assume_role, role_arn
from ssmreach.collect import calls as calls_module
from ssmreach.collect import collect_organization
from ssmreach.collect.accounts import OrgRequest
from ssmreach.collect.calls import CALLS, ORGANIZATION_DESCRIPTION, ApiCall
from ssmreach.collect.collector import CollectResult, ProgressEvent
from ssmreach.collect.readonly import ReadOnlyViolation, is_read_only
from ssmreach.collect.resume import failed_accounts, merge_resumed, replace_folder
from ssmreach.errors import CollectError, UsageError
from ssmreach.model.raw import GLOBAL, Manifest, read_raw_snapshot, write_raw_snapshot

SMALL_TABLE = (
    *(c for c in CALLS if c.operation in ("DescribeInstances", "DescribeVpcs")),
    ORGANIZATION_DESCRIPTION,
)


@pytest.fixture
def org(moto: None, monkeypatch: pytest.MonkeyPatch) -> Org:  # noqa: F811
    monkeypatch.setattr(calls_module, "CALLS", SMALL_TABLE)
    return build_org()


def collect(
    recorder: Recorder, regions: tuple[str, ...] = (REGION,), **options: object
) -> CollectResult:
    request = OrgRequest(role_name=ROLE_NAME, **options)  # type: ignore[arg-type]
    return collect_organization(regions, request, session_factory=recorder)


def test_a_missing_role_fails_that_account_only(org: Org) -> None:
    missing = org.members[1]
    recorder = Recorder({"before-call.sts.AssumeRole": deny_assume_role(missing)})
    events: list[ProgressEvent] = []
    request = OrgRequest(role_name=ROLE_NAME, max_accounts_parallel=2)
    result = collect_organization(
        [REGION], request, progress=events.append, session_factory=recorder
    )

    read = sorted({ACCOUNT, org.members[0], org.members[2]})
    assert result.raw.manifest.accounts == tuple(read)
    assert {k.account for k in result.raw.files} == set(read)
    assert len(result.raw.files) == len(read) * len(SMALL_TABLE)
    [failure] = result.failed_accounts
    assert (failure.account, failure.role_arn) == (missing, role_arn(missing))
    assert (failure.api, failure.code) == ("sts:AssumeRole", "AccessDenied")
    assert result.raw.manifest.failed_accounts == {missing: failure.reason}
    assert failure.reason.startswith(
        f"sts:AssumeRole failed for {role_arn(missing)} (AccessDenied: "
    )
    assert f"account {missing} not read: " in failure.line
    assert "`ssmreach permissions`" in failure.line and "trust policy" in failure.line
    assert result.stats.failures == ()

    # The caller's own account with the base credentials; the others through their role.
    assert [a["RoleArn"] for a in sorted(recorder.assumed, key=lambda a: a["RoleArn"])] == [
        role_arn(m) for m in sorted(org.members)
    ]
    assert all(
        a["RoleSessionName"] == "ssmreach" and "ExternalId" not in a for a in recorder.assumed
    )
    assert recorder.accounts_called() == set(read)  # the closed account is never read
    # The stubbed AssumeRole is answered before the recorder's catch-all handler sees it.
    assert result.stats.calls == len(recorder.sent) + 1
    listing = [(s, o) for a, s, o in recorder.sent if s == "organizations" and a == ACCOUNT]
    assert listing.count(("organizations", "ListAccounts")) == 1
    assert listing.count(("organizations", "DescribeOrganization")) == 2  # once more in the table

    organization = result.organization
    assert organization is not None
    assert (organization.id, organization.management_account) == (org.id, ACCOUNT)
    assert organization.inactive == (org.closed,)
    assert sorted(organization.selected) == org.active

    # Progress: the planned operations and the calls made (identity, DescribeOrganization,
    # ListAccounts), then per account started and done (or failed).
    assert events[0] == ProgressEvent("start", total=len(org.active) * len(SMALL_TABLE), calls=3)
    states = {(e.account, e.state) for e in events if e.kind == "account"}
    assert states == {(a, "started") for a in org.active} | {(a, "done") for a in read} | {
        (missing, "failed")
    }
    [failed] = [e for e in events if e.state == "failed"]
    assert failed.total == len(SMALL_TABLE) and failed.detail == "sts:AssumeRole AccessDenied"


def test_external_id_and_a_role_path_are_passed(org: Org) -> None:
    recorder = Recorder()
    request = OrgRequest(role_name="audit/ssmreach", external_id="ext-1234")
    result = collect_organization([REGION], request, session_factory=recorder)
    assert not result.failed_accounts
    assert {a["ExternalId"] for a in recorder.assumed} == {"ext-1234"}
    assert {a["RoleArn"] for a in recorder.assumed} == {
        f"arn:aws:iam::{m}:role/audit/ssmreach" for m in org.members
    }


def test_accounts_and_exclude_accounts_select(org: Org) -> None:
    recorder = Recorder()
    result = collect(recorder, accounts=(org.members[0], org.members[2]))
    assert result.raw.manifest.accounts == tuple(sorted((org.members[0], org.members[2])))
    assert recorder.accounts_called() == {ACCOUNT, org.members[0], org.members[2]}  # + listing

    recorder = Recorder()
    result = collect(recorder, exclude=(ACCOUNT, org.members[1]))
    assert result.raw.manifest.accounts == tuple(sorted((org.members[0], org.members[2])))
    assert {a["RoleArn"] for a in recorder.assumed} == {
        role_arn(org.members[0]),
        role_arn(org.members[2]),
    }
    # The base credentials list the organization, and read nothing of their own account.
    assert {(s, o) for a, s, o in recorder.sent if a == ACCOUNT} == {
        ("sts", "GetCallerIdentity"),
        ("organizations", "DescribeOrganization"),
        ("organizations", "ListAccounts"),
        ("sts", "AssumeRole"),
    }

    with pytest.raises(UsageError, match=f"--accounts {org.closed} is not an ACTIVE account"):
        collect(Recorder(), accounts=(org.closed,))
    with pytest.raises(UsageError, match="leave no account to read"):
        collect(Recorder(), accounts=(org.members[0],), exclude=(org.members[0],))


def test_an_account_whose_reads_are_all_denied_is_a_failed_account(org: Org) -> None:
    denied = org.members[0]
    result = collect(Recorder(denied_reads=(denied,)))
    [failure] = result.failed_accounts
    assert (failure.account, failure.api, failure.code) == (denied, "reads", "AccessDenied")
    assert failure.reason.startswith(
        f"every read failed with {role_arn(denied)} (AccessDenied: 3 calls"
    )
    assert f"attach the policy from `ssmreach permissions` to {role_arn(denied)}" in failure.line
    assert denied not in result.raw.manifest.accounts
    assert all(k.account != denied for k in result.raw.files)
    assert all(f.account != denied for f in result.stats.failures)


def test_list_accounts_denied_stops_with_one_line(org: Org) -> None:
    denied = error_answer(
        "AccessDeniedException", "You don't have permissions to access this resource.", 400
    )
    recorder = Recorder({"before-call.organizations.ListAccounts": denied})
    with pytest.raises(CollectError) as caught:
        collect(recorder)
    message = caught.value.message
    assert message.startswith("organizations:ListAccounts was denied to ")
    assert "(AccessDeniedException: You don't have permissions" in message
    assert "management account or a delegated administrator" in message
    assert "--role-arn per account" in message and "\n" not in message
    assert not recorder.assumed  # nothing was read


@pytest.mark.usefixtures("moto")
def test_an_account_in_no_organization_is_told_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calls_module, "CALLS", SMALL_TABLE)
    with pytest.raises(CollectError, match=f"account {ACCOUNT} is in no AWS Organization"):
        collect(Recorder())


def test_bad_options_are_refused_before_any_call(org: Org) -> None:
    for options, fragment in (
        ({"role_name": "bad name"}, "--role-name 'bad name' is not an IAM role name"),
        ({"role_name": ROLE_NAME, "external_id": "x"}, "--external-id must be 2 to 1224"),
        ({"role_name": ROLE_NAME, "max_accounts_parallel": 0}, "at least 1"),
    ):
        recorder = Recorder()
        with pytest.raises(UsageError, match=fragment):
            collect_organization([REGION], OrgRequest(**options), session_factory=recorder)
        assert recorder.sent == []


def test_resume_reads_only_the_failed_accounts_and_merges_them(org: Org, tmp_path: Path) -> None:
    missing = org.members[2]
    first = collect(Recorder({"before-call.sts.AssumeRole": deny_assume_role(missing)}))
    folder = tmp_path / "snap"
    write_raw_snapshot(first.raw, folder)
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*.json")}
    old = read_raw_snapshot(folder)
    assert failed_accounts(old.manifest) == {missing: first.failed_accounts[0].reason}

    recorder = Recorder()  # the role exists now
    request = OrgRequest(role_name=ROLE_NAME, resume=tuple(failed_accounts(old.manifest)))
    again = collect_organization(old.manifest.regions, request, session_factory=recorder)
    assert [a["RoleArn"] for a in recorder.assumed] == [role_arn(missing)]
    assert not any(s == "organizations" and a == ACCOUNT for a, s, _ in recorder.sent)
    assert recorder.accounts_called() == {ACCOUNT, missing}  # identity and AssumeRole, then it
    assert {k.account for k in again.raw.files} == {missing}
    assert again.organization is not None and again.organization.resumed

    replace_folder(merge_resumed(old, again), folder)
    merged = read_raw_snapshot(folder)
    assert merged.manifest.accounts == tuple(org.active)
    assert isinstance(merged.manifest.failed_accounts, msgspec.UnsetType)
    assert "failed_accounts" not in json.loads((folder / "manifest.json").read_text())
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*.json")}
    kept = {p: b for p, b in before.items() if p.name != "manifest.json"}
    assert {p: after[p] for p in kept} == kept  # the accounts read before keep their bytes
    assert any(p.parts[0] == missing for p in after)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]  # no staging left behind


def test_resume_keeps_what_still_fails(org: Org, tmp_path: Path) -> None:
    missing = (org.members[0], org.members[1])
    first = collect(Recorder({"before-call.sts.AssumeRole": deny_assume_role(*missing)}))
    folder = tmp_path / "snap"
    write_raw_snapshot(first.raw, folder)
    old = read_raw_snapshot(folder)
    recorder = Recorder({"before-call.sts.AssumeRole": deny_assume_role(missing[1])})
    request = OrgRequest(role_name=ROLE_NAME, resume=tuple(sorted(missing)))
    again = collect_organization(old.manifest.regions, request, session_factory=recorder)
    replace_folder(merge_resumed(old, again), folder)
    merged = read_raw_snapshot(folder).manifest
    assert merged.accounts == tuple(sorted({ACCOUNT, org.members[0], org.members[2]}))
    assert list(failed_accounts(merged)) == [missing[1]]

    with pytest.raises(UsageError, match="is not one of the accounts left to read"):
        collect(Recorder(), resume=(missing[1],), accounts=(org.members[2],))


def test_the_manifest_field_is_optional() -> None:
    older = msgspec.json.decode(b'{"format": "ssmreach-snapshot/1"}', type=Manifest)
    assert failed_accounts(older) == {}
    written = msgspec.json.encode(Manifest(format="ssmreach-snapshot/1", accounts=(ACCOUNT,)))
    assert b"failed_accounts" not in written


def test_every_call_of_an_org_collection_is_a_read(
    moto: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    org = build_org()
    recorder = Recorder({"before-call.sts.AssumeRole": deny_assume_role(org.members[0])})
    result = collect(recorder)
    operations = {(s, o) for _, s, o in recorder.sent}
    assert all(is_read_only(s, o) for s, o in operations), sorted(operations)
    assert operations - {(c.service, c.operation) for c in CALLS} == {
        ("sts", "GetCallerIdentity"),
        ("sts", "AssumeRole"),
        ("organizations", "ListAccounts"),
    }
    assert {k.operation for k in result.raw.files if k.region == GLOBAL} >= {
        "GetAccountAuthorizationDetails",
        "DescribeOrganization",
    }
    assert len(result.raw.manifest.accounts) == 3


@pytest.mark.parametrize(
    ("service", "operation", "allowed"),
    [
        ("organizations", "ListAccounts", True),
        ("organizations", "DescribeOrganization", True),
        ("sts", "AssumeRole", True),
        ("organizations", "ListAccountsForParent", False),  # a read the collector does not make
        ("organizations", "CreateAccount", False),
        ("organizations", "LeaveOrganization", False),
        ("organizations", "InviteAccountToOrganization", False),
    ],
)
def test_the_guard_allows_the_org_calls_by_exact_name(
    service: str, operation: str, allowed: bool
) -> None:
    assert is_read_only(service, operation) is allowed


def test_a_write_in_the_table_stops_an_org_collection(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = ApiCall("ec2", "CreateVpc", "ec2:CreateVpc", params={"CidrBlock": "10.9.0.0/16"})
    monkeypatch.setattr(calls_module, "CALLS", (bad,))
    with pytest.raises(ReadOnlyViolation):
        collect(Recorder())
    vpcs = boto3.client("ec2", region_name=REGION).describe_vpcs()["Vpcs"]
    assert all(v["CidrBlock"] != "10.9.0.0/16" for v in vpcs)
