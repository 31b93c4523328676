"""The ARNs the agent calls KMS and CloudWatch Logs actions on, from the Session Manager
preferences, so that a role scoped to its key and log group is judged on them (not `*`).

- KMS (`kmsKeyId`): a key ARN as it is; a key id (`1234abcd-…`, `mrk-…`) gives
  `arn:P:kms:R:A:key/ID`. An alias names no key ARN the snapshot holds: unknown.
  IAM authorises `kms:Decrypt` on the key ARN (KMS developer guide, "Using aliases to
  control access": an alias in a policy's Resource does not match the key).
- CloudWatch Logs (`cloudWatchLogGroupName`): `logs:PutLogEvents` is called on a stream,
  `arn:P:logs:R:A:log-group:NAME:log-stream:S` (what `log-group:NAME:*` in AWS's examples
  covers). `logs:CreateLogStream` is listed on the log group
  (`arn:P:logs:R:A:log-group:NAME`, Service Authorization Reference) while AWS's examples
  grant it with `log-group:NAME:*`: either form allowing it counts (judgement, README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY_ID = re.compile(
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)
STREAM_PLACEHOLDER = "ssmreach-session-stream"


@dataclass(frozen=True, slots=True)
class CallResources:
    """The resources the actions are called on: `arns`, or per action in `by_action` (any
    of an action's ARNs allowing it allows it); `unknown` says why they cannot be known."""

    arns: tuple[str, ...] = ()
    by_action: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unknown: str | None = None

    def for_action(self, action: str) -> tuple[str, ...]:
        for name, arns in self.by_action:
            if name == action:
                return arns
        return self.arns


def kms_key_resources(key: str, partition: str, region: str, account: str) -> CallResources:
    if key.startswith("arn:") and ":key/" in key:
        return CallResources((key,))
    if _KEY_ID.fullmatch(key):
        return CallResources((f"arn:{partition}:kms:{region}:{account}:key/{key}",))
    return CallResources(
        unknown=f"the Session Manager preferences name the KMS key as {key!r}, an alias or a form whose key ARN the snapshot does not hold"
    )


def log_group_resources(group: str, partition: str, region: str, account: str) -> CallResources:
    arn = f"arn:{partition}:logs:{region}:{account}:log-group:{group}"
    stream = f"{arn}:log-stream:{STREAM_PLACEHOLDER}"
    return CallResources(
        (stream,),
        by_action=(("logs:CreateLogStream", (arn, stream)), ("logs:PutLogEvents", (stream,))),
    )
