"""The on-disk snapshot format `ssmreach-snapshot/1`, as raw files.

A snapshot is a folder of raw AWS API responses (see the snapshot spec): one file per
operation under `<account>/<region or "global">/<service>/<Operation>.json`, or
`<Operation>.error.json` when the whole operation failed. This module moves such a
folder to and from a `RawSnapshot`: bytes per operation, nothing parsed yet. The
collector builds the same `RawSnapshot` in memory, so a live check and an offline
check go through one parser (`ssmreach.model.reader`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from ssmreach.errors import SnapshotError

FORMAT = "ssmreach-snapshot/1"
FORMAT_MAJOR = "ssmreach-snapshot/1"
GLOBAL = "global"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d+$")  # also eusc-de-east-1
_OPERATION = re.compile(r"^[A-Z][A-Za-z0-9]+$")


@dataclass(frozen=True, slots=True, order=True)
class OperationKey:
    """Where one operation's answer lives: account, Region (or `global`), service, operation."""

    account: str
    region: str
    service: str
    operation: str

    def relative_path(self, *, error: bool = False) -> str:
        suffix = ".error.json" if error else ".json"
        return f"{self.account}/{self.region}/{self.service}/{self.operation}{suffix}"


@dataclass(frozen=True, slots=True)
class RawOk:
    """The JSON text of a successful operation (pages merged, or a call list)."""

    body: bytes


@dataclass(frozen=True, slots=True)
class RawError:
    """A whole operation that failed: `{"Error": {"Code": ..., "Message": ...}}`."""

    code: str
    message: str


RawFile = RawOk | RawError


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """`manifest.json`. Only `format` is required.

    `failed_accounts` (written only when an `--org` collection could not read some
    accounts; older snapshots lack it) maps each such account to why: those accounts are
    not in `accounts`, and `ssmreach snapshot --resume` reads them again.
    """

    format: str
    created: str | None = None
    partition: str = "aws"
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    collector: dict[str, str] | None = None
    failed_accounts: dict[str, str] | msgspec.UnsetType = msgspec.UNSET


class _ErrorBody(msgspec.Struct, frozen=True, rename="pascal"):
    code: str = "Unknown"
    message: str = ""


class _ErrorFile(msgspec.Struct, frozen=True, rename="pascal"):
    error: _ErrorBody


@dataclass(frozen=True, slots=True)
class RawSnapshot:
    """Every operation's raw answer, keyed by where it lives."""

    manifest: Manifest
    files: Mapping[OperationKey, RawFile] = field(default_factory=dict)
    source: str = "memory"
    skipped: tuple[str, ...] = ()  # folders and files with names ssmreach does not know, and why

    @property
    def accounts(self) -> tuple[str, ...]:
        found = {k.account for k in self.files}
        return tuple(sorted(found | set(self.manifest.accounts)))

    @property
    def regions(self) -> tuple[str, ...]:
        found = {k.region for k in self.files if k.region != GLOBAL}
        return tuple(sorted(found | set(self.manifest.regions)))


def _display(path: Path) -> str:
    return str(path)


def read_manifest(folder: Path) -> Manifest:
    path = folder / "manifest.json"
    if not folder.exists():
        raise SnapshotError(
            _display(folder),
            "no such folder; pass the folder that `ssmreach snapshot --output` wrote",
        )
    if not folder.is_dir():
        raise SnapshotError(
            _display(folder), "not a folder; a snapshot is a folder with a manifest.json"
        )
    if not path.is_file():
        raise SnapshotError(
            _display(path),
            f'missing; a snapshot folder holds manifest.json with {{"format": "{FORMAT}"}}',
        )
    try:
        manifest = msgspec.json.decode(path.read_bytes(), type=Manifest)
    except msgspec.ValidationError as exc:
        raise SnapshotError(_display(path), f"wrong shape: {exc}") from None
    except msgspec.DecodeError as exc:
        raise SnapshotError(_display(path), f"not valid JSON ({exc})") from None
    if manifest.format.split("/")[0] != FORMAT.split("/")[0] or not manifest.format.startswith(
        "ssmreach-snapshot/"
    ):
        raise SnapshotError(
            _display(path), f"unknown format {manifest.format!r}; expected {FORMAT!r}"
        )
    major = manifest.format.split("/", 1)[1].split(".")[0]
    if major != "1":
        raise SnapshotError(
            _display(path),
            f"format {manifest.format!r} is newer than this ssmreach reads ({FORMAT}); upgrade ssmreach",
        )
    return manifest


