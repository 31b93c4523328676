"""The steps only a person can take, gathered while planning (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from ssmreach.analysis.verdict import Reason
from ssmreach.plan.plan import ManualStep
from ssmreach.plan.shared import MANUAL_CODES


class ManualSteps:
    """Steps keyed by (code, resource, message); the first fix text stays, instances add up."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, str | None, str], tuple[str | None, set[str]]] = {}

    def has(self, code: str, resource: str | None) -> bool:
        """A step of `code` on `resource` is already listed (whatever its message)."""
        return any(key[0] == code and key[1] == resource for key in self._steps)

    def add(
        self,
        code: str,
        resource: str | None,
        message: str,
        instances: Iterable[str],
        fix: str | None = None,
    ) -> None:
        key = (code, resource, message)
        entry = self._steps.get(key)
        if entry is None:
            entry = self._steps[key] = (fix, set())
        entry[1].update(instances)

    def finding(self, r: Reason, instance: str) -> None:
        """A finding only a person can act on, with why (MANUAL_CODES)."""
        self.add(r.code, r.resource, f"{r.message} ({MANUAL_CODES[r.code]})", [instance], r.fix)

    def steps(self) -> tuple[ManualStep, ...]:
        """The steps in the plan's order: by code, resource and message."""
        return tuple(
            ManualStep(
                code=code, resource=resource, instances=tuple(sorted(ids)), message=message, fix=fix
            )
            for (code, resource, message), (fix, ids) in sorted(
                self._steps.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])
            )
        )
