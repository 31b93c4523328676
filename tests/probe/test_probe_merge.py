"""Merging probe evidence into check results: settling UNKNOWN, and model/probe mismatches."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from builders import EstateBuilder, tcp
from conftest import DATA
from probe.probe_fakes import Pki, TlsServer, closed_port, lab_config, make_pki
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.evidence import load_probe_documents, merge_probe_evidence
from ssmreach.analysis.verdict import CheckResult, FeatureResult, Outcome, Severity, Verdict
from ssmreach.errors import SsmreachError
from ssmreach.probe import node
from ssmreach.probe.controller.snapshot_index import address_owners
from ssmreach.probe.document import ProbeDocument, probe_document
from ssmreach.report.json_report import render_json

FEATURES = ("core", "run-command", "session-manager")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


class Lab:
    """A VPC on 127.0.0.0/16 whose endpoint ENIs are loopback addresses with TLS servers."""

    def __init__(self, pki: Pki, **vpc: Any) -> None:
        self.pki = pki
        self.b = b = EstateBuilder()
        self.vpc = b.vpc("127.0.0.0/16", **vpc)
        self.app = b.subnet(self.vpc, "127.0.1.0/24", "a")
        self.ep = b.subnet(self.vpc, "127.0.11.0/24", "a")
        self.rtb = b.route_table(self.vpc, [self.app, self.ep])
        self.app_sg = b.sg(self.vpc, "app")
        self.ep_sg = b.sg(self.vpc, "endpoints", ingress=[tcp(443, cidr="127.0.0.0/16")])
        self.profile = b.role("ssm-core")
        self.servers: list[TlsServer] = []

    def endpoints(self, sgs: list[str] | None = None) -> dict[str, str]:
        return self.b.private_endpoints(
            self.vpc, [self.ep], [self.ep_sg] if sgs is None else sgs, [self.rtb]
        )

    def instance(self, **kwargs: Any) -> str:
        return self.b.instance("web", self.app, [self.app_sg], self.profile, **kwargs)

    def check(self) -> CheckResult:
        return check_estate(self.b.estate(), CheckOptions(features=FEATURES))

    def probe(self, instance: str, *, port: int | None = None, **overrides: Any) -> ProbeDocument:
        """Run the real probe with the service names answered by the endpoint ENIs."""
        estate = self.b.estate()
        owners = address_owners(estate)
        by_service = {v["service"]: k for k, v in owners.items()}
        mapping = {
            f"{s}.us-east-1.amazonaws.com": [by_service.get(s, "127.0.200.1")]
            for s in node.SERVICES
        }
        if port is None:
            port = self.serve(sorted(set(owners) | {"127.0.200.1"}))
        values: dict[str, Any] = {
            "features": FEATURES,
            "known_addresses": owners,
            "vpc_cidrs": ("127.0.0.0/16",),
            "instance_id": instance,
        }
        values.update(overrides)
        doc = node.run_probe(lab_config(port, self.pki, mapping, **values))
        return probe_document(doc)

    def serve(self, addresses: list[str]) -> int:
        first = TlsServer(self.pki, addresses[0])
        self.servers.append(first)
        for address in addresses[1:]:
            self.servers.append(TlsServer(self.pki, address, port=first.port))
        return first.port

    def close(self) -> None:
        for server in self.servers:
            server.close()


@pytest.fixture
def lab(pki: Pki) -> Iterator[Callable[..., Lab]]:
    made: list[Lab] = []

    def factory(**vpc: Any) -> Lab:
        made.append(Lab(pki, **vpc))
        return made[-1]

    yield factory
    for item in made:
        item.close()


def feature(result: CheckResult, instance: str, name: str) -> FeatureResult:
    return next(r for r in result.results if r.instance == instance and r.feature == name)


def service(result: FeatureResult, name: str) -> Any:
    return next(s for s in result.services if s.service == name)


def all_codes(result: FeatureResult) -> set[str]:
    return {r.code for r in result.reasons}


def test_custom_dns_unknown_is_settled_private_by_the_probe(lab: Any) -> None:
    e = lab(dhcp_servers=["127.0.0.53"])
    endpoints = e.endpoints()
    iid = e.instance()
    model = e.check()
    assert {r.verdict for r in model.results} == {Verdict.UNKNOWN}
    merged = merge_probe_evidence(model, [e.probe(iid)])
    core = feature(merged, iid, "core")
    assert core.verdict is Verdict.PRIVATE, core.reasons
    ssm = service(core, "ssm")
    assert ssm.via == endpoints["ssm"] and ssm.hops[-1].step == "probe"
    assert ssm.hops[-1].result is Outcome.PASS and endpoints["ssm"] in ssm.hops[-1].detail
    assert "CUSTOM_DNS_UNVERIFIED" not in all_codes(core)
    [verified] = [r for r in core.reasons if r.code == "PROBE_VERIFIED"]
    assert verified.severity is Severity.INFO and "CUSTOM_DNS_UNVERIFIED" in verified.message
    assert feature(merged, iid, "run-command").verdict is Verdict.PRIVATE
    assert feature(merged, iid, "session-manager").verdict is Verdict.PRIVATE
    doc = json.loads(render_json(merged))
    jsonschema.validate(doc, json.loads((DATA / "check-output.schema.json").read_text()))


def test_custom_dns_with_a_failing_probe_becomes_blocked(lab: Any) -> None:
    e = lab(dhcp_servers=["127.0.0.53"])
    e.endpoints()
    iid = e.instance()
    merged = merge_probe_evidence(e.check(), [e.probe(iid, port=closed_port("127.0.11.10"))])
    core = feature(merged, iid, "core")
    assert core.verdict is Verdict.BLOCKED and "PROBE_TCP_FAILED" in all_codes(core)
    assert service(core, "ssm").hops[-1].result is Outcome.FAIL


def test_model_private_but_probe_resolves_public_is_a_mismatch(lab: Any) -> None:
    e = lab()
    endpoints = e.endpoints()
    iid = e.instance()
    model = e.check()
    assert feature(model, iid, "core").verdict is Verdict.PRIVATE
    probe = e.probe(iid, public_cidrs=("127.0.11.0/24",))
    assert probe.service("ssm") is not None and probe.service("ssm").verdict == "INTERNET"
    core = feature(merge_probe_evidence(model, [probe]), iid, "core")
    assert core.verdict is Verdict.INTERNET
    [mismatch] = [r for r in core.reasons if r.code == "MODEL_PROBE_MISMATCH"]
    assert mismatch.severity is Severity.WARNING and mismatch.resource == endpoints["ssm"]
    assert f"the model says PRIVATE via {endpoints['ssm']}" in mismatch.message
    assert "the probe on the node says INTERNET" in mismatch.message
    assert service(core, "ssm").via is None


def test_model_blocked_by_the_network_but_probe_reached_aws(lab: Any) -> None:
    e = lab()
    e.endpoints(sgs=[])  # endpoints get the VPC default group: the instance is shut out
    iid = e.instance()
    model = e.check()
    assert "SG_INGRESS_DENIED" in all_codes(feature(model, iid, "core"))
    core = feature(merge_probe_evidence(model, [e.probe(iid)]), iid, "core")
    [mismatch] = [r for r in core.reasons if r.code == "MODEL_PROBE_MISMATCH"]
    assert "BLOCKED" in mismatch.message and "SG_INGRESS_DENIED" in mismatch.message
    assert "SG_INGRESS_DENIED" not in all_codes(core)
    assert core.verdict is Verdict.PRIVATE


def test_model_private_but_probe_blocked_is_an_error_mismatch(lab: Any) -> None:
    e = lab()
    e.endpoints()
    iid = e.instance()
    merged = merge_probe_evidence(e.check(), [e.probe(iid, port=closed_port("127.0.11.10"))])
    core = feature(merged, iid, "core")
    assert core.verdict is Verdict.BLOCKED
    mismatch = next(r for r in core.reasons if r.code == "MODEL_PROBE_MISMATCH")
    assert mismatch.severity is Severity.ERROR and "PROBE_TCP_FAILED" in all_codes(core)


def test_what_the_probe_cannot_see_stays_blocked(lab: Any) -> None:
    e = lab()
    e.endpoints()
    e.profile = e.b.role("no-ssm", managed=[])
    iid = e.instance()
    model = e.check()
    assert feature(model, iid, "core").verdict is Verdict.BLOCKED
    core = feature(merge_probe_evidence(model, [e.probe(iid)]), iid, "core")
    assert core.verdict is Verdict.BLOCKED and "IAM_ACTION_DENIED" in all_codes(core)
    assert "MODEL_PROBE_MISMATCH" not in all_codes(core)


def test_node_findings_reach_every_feature(lab: Any) -> None:
    e = lab()
    e.endpoints()
    iid = e.instance()
    url = f"http://127.0.0.1:{closed_port()}"
    probe = e.probe(iid, imds_url=url)
    merged = merge_probe_evidence(e.check(), [probe])
    for name in FEATURES:
        result = feature(merged, iid, name)
        assert result.verdict is Verdict.BLOCKED and "PROBE_IMDS_FAILED" in all_codes(result)


def test_probes_of_other_instances_and_unknown_services_change_nothing(lab: Any) -> None:
    e = lab()
    e.endpoints()
    iid = e.instance()
    other = e.instance()
    model = e.check()
    probe = e.probe(iid, timeout=0.001)  # the deadline passes at once: every service UNKNOWN
    merged = merge_probe_evidence(model, [probe])
    assert [r for r in merged.results if r.instance == other] == [
        r for r in model.results if r.instance == other
    ]
    core = feature(merged, iid, "core")
    assert core.verdict is Verdict.PRIVATE
    assert service(core, "ssm").hops[-1].result is Outcome.UNKNOWN
    assert merge_probe_evidence(model, []) is model


# --- loading -----------------------------------------------------------------------------------


def minimal(instance: str | None = "i-0abc", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "ssmreach.probe/1",
        "node": {"instance": instance, "region": "us-east-1"},
        "verdict": "PRIVATE",
        "services": [
            {
                "service": "ssm",
                "host": "ssm.us-east-1.amazonaws.com",
                "verdict": "PRIVATE",
                "hops": [{"step": "dns", "result": "pass", "detail": "ok"}],
            }
        ],
    }
    doc.update(extra)
    return doc


def test_load_one_a_list_and_compressed_documents(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(minimal()))
    many = tmp_path / "many.json"
    many.write_text(json.dumps([minimal("i-1"), minimal("i-2")]))
    packed = tmp_path / "packed.txt"
    packed.write_bytes(base64.b64encode(gzip.compress(json.dumps(minimal("i-3")).encode())))
    docs = load_probe_documents([one, many, packed])
    assert [d.instance for d in docs] == ["i-0abc", "i-1", "i-2", "i-3"]
    assert docs[0].service("ssm") is not None and docs[0].service("kms") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("hello there", "neither JSON nor compressed"),
        (json.dumps({"format": "ssmreach.check/1"}), "expected 'ssmreach.probe/1'"),
        (json.dumps(minimal(instance=None)), "--instance-id"),
        (json.dumps(minimal(verdict="MAYBE")), "not a valid probe document"),
        (json.dumps([]), "holds no probe document"),
        (json.dumps([minimal(), 3]), "document 2"),
    ],
)
def test_broken_probe_files_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "probe.json"
    path.write_text(content)
    with pytest.raises(SsmreachError, match=message) as caught:
        load_probe_documents([path])
    assert caught.value.exit_code == 2 and str(path) in caught.value.message
    assert "\n" not in caught.value.message


def test_missing_probe_file(tmp_path: Path) -> None:
    with pytest.raises(SsmreachError, match="cannot read"):
        load_probe_documents([tmp_path / "absent.json"])
