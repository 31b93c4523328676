"""Options and helpers shared by every command that reads a live account.

`live_options` adds `--region` (repeatable, comma-separated, `all`), `--profile`,
`--role-arn` (repeatable) and the organization options: `--org` with `--role-name`,
`--external-id`, `--accounts`, `--exclude-accounts` and `--max-accounts-parallel`. The
organization options are checked when the command starts and kept on the click context
(`org_options`), so every command that reads live accounts gets them while its own
parameters stay `region`, `profile` and `role_arn`. `collect_live` runs the collector
with a progress display on a terminal and a one-line summary on stderr, and returns the
`RawSnapshot` that `ssmreach snapshot` would have written: a live check parses exactly
what an offline check reads. An account of the organization that cannot be read is one
warning line; a run that could read none of them is an error.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from ssmreach.errors import CollectError, UsageError

if TYPE_CHECKING:
    from ssmreach.collect import CollectResult, OrgRequest, ProgressEvent
from ssmreach.model.raw import RawSnapshot

F = TypeVar("F", bound=Callable[..., Any])

MAX_WORKERS = 4
ACCOUNTS_PARALLEL = 4  # accounts of an organization read at the same time (the default)
_SHOWN_NAMES = 3
_WIDTH = 42  # progress description: "<region> <Operation>", fixed so the bar stays put
_TIMES = "\u00d7"  # the multiplication sign


def live_options(command: F) -> F:
    """Add `--region`, `--profile` and `--role-arn`, passed as `region`, `profile`, `role_arn`,
    and the organization options, kept on the click context (`org_options`)."""
    command = _org_option_set(_keep_org_options(command))
    command = click.option(
        "--role-arn",
        "role_arn",
        multiple=True,
        metavar="ARN",
        help="Also read the account of this IAM role, assumed with your credentials "
        "(session name `ssmreach`). Repeat for more accounts.",
    )(command)
    command = click.option(
        "--profile",
        "profile",
        metavar="NAME",
        help="AWS profile for the base credentials (default: the standard credential chain, "
        "AWS_PROFILE).",
    )(command)
    command = click.option(
        "--region",
        "region",
        multiple=True,
        metavar="REGION",
        help="Region to read; repeat or comma-separate for more, `all` for every enabled "
        "Region (default: AWS_REGION or the profile's Region).",
    )(command)
    return command


# --- the organization options ------------------------------------------------------------

_ORG_META = "ssmreach.org"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_NOT_LIVE = (("snapshot", "--snapshot"), ("plan_file", "--plan"), ("plan_alone", "--plan-alone"))
"""Parameters of commands that then read no live account: `--org` does not go with them."""
_ONE_ACCOUNT = frozenset({"apply"})
"""Commands that work on one account only."""


@dataclass(frozen=True, slots=True)
class OrgOptions:
    """`--org` and the options that go with it, as given (account IDs checked)."""

    role_name: str
    external_id: str | None = None
    accounts: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    parallel: int = ACCOUNTS_PARALLEL

    def request(self, resume: Sequence[str] | None = None) -> OrgRequest:
        from ssmreach.collect import OrgRequest

        return OrgRequest(
            role_name=self.role_name,
            external_id=self.external_id,
            accounts=self.accounts,
            exclude=self.exclude,
            max_accounts_parallel=self.parallel,
            resume=tuple(resume) if resume is not None else None,
        )


def _org_option_set(command: F) -> F:
    for decorator in reversed(
        (
            click.option(
                "--org",
                "org",
                is_flag=True,
                help="Read every ACTIVE account of the AWS Organization; run it from the "
                "management account or a delegated administrator. Your own account is read "
                "with your credentials, each other one through --role-name.",
            ),
            click.option(
                "--role-name",
                "role_name",
                metavar="NAME",
                help="With --org: the IAM role to assume in each member account "
                "(arn:<partition>:iam::<account>:role/NAME, session name `ssmreach`).",
            ),
            click.option(
                "--external-id",
                "external_id",
                metavar="ID",
                help="With --org: the external ID the roles' trust policies require.",
            ),
            click.option(
                "--accounts",
                "accounts",
                multiple=True,
                metavar="ID[,ID...]",
                help="With --org: read only these accounts (repeat or comma-separate).",
            ),
            click.option(
                "--exclude-accounts",
                "exclude_accounts",
                multiple=True,
                metavar="ID[,ID...]",
                help="With --org: leave these accounts out (repeat or comma-separate).",
            ),
            click.option(
                "--max-accounts-parallel",
                "max_accounts_parallel",
                type=click.IntRange(min=1),
                metavar="N",
                help=f"With --org: accounts read at the same time (default {ACCOUNTS_PARALLEL}).",
            ),
        )
    ):
        command = decorator(command)
    return command


def _account_ids(values: Sequence[str], option: str) -> tuple[str, ...]:
    """Repeated and comma-separated 12-digit account IDs, in order, without repeats."""
    found: list[str] = []
    for value in values:
        for item in value.split(","):
            account = item.strip()
            if account and not _ACCOUNT_ID.match(account):
                raise UsageError(f"{option} {account!r} is not a 12-digit AWS account ID")
            if account and account not in found:
                found.append(account)
    return tuple(found)


def _take_org_options(kwargs: dict[str, Any], command: str) -> OrgOptions | None:
    """Remove the organization options from a command's arguments and check them."""
    role_name: str | None = kwargs.pop("role_name")
    external_id: str | None = kwargs.pop("external_id")
    accounts = _account_ids(kwargs.pop("accounts"), "--accounts")
    exclude = _account_ids(kwargs.pop("exclude_accounts"), "--exclude-accounts")
    parallel: int | None = kwargs.pop("max_accounts_parallel")
    if not kwargs.pop("org"):
        given = (
            ("--role-name", role_name),
            ("--external-id", external_id),
            ("--accounts", accounts),
            ("--exclude-accounts", exclude),
            ("--max-accounts-parallel", parallel),
        )
        named = [option for option, value in given if value]
        if named:
            raise UsageError(f"{named[0]} goes with --org")
        return None
    if command in _ONE_ACCOUNT:
        raise UsageError(f"{command} works on one account: drop --org (use --profile)")
    for parameter, option in _NOT_LIVE:
        if kwargs.get(parameter):
            raise UsageError(f"{option} reads no live account: do not combine it with --org")
    if kwargs.get("role_arn"):
        raise UsageError("--org reads each member account through --role-name: drop --role-arn")
    if not role_name:
        raise UsageError(
            "--org needs --role-name NAME: the role to assume in each member account "
            "(give it the policy from `ssmreach permissions`)"
        )
    return OrgOptions(role_name, external_id, accounts, exclude, parallel or ACCOUNTS_PARALLEL)


