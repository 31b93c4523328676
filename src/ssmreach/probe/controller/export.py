"""`ssmreach probe --export-script FILE`: the probe as one standard-library-only file.

The probe lives in small Python 3.8, standard-library-only modules
(`ssmreach.probe.node`); exporting joins them into one script
(`ssmreach.probe.controller.build`), so what runs on a node without ssmreach is
exactly what `ssmreach probe` runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from ssmreach.errors import UsageError
from ssmreach.probe.controller.build import build_script

HEADER = (
    "# Exported by `ssmreach probe --export-script`: run with\n"
    "#   python3 {name} --region REGION --format json --timeout 20\n"
    "# (Python 3.8 or newer, standard library only; `--help` lists the options.)\n"
)


def script_source() -> str:
    """The probe as one script, built from the node modules shipped in the package."""
    return build_script()


def export_text(name: str = "ssmreach-probe.py") -> str:
    source = script_source()
    shebang, _, rest = source.partition("\n")
    if not shebang.startswith("#!"):
        shebang, rest = "#!/usr/bin/env python3", source
    return shebang + "\n" + HEADER.format(name=name) + rest


def export_script(path: str | Path) -> Path:
    """Write the probe to `path` (mode 755) and return it."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{target} is a folder; give a file name for --export-script")
    if not target.parent.resolve().is_dir():
        raise UsageError(f"{target}: folder {target.parent} does not exist")
    try:
        target.write_text(export_text(target.name), encoding="utf-8")
        os.chmod(target, 0o755)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write the script ({exc.strerror or exc})") from exc
    return target
