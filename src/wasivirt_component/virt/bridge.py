"""The bridge of fused linking: copies between the virtualizer's memory and the caller's.

Fused, the virtualizer's code answers a caller (the preview1 adapter) that passes pointers
into its own memory and wants results allocated there by its own realloc. C compiled for
wasm32 addresses one memory, so this small core module, which imports both, does it for
the C code (`c/fused.c` imports these functions from `names.BRIDGE_MODULE`):

    copy-from-caller(dst: ours, src: caller's, len)         memory.copy ours <- caller's
    copy-to-caller(dst: caller's, src: ours, len)           memory.copy caller's <- ours
    caller-realloc(old, old-size, align, size) -> ptr        the caller's realloc

A copy outside either memory traps (the canonical ABI's bounds check of the same range).
The realloc is called through slot 0 of the funcref table the bridge defines and exports
(`names.BRIDGE_REALLOC_TABLE`): the caller's realloc exists only once the caller is
instantiated, and the caller imports the virtualizer, so a fixup instantiated after it fills
the slot (as jco's own shim/fixup pair does for the adapter). An empty slot, or a function
of another type in it, traps. Generated with our encoder: a few hundred bytes, no compiler.
"""

from __future__ import annotations

from ..binary.core_encoder import FUNCREF, I32, KIND_FUNC, KIND_TABLE, CoreModule, FuncType, Limits, op
from .names import BRIDGE_CALLER_MEMORY, BRIDGE_OUR_MEMORY, BRIDGE_REALLOC_TABLE

COPY_FROM_CALLER = "copy-from-caller"
COPY_TO_CALLER = "copy-to-caller"
CALLER_REALLOC = "caller-realloc"
REALLOC_TYPE = FuncType((I32, I32, I32, I32), (I32,))


def bridge_module() -> bytes:
    """The bridge core module (see the module docstring)."""
    m = CoreModule()
    ours = m.import_memory(*BRIDGE_OUR_MEMORY, Limits(0))
    caller = m.import_memory(*BRIDGE_CALLER_MEMORY, Limits(0))
    table = m.add_table(FUNCREF, Limits(1, 1))
    copy = FuncType((I32, I32, I32))
    args = op.local_get(0) + op.local_get(1) + op.local_get(2)
    m.export(COPY_FROM_CALLER, KIND_FUNC, m.add_func(copy, args + op.memory_copy(ours, caller)))
    m.export(COPY_TO_CALLER, KIND_FUNC, m.add_func(copy, args + op.memory_copy(caller, ours)))
    realloc = m.add_func(REALLOC_TYPE, args + op.local_get(3) + op.i32_const(0)
                         + op.call_indirect(m.add_type(REALLOC_TYPE), table))
    m.export(CALLER_REALLOC, KIND_FUNC, realloc)
    m.export(BRIDGE_REALLOC_TABLE, KIND_TABLE, table)
    return m.encode()
