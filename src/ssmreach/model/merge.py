"""Join snapshots of disjoint accounts into one (`ssmreach snapshot merge`).

An organization too large for one machine is read in shards, one account list each
(`snapshot --org --accounts ...`), and the shards are merged. The merge refuses what it
cannot join without choosing: two shards that hold the same account (which one is the
truth?), different partitions, or different Regions (the manifest's Regions say what was
read for every account, so a merged snapshot must have read the same ones everywhere).
An account one shard could not read and another did read counts as read.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ssmreach.errors import SnapshotError
from ssmreach.model.raw import Manifest, OperationKey, RawFile, RawSnapshot


def _failed(manifest: Manifest) -> dict[str, str]:
    value = manifest.failed_accounts
    return {} if isinstance(value, msgspec.UnsetType) else dict(value)


def merge_snapshots(parts: Sequence[RawSnapshot]) -> RawSnapshot:
    """One snapshot holding every account of `parts` (at least two, disjoint accounts)."""
    if len(parts) < 2:
        raise SnapshotError("snapshot merge", "give at least two snapshot folders to merge")
    first = parts[0]
    owner: dict[str, str] = {}
    files: dict[OperationKey, RawFile] = {}
    failed: dict[str, str] = {}
    for part in parts:
        if part.manifest.partition != first.manifest.partition:
            raise SnapshotError(
                part.source,
                f"is of partition {part.manifest.partition}, {first.source} of "
                f"{first.manifest.partition}: snapshots of different partitions do not merge",
            )
        if part.manifest.regions != first.manifest.regions:
            raise SnapshotError(
                part.source,
                f"was read in {', '.join(part.manifest.regions) or 'no Region'}, {first.source} "
                f"in {', '.join(first.manifest.regions) or 'no Region'}: read every shard "
                "with the same --region",
            )
        for account in part.accounts:
            if account in owner:
                raise SnapshotError(
                    part.source,
                    f"holds account {account}, which {owner[account]} holds too; shard an "
                    "organization by disjoint account lists (--accounts), then merge",
                )
            owner[account] = part.source
        files.update(part.files)
        failed.update(_failed(part.manifest))
    read = set(owner)
    failed = {a: why for a, why in sorted(failed.items()) if a not in read}
    created = max((p.manifest.created or "" for p in parts), default="") or None
    manifest = msgspec.structs.replace(
        first.manifest,
        created=created,
        accounts=tuple(sorted(read)),
        failed_accounts=failed if failed else msgspec.UNSET,
    )
    skipped = tuple(note for p in parts for note in p.skipped)
    return RawSnapshot(manifest=manifest, files=files, source="merged", skipped=skipped)
