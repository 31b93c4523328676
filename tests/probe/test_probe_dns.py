"""Service names, address classes, the injectable resolver and feature → service lists."""

from __future__ import annotations

import socket

import pytest

from ssmreach.probe import node


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("us-east-1", "ssm.us-east-1.amazonaws.com"),
        ("cn-north-1", "ssm.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "ssm.us-gov-west-1.amazonaws.com"),
        ("us-iso-east-1", "ssm.us-iso-east-1.c2s.ic.gov"),
        ("us-isob-east-1", "ssm.us-isob-east-1.sc2s.sgov.gov"),
        ("eusc-de-east-1", "ssm.eusc-de-east-1.amazonaws.eu"),
    ],
)
def test_service_host_follows_the_agent_domain_map(region: str, host: str) -> None:
    assert node.service_host("ssm", region) == host


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.1.10", "vpc"),
        ("10.9.1.10", "private"),
        ("100.64.0.5", "private"),
        ("52.94.1.1", "public"),
        ("127.0.0.1", "local"),
        ("169.254.169.254", "link-local"),
        ("fd00::1", "private"),
        ("not-an-ip", "invalid"),
    ],
)
def test_address_kinds(address: str, kind: str) -> None:
    assert node.address_kind(address, node._vpc_networks(["10.0.0.0/16"])) == kind


def test_mapping_resolver_wildcard_and_nxdomain() -> None:
    resolve = node.mapping_resolver(
        node.parse_resolve_options(["ssm.x=10.0.0.1,10.0.0.2", "gone.x=", "*=127.0.0.9"]), None
    )
    assert resolve("SSM.x", 443) == ["10.0.0.1", "10.0.0.2"]
    assert resolve("other", 443) == ["127.0.0.9"]
    with pytest.raises(socket.gaierror):
        resolve("gone.x", 443)
    strict = node.mapping_resolver({}, None)
    with pytest.raises(socket.gaierror):
        strict("anything", 443)
    with pytest.raises(node.ProbeUsageError):
        node.parse_resolve_options(["no-equals-sign"])


def test_features_choose_services() -> None:
    assert node.services_for(["core"]) == ["ssm"]
    assert node.services_for(["session-manager"]) == ["ssm", "ssmmessages", "s3", "kms", "logs"]
    assert node.services_for(["cloudwatch-logs"], ["sts"]) == ["logs", "sts"]
    assert node.services_for(["all"]) == list(node.SERVICES)
    with pytest.raises(node.ProbeUsageError):
        node.services_for(["nope"])


def test_a_hanging_resolver_is_cut_off_by_the_step_timeout() -> None:
    import threading

    release = threading.Event()

    def hang(host: str, port: int) -> list[str]:
        release.wait(5)
        return ["127.0.0.1"]

    with pytest.raises(TimeoutError):
        node.in_thread(lambda: hang("x", 443), 0.2)
    release.set()
