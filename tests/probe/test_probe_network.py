"""One service at a time against loopback fakes: TLS, HTTP, refused and silent ports, proxy."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

import pytest

from probe.probe_fakes import (
    ConnectProxy,
    FakeImds,
    Pki,
    SilentServer,
    TlsServer,
    closed_port,
    hosts,
    imds_data,
    lab_config,
    make_pki,
)
from ssmreach.probe import node


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def server(pki: Pki) -> Iterator[TlsServer]:
    srv = TlsServer(pki)
    yield srv
    srv.close()


def one(doc: dict[str, Any], service: str = "ssm") -> dict[str, Any]:
    return next(s for s in doc["services"] if s["service"] == service)


def codes(entry: dict[str, Any]) -> set[str]:
    return {r["code"] for r in entry["reasons"]}


def test_private_answer_tcp_tls_and_https_make_private(server: TlsServer, pki: Pki) -> None:
    doc = node.run_probe(lab_config(server.port, pki, features=("core",)))
    ssm = one(doc)
    assert ssm["verdict"] == "PRIVATE" and doc["verdict"] == "PRIVATE"
    assert [h["step"] for h in ssm["hops"]] == ["dns", "tcp", "tls", "https"]
    assert ssm["tls"]["verified"] and ssm["tls"]["hostname_match"]
    assert ssm["tls"]["issuer"].endswith("ssmreach test CA") and ssm["tls"]["days_left"] >= 8
    assert ssm["http"]["status"] == 404 and ssm["http"]["server"] == "Server"
    assert ssm["reasons"] == []
    assert server.requests and server.requests[-1].startswith(b"GET / HTTP/1.1")
    assert b"Authorization" not in server.requests[-1]


def test_public_answer_with_working_tls_is_internet(server: TlsServer, pki: Pki) -> None:
    cfg = lab_config(server.port, pki, features=("core",), public_cidrs=("127.0.0.1/32",))
    ssm = one(node.run_probe(cfg))
    assert ssm["verdict"] == "INTERNET" and codes(ssm) == {"INTERNET_PATH"}
    assert ssm["addresses"][0]["kind"] == "public"


def test_unexpected_issuer_is_flagged_as_tls_inspection(server: TlsServer, pki: Pki) -> None:
    cfg = lab_config(server.port, pki, features=("core",), expected_issuers=node.AWS_ISSUERS)
    ssm = one(node.run_probe(cfg))
    assert ssm["verdict"] == "PRIVATE"
    [warning] = ssm["reasons"]
    assert warning["code"] == "PROBE_TLS_FAILED" and warning["severity"] == "warning"
    assert "TLS-inspecting" in warning["message"] and ssm["tls"]["expected_issuer"] is False


def test_untrusted_certificate_blocks(server: TlsServer) -> None:
    ssm = one(node.run_probe(lab_config(server.port, None, features=("core",))))
    assert ssm["verdict"] == "BLOCKED" and codes(ssm) == {"PROBE_TLS_FAILED"}
    assert "certificate did not validate" in ssm["tls"]["error"]


def test_name_mismatch_blocks(server: TlsServer, pki: Pki) -> None:
    mapping = {"ssm.us-east-1.example.test": ["127.0.0.1"]}
    cfg = lab_config(server.port, pki, mapping, features=("core",), domain="example.test")
    ssm = one(node.run_probe(cfg))
    assert ssm["host"] == "ssm.us-east-1.example.test"
    assert ssm["verdict"] == "BLOCKED" and ssm["tls"]["hostname_match"] is False


def test_refused_port_blocks_with_tcp_failure(pki: Pki) -> None:
    ssm = one(node.run_probe(lab_config(closed_port(), pki, features=("core",))))
    assert ssm["verdict"] == "BLOCKED" and codes(ssm) == {"PROBE_TCP_FAILED"}
    assert "refused" in ssm["reasons"][0]["message"]


def test_silent_server_times_out_within_the_step_timeout(pki: Pki) -> None:
    silent = SilentServer()
    try:
        start = time.monotonic()
        cfg = lab_config(silent.port, pki, features=("core",), step_timeout=0.5)
        ssm = one(node.run_probe(cfg))
        assert time.monotonic() - start < 3
    finally:
        silent.close()
    assert ssm["verdict"] == "BLOCKED" and codes(ssm) == {"PROBE_TLS_FAILED"}
    assert "timed out" in ssm["reasons"][0]["message"]


def test_no_http_answer_after_tls_is_http_failure(pki: Pki) -> None:
    mute = TlsServer(pki, silent_after_tls=True)
    try:
        ssm = one(node.run_probe(lab_config(mute.port, pki, features=("core",), step_timeout=0.5)))
    finally:
        mute.close()
    assert ssm["verdict"] == "BLOCKED" and codes(ssm) == {"PROBE_HTTP_FAILED"}


def test_nxdomain_blocks_with_dns_failure(server: TlsServer, pki: Pki) -> None:
    mapping = hosts("127.0.0.1")
    mapping["ssmmessages.us-east-1.amazonaws.com"] = []
    doc = node.run_probe(lab_config(server.port, pki, mapping, features=("run-command",)))
    assert one(doc, "ssmmessages")["verdict"] == "BLOCKED"
    assert codes(one(doc, "ssmmessages")) == {"PROBE_DNS_FAILED"}
    assert one(doc, "ssm")["verdict"] == "PRIVATE" and doc["verdict"] == "BLOCKED"
    assert node.exit_status(doc) == 1


def test_clock_skew_from_the_date_header(pki: Pki) -> None:
    late = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20)
    skewed = TlsServer(pki, date=late)
    try:
        doc = node.run_probe(lab_config(skewed.port, pki, features=("core",)))
    finally:
        skewed.close()
    assert doc["node"]["clock"]["skew_seconds"] > 1100
    assert "CLOCK_SKEW" in {r["code"] for r in doc["reasons"]}


def test_proxy_path_is_tunnelled_and_unknown(server: TlsServer, pki: Pki) -> None:
    proxy = ConnectProxy(("127.0.0.1", server.port))
    try:
        env = {"HTTPS_PROXY": f"http://user:pw@127.0.0.1:{proxy.port}", "NO_PROXY": "localhost"}
        doc = node.run_probe(lab_config(server.port, pki, features=("core",), env=env))
    finally:
        proxy.close()
    ssm = one(doc)
    assert proxy.requests == [f"CONNECT ssm.us-east-1.amazonaws.com:{server.port} HTTP/1.1"]
    assert ssm["verdict"] == "UNKNOWN" and codes(ssm) == {"EGRESS_UNMODELED"}
    assert ssm["proxy"].startswith("http://***@") and "pw" not in str(doc)
    assert [h["step"] for h in ssm["hops"]] == ["dns", "proxy", "tcp", "tls", "https"]
    assert "PROXY_IMDS_NOT_EXCLUDED" in {r["code"] for r in doc["reasons"]}


def test_proxy_refusing_connect_is_a_tcp_failure(server: TlsServer, pki: Pki) -> None:
    proxy = ConnectProxy(("127.0.0.1", server.port), refuse=407)
    try:
        env = {"https_proxy": f"127.0.0.1:{proxy.port}", "no_proxy": "169.254.169.254"}
        doc = node.run_probe(lab_config(server.port, pki, features=("core",), env=env))
    finally:
        proxy.close()
    ssm = one(doc)
    assert ssm["verdict"] == "BLOCKED" and "HTTP 407" in ssm["reasons"][0]["message"]
    assert "PROXY_IMDS_NOT_EXCLUDED" not in {r["code"] for r in doc["reasons"]}


def test_no_proxy_match_goes_direct(server: TlsServer, pki: Pki) -> None:
    env = {"HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ".amazonaws.com,169.254.169.254"}
    ssm = one(node.run_probe(lab_config(server.port, pki, features=("core",), env=env)))
    assert ssm["verdict"] == "PRIVATE" and ssm["proxy"] is None


def test_snapshot_owner_and_s3_gateway(server: TlsServer, pki: Pki) -> None:
    known = {"127.0.0.1": {"endpoint": "vpce-0ssm", "eni": "eni-0a", "service": "ssm"}}
    mapping = hosts("127.0.0.1")
    mapping["s3.us-east-1.amazonaws.com"] = ["127.0.0.2"]
    public = TlsServer(pki, "127.0.0.2", port=server.port)
    try:
        cfg = lab_config(
            server.port,
            pki,
            mapping,
            features=("agent-update",),
            known_addresses=known,
            public_cidrs=("127.0.0.2/32",),
            s3_gateways={"subnet-0b2": "vpce-0s3"},
        )
        doc = node.run_probe(cfg)
    finally:
        public.close()
    ssm = one(doc)
    assert ssm["via"] == "vpce-0ssm" and "vpce-0ssm eni-0a" in ssm["hops"][0]["detail"]
    # s3 answers from a public address; without the node's subnet nothing says which route
    s3 = one(doc, "s3")
    assert s3["verdict"] == "UNKNOWN" and codes(s3) == {"EGRESS_UNMODELED"}
    # the ssmmessages name answering with the ssm endpoint's address is suspicious
    assert "PROBE_DNS_FAILED" in codes(one(doc, "ssmmessages"))


def test_s3_public_answer_through_a_routed_gateway_is_private(server: TlsServer, pki: Pki) -> None:
    imds = FakeImds(imds_data(vpc_cidr="10.0.0.0/16"))
    mapping = hosts("127.0.0.1")
    mapping["s3.us-east-1.amazonaws.com"] = ["127.0.0.2"]
    public = TlsServer(pki, "127.0.0.2", port=server.port)
    try:
        cfg = lab_config(
            server.port,
            pki,
            mapping,
            features=("agent-update",),
            imds_url=imds.url,
            vpc_cidrs=("127.0.0.1/32",),
            public_cidrs=("127.0.0.2/32",),
            s3_gateways={"subnet-0b2": "vpce-0s3"},
        )
        doc = node.run_probe(cfg)
    finally:
        imds.close()
        public.close()
    s3 = one(doc, "s3")
    assert s3["verdict"] == "PRIVATE" and s3["via"] == "vpce-0s3"
    assert [h["step"] for h in s3["hops"]][-1] == "route"
    assert one(doc)["verdict"] == "PRIVATE"
