"""A check in several processes gives exactly the results of one (workers.py)."""

from __future__ import annotations

import multiprocessing

import pytest

from builders import EstateBuilder, tcp
from generated import generate
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import FEATURES
from ssmreach.analysis.workers import POOL_MIN_INSTANCES, split, worker_count
from ssmreach.report.json_report import render_json

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="processes cannot be forked"
)


@needs_fork
@pytest.mark.parametrize("own_groups", [False, True])
def test_two_workers_give_the_results_of_one(own_groups: bool) -> None:
    estate = generate(300, 14, own_groups=own_groups).estate()
    one = check_estate(estate, CheckOptions(features=FEATURES, workers=1))
    two = check_estate(estate, CheckOptions(features=FEATURES, workers=2))
    assert two.results == one.results
    assert render_json(two) == render_json(one)
    assert two.estate_findings == one.estate_findings
    assert (two.instances, two.not_running) == (one.instances, one.not_running)


@needs_fork
def test_workers_keep_the_chosen_instances_only() -> None:
    estate = generate(120, 6).estate()
    chosen = tuple(sorted(i.instance_id for r in estate.regions.values() for i in r.instances)[::7])
    one = check_estate(estate, CheckOptions(instances=chosen, workers=1))
    two = check_estate(estate, CheckOptions(instances=chosen, workers=2))
    assert two.results == one.results and {r.instance for r in two.results} == set(chosen)


def test_small_estates_and_single_units_stay_in_one_process() -> None:
    assert worker_count(None, POOL_MIN_INSTANCES - 1, 50) == 1
    assert worker_count(4, 10_000, 1) == 1  # one VPC: nothing to split
    assert worker_count(1, 10_000, 50) == 1
    assert worker_count(8, 10_000, 3) in (1, 3)  # at most one worker per VPC


def test_split_balances_instances_and_keeps_order() -> None:
    sizes = {("a", "r", f"vpc-{n}"): size for n, size in enumerate([50, 5, 40, 5, 10, 30])}
    shares = split(sizes, 2)
    loads = sorted(sum(sizes[u] for u in share) for share in shares)
    assert loads == [70, 70]
    order = list(sizes)
    for share in shares:
        assert share == sorted(share, key=order.index)
    assert sorted(u for share in shares for u in share) == sorted(sizes)
    assert len(split(sizes, 10)) == 6  # never an empty share


@needs_fork
def test_an_undecided_role_names_no_other_instance_with_any_number_of_workers() -> None:
    """A decision cached for any instance of a role says "the instance's ARN": what a
    worker happened to evaluate first never shows in another instance's result."""
    b = EstateBuilder()
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ssm:*", "ssmmessages:*", "ec2messages:*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ops"}},
            }
        ]
    }
    role = b.role("tagged", managed=[], inline={"tagged": policy})
    ids = []
    for n in range(2):
        vpc = b.vpc(f"10.{n}.0.0/16")
        app = b.subnet(vpc, f"10.{n}.1.0/24", "a")
        ep = b.subnet(vpc, f"10.{n}.11.0/24", "a")
        rtb = b.route_table(vpc, [app, ep])
        ep_sg = b.sg(vpc, "endpoints", ingress=[tcp(443, cidr=f"10.{n}.0.0/16")])
        b.private_endpoints(vpc, [ep], [ep_sg], [rtb])
        ids.append(b.instance(f"web{n}", app, [b.sg(vpc, "app")], role))
    estate = b.estate()
    one = check_estate(estate, CheckOptions(features=("core",), workers=1))
    two = check_estate(estate, CheckOptions(features=("core",), workers=2))
    single = check_estate(estate, CheckOptions(features=("core",), grouped=False, workers=1))
    assert two.results == one.results == single.results
    for r in one.results:
        assert r.verdict.value == "UNKNOWN"
        text = " ".join(h.detail for s in r.services for h in s.hops)
        assert not any(other in text for other in ids if other != r.instance)


def test_the_default_is_capped_whatever_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    import ssmreach.analysis.workers as workers

    monkeypatch.setattr(workers, "usable_cores", lambda: 64)
    expected = workers.DEFAULT_MAX_WORKERS
    if "fork" not in multiprocessing.get_all_start_methods():
        expected = 1
    assert worker_count(None, 100_000, 500) == expected
    assert worker_count(16, 100_000, 500) in (1, 16)  # asked for: as asked
