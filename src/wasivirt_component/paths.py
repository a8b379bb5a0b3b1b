"""Where wasivirt keeps its cache: one root for every cached artifact.

Compiled components (run.py), adapted modules (adapt.py), built virtualizers (virt/) and
pulled OCI artifacts (oci/) all live under `cache_dir()`. It sits at the ground floor so
that every layer can reach it without importing the layer that happens to use it most.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Root of wasivirt's cache: `$WASIVIRT_CACHE_DIR`, else `$XDG_CACHE_HOME/wasivirt`,
    else `~/.cache/wasivirt`."""
    explicit = os.environ.get("WASIVIRT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "wasivirt"
