"""Fused linking: the virtualizer's core instances inside the child's own component.

`fuse(child, core, image, host_filesystem=...)` splices the fused virtualizer core module
(`virt/build.fused_core_module`) into a jco-adapted wasip1 component, so the preview1
adapter's lowered `wasi:filesystem`/`wasi:io`/stdio calls become plain core calls into the
virtualizer, and a file read one `memory.copy`. `Unsupported` says why a child cannot be
fused (the pipeline then falls back to the composed mode, or refuses a forced fused link).
Modules: `items` (the component as rewritable definitions), `structure` (finding the
adapter), `host` (binding the virtualizer's host imports), `modules` (generated helper
modules), `coretypes` (core signatures), `splice` (the rewrite itself).
"""

from __future__ import annotations

from .items import Unsupported
from .splice import Fused, fuse

__all__ = ["Fused", "Unsupported", "fuse"]
