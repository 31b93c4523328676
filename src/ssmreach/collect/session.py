"""Credentials, Regions and clients: one `AccountSession` per account read.

The base account comes from the standard credential chain (environment, `--profile`
or `AWS_PROFILE`, SSO, instance role, ...), exactly as the AWS CLI finds it; each
`--role-arn` adds one account through `sts:AssumeRole` (session name `ssmreach`), and so
does each member account of `--org` (`role_arn_for`).
Clients get adaptive retries (10 attempts, unless the user configured
`AWS_MAX_ATTEMPTS`/`AWS_RETRY_MODE` or their profile equivalents), the
`ssmreach/<version>` user agent, the read-only guard and a retry time budget
(retry_budget.py). No endpoint is ever set
here, so `AWS_ENDPOINT_URL` and `endpoint_url` in the AWS config are honoured by
botocore itself.

Every failure that makes a collection pointless (no credentials, an unknown Region,
an unreachable endpoint, rejected credentials, a role that cannot be assumed) is
raised here as a one-line `CollectError` or `UsageError` before anything is read. With
`--org`, a member account's role that cannot be assumed (`RoleUnavailable`) is that
account's failure only: the organization collector keeps it and reads the others.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ProfileNotFound,
    UnknownRegionError,
)

from ssmreach import __version__
from ssmreach.collect.readonly import install_guard
from ssmreach.collect.retry_budget import install_budget, summarise
from ssmreach.errors import CollectError, UsageError

SessionFactory = Callable[..., Any]
"""Builds a `boto3.Session`; called with `boto3.Session`'s keyword arguments."""

ROLE_SESSION_NAME = "ssmreach"
DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_RETRY_MODE = "adaptive"

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")
_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "UnrecognizedClientException",
        "AuthFailure",
        "InvalidAccessKeyId",
        "IncompleteSignature",
    }
)
_NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE or run `aws configure` "
    "(or pass --profile), then run again"
)


def _one_line(text: object) -> str:
    return summarise(str(text))


# --- sessions and clients --------------------------------------------------------------


def client_config(session: Any) -> Config:
    """The botocore `Config` of every collector client."""
    core = session._session
    max_attempts = core.get_config_variable("max_attempts") or DEFAULT_MAX_ATTEMPTS
    retry_mode = os.environ.get("AWS_RETRY_MODE") or core.get_scoped_config().get("retry_mode")
    if retry_mode not in ("legacy", "standard", "adaptive"):
        retry_mode = DEFAULT_RETRY_MODE
    retries: Any = {"mode": retry_mode, "max_attempts": int(max_attempts)}
    return Config(retries=retries, user_agent_extra=f"ssmreach/{__version__}")


@dataclass(slots=True)
class AccountSession:
    """One account's credentials; builds guarded clients, safely from any thread."""

    account: str
    principal: str
    session: Any
    role_arn: str | None = None
    _config: Config | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str) -> Any:
        # boto3 sessions are not thread-safe; clients are. Build them one at a time.
        with self._lock:
            if self._config is None:
                self._config = client_config(self.session)
            client = self.session.client(service, region_name=region, config=self._config)
        return install_budget(install_guard(client))


def open_session(factory: SessionFactory, profile: str | None) -> Any:
    """The base session: the standard credential chain, or the named profile."""
    try:
        return factory(profile_name=profile) if profile else factory()
    except ProfileNotFound as exc:
        named = profile or str(exc.kwargs.get("profile") or "") or os.environ.get("AWS_PROFILE")
        where = "--profile" if profile else "AWS_PROFILE"
        raise UsageError(
            f"profile {named!r} ({where}) not found in the AWS config files: "
            "check --profile/AWS_PROFILE, or create it with `aws configure --profile NAME`"
        ) from None


# --- Regions -------------------------------------------------------------------------


def parse_region_values(values: Sequence[str]) -> tuple[list[str], bool]:
    """Split repeated and comma-separated `--region` values; the flag says `all` was given."""
    regions: list[str] = []
    want_all = False
    for value in values:
        for item in value.split(","):
            name = item.strip()
            if not name:
                continue
            if name.lower() == "all":
                want_all = True
            elif name not in regions:
                regions.append(name)
    return regions, want_all


_known_regions: frozenset[str] | None = None


def known_regions(session: Any) -> frozenset[str]:
    """Every Region botocore knows, in all partitions (read once: it parses endpoint data)."""
    global _known_regions
    if _known_regions is None:
        found: set[str] = set()
        for partition in session.get_available_partitions():
            found.update(session.get_available_regions("ec2", partition_name=partition))
        _known_regions = frozenset(found)
    return _known_regions


def partition_of(session: Any, regions: Sequence[str]) -> str:
    """Validate Region codes and return their one partition (`aws`, `aws-cn`, ...)."""
    known = known_regions(session)
    partitions: dict[str, str] = {}
    for region in regions:
        try:
            partition = str(session.get_partition_for_region(region))
        except UnknownRegionError:
            partition = ""
        if not partition or region not in known:
            raise UsageError(
                f"unknown Region {region!r}: pass a Region code such as us-east-1 "
                "(`aws ec2 describe-regions` lists them; upgrade boto3 if the Region is new)"
            )
        partitions[region] = partition
    if len(set(partitions.values())) > 1:
        listing = ", ".join(f"{r} ({p})" for r, p in partitions.items())
        raise UsageError(f"Regions from different partitions cannot be read together: {listing}")
    return next(iter(partitions.values()))