def _keep_org_options(command: F) -> F:
    """Wrap a command so that the organization options go to the click context, not to it."""

    @functools.wraps(command)
    def with_org_options(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context()
        name = context.command.name or ""
        context.meta[_ORG_META] = _take_org_options(kwargs, name)
        return command(*args, **kwargs)

    return cast(F, with_org_options)


def org_options() -> OrgOptions | None:
    """The organization options of the running command (None: no --org, or no command)."""
    context = click.get_current_context(silent=True)
    return None if context is None else context.meta.get(_ORG_META)


# --- progress ------------------------------------------------------------------------------


def _calls_text(event: ProgressEvent) -> str:
    """The calls made so far and, when some are known to be still to come, how many."""
    text = f"{event.calls:,} " + ("call" if event.calls == 1 else "calls")
    return text + (f", {event.calls_left:,} to go" if event.calls_left else "")


@contextmanager
def _progress_display(enabled: bool) -> Iterator[Callable[[ProgressEvent], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    display = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[calls]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task_id = display.add_task("reading".ljust(_WIDTH), total=None, calls="")
    planned = [0]

    def on_event(event: ProgressEvent) -> None:
        display.update(task_id, calls=_calls_text(event))
        if event.kind == "start":
            planned[0] = event.total
            display.update(task_id, total=event.total)
        elif event.kind == "account":
            if event.total:  # a failed account: its operations will not run
                planned[0] = max(0, planned[0] - event.total)
                display.update(task_id, total=planned[0])
            detail = f": {event.detail}" if event.detail else ""
            display.console.print(f"account {event.account} {event.state}{detail}")
        else:
            text = f"{event.region} {event.operation}"
            display.update(task_id, advance=1, description=text[:_WIDTH].ljust(_WIDTH))

    with display:
        yield on_event


# --- running and reporting -------------------------------------------------------------------


def run_collection(
    region: Sequence[str],
    profile: str | None,
    role_arn: Sequence[str],
    *,
    quiet: bool = False,
    resume: Sequence[str] | None = None,
) -> CollectResult:
    """Run the collector, with a progress display when stderr is a terminal.

    With `--org` (`org_options`), the organization's accounts are read (with `resume`,
    only those accounts); each account that could not be read is a warning line (unless
    `quiet`), and none read at all is a `CollectError`.
    """
    org = org_options()
    with _progress_display(not quiet and sys.stderr.isatty()) as progress:
        # boto3 loads only when an account is read
        from ssmreach.collect import collect_organization, collect_snapshot

        if org is None:
            return collect_snapshot(
                region,
                profile=profile,
                role_arns=role_arn,
                max_workers=MAX_WORKERS,
                progress=progress,
            )
        result = collect_organization(
            region,
            org.request(resume),
            profile=profile,
            max_workers=MAX_WORKERS,
            progress=progress,
        )
    _report_accounts(result, quiet=quiet)
    return result


def _report_accounts(result: CollectResult, *, quiet: bool) -> None:
    """The organization in one line, then one warning per account not read; an error
    when no account could be read."""
    organization = result.organization
    if organization is None:
        return
    if not quiet:
        click.echo(organization_line(result), err=True)
        for failure in result.failed_accounts:
            click.echo(f"warning: {failure.line}", err=True)
    if not result.accounts:
        selected = len(organization.selected)
        raise CollectError(
            f"none of the {_plural(selected, 'selected account')} could be read "
            f"({_names([f'{f.account} {f.api} {f.code}' for f in result.failed_accounts])}): "
            f"create the role {organization.role_name} from `ssmreach permissions` in each "
            f"account and check that its trust policy lets account "
            f"{organization.caller_account} assume it"
        )


def organization_line(result: CollectResult) -> str:
    """What the organization listing found and what is read (with `--org`)."""
    organization = result.organization
    assert organization is not None
    if organization.resumed:
        return (
            f"organization: reading again {_plural(len(organization.selected), 'account')} "
            f"the snapshot could not read"
        )
    name = organization.id or "(DescribeOrganization did not answer)"
    line = f"organization {name}"
    if organization.management_account:
        line += f" (management account {organization.management_account})"
    line += f": {_plural(len(organization.active), 'ACTIVE account')}"
    if organization.inactive:
        line += f", {len(organization.inactive)} not ACTIVE (skipped)"
    return line + f", {len(organization.selected)} selected"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN_NAMES])
    return shown + (f", +{len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else "")


def _where(result: CollectResult, kind: str) -> str:
    """With `--org`: the accounts where calls were denied, throttled or failed."""
    if result.organization is None:
        return ""
    accounts = sorted({f.account for f in result.stats.failures if f.kind == kind})
    return f" in {_names(accounts)}"


def summary_line(
    result: CollectResult, *, label: str = "read", destination: str | Path | None = None
) -> str:
    """One line: accounts by Regions, calls, accounts not read, what was denied/throttled/
    failed (and, with `--org`, where), time, folder."""
    stats = result.stats
    accounts = _plural(len(result.accounts), "account")
    regions = _plural(len(result.regions), "Region")
    parts = [f"{accounts} {_TIMES} {regions}", _plural(stats.calls, "call")]
    if result.failed_accounts:
        unread = [f"{f.account} {f.api} {f.code}" for f in result.failed_accounts]
        parts.append(f"{_plural(len(unread), 'account')} not read ({_names(unread)})")
    for kind, names, hint in (
        ("denied", stats.denied, ""),
        ("throttled", stats.throttled, "; still throttled after retries, run again later"),
        ("failed", stats.failed, ""),
    ):
        count = sum(1 for f in stats.failures if f.kind == kind)
        if count:
            parts.append(f"{count} {kind} ({_names(names)}{_where(result, kind)}{hint})")
    parts.append(f"{stats.seconds:.1f} s")
    line = f"{label}: " + ", ".join(parts)
    if destination is not None:
        line += f" → {destination}"
    return line


def partial_warning(result: CollectResult, destination: str | Path | None = None) -> str | None:
    """With `--org`, when some accounts could not be read: what the output covers, and (for
    a snapshot folder) how to read only those accounts once they are fixed."""
    failed = len(result.failed_accounts)
    if not failed:
        return None
    read = len(result.accounts)
    line = f"warning: {failed} of {_plural(failed + read, 'account')} not read (see above); "
    if destination is None:
        return line + f"the results cover the other {read}"
    return line + (
        f"the snapshot holds the other {read}: once they are fixed, "
        f"`ssmreach snapshot --resume {destination}` with the same --org options reads only those"
    )


def report_collection(
    result: CollectResult, *, label: str, destination: str | Path | None = None
) -> None:
    """The summary line, and the warning of a partial organization, on stderr."""
    click.echo(summary_line(result, label=label, destination=destination), err=True)
    warning = partial_warning(result, destination)
    if warning is not None:
        click.echo(warning, err=True)


def collect_live(
    region: Sequence[str],
    profile: str | None,
    role_arn: Sequence[str],
    *,
    quiet: bool = False,
    label: str = "read",
) -> RawSnapshot:
    """Read the live account(s) into memory; `quiet` hides the progress and the summary."""
    result = run_collection(region, profile, role_arn, quiet=quiet)
    if not quiet:
        report_collection(result, label=label)
    return result.raw


def feature_option(purpose: str = "Only this feature") -> Callable[[F], F]:
    """`--feature` (repeatable), the same for every command that picks features."""
    from ssmreach.analysis.features import DEFAULT_FEATURES, FEATURES

    return click.option(
        "--feature",
        "features",
        multiple=True,
        type=click.Choice(FEATURES),
        help=f"{purpose} (repeatable). Default: {', '.join(DEFAULT_FEATURES)}.",
    )
