"""Run Command output buckets through in-process moto: the command listing is collected and
read as output sources. (moto 5 has no State Manager associations: `ListAssociations`
answers NotImplementedError, which the reader keeps as a gap.)"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from collect.collect_helpers import aws_env, moto, session_factory  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION, build_estate
from ssmreach.collect import collect_snapshot
from ssmreach.model.raw import OperationKey, RawOk
from ssmreach.model.reader import parse_snapshot

OUTPUT_BUCKET = "run-output"  # in eu-west-1, another Region than the estate's


def _body(raw: Any) -> Any:
    assert isinstance(raw, RawOk), raw
    return json.loads(raw.body)


def _key(service: str, operation: str) -> OperationKey:
    return OperationKey(ACCOUNT, REGION, service, operation)


def _send_command() -> tuple[str, str]:
    estate = build_estate()
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=OUTPUT_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    command = boto3.client("ssm", region_name=REGION).send_command(
        InstanceIds=[estate.instances[0]],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["true"]},
        OutputS3BucketName=OUTPUT_BUCKET,
        OutputS3KeyPrefix="runs",
    )["Command"]
    return estate.instances[0], command["CommandId"]


@pytest.mark.usefixtures("moto")
def test_a_sent_command_is_collected_and_read_as_an_output_source() -> None:
    instance, command_id = _send_command()
    result = collect_snapshot([REGION], session_factory=session_factory({}))
    [listed] = _body(result.raw.files[_key("ssm", "ListCommands")])["Commands"]
    assert listed["CommandId"] == command_id and listed["OutputS3BucketName"] == OUTPUT_BUCKET
    region = parse_snapshot(result.raw).regions[(ACCOUNT, REGION)]
    [source] = region.output_sources.sources
    assert (source.kind, source.source_id, source.bucket) == ("command", command_id, OUTPUT_BUCKET)
    assert source.key_prefix == "runs"
    [target] = source.targets  # the command's InstanceIds (moto adds instances of its own)
    assert target.kind == "instances" and instance in target.values
    gap = region.gap("ListAssociations")
    assert gap is not None and gap.kind == "failed"  # moto: NotImplementedError


@pytest.mark.usefixtures("moto")
def test_the_output_bucket_region_is_collected() -> None:
    _send_command()
    result = collect_snapshot([REGION], session_factory=session_factory({}))
    located = _body(result.raw.files[_key("s3", "GetBucketLocation")])
    assert {"Bucket": OUTPUT_BUCKET} in [c["Request"] for c in located]
