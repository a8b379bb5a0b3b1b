"""The instance's filesystem, created on first use (never at module top level: top-level
code runs at build time, when the image import cannot be called)."""

from __future__ import annotations

from wit_world.imports import image

from wv_fs import Vfs

_vfs: Vfs | None = None


def vfs() -> Vfs:
    global _vfs
    if _vfs is None:
        _vfs = Vfs(image.read)
    return _vfs
