"""ssmreach: can every EC2 instance reach AWS Systems Manager privately?"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
