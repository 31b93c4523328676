"""The whole probe ends at its deadline, even when nothing on the network answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from probe.probe_fakes import SilentServer, lab_config
from ssmreach.probe import node


def test_unreachable_setup_finishes_at_the_deadline() -> None:
    release = threading.Event()

    def hanging_resolver(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["127.0.0.1"]

    def slow_runner(argv: Sequence[str], timeout: float) -> tuple[int | None, str]:
        release.wait(min(timeout, 10))
        return None, ""

    imds = SilentServer()  # TCP connects, the metadata service never answers
    try:
        cfg = lab_config(
            imds.port,
            None,
            features=("all",),
            resolver=hanging_resolver,
            imds_url=f"http://127.0.0.1:{imds.port}",
            agent=True,
            run=slow_runner,
            agent_binaries=(),
            agent_configs=(),
            agent_logs=(),
            timeout=1.5,
            step_timeout=5.0,
        )
        start = time.monotonic()
        doc = node.run_probe(cfg)
        elapsed = time.monotonic() - start
    finally:
        release.set()
        imds.close()
    assert elapsed < 3.0, elapsed
    assert len(doc["services"]) == len(node.SERVICES)
    for service in doc["services"]:
        assert service["verdict"] == "UNKNOWN", service
        assert service["hops"][-1]["step"] == "deadline"
        assert {r["code"] for r in service["reasons"]} == {"EGRESS_UNMODELED"}
    imds_facts = doc["node"]["imds"]
    assert imds_facts["reachable"] is False and "timed out" in imds_facts["v2_token"]
    assert doc["node"]["instance"] is None
    assert doc["probe"]["seconds"] < 3.0


def test_no_network_at_all_is_bounded_and_blocked() -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise OSError("Temporary failure in name resolution")

    cfg = lab_config(443, None, features=("all",), resolver=no_dns, timeout=5.0)
    start = time.monotonic()
    doc = node.run_probe(cfg)
    assert time.monotonic() - start < 2.0
    assert {s["verdict"] for s in doc["services"]} == {"BLOCKED"}
    assert {r["code"] for s in doc["services"] for r in s["reasons"]} == {"PROBE_DNS_FAILED"}
