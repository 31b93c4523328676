"""`ssmreach probe --via-ssm INSTANCE…`: run the exported probe on nodes through Run Command.

This is the one place where ssmreach makes a **write call**: `ssm:SendCommand`
(document `AWS-RunShellScript`, the probe inline). It runs only when a user asks
for `--via-ssm`; `ssmreach check` and `ssmreach snapshot` never call it (their
clients carry the read-only guard). The other calls are reads:
`ssm:DescribeInstanceInformation` (which nodes are Online) and
`ssm:GetCommandInvocation` (polled until the command ends or the wait runs out).

The probe prints its JSON gzip-compressed and base64-encoded (`--compress`), so a
full document fits in the 24,000 characters `GetCommandInvocation` returns.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ssmreach.errors import SsmreachError
from ssmreach.probe.controller.export import export_text

DOCUMENT = "AWS-RunShellScript"
TERMINAL = frozenset({"Success", "Failed", "Cancelled", "TimedOut"})
COMMENT = "ssmreach probe: read-only network checks from the node"


@dataclass(frozen=True, slots=True)
class ViaSsmResult:
    """What came back from one node: the probe document, or why there is none."""

    instance: str
    status: str
    document: dict[str, Any] | None
    error: str | None = None
    command_id: str | None = None


def build_commands(script: str, args: Sequence[str]) -> list[str]:
    """The shell lines of `AWS-RunShellScript`: unpack the probe, run it, clean up."""
    payload = base64.b64encode(gzip.compress(script.encode("utf-8"))).decode("ascii")
    unpack = (
        "import base64,gzip,sys; "
        "open(sys.argv[1],'wb').write(gzip.decompress(base64.b64decode(sys.argv[2])))"
    )
    run_args = " ".join(shlex.quote(a) for a in ("--compress", "--format", "json", *args))
    return [
        'PY="$(command -v python3 || true)"',
        'if [ -z "$PY" ]; then echo "ssmreach: python3 is not installed on this node" >&2; exit 3; fi',
        'F="$(mktemp "${TMPDIR:-/tmp}/ssmreach-probe.XXXXXX")"',
        f'"$PY" -c {shlex.quote(unpack)} "$F" {payload}',
        f'"$PY" "$F" {run_args}; RC=$?',
        'rm -f "$F"',
        # 1 means "something is BLOCKED": the verdict is in the output, the command worked.
        'if [ "$RC" -ge 2 ]; then exit "$RC"; fi',
        "exit 0",
    ]


def decode_output(text: str) -> dict[str, Any]:
    """The probe document from a node's standard output (compressed or plain JSON)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise ValueError("the node printed nothing")
    last = lines[-1]
    try:
        if last.startswith("{"):
            data = json.loads("\n".join(lines) if lines[0].startswith("{") else last)
        else:
            data = json.loads(gzip.decompress(base64.b64decode(last, validate=True)))
    except (ValueError, binascii.Error, OSError, EOFError) as exc:
        raise ValueError(f"not probe output ({exc}): {last[:120]!r}") from exc
    if not isinstance(data, dict):
        raise ValueError("not probe output: a JSON object is expected")
    return data


def _online(ssm: Any, instances: Sequence[str]) -> dict[str, str]:
    """Instance id → PingStatus, for the nodes SSM lists."""
    status: dict[str, str] = {}
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {
            "Filters": [{"Key": "InstanceIds", "Values": list(instances)}],
            "MaxResults": 50,
        }
        if token:
            kwargs["NextToken"] = token
        page = ssm.describe_instance_information(**kwargs)
        for info in page.get("InstanceInformationList", []):
            status[info["InstanceId"]] = info.get("PingStatus", "Unknown")
        token = page.get("NextToken")
        if not token:
            return status


def run_via_ssm(
    ssm: Any,
    instances: Sequence[str],
    probe_args: Sequence[str] = (),
    *,
    probe_timeout: float = 20.0,
    wait: float | None = None,
    poll_interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[ViaSsmResult]:
    """Send the probe to the Online nodes among `instances` and collect their documents.

    `ssm` is a boto3 SSM client. `wait` bounds the polling (default: the probe's
    timeout plus 60 s for delivery). Nodes that are not Online are not sent anything.
    """
    if not instances:
        return []
    wait = probe_timeout + 60.0 if wait is None else wait
    try:
        pings = _online(ssm, instances)
    except (ClientError, BotoCoreError) as exc:
        raise SsmreachError(f"ssm:DescribeInstanceInformation failed: {exc}") from exc
    results: dict[str, ViaSsmResult] = {}
    online = [i for i in instances if pings.get(i) == "Online"]
    for instance in instances:
        if instance not in online:
            ping = pings.get(instance)
            results[instance] = ViaSsmResult(
                instance,
                "NotOnline",
                None,
                f"{instance} is {'not listed by SSM' if ping is None else ping}; "
                "Run Command cannot reach it (probe it from the node with --export-script)",
            )
    if online:
        args = ["--timeout", f"{probe_timeout:g}", *probe_args]
        try:
            sent = ssm.send_command(
                InstanceIds=online,
                DocumentName=DOCUMENT,
                Comment=COMMENT,
                TimeoutSeconds=max(30, int(wait)),
                Parameters={
                    "commands": build_commands(export_text(), args),
                    "executionTimeout": [str(int(probe_timeout) + 30)],
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise SsmreachError(f"ssm:SendCommand failed: {exc}") from exc
        command_id = sent["Command"]["CommandId"]
        results.update(_collect(ssm, command_id, online, wait, poll_interval, sleep, clock))
    return [results[i] for i in instances]


def _collect(
    ssm: Any,
    command_id: str,
    instances: Sequence[str],
    wait: float,
    poll_interval: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> dict[str, ViaSsmResult]:
    end = clock() + wait
    pending = list(instances)
    done: dict[str, ViaSsmResult] = {}
    while pending:
        for instance in list(pending):
            try:
                answer = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "InvocationDoesNotExist":
                    continue  # not registered yet, right after SendCommand
                done[instance] = ViaSsmResult(
                    instance, "Error", None, f"ssm:GetCommandInvocation failed: {exc}", command_id
                )
                pending.remove(instance)
                continue
            except BotoCoreError as exc:
                done[instance] = ViaSsmResult(
                    instance, "Error", None, f"ssm:GetCommandInvocation failed: {exc}", command_id
                )
                pending.remove(instance)
                continue
            status = answer.get("Status", "Pending")
            if status not in TERMINAL:
                continue
            pending.remove(instance)
            done[instance] = _result(instance, command_id, status, answer)
        if not pending:
            break
        left = end - clock()
        if left <= 0:
            break
        sleep(min(poll_interval, left))
    for instance in pending:
        done[instance] = ViaSsmResult(
            instance,
            "Waiting",
            None,
            f"no result from {instance} within {wait:g} s; later: aws ssm get-command-invocation "
            f"--command-id {command_id} --instance-id {instance}",
            command_id,
        )
    return done


def _result(instance: str, command_id: str, status: str, answer: dict[str, Any]) -> ViaSsmResult:
    stdout = answer.get("StandardOutputContent") or ""
    stderr = (answer.get("StandardErrorContent") or "").strip()
    try:
        document = decode_output(stdout)
    except ValueError as exc:
        detail = f"command {status}: {exc}"
        if stderr:
            detail += f"; stderr: {stderr[:200]}"
        return ViaSsmResult(instance, status, None, detail, command_id)
    node = document.get("node")
    if isinstance(node, dict) and not node.get("instance"):
        node["instance"] = instance  # a node without IMDS: Run Command says who it is
    return ViaSsmResult(instance, status, document, None, command_id)