# --- preflight calls -----------------------------------------------------------------------


def preflight_error(api: str, exc: Exception, *, role_arn: str | None = None) -> CollectError:
    """Turn the failure of a preflight call into a one-line error saying what to do."""
    if isinstance(exc, NoCredentialsError):
        return CollectError(_NO_CREDENTIALS)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Unknown")
        message = _one_line(error.get("Message") or "")
        if role_arn is not None:
            return CollectError(
                f"{api} failed for {role_arn} ({code}: {message}): the role must exist and its "
                "trust policy must allow your credentials to assume it"
            )
        if code in _CREDENTIAL_CODES:
            return CollectError(
                f"{api} rejected the AWS credentials ({code}: {message}): refresh them "
                "(e.g. `aws sso login`, new access keys) or pick another --profile"
            )
        return CollectError(f"{api} failed ({code}: {message})")
    if isinstance(exc, BotoCoreError):
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url")
        if endpoint:
            return CollectError(
                f"{api}: cannot reach {endpoint} ({type(exc).__name__}): "
                "check the network, proxy settings and AWS_ENDPOINT_URL"
            )
        return CollectError(f"{api} failed: {_one_line(exc)}")
    return CollectError(f"{api} failed: {type(exc).__name__}: {_one_line(exc)}")


def identify(session: Any, region: str, *, role_arn: str | None = None) -> AccountSession:
    """Call `sts:GetCallerIdentity` and return the account's session."""
    holder = AccountSession(account="", principal="", session=session, role_arn=role_arn)
    try:
        identity = holder.client("sts", region).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise preflight_error("sts:GetCallerIdentity", exc) from None
    holder.account = str(identity["Account"])
    holder.principal = str(identity["Arn"])
    return holder


def check_role_arn(role_arn: str) -> None:
    if not _ROLE_ARN.match(role_arn):
        raise UsageError(
            f"--role-arn {role_arn!r} is not an IAM role ARN "
            "(expected arn:aws:iam::<12-digit account>:role/<name>)"
        )


class RoleUnavailable(CollectError):
    """`sts:AssumeRole` failed for one role; `code` is the AWS error code (or the
    botocore error's name), `detail` its message in one line."""

    def __init__(self, message: str, *, role_arn: str, code: str, detail: str) -> None:
        super().__init__(message)
        self.role_arn = role_arn
        self.code = code
        self.detail = detail


def _error_code(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return str(error.get("Code") or "Unknown"), _one_line(error.get("Message") or "")
    return type(exc).__name__, _one_line(exc)


def role_arn_for(partition: str, account: str, role_name: str) -> str:
    """The ARN of the role `role_name` (a name, or `path/name`) in `account`."""
    return f"arn:{partition}:iam::{account}:role/{role_name.strip('/')}"


def assume_role(
    base: AccountSession,
    role_arn: str,
    region: str,
    factory: SessionFactory,
    profile: str | None,
    *,
    external_id: str | None = None,
) -> AccountSession:
    """Take on `role_arn` with the base credentials (`sts:AssumeRole`, session `ssmreach`,
    with `external_id` when given); raises `RoleUnavailable` when STS refuses."""
    check_role_arn(role_arn)
    request: dict[str, str] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
    if external_id is not None:
        request["ExternalId"] = external_id
    try:
        answer = base.client("sts", region).assume_role(**request)
    except (BotoCoreError, ClientError) as exc:
        code, detail = _error_code(exc)
        message = preflight_error("sts:AssumeRole", exc, role_arn=role_arn).message
        raise RoleUnavailable(message, role_arn=role_arn, code=code, detail=detail) from None
    creds = answer["Credentials"]
    kwargs: dict[str, Any] = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
        "region_name": region,
    }
    if profile:
        kwargs["profile_name"] = profile  # keep the profile's settings, not its credentials
    session = factory(**kwargs)
    assumed_arn = str(answer["AssumedRoleUser"]["Arn"])
    account = assumed_arn.split(":")[4]
    return AccountSession(
        account=account, principal=assumed_arn, session=session, role_arn=role_arn
    )


def enabled_regions(account: AccountSession, region: str) -> list[str]:
    """Every Region enabled for the account (`ec2:DescribeRegions`), sorted."""
    try:
        answer = account.client("ec2", region).describe_regions(AllRegions=False)
    except (BotoCoreError, ClientError) as exc:
        error = preflight_error("ec2:DescribeRegions", exc)
        raise CollectError(
            f"{error.message}; for --region all ssmreach needs ec2:DescribeRegions, "
            "or pass the Regions by name"
        ) from None
    return sorted(
        str(r["RegionName"])
        for r in answer.get("Regions", [])
        if r.get("OptInStatus", "opt-in-not-required") in ("opt-in-not-required", "opted-in")
    )
