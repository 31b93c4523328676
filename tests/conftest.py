from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "snapshots"
DATA = Path(__file__).parent / "data"