class _FolderFiles(Mapping[OperationKey, RawFile]):
    """The operations of a snapshot folder, each file read only when it is asked for.

    A large snapshot is then never in memory all at once: the reader decodes one file
    and lets its bytes go before it reads the next. Error files are small and were
    checked when the folder was listed.
    """

    def __init__(self, entries: dict[OperationKey, Path | RawError]) -> None:
        self._entries = entries

    def __getitem__(self, key: OperationKey) -> RawFile:
        entry = self._entries[key]
        if isinstance(entry, RawError):
            return entry
        try:
            return RawOk(entry.read_bytes())
        except OSError as exc:
            raise SnapshotError(str(entry), f"cannot be read ({exc.strerror or exc})") from None

    def __iter__(self) -> Iterator[OperationKey]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def read_raw_snapshot(folder: Path, *, lazy: bool = False) -> RawSnapshot:
    """Read a snapshot folder without parsing the AWS responses.

    `lazy`: list the files now and read each one when it is first asked for (see
    `_FolderFiles`); otherwise every file is read into memory at once.
    """
    manifest = read_manifest(folder)
    files: dict[OperationKey, Path | RawError] = {}
    skipped: list[str] = []  # named in a warning, never skipped silently
    for account_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if not _ACCOUNT.match(account_dir.name):
            skipped.append(f"{account_dir}: not an account folder (12 digits)")
            continue
        for region_dir in sorted(p for p in account_dir.iterdir() if p.is_dir()):
            if region_dir.name != GLOBAL and not _REGION.match(region_dir.name):
                skipped.append(f"{region_dir}: not a Region folder (like us-east-1, or global)")
                continue
            for service_dir in sorted(p for p in region_dir.iterdir() if p.is_dir()):
                for path in sorted(service_dir.glob("*.json")):
                    if not _list_file(
                        path, account_dir.name, region_dir.name, service_dir.name, files
                    ):
                        skipped.append(f"{path}: not named after an API operation")
    if lazy:
        return RawSnapshot(
            manifest=manifest,
            files=_FolderFiles(files),
            source=str(folder),
            skipped=tuple(skipped),
        )
    loaded = _FolderFiles(files)
    return RawSnapshot(
        manifest=manifest, files=dict(loaded.items()), source=str(folder), skipped=tuple(skipped)
    )


def _list_file(
    path: Path, account: str, region: str, service: str, files: dict[OperationKey, Path | RawError]
) -> bool:
    """List one file; False when its name is not an operation's (the caller warns)."""
    name = path.name
    is_error = name.endswith(".error.json")
    operation = name[: -len(".error.json")] if is_error else name[: -len(".json")]
    if not _OPERATION.match(operation):
        return False
    key = OperationKey(account, region, service, operation)
    if is_error:
        body = path.read_bytes()
        try:
            err = msgspec.json.decode(body, type=_ErrorFile)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise SnapshotError(
                str(path),
                f'not an error file ({exc}); expected {{"Error": {{"Code": ..., "Message": ...}}}}',
            ) from None
        if key not in files:
            files[key] = RawError(err.error.code, err.error.message)
        return True
    files[key] = path
    return True


def encode_error(error: RawError) -> bytes:
    return msgspec.json.encode({"Error": {"Code": error.code, "Message": error.message}})


def write_raw_snapshot(raw: RawSnapshot, folder: Path) -> None:
    """Write a snapshot folder atomically: a temporary sibling folder renamed into place.

    An existing non-empty folder is refused, so nothing half-written or mixed is left.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise SnapshotError(
            str(folder), "already exists and is not empty; choose a new --output folder"
        )
    parent = folder.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a snapshot folder is an ordinary folder
    try:
        (tmp / "manifest.json").write_bytes(msgspec.json.format(msgspec.json.encode(raw.manifest)))
        for key, content in sorted(raw.files.items()):
            if isinstance(content, RawOk):
                target = tmp / key.relative_path()
                data = content.body
            else:
                target = tmp / key.relative_path(error=True)
                data = encode_error(content)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if folder.exists():
            folder.rmdir()
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
