"""Where wasivirt keeps what it builds: the cache root, shared by every cache.

`$WASIVIRT_CACHE_DIR`, else `$XDG_CACHE_HOME/wasivirt`, else `~/.cache/wasivirt`. Below it:
`compiled/` (wasmtime code, run.py), `adapted/` (adapt.py), `virtualizer/` (virt/build.py).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Root of wasivirt's cache (compiled components, built virtualizers...)."""
    explicit = os.environ.get("WASIVIRT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "wasivirt"
