"""`ssmreach probe --export-script FILE`: the probe as one standard-library-only file.

The probe core lives in one module (`ssmreach.probe.node`) written for Python 3.8
and the standard library; exporting copies its source, so what runs on a node
without ssmreach is exactly what `ssmreach probe` runs.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ssmreach.errors import UsageError

HEADER = (
    "# Exported by `ssmreach probe --export-script`: run with\n"
    "#   python3 {name} --region REGION --format json --timeout 20\n"
    "# (Python 3.8 or newer, standard library only; `--help` lists the options.)\n"
)


def script_source() -> str:
    """The probe's source, as shipped in the package."""
    return resources.files("ssmreach.probe").joinpath("node.py").read_text(encoding="utf-8")


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
