"""Complete an `--org` snapshot: the accounts it could not read, read again and merged in.

`ssmreach snapshot --resume DIR` reads only the accounts that DIR's manifest lists in
`failed_accounts`. `merge_resumed` joins what was read to DIR's snapshot: the accounts
read now join `accounts`, and `failed_accounts` keeps those still unread (with the new
reason when they failed again). `replace_folder` writes the merged snapshot next to DIR
(itself written atomically by `write_raw_snapshot`) and swaps it in with two renames:
DIR holds the old snapshot or the new one, never a mix, and on any error the old one is
put back.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import msgspec

from ssmreach.collect.collector import CollectResult
from ssmreach.errors import CollectError
from ssmreach.model.raw import Manifest, OperationKey, RawFile, RawSnapshot, write_raw_snapshot


def failed_accounts(manifest: Manifest) -> dict[str, str]:
    """The accounts a snapshot could not read, and why (none for an older snapshot)."""
    value = manifest.failed_accounts
    return {} if isinstance(value, msgspec.UnsetType) else dict(value)


def merge_resumed(old: RawSnapshot, new: CollectResult) -> RawSnapshot:
    """`old` with the accounts `new` read; the others of its failed accounts stay failed."""
    fresh = new.raw.manifest
    if fresh.partition != old.manifest.partition or fresh.regions != old.manifest.regions:
        raise CollectError(
            f"{old.source}: the accounts were read in {fresh.partition} {list(fresh.regions)}, "
            f"the snapshot holds {old.manifest.partition} {list(old.manifest.regions)}"
        )
    read = set(fresh.accounts)
    files: dict[OperationKey, RawFile] = {
        key: content for key, content in old.files.items() if key.account not in read
    }
    files.update(new.raw.files)
    failed = {a: why for a, why in failed_accounts(old.manifest).items() if a not in read}
    failed.update({f.account: f.reason for f in new.failed_accounts})
    manifest = msgspec.structs.replace(
        old.manifest,
        accounts=tuple(sorted(set(old.manifest.accounts) | read)),
        failed_accounts=dict(sorted(failed.items())) if failed else msgspec.UNSET,
    )
    return RawSnapshot(manifest=manifest, files=files, source=old.source)


def replace_folder(raw: RawSnapshot, folder: Path) -> None:
    """Put `raw` in place of the snapshot folder `folder` (see the module's docstring)."""
    parent = folder.resolve().parent
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.resumed.", dir=parent))
    try:
        write_raw_snapshot(raw, staging)  # an empty folder is written into, atomically
        backup = Path(tempfile.mkdtemp(prefix=f".{folder.name}.before-resume.", dir=parent))
        backup.rmdir()
        os.replace(folder, backup)
        try:
            os.replace(staging, folder)
        except BaseException:
            os.replace(backup, folder)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)
