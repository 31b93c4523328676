"""Network results computed with one instance's security groups, told for another's.

Instances whose groups count by their contents (grouping.py, `Grouper.group_key`) share
their network results: the first such instance's groups stand for the others' in every
flow, as the first address of a class does for the others' (`Shared.addresses`). A
result then names the standing groups, and `GroupAlias` rewrites each group id in it to
the instance's own group at the same position. Nothing else in a shared result names
those groups: nothing else names them at all (that is what lets them count by contents).

Group ids are rewritten as whole words (`sg-` and hex digits), so that `sg-1234abcd`
never rewrites part of `sg-1234abcd5678`, and in one pass, so that two groups that swap
places are both told right.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import msgspec

from ssmreach.analysis.verdict import Hop, Reason, ServiceResult

# A security group id as a whole word (`sg-` and letters or digits: real ids are hex,
# planned ones from a Terraform preview are not). grouping.py finds named groups with it.
GROUP_ID_WORD = re.compile(r"(?<![\w-])sg-[0-9A-Za-z]+(?![\w-])")
_GROUP_ID = GROUP_ID_WORD


def _names_groups(value: str | None) -> bool:
    return value is not None and "sg-" in value


def _reason_names_groups(r: Reason) -> bool:
    return _names_groups(r.resource) or _names_groups(r.message) or _names_groups(r.fix)


class AliasCache:
    """Where each shared result names groups, found once per result for every alias:
    the positions of its hops and reasons that do (most name none)."""

    def __init__(self) -> None:
        self._services: dict[int, tuple[ServiceResult, tuple[int, ...], tuple[int, ...]]] = {}
        self._reasons: dict[int, tuple[tuple[Reason, ...], tuple[int, ...]]] = {}
        self._plain: dict[tuple[str, str], bool] = {}

    def plain(self, text: str, group: str) -> bool:
        """Is every occurrence of `group` in `text` a whole word? (Then a plain string
        replacement rewrites exactly the words.)"""
        key = (text, group)
        known = self._plain.get(key)
        if known is None:
            words = sum(1 for m in _GROUP_ID.finditer(text) if m.group(0) == group)
            known = self._plain[key] = words == text.count(group)
        return known

    def service(self, result: ServiceResult) -> tuple[tuple[int, ...], tuple[int, ...]]:
        known = self._services.get(id(result))
        if known is None or known[0] is not result:
            hops = tuple(
                i
                for i, h in enumerate(result.hops)
                if _names_groups(h.resource) or _names_groups(h.detail)
            )
            known = self._services[id(result)] = (result, hops, self.reasons(result.reasons))
        return known[1], known[2]

    def reasons(self, reasons: tuple[Reason, ...]) -> tuple[int, ...]:
        known = self._reasons.get(id(reasons))
        if known is None or known[0] is not reasons:
            positions = tuple(i for i, r in enumerate(reasons) if _reason_names_groups(r))
            known = self._reasons[id(reasons)] = (reasons, positions)
        return known[1]


class GroupAlias:
    """Rewrites the standing groups' ids to an instance's own (`renames`: standing id →
    own id; ids not in it stay)."""

    def __init__(self, renames: Mapping[str, str], cache: AliasCache) -> None:
        self.renames = dict(renames)
        self.cache = cache
        # One group renamed (the usual case): plain replacement where it is exact.
        self._single = next(iter(self.renames.items())) if len(self.renames) == 1 else None
        self._services: dict[int, tuple[ServiceResult, ServiceResult]] = {}

    @staticmethod
    def between(
        standing: Sequence[str], own: Sequence[str], cache: AliasCache
    ) -> GroupAlias | None:
        """The alias from the standing groups to `own` (the same positions); None when
        they are the same groups."""
        renames = {s: o for s, o in zip(standing, own, strict=True) if s != o}
        return GroupAlias(renames, cache) if renames else None

    def text(self, value: str) -> str:
        if "sg-" not in value:
            return value
        if self._single is not None:
            standing, own = self._single
            if standing not in value:
                return value
            if self.cache.plain(value, standing):
                return value.replace(standing, own)
        return _GROUP_ID.sub(lambda m: self.renames.get(m.group(0), m.group(0)), value)

    def optional(self, value: str | None) -> str | None:
        return None if value is None else self.text(value)

    def hop(self, hop: Hop) -> Hop:
        return msgspec.structs.replace(
            hop, resource=self.optional(hop.resource), detail=self.text(hop.detail)
        )

    def reason(self, r: Reason) -> Reason:
        return msgspec.structs.replace(
            r,
            resource=self.optional(r.resource),
            message=self.text(r.message),
            fix=self.optional(r.fix),
        )

    def reasons(self, reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
        positions = self.cache.reasons(reasons)
        if not positions:
            return reasons
        out = list(reasons)
        for i in positions:
            out[i] = self.reason(out[i])
        return tuple(out)

    def service(self, result: ServiceResult) -> ServiceResult:
        """`result` told for the instance's groups: itself when it names none, else a
        copy whose hops and reasons that name groups are rewritten (once per instance)."""
        done = self._services.get(id(result))
        if done is not None and done[0] is result:
            return done[1]
        hops, reasons = self.cache.service(result)
        if not hops and not reasons and not _names_groups(result.via):
            told = result
        else:
            new_hops = list(result.hops)
            for i in hops:
                new_hops[i] = self.hop(new_hops[i])
            told = msgspec.structs.replace(
                result,
                via=self.optional(result.via),
                reasons=self.reasons(result.reasons),
                hops=tuple(new_hops),
            )
        self._services[id(result)] = (result, told)
        return told
