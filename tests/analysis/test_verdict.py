"""Unit tests of `analysis.verdict`: the order of verdicts, combining them, and the result
records (immutable and comparable by value)."""

from __future__ import annotations

import msgspec
import pytest

from ssmreach.analysis.verdict import (
    CheckResult,
    FeatureResult,
    Hop,
    Outcome,
    Reason,
    Severity,
    Verdict,
    best,
    worst,
)


def test_badness_orders_private_internet_unknown_blocked() -> None:
    ranked = sorted(Verdict, key=lambda v: v.rank)
    assert ranked == [Verdict.PRIVATE, Verdict.INTERNET, Verdict.UNKNOWN, Verdict.BLOCKED]


def test_worst_and_best_pick_by_rank() -> None:
    mixed = [Verdict.INTERNET, Verdict.BLOCKED, Verdict.PRIVATE, Verdict.UNKNOWN]
    assert worst(mixed) is Verdict.BLOCKED
    assert best(mixed) is Verdict.PRIVATE
    assert worst((Verdict.PRIVATE, Verdict.INTERNET)) is Verdict.INTERNET
    assert best((Verdict.BLOCKED, Verdict.UNKNOWN)) is Verdict.UNKNOWN


def test_nothing_to_combine_gives_the_default() -> None:
    """No service to reach cannot block a feature; no path found cannot make one private."""
    assert worst([]) is Verdict.PRIVATE
    assert best([]) is Verdict.BLOCKED
    assert worst([], default=Verdict.UNKNOWN) is Verdict.UNKNOWN


def test_names_are_the_strings_of_the_output_format() -> None:
    assert Verdict("PRIVATE") is Verdict.PRIVATE
    assert [o.value for o in Outcome] == ["pass", "fail", "unknown"]
    assert [s.value for s in Severity] == ["error", "warning", "info"]


def test_records_are_immutable_and_equal_by_value() -> None:
    hop = Hop("dns", "vpc-1", Outcome.PASS, "resolves")
    assert hop == Hop("dns", "vpc-1", Outcome.PASS, "resolves")
    assert len({hop, Hop("dns", "vpc-1", Outcome.PASS, "resolves")}) == 1
    with pytest.raises(AttributeError):
        hop.detail = "changed"  # type: ignore[misc]
    reason = Reason("NO_ROUTE", Severity.ERROR, "rtb-1", "no route")
    assert reason.fix is None
    assert msgspec.structs.replace(reason, fix="add one").fix == "add one"


def _feature(instance: str, verdict: Verdict) -> FeatureResult:
    return FeatureResult(
        instance=instance,
        account="111122223333",
        region="us-east-1",
        vpc="vpc-1",
        subnet="subnet-1",
        name=None,
        feature="core",
        verdict=verdict,
        reasons=(),
        services=(),
    )


def test_a_check_result_counts_its_results_by_verdict() -> None:
    result = CheckResult(
        accounts=("111122223333",),
        regions=("us-east-1",),
        created=None,
        source="test",
        instances=3,
        results=(
            _feature("i-1", Verdict.PRIVATE),
            _feature("i-2", Verdict.BLOCKED),
            _feature("i-3", Verdict.BLOCKED),
        ),
    )
    assert result.count(Verdict.BLOCKED) == 2
    assert result.count(Verdict.PRIVATE) == 1
    assert result.count(Verdict.UNKNOWN) == 0
    assert _feature("i-1", Verdict.PRIVATE).state == "running"
