"""Fixtures of the report tests (the cases are built in report_cases.py)."""

from __future__ import annotations

import pytest

from paths import DATA, EXAMPLES, ROOT  # noqa: F401  (re-exported: `from conftest import` finds either conftest)
from report.report_cases import Case, big_estate, example, hub_and_spoke


@pytest.fixture(scope="session")
def default_sg_trap() -> Case:
    return example("default-sg-trap")


@pytest.fixture(scope="session")
def partly_private() -> Case:
    return example("partly-private")


@pytest.fixture(scope="session")
def spoke_case() -> Case:
    return hub_and_spoke()


@pytest.fixture(scope="session")
def big_case() -> Case:
    return big_estate()


@pytest.fixture(
    scope="session", params=["default-sg-trap", "partly-private", "hub-and-spoke", "big"]
)
def any_case(request: pytest.FixtureRequest) -> Case:
    name = request.param
    if name == "hub-and-spoke":
        return hub_and_spoke()
    if name == "big":
        return big_estate()
    return example(name)
