"""End-to-end: a read the snapshot lacks never decides a verdict, and every one is named."""

from __future__ import annotations

from scenario import one_vpc, result_for
from ssmreach.analysis.verdict import Verdict


def _gap_messages(result: object) -> str:
    reasons = getattr(result, "reasons", ())
    return " ".join(r.message for r in reasons if r.code in ("DATA_MISSING", "READ_DENIED"))


def test_unknown_for_missing_data_names_every_read_of_the_path() -> None:
    e = one_vpc()
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    e.b.omitted.update({"DescribeRouteTables", "DescribeNetworkAcls"})
    e.b.denied.add("ListResolverRules")
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.UNKNOWN
    messages = _gap_messages(r)
    for api in (
        "ec2:DescribeRouteTables",
        "ec2:DescribeNetworkAcls",
        "route53resolver:ListResolverRules",
    ):
        assert api in messages, api
    assert sum(x.code == "READ_DENIED" for x in r.reasons) == 1


def test_a_definite_failure_is_not_turned_unknown_by_other_gaps() -> None:
    e = one_vpc(endpoints=False)
    iid = e.b.instance("web", e.app, [e.app_sg], e.profile)
    e.b.omitted.add("DescribeNetworkAcls")
    r = result_for(e.b, iid, "core")
    assert r.verdict is Verdict.BLOCKED  # no endpoint and no internet path: certain
