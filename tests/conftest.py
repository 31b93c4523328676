from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from paths import DATA, EXAMPLES, ROOT

__all__ = ["DATA", "EXAMPLES", "ROOT"]
