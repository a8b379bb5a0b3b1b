"""Fused linking: the virtualizer's core instances inside the child's own component.

`fuse(child, core, image, host_filesystem=...)` splices the fused virtualizer core module
(`virt/build.fused_core_module`) into a jco-adapted wasip1 component or a flat WASI 0.2
one (componentize-py's: several core instances import WASI; lowerings with several
memories or reallocs get a front each), so the lowered `wasi:filesystem`/`wasi:io`/stdio
calls become plain core calls into the virtualizer, and a file read one `memory.copy`. `Unsupported` says why a child
cannot be fused (the pipeline then falls back to the composed mode, or refuses a forced
fused link). Modules: `items` (the component as rewritable definitions), `structure`
(finding the WASI importers), `host` (binding the virtualizer's host imports), `modules`
(generated helper modules), `coretypes` (core signatures), `splice` (the rewrite itself),
`skeleton` (validating the result without compiling its code), `widen` (declaring host
functions the child's import lacks).

Host streams (a mounted file's, stdio) copy once: the host's stream reads and writes are
also lowered with the program's memory and the bridge's caller realloc, and the
virtualizer forwards a read or write on a host stream to them with the program's own
buffer and return pointer (`virt/glue/lowered.py`, `Forward`), so the host writes straight
into (or reads straight from) the program's buffer; only an error is translated back.
With several fronts of distinct memories, they are lowered once per front and a small
dispatcher picks the current front's (`modules.dispatch_module`).

A child with host mounts whose `wasi:filesystem/types` import lacks what the virtualizer's
path walk calls (`host.MOUNT_NEEDS`: `stat-at`, `open-at`, `readlink-at`; a program that
never stats or reads a link) has that import widened to declare them (`widen`): fused, the
virtualizer can call only host functions lowered from the child's own imports.
"""

from __future__ import annotations

from .items import Unsupported
from .splice import Fused, fuse

__all__ = ["Fused", "Unsupported", "fuse"]
