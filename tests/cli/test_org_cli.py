"""`--org` through click: the lines a person reads, exit codes, `--resume`, option errors,
`permissions --org`, and the progress display's account lines.

moto's STS hands out credentials for any role ARN, so a member account without the role
is simulated in the test layer (`org_estate.deny_assume_role`).
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner, Result

from collect.collect_helpers import aws_env, error_answer, moto  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION, build_estate
from collect.org_estate import ROLE_NAME, Org, Recorder, build_org, deny_assume_role, role_arn
from ssmreach.cli.app import cli
from ssmreach.cli.live import _progress_display, partial_warning, summary_line
from ssmreach.collect import calls as calls_module
from ssmreach.collect.accounts import AccountFailure, Organization
from ssmreach.collect.calls import CALLS, ORGANIZATION_DESCRIPTION
from ssmreach.collect.collector import CallFailure, CollectResult, CollectStats, ProgressEvent
from ssmreach.collect.readonly import is_read_only
from ssmreach.model.raw import Manifest, RawSnapshot

SMALL_TABLE = (
    *(c for c in CALLS if c.operation in ("DescribeInstances", "DescribeVpcs")),
    ORGANIZATION_DESCRIPTION,
)
ORG = ("--org", "--role-name", ROLE_NAME)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def org(moto: None, monkeypatch: pytest.MonkeyPatch) -> Org:  # noqa: F811
    monkeypatch.setattr(calls_module, "CALLS", SMALL_TABLE)
    return build_org()


def use(monkeypatch: pytest.MonkeyPatch, recorder: Recorder) -> Recorder:
    monkeypatch.setattr(boto3, "Session", recorder)
    return recorder


def test_snapshot_of_an_org_with_an_account_without_the_role(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = org.members[1]
    use(monkeypatch, Recorder({"before-call.sts.AssumeRole": deny_assume_role(missing)}))
    folder = tmp_path / "snap"
    result = run("snapshot", "-o", str(folder), "--region", REGION, *ORG)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    listing, warning, summary, partial = result.stderr.splitlines()
    assert listing == (
        f"organization {org.id} (management account {ACCOUNT}): 4 ACTIVE accounts, "
        "1 not ACTIVE (skipped), 4 selected"
    )
    assert warning.startswith(
        f"warning: account {missing} not read: sts:AssumeRole failed for {role_arn(missing)} "
        "(AccessDenied: User: "
    )
    assert warning.endswith(
        f"; create the role {ROLE_NAME} in that account with the policy from "
        f"`ssmreach permissions`, and check that its trust policy lets account {ACCOUNT} "
        "assume it"
    )
    assert summary.startswith(
        f"snapshot: 3 accounts \u00d7 1 Region, 15 calls, "
        f"1 account not read ({missing} sts:AssumeRole AccessDenied), "
    )
    assert summary.endswith(f" s \u2192 {folder}")
    assert partial == (
        "warning: 1 of 4 accounts not read (see above); the snapshot holds the other 3: once "
        f"they are fixed, `ssmreach snapshot --resume {folder}` with the same --org options "
        "reads only those"
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["accounts"] == sorted({ACCOUNT, org.members[0], org.members[2]})
    assert list(manifest["failed_accounts"]) == [missing]
    assert role_arn(missing) in manifest["failed_accounts"][missing]
    assert not (folder / missing).exists()


def test_resume_through_the_cli(org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = org.members[0]
    use(monkeypatch, Recorder({"before-call.sts.AssumeRole": deny_assume_role(missing)}))
    folder = tmp_path / "snap"
    assert run("snapshot", "-o", str(folder), "--region", REGION, *ORG).exit_code == 0

    # Still failing: nothing could be read again, exit 2 and the folder is left alone.
    manifest = (folder / "manifest.json").read_bytes()
    again = run("snapshot", "--resume", str(folder), *ORG)
    assert again.exit_code == 2, again.output
    assert again.stderr.splitlines()[-1].startswith(
        f"error: none of the 1 selected account could be read ({missing} sts:AssumeRole "
        "AccessDenied): create the role"
    )
    assert (folder / "manifest.json").read_bytes() == manifest

    recorder = use(monkeypatch, Recorder())  # the role exists now
    fixed = run("snapshot", "--resume", str(folder), *ORG)
    assert fixed.exit_code == 0, fixed.output
    listing, summary = fixed.stderr.splitlines()
    assert listing == "organization: reading again 1 account the snapshot could not read"
    assert summary.startswith("resume: 1 account \u00d7 1 Region, ")
    assert summary.endswith(f" \u2192 {folder}")
    assert [a["RoleArn"] for a in recorder.assumed] == [role_arn(missing)]
    assert recorder.accounts_called() == {ACCOUNT, missing}
    merged = json.loads((folder / "manifest.json").read_text())
    assert merged["accounts"] == org.active and "failed_accounts" not in merged
    assert merged["regions"] == [REGION]

    done = run("snapshot", "--resume", str(folder), *ORG)
    assert done.exit_code == 0
    assert done.stderr == f"{folder}: every account was read; nothing to resume\n"


def test_no_account_read_is_exit_2_with_one_error_line(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, Recorder({"before-call.sts.AssumeRole": deny_assume_role(*org.members)}))
    folder = tmp_path / "snap"
    result = run(
        "snapshot", "-o", str(folder), "--region", REGION, *ORG, "--exclude-accounts", ACCOUNT
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 + 3 + 1  # the organization, one warning per account, the error
    assert sum(line.startswith("error: ") for line in lines) == 1
    assert lines[-1].startswith("error: none of the 3 selected accounts could be read (")
    assert all(f"account {m} not read" in result.stderr for m in org.members)
    assert not folder.exists()


def test_list_accounts_denied_is_one_line(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    denied = error_answer("AccessDeniedException", "You don't have permissions", 400)
    use(monkeypatch, Recorder({"before-call.organizations.ListAccounts": denied}))
    result = run("snapshot", "-o", str(tmp_path / "snap"), "--region", REGION, *ORG)
    assert_one_line_error(
        result,
        "organizations:ListAccounts was denied to arn:aws:",
        "(AccessDeniedException: You don't have permissions)",
        "run --org from the organization's management account or a delegated administrator, "
        "or pass --role-arn per account",
    )
    assert not (tmp_path / "snap").exists()


def test_accounts_selects_and_check_reads_the_org(
    moto: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org = build_org()
    build_estate(tgw=False)
    recorder = use(monkeypatch, Recorder())
    result = run(
        "check",
        "--region",
        REGION,
        "--format",
        "json",
        *ORG,
        "--accounts",
        f"{ACCOUNT},{org.members[2]}",
    )
    assert result.exit_code in (0, 1), result.output
    assert recorder.accounts_called() == {ACCOUNT, org.members[2]}
    assert "read: 2 accounts \u00d7 1 Region" in result.stderr
    # The read-only guard's promise holds on the --org path of a live check too.
    operations = {(s, o) for _, s, o in recorder.sent}
    assert all(is_read_only(s, o) for s, o in operations), sorted(operations)
    assert ("organizations", "ListAccounts") in operations
    doc = json.loads(result.stdout)
    assert doc["results"]


@pytest.mark.parametrize("command", ["snapshot", "check", "plan"])
def test_the_live_commands_have_the_org_options(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    for option in (
        "--org",
        "--role-name",
        "--external-id",
        "--accounts",
        "--exclude-accounts",
        "--max-accounts-parallel",
        "--role-arn",
    ):
        assert option in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("check", "--region", REGION, "--role-name", "x"), "--role-name goes with --org"),
        (("check", "--region", REGION, "--accounts", ACCOUNT), "--accounts goes with --org"),
        (("check", "--region", REGION, "--org"), "--org needs --role-name NAME"),
        (("plan", "--region", REGION, "--org"), "--org needs --role-name NAME"),
        (("check", "--snapshot", "snap", *ORG), "--snapshot reads no live account"),
        (
            ("check", "--region", REGION, *ORG, "--role-arn", role_arn("111111111111")),
            "drop --role-arn",
        ),
        (("apply", "--region", REGION, *ORG), "apply works on one account: drop --org"),
        (("check", *ORG, "--accounts", "12345"), "--accounts '12345' is not a 12-digit"),
        (
            ("check", *ORG, "--exclude-accounts", f"{ACCOUNT},x"),
            "--exclude-accounts 'x' is not a 12-digit",
        ),
        (("check", *ORG[:1], "--role-name", "no spaces"), "is not an IAM role name"),
        (("snapshot", "--region", REGION), "pass --output DIR"),
        (("snapshot", "-o", "a", "--resume", "b"), "not both"),
        (("snapshot", "--resume", "snap"), "--resume completes an --org snapshot"),
        (("snapshot", "--resume", "snap", "--region", REGION, *ORG), "drop --region"),
    ],
)
def test_option_errors_are_one_line(args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(run(*args), fragment)


def test_max_accounts_parallel_must_be_positive() -> None:
    result = run("check", *ORG, "--max-accounts-parallel", "0")
    assert result.exit_code == 2
    assert "--max-accounts-parallel" in result.stderr


def test_permissions_for_the_org_caller() -> None:
    result = run("permissions", "--org", "--role-name", ROLE_NAME)
    assert result.exit_code == 0, result.output
    read, listing, assume = json.loads(result.stdout)["Statement"]
    assert read["Sid"] == "SsmreachSnapshotRead"
    assert listing == {
        "Sid": "SsmreachListOrganization",
        "Effect": "Allow",
        "Action": ["organizations:DescribeOrganization", "organizations:ListAccounts"],
        "Resource": "*",
    }
    assert assume == {
        "Sid": "SsmreachAssumeOrganizationRoles",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": f"arn:*:iam::*:role/{ROLE_NAME}",
    }
    assert "organizations:ListAccounts" not in read["Action"]  # member roles do not need it
    assert_one_line_error(run("permissions", "--org"), "--org needs --role-name NAME")
    assert_one_line_error(run("permissions", "--role-name", "x"), "--role-name goes with --org")
    assert "--org" in run("permissions", "--help").output


def _org_result(failures: tuple[CallFailure, ...]) -> CollectResult:
    accounts = ("111111111111", "222222222222")
    manifest = Manifest(format="ssmreach-snapshot/1", accounts=accounts, regions=(REGION,))
    organization = Organization(
        "o-1", ACCOUNT, ACCOUNT, ROLE_NAME, (*accounts, "333333333333"), (), accounts
    )
    failed = AccountFailure(
        "333333333333", role_arn("333333333333"), "sts:AssumeRole", "AccessDenied", "no", "fix"
    )
    return CollectResult(
        RawSnapshot(manifest=manifest),
        CollectStats(calls=20, seconds=1.04, failures=failures),
        organization=organization,
        failed_accounts=(failed,),
    )


def test_summary_line_says_what_was_denied_where() -> None:
    failures = tuple(
        CallFailure(account, REGION, "ec2", "DescribeVpcs", "UnauthorizedOperation", "no", "denied")
        for account in ("222222222222", "111111111111")
    )
    assert summary_line(_org_result(failures), label="snapshot", destination="snap") == (
        "snapshot: 2 accounts \u00d7 1 Region, 20 calls, "
        "1 account not read (333333333333 sts:AssumeRole AccessDenied), "
        "2 denied (ec2:DescribeVpcs in 111111111111, 222222222222), 1.0 s \u2192 snap"
    )
    assert partial_warning(_org_result(())) == (
        "warning: 1 of 3 accounts not read (see above); the results cover the other 2"
    )


def test_progress_display_prints_a_line_per_account(capsys: pytest.CaptureFixture[str]) -> None:
    with _progress_display(True) as on_event:
        assert on_event is not None
        on_event(ProgressEvent("start", total=6))
        on_event(ProgressEvent("account", account="111111111111", state="started"))
        on_event(ProgressEvent("account", account="111111111111", state="done"))
        on_event(
            ProgressEvent(
                "account",
                total=3,
                account="222222222222",
                state="failed",
                detail="sts:AssumeRole AccessDenied",
            )
        )
    err = capsys.readouterr().err
    assert "account 111111111111 started" in err
    assert "account 111111111111 done" in err
    assert "account 222222222222 failed: sts:AssumeRole AccessDenied" in err
