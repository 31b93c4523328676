"""What an organization-wide collection (`--org`) is asked to read, and what it found.

`OrgRequest` carries the options: the role each member account has, the external ID its
trust policy may require, the accounts to read or leave out, how many accounts are read
at a time, and, to complete an earlier snapshot, the accounts it could not read.
`AccountFailure` is one account that could not be read (its role could not be assumed,
or every read of it failed): never a reason to stop the others. `Organization` says what
`organizations:DescribeOrganization` and `organizations:ListAccounts` answered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ssmreach.errors import UsageError

DEFAULT_ACCOUNTS_PARALLEL = 4
"""Accounts read at the same time unless `--max-accounts-parallel` says otherwise."""

_ROLE_NAME = re.compile(r"^(/?[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


@dataclass(frozen=True, slots=True)
class OrgRequest:
    """`--org` and the options that go with it.

    `resume`, when set, names the accounts to read again (those an earlier `--org`
    snapshot could not read): the organization is then not listed again.
    """

    role_name: str
    external_id: str | None = None
    accounts: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_accounts_parallel: int = DEFAULT_ACCOUNTS_PARALLEL
    resume: tuple[str, ...] | None = None

    def check(self) -> None:
        """Refuse a role name or an external ID that IAM and STS would refuse."""
        if not _ROLE_NAME.match(self.role_name):
            raise UsageError(
                f"--role-name {self.role_name!r} is not an IAM role name (letters, digits "
                "and +=,.@_- up to 64 characters, optionally after a path such as audit/)"
            )
        if self.external_id is not None and not _EXTERNAL_ID.match(self.external_id):
            raise UsageError(
                "--external-id must be 2 to 1224 characters: letters, digits and +=,.@:/-_"
            )
        if self.max_accounts_parallel < 1:
            raise UsageError("--max-accounts-parallel must be at least 1")

    def select(self, candidates: Sequence[str]) -> tuple[str, ...]:
        """The candidates that `--accounts` and `--exclude-accounts` leave, in order."""
        chosen = [a for a in candidates if not self.accounts or a in self.accounts]
        return tuple(a for a in chosen if a not in self.exclude)


@dataclass(frozen=True, slots=True)
class AccountFailure:
    """An account that could not be read, and what to do about it.

    `api` is `sts:AssumeRole`, or `reads` when the role was taken on (or the account is
    the caller's own) but no read of it answered. `role_arn` is None for the caller's own
    account, read with the base credentials.
    """

    account: str
    role_arn: str | None
    api: str
    code: str
    message: str
    hint: str

    @property
    def reason(self) -> str:
        """One line for the manifest: what failed, with which credentials, the AWS error."""
        who = self.role_arn or "the base credentials"
        if self.api == "reads":
            return f"every read failed with {who} ({self.code}: {self.message})"
        return f"{self.api} failed for {who} ({self.code}: {self.message})"

    @property
    def line(self) -> str:
        """One line for a person: the account, the role, the AWS error and what to do."""
        return f"account {self.account} not read: {self.reason}; {self.hint}"


@dataclass(frozen=True, slots=True)
class Organization:
    """What the organization listing answered (on a resumed run, only what it re-reads).

    `id` and `management_account` are empty when DescribeOrganization did not answer
    (or was not called, on a resumed run).
    """

    id: str
    management_account: str
    caller_account: str
    role_name: str
    active: tuple[str, ...]
    inactive: tuple[str, ...]
    selected: tuple[str, ...]
    resumed: bool = False
