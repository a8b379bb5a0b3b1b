"""wasivirt: give any WASI program a virtual filesystem by component composition."""

from __future__ import annotations

__version__ = "0.1.0"
