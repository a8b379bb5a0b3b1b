"""Fused linking: the virtualizer's core instances inside the child's own component.

`fuse(child, core, image, host_filesystem=...)` splices the fused virtualizer core module
(`virt/build.fused_core_module`) into a jco-adapted wasip1 component or a flat WASI 0.2
one (componentize-py's: several core instances import WASI; lowerings with several
memories or reallocs get a front each), so the lowered `wasi:filesystem`/`wasi:io`/stdio calls become plain core calls
into the virtualizer, and a file read one `memory.copy`. `Unsupported` says why a child
cannot be fused (the pipeline then falls back to the composed mode, or refuses a forced
fused link). Modules: `items` (the component as rewritable definitions), `structure`
(finding the WASI importers), `host` (binding the virtualizer's host imports), `modules`
(generated helper modules), `coretypes` (core signatures), `splice` (the rewrite itself),
`skeleton` (validating the result without compiling its code).

What is not done yet: host mounts copy twice (the host writes into the virtualizer's memory, then the
bridge into the program's), where lowering the host's reads with the program's memory and
realloc would let the host write straight into the program's buffer.
"""

from __future__ import annotations

from .items import Unsupported
from .splice import Fused, fuse

__all__ = ["Fused", "Unsupported", "fuse"]
