"""Call lists (one call per VPC, zone, key ...) run side by side and keep their order."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
import pytest

from collect.collect_helpers import aws_env, moto, session_factory  # noqa: F401
from collect.moto_estate import ACCOUNT, REGION
from ssmreach.collect import collect_snapshot
from ssmreach.collect.calls import CALLS
from ssmreach.model.raw import OperationKey, RawOk


@pytest.mark.usefixtures("moto")
def test_the_calls_of_one_list_overlap_and_the_file_keeps_the_request_order() -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    for n in range(6):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
    state = {"now": 0, "most": 0}
    lock = threading.Lock()

    def enter(**_: Any) -> None:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)  # long enough for the next call of the list to start

    def leave(**_: Any) -> None:
        with lock:
            state["now"] -= 1

    factory = session_factory(
        {
            "before-call.ec2.DescribeVpcAttribute": enter,
            "after-call.ec2.DescribeVpcAttribute": leave,
        }
    )
    result = collect_snapshot([REGION], session_factory=factory)
    assert state["most"] > 1
    raw = result.raw.files[OperationKey(ACCOUNT, REGION, "ec2", "DescribeVpcAttribute")]
    assert isinstance(raw, RawOk)
    requests = [e["Request"] for e in json.loads(raw.body)]
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    expected = [
        {"VpcId": v, "Attribute": a}
        for v in vpcs
        for a in ("enableDnsSupport", "enableDnsHostnames")
    ]
    assert requests == expected


def test_managed_nodes_are_read_fifty_a_page() -> None:
    info = next(c for c in CALLS if c.operation == "DescribeInstanceInformation")
    assert info.page_size == 50
