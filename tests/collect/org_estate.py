"""An AWS Organization in in-process moto, and the failures moto cannot produce itself.

moto's STS answers `AssumeRole` for any role ARN, whether the role exists or not, so an
account "without the role" is simulated here, in the test layer only: a botocore
`before-call` handler answers that account's `AssumeRole` with the AccessDenied error
STS gives for a missing role or a trust policy that does not allow the caller. In the
same way, an account whose reads are all denied gets a handler on the session built
from its assumed credentials that answers every call with AccessDenied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import boto3.session

from collect.collect_helpers import FakeHttp, error_answer
from collect.moto_estate import ACCOUNT, REGION

ROLE_NAME = "ssmreach-read"


def role_arn(account: str, name: str = ROLE_NAME) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


@dataclass
class Org:
    """The organization: its id, the management account (moto's default account, the
    caller), three ACTIVE members (in creation order) and one closed (SUSPENDED) member."""

    id: str
    members: list[str]
    closed: str
    management: str = ACCOUNT

    @property
    def active(self) -> list[str]:
        return sorted([self.management, *self.members])


def build_org() -> Org:
    client = boto3.client("organizations", region_name=REGION)
    org_id = client.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    accounts = [
        client.create_account(Email=f"member{n}@example.com", AccountName=f"member{n}")[
            "CreateAccountStatus"
        ]["AccountId"]
        for n in range(4)
    ]
    client.close_account(AccountId=accounts[3])
    return Org(id=org_id, members=accounts[:3], closed=accounts[3])


def _denied(message: str) -> tuple[FakeHttp, dict[str, Any]]:
    return FakeHttp(403), {
        "Error": {"Code": "AccessDenied", "Message": message},
        "ResponseMetadata": {},
    }


def deny_assume_role(*accounts: str) -> Callable[..., Any]:
    """A `before-call.sts.AssumeRole` handler: AccessDenied for the roles of `accounts`
    (moto would hand out credentials for them), the real moto answer for the others."""

    def handler(params: dict[str, Any], **_: Any) -> tuple[FakeHttp, dict[str, Any]] | None:
        arn = str(params["body"].get("RoleArn", ""))
        if arn.split(":")[4] in accounts:
            return _denied(
                f"User: arn:aws:iam::{ACCOUNT}:user/moto is not authorized to perform: "
                f"sts:AssumeRole on resource: {arn}"
            )
        return None

    return handler


def account_of(credentials: dict[str, Any]) -> str:
    """The account of a set of (moto) credentials, asked with an unguarded client."""
    sts = boto3.client(
        "sts",
        region_name=REGION,
        aws_access_key_id=credentials["aws_access_key_id"],
        aws_secret_access_key=credentials["aws_secret_access_key"],
        aws_session_token=credentials["aws_session_token"],
    )
    return str(sts.get_caller_identity()["Account"])


@dataclass
class Recorder:
    """A `boto3.Session` factory that registers `handlers` on every session, answers
    every call of the accounts in `denied_reads` with AccessDenied, and records each
    call sent as (account, service, operation)."""

    handlers: dict[str, Callable[..., Any]] = field(default_factory=dict)
    denied_reads: tuple[str, ...] = ()
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    assumed: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> Any:
        session = boto3.session.Session(**kwargs)
        account = account_of(kwargs) if "aws_access_key_id" in kwargs else ACCOUNT
        session.events.register("before-call", self._recorder(account))
        session.events.register("before-call.sts.AssumeRole", self._assumed)
        for event, handler in self.handlers.items():
            session.events.register(event, handler)
        if account in self.denied_reads:
            session.events.register(
                "before-call",
                error_answer("AccessDenied", "not authorized to perform this operation", 403),
            )
        return session

    def _recorder(self, account: str) -> Callable[..., None]:
        def record(model: Any, **_: Any) -> None:
            self.sent.append((account, model.service_model.service_name, model.name))

        return record

    def _assumed(self, params: dict[str, Any], **_: Any) -> None:
        self.assumed.append({k: str(v) for k, v in params["body"].items() if k != "Version"})

    def accounts_called(self) -> set[str]:
        return {account for account, _, _ in self.sent}
