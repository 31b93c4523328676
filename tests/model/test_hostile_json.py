"""Pathological input files give one clear error (exit 2 in the CLI), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import EXAMPLES
from ssmreach.analysis.evidence import load_probe_documents
from ssmreach.errors import SsmreachError
from ssmreach.model.reader import load_snapshot
from ssmreach.plan import decode_plan, encode_plan, make_plan
from ssmreach.plan.plan import PlanFormatError
from ssmreach.policy.document import PolicyParseError, parse_policy

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_deeply_nested_policy_is_a_parse_error() -> None:
    with pytest.raises(PolicyParseError, match="nested too deeply"):
        parse_policy('{"Statement": ' + DEEP + "}", "endpoint policy of vpce-1")


def test_a_deeply_nested_plan_is_a_format_error() -> None:
    with pytest.raises(PlanFormatError, match="nested too deeply"):
        decode_plan(('{"format": ' + DEEP + "}").encode(), "plan.json")


def test_a_plan_with_a_byte_order_mark_reads() -> None:
    plan = make_plan(load_snapshot(EXAMPLES / "partly-private"))
    assert decode_plan(b"\xef\xbb\xbf" + encode_plan(plan)) == plan


def test_a_deeply_nested_probe_file_is_an_error_naming_it(tmp_path: Path) -> None:
    probe = tmp_path / "probe.json"
    probe.write_text(DEEP)
    with pytest.raises(SsmreachError, match=r"probe\.json"):
        load_probe_documents([probe])
