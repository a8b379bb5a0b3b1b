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

A child whose WASI imports are lowered with several sets of canonical options (memories,
reallocs) has a *front* per set: `bridge_module(fronts)` then imports one caller memory per
front (`caller_memory(k)`), has a table slot per front, and a mutable global saying which
front the current call came through, set by the front's wrappers (`fuse/modules.py`)
through its export `set-front` before they call the core (and read by the dispatchers of
host functions lowered once per front's memory, through `current-front`). Calls into the virtualizer never
nest (`c/fused.c`'s guard), so one global is enough.
"""

from __future__ import annotations

from ..binary.core_encoder import FUNCREF, I32, KIND_FUNC, KIND_TABLE, CoreModule, FuncType, Limits, op
from .names import BRIDGE_CALLER_MEMORY, BRIDGE_OUR_MEMORY, BRIDGE_REALLOC_TABLE

COPY_FROM_CALLER = "copy-from-caller"
SET_FRONT, CURRENT_FRONT = "set-front", "current-front"
COPY_TO_CALLER = "copy-to-caller"
CALLER_REALLOC = "caller-realloc"
REALLOC_TYPE = FuncType((I32, I32, I32, I32), (I32,))


def caller_memory(front: int) -> tuple[str, str]:
    """The (module, name) the bridge imports front `front`'s memory as."""
    module, name = BRIDGE_CALLER_MEMORY
    return (module, name if front == 0 else f"{name}{front}")


def bridge_module(fronts: int = 1) -> bytes:
    """The bridge core module (see the module docstring)."""
    m = CoreModule()
    ours = m.import_memory(*BRIDGE_OUR_MEMORY, Limits(0))
    callers = [m.import_memory(*caller_memory(k), Limits(0)) for k in range(fronts)]
    table = m.add_table(FUNCREF, Limits(fronts, fronts))
    copy = FuncType((I32, I32, I32))
    args = op.local_get(0) + op.local_get(1) + op.local_get(2)
    if fronts == 1:
        from_caller, to_caller = args + op.memory_copy(ours, callers[0]), args + op.memory_copy(callers[0], ours)
        slot = op.i32_const(0)
    else:
        front = m.add_global(I32, op.i32_const(0), mutable=True)
        m.export(SET_FRONT, KIND_FUNC, m.add_func(FuncType((I32,)), op.local_get(0) + op.global_set(front)))
        m.export(CURRENT_FRONT, KIND_FUNC, m.add_func(FuncType((), (I32,)), op.global_get(front)))
        from_caller = by_front(op.global_get(front), [args + op.memory_copy(ours, c) for c in callers])
        to_caller = by_front(op.global_get(front), [args + op.memory_copy(c, ours) for c in callers])
        slot = op.global_get(front)
    m.export(COPY_FROM_CALLER, KIND_FUNC, m.add_func(copy, from_caller))
    m.export(COPY_TO_CALLER, KIND_FUNC, m.add_func(copy, to_caller))
    realloc = m.add_func(REALLOC_TYPE, args + op.local_get(3) + slot
                         + op.call_indirect(m.add_type(REALLOC_TYPE), table))
    m.export(CALLER_REALLOC, KIND_FUNC, realloc)
    m.export(BRIDGE_REALLOC_TABLE, KIND_TABLE, table)
    return m.encode()


def by_front(current: bytes, branches: list[bytes]) -> bytes:
    """A function body running `branches[k]` for the current front k (`current` pushes it:
    the bridge's global, or a call of `current-front`); the last branch also takes any
    other value. Each branch returns, so branches may leave the function's results."""
    *firsts, last = branches
    return b"".join(current + op.i32_const(k) + op.I32_EQ + op.if_() + branch + op.RETURN + op.END
                    for k, branch in enumerate(firsts)) + last
