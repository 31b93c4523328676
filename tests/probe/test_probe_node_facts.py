"""Node facts: IMDS, role credentials, resolvers, proxy, agent state, overrides and logs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from probe.probe_fakes import SECRET, FakeImds, closed_port, imds_data, lab_config
from ssmreach.probe import node


def no_services(**overrides: object) -> node.ProbeConfig:
    """A configuration whose service probes all fail fast (closed port, no DNS)."""
    values: dict[str, object] = {"features": ("core",)}
    values.update(overrides)
    return lab_config(closed_port(), None, {}, **values)


def test_imdsv2_facts_and_credentials_presence_without_secrets() -> None:
    imds = FakeImds(imds_data())
    try:
        doc = node.run_probe(no_services(region=None, imds_url=imds.url))
    finally:
        imds.close()
    facts = doc["node"]
    assert facts["instance"] == "i-0123456789abcdef0" and facts["region"] == "us-east-1"
    assert facts["account"] == "111122223333" and facts["kind"] == "ec2"
    assert (facts["vpc"], facts["subnet"], facts["vpc_cidrs"]) == (
        "vpc-0a1",
        "subnet-0b2",
        ["127.0.0.0/8"],
    )
    assert facts["imds"]["v2_token"] == "ok" and facts["imds"]["v1"].startswith("refused")
    assert facts["role"] == {
        "name": "ssm-core",
        "credentials": "present",
        "expires": "2030-01-01T00:00:00Z",
    }
    text = json.dumps(doc)
    assert SECRET not in text and "ASIAEXAMPLE" not in text and "TOKENVALUE" not in text
    assert all(has_token for method, _, has_token in imds.seen[2:] if method == "GET")


def test_imdsv1_only_is_reported() -> None:
    imds = FakeImds(imds_data(role=None), v1=True, v2=False)
    try:
        doc = node.run_probe(no_services(imds_url=imds.url))
    finally:
        imds.close()
    facts = doc["node"]
    assert facts["imds"]["v1"] == "allowed" and facts["imds"]["v2_token"] == "HTTP 403"
    assert facts["instance"] == "i-0123456789abcdef0"
    assert facts["role"]["name"] is None and facts["role"]["credentials"] == "absent"


def test_unreachable_imds_is_a_node_finding() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    doc = node.run_probe(no_services(imds_url=url))
    [finding] = [r for r in doc["reasons"] if r["code"] == "PROBE_IMDS_FAILED"]
    assert finding["severity"] == "error" and doc["verdict"] == "BLOCKED"
    assert doc["node"]["imds"]["reachable"] is False


def test_no_region_anywhere_is_a_usage_error() -> None:
    with pytest.raises(node.ProbeUsageError, match="--region"):
        node.run_probe(no_services(region=None))


def test_hybrid_registration_names_the_node(tmp_path: Path) -> None:
    reg = tmp_path / "registration"
    reg.write_text(json.dumps({"ManagedInstanceID": "mi-0123456789abcdef0", "Region": "eu-west-1"}))
    doc = node.run_probe(no_services(region=None, registration_files=(str(reg),)))
    assert doc["node"]["instance"] == "mi-0123456789abcdef0"
    assert doc["node"]["kind"] == "hybrid" and doc["node"]["region"] == "eu-west-1"
    assert doc["services"][0]["host"] == "ssm.eu-west-1.amazonaws.com"


def test_resolv_conf_kinds_and_systemd_upstream(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# generated\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch ec2.internal\n"
    )
    upstream = tmp_path / "upstream.conf"
    upstream.write_text("nameserver 10.0.0.2\nnameserver 10.9.9.9\n")
    doc = node.run_probe(
        no_services(
            resolv_conf=str(conf), resolved_upstream=str(upstream), vpc_cidrs=("10.0.0.0/16",)
        )
    )
    resolvers = doc["node"]["resolvers"]
    assert resolvers["nameservers"] == ["127.0.0.53"] and resolvers["search"] == ["ec2.internal"]
    assert resolvers["kinds"] == {"127.0.0.53": "local-stub"}
    assert resolvers["upstream"] == {"10.0.0.2": "amazon", "10.9.9.9": "custom"}
    assert node.resolver_kind("169.254.169.253", ()) == "amazon"


def test_windows_skips_resolv_conf() -> None:
    facts = node.resolver_facts(no_services(platform="win32"), ())
    assert facts["note"] == "not read on Windows"


class FakeRunner:
    def __init__(self, answers: dict[str, tuple[int | None, str]]) -> None:
        self.answers = answers
        self.calls: list[tuple[list[str], float]] = []

    def __call__(self, argv: Sequence[str], timeout: float) -> tuple[int | None, str]:
        self.calls.append((list(argv), timeout))
        return self.answers.get(" ".join(argv), (None, ""))


def test_agent_state_version_overrides_and_log_errors(tmp_path: Path) -> None:
    binary = tmp_path / "amazon-ssm-agent"
    binary.write_text("")
    config = tmp_path / "amazon-ssm-agent.json"
    config.write_text(
        json.dumps(
            {
                "Ssm": {"Endpoint": "https://vpce-0abc-xyz.ssm.us-east-1.vpce.amazonaws.com"},
                "Mgs": {"Endpoint": ""},
                "Kms": {"Endpoint": "kms-fips.us-east-1.amazonaws.com:443"},
            }
        )
    )
    log = tmp_path / "amazon-ssm-agent.log"
    log.write_text(
        "2026-11-28 10:00:00 INFO starting\n"
        "2026-11-28 10:00:01 ERROR [ssm] AccessDeniedException: User is not authorized to "
        "perform: ssm:UpdateInstanceInformation token=abcd1234\n"
        "2026-11-28 10:00:02 ERROR dial tcp: lookup ssmmessages.us-east-1.amazonaws.com: no such host\n"
        "2026-11-28 10:00:03 ERROR dial tcp 10.0.1.10:443: i/o timeout\n"
    )
    runner = FakeRunner(
        {
            "systemctl is-active amazon-ssm-agent": (0, "active"),
            f"{binary} --version": (0, "SSM Agent version: 3.3.1142.0"),
        }
    )
    cfg = no_services(
        agent=True,
        run=runner,
        agent_binaries=(str(binary),),
        agent_configs=(str(config),),
        agent_logs=(str(log), str(tmp_path / "missing.log")),
        features=("all",),
    )
    doc = node.run_probe(cfg)
    agent = doc["node"]["agent"]
    assert agent["state"] == "active" and agent["manager"] == "systemd"
    assert agent["version"] == "3.3.1142.0" and agent["binary"] == str(binary)
    assert agent["config"]["overrides"] == {
        "ssm": "vpce-0abc-xyz.ssm.us-east-1.vpce.amazonaws.com",
        "kms": "kms-fips.us-east-1.amazonaws.com",
    }
    hosts = {s["service"]: (s["host"], s["override"]) for s in doc["services"]}
    assert hosts["ssm"] == ("vpce-0abc-xyz.ssm.us-east-1.vpce.amazonaws.com", True)
    assert hosts["ssmmessages"] == ("ssmmessages.us-east-1.amazonaws.com", False)
    found = {r["code"]: r for r in doc["reasons"]}
    assert {"IAM_ACTION_DENIED", "PROBE_DNS_FAILED", "PROBE_TCP_FAILED"} <= set(found)
    assert all(found[c]["severity"] == "warning" for c in ("IAM_ACTION_DENIED",))
    assert "abcd1234" not in found["IAM_ACTION_DENIED"]["message"]
    assert "AGENT_NOT_RUNNING" not in found
    assert all(timeout <= 3.0 for _, timeout in runner.calls)


def test_stopped_agent_is_a_finding() -> None:
    runner = FakeRunner(
        {
            "systemctl is-active amazon-ssm-agent": (3, "inactive"),
            "systemctl is-active snap.amazon-ssm-agent.amazon-ssm-agent.service": (4, "inactive"),
        }
    )
    cfg = no_services(agent=True, run=runner, agent_binaries=(), agent_configs=(), agent_logs=())
    doc = node.run_probe(cfg)
    [finding] = [r for r in doc["reasons"] if r["code"] == "AGENT_NOT_RUNNING"]
    assert finding["severity"] == "error" and doc["node"]["agent"]["state"] == "inactive"


def test_windows_service_state_from_sc_query() -> None:
    runner = FakeRunner(
        {"sc query AmazonSSMAgent": (0, "SERVICE_NAME: AmazonSSMAgent\n  STATE : 4  RUNNING")}
    )
    cfg = no_services(platform="win32", run=runner)
    assert node.agent_state(cfg, 1.0) == ("active", "sc")


def test_agent_proxy_from_the_systemd_override(tmp_path: Path) -> None:
    override = tmp_path / "override.conf"
    override.write_text(
        '[Service]\nEnvironment="https_proxy=http://proxy.corp:3128" "no_proxy=localhost"\n'
    )
    facts = node.proxy_facts(no_services(agent_proxy_files=(str(override),)))
    assert facts["https_proxy"] == "http://proxy.corp:3128" and facts["imds_excluded"] is False
    assert facts["agent_sources"] == [str(override)]
    assert node.no_proxy_matches("169.254.169.254", "10.0.0.0/8,169.254.0.0/16")
    assert node.no_proxy_matches("ssm.us-east-1.amazonaws.com", ".amazonaws.com")
    assert not node.no_proxy_matches("ssm.us-east-1.amazonaws.com", "example.com")


def test_use_dual_stack_endpoint_makes_the_probe_ask_the_dual_stack_names(tmp_path: Path) -> None:
    config = tmp_path / "amazon-ssm-agent.json"
    config.write_text(
        json.dumps(
            {
                "Agent": {"UseDualStackEndpoint": True},
                "Kms": {"Endpoint": "kms-fips.us-east-1.amazonaws.com"},
            }
        )
    )
    cfg = no_services(
        agent=True,
        run=FakeRunner({}),
        agent_configs=(str(config),),
        agent_logs=(),
        features=("all",),
    )
    doc = node.run_probe(cfg)
    assert doc["node"]["agent"]["config"]["dual_stack"] is True
    hosts = {s["service"]: (s["host"], s["override"]) for s in doc["services"]}
    assert hosts["ssm"] == ("ssm.us-east-1.api.aws", True)
    assert hosts["ssmmessages"] == ("ssmmessages.us-east-1.api.aws", True)
    assert hosts["s3"] == ("s3.dualstack.us-east-1.amazonaws.com", True)
    assert hosts["kms"] == ("kms-fips.us-east-1.amazonaws.com", True)  # an explicit override wins


def test_without_the_setting_the_usual_names_are_asked(tmp_path: Path) -> None:
    config = tmp_path / "amazon-ssm-agent.json"
    config.write_text(json.dumps({"Agent": {"UseDualStackEndpoint": False}}))
    cfg = no_services(agent=True, run=FakeRunner({}), agent_configs=(str(config),), agent_logs=())
    doc = node.run_probe(cfg)
    assert "dual_stack" not in doc["node"]["agent"]["config"]
    assert {s["host"] for s in doc["services"]} <= {
        "ssm.us-east-1.amazonaws.com",
        "ssmmessages.us-east-1.amazonaws.com",
        "ec2messages.us-east-1.amazonaws.com",
    }
