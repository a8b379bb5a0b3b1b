"""The small core modules the splice adds besides the virtualizer's own, generated here.

- `trap_module`: functions that trap, for the virtualizer's host imports the child can
  never make it call (with no host mount, every `wasi:filesystem` one): the output then
  imports nothing it does not need; and, named like the composed mode's stubs (so `run`
  says which was called), for the child's imports tied to the virtual `wasi:io`
  (`wasi:sockets`: their streams and pollables would bypass it).
- `shim_module` + `fixup_module`: the pair wit-component uses to break a cycle, for the
  virtualizer's host imports that return lists or strings. Those are lowered with the
  virtualizer's own `cabi_realloc`, which exists only once the virtualizer is instantiated,
  and the virtualizer imports them: it imports the shim's trampolines (each a
  `call_indirect` through the shim's table), and the fixup, instantiated afterwards, fills
  the table with the real lowered functions.
- `realloc_fixup_module`: puts the caller's realloc (the preview1 adapter's
  `cabi_import_realloc`, libc's `cabi_realloc`) into slot 0 of the bridge's realloc table,
  once the instance exporting it exists (`virt/bridge.py`); with several fronts, into
  the front's slot.
- `front_module`: with several fronts (sets of canonical options), the functions one front's
  importers call: each says which front it is (the bridge's `set-front`), then calls the
  core's function of the same signature.
- `dispatch_module`: with fronts of distinct memories, a host function lowered once per
  memory (the host writing straight into the caller's buffer) is called through a
  dispatcher picking the current front's lowering.

A few hundred bytes each, from our encoder: no compiler.
"""

from __future__ import annotations

from ..binary.core_encoder import (
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    KIND_FUNC,
    KIND_TABLE,
    CoreModule,
    FuncType,
    Limits,
    name_section,
    op,
    trapping_body,
)
from ..compose import STUB_MODULE_NAME
from ..virt.bridge import CURRENT_FRONT, REALLOC_TYPE, SET_FRONT, by_front
from ..virt.names import BRIDGE_REALLOC_TABLE
from .coretypes import Signature

SHIM_TABLE = "$imports"
SHIM_ARG, ACTUAL_ARG = "shim", "actual"
BRIDGE_ARG, CALLER_ARG, CORE_ARG, VARIANTS_ARG = "bridge", "caller", "core", "variants"
_CODES = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}


def functype(sig: Signature) -> FuncType:
    return FuncType(tuple(_CODES[t] for t in sig[0]), tuple(_CODES[t] for t in sig[1]))


def trap_module(sigs: list[Signature], names: list[str] | None = None) -> bytes:
    """Exports `"0"`, `"1"`, ...: a trapping function of each signature; with `names`, a
    name section calls them so, in the stubs' module name (`compose.STUB_MODULE_NAME`)."""
    m = CoreModule()
    indices = [m.add_func(functype(sig), trapping_body()) for sig in sigs]
    for i, index in enumerate(indices):
        m.export(str(i), KIND_FUNC, index)
    if names is not None:
        m.add_custom("name", name_section(STUB_MODULE_NAME, list(zip(indices, names, strict=True))))
    return m.encode()


def shim_module(sigs: list[Signature]) -> bytes:
    """Exports `"i"` calling slot i of its exported table `$imports` (filled later)."""
    m = CoreModule()
    table = m.add_table(FUNCREF, Limits(len(sigs), len(sigs)))
    for i, sig in enumerate(sigs):
        ft = functype(sig)
        args = b"".join(op.local_get(k) for k in range(len(ft.params)))
        body = args + op.i32_const(i) + op.call_indirect(m.add_type(ft), table)
        m.export(str(i), KIND_FUNC, m.add_func(ft, body))
    m.export(SHIM_TABLE, KIND_TABLE, table)
    return m.encode()


def fixup_module(sigs: list[Signature]) -> bytes:
    """Imports the shim's table and `actual` `"i"`, and fills slot i with it."""
    m = CoreModule()
    funcs = [m.import_func(ACTUAL_ARG, str(i), functype(sig)) for i, sig in enumerate(sigs)]
    table = m.import_table(SHIM_ARG, SHIM_TABLE, FUNCREF, Limits(len(sigs), len(sigs)))
    m.add_elem(table, 0, funcs)
    return m.encode()


def realloc_fixup_module(export: str, slot: int = 0, fronts: int = 1) -> bytes:
    """Fills slot `slot` of the bridge's realloc table (`fronts` slots) with the caller's
    realloc, its export `export`."""
    m = CoreModule()
    realloc = m.import_func(CALLER_ARG, export, REALLOC_TYPE)
    table = m.import_table(BRIDGE_ARG, BRIDGE_REALLOC_TABLE, FUNCREF, Limits(fronts, fronts))
    m.add_elem(table, slot, [realloc])
    return m.encode()


def front_module(front: int, funcs: list[tuple[str, Signature]]) -> bytes:
    """Exports, for each (name, signature), `name`: `set-front(front)`, then the core's
    `name` (imported from `CORE_ARG`) with the same arguments."""
    m = CoreModule()
    set_front = m.import_func(BRIDGE_ARG, SET_FRONT, FuncType((I32,)))
    targets = [(name, sig, m.import_func(CORE_ARG, name, functype(sig))) for name, sig in funcs]
    for name, sig, target in targets:
        ft = functype(sig)
        args = b"".join(op.local_get(k) for k in range(len(ft.params)))
        m.export(name, KIND_FUNC, m.add_func(ft, op.i32_const(front) + op.call(set_front) + args + op.call(target)))
    return m.encode()


def dispatch_module(sig: Signature, variant_of_front: list[int]) -> bytes:
    """Exports `"f"`: calls `variants."i"` for i = `variant_of_front[current front]` (the
    bridge's `current-front`) with the same arguments."""
    m = CoreModule()
    ft = functype(sig)
    current = m.import_func(BRIDGE_ARG, CURRENT_FRONT, FuncType((), (I32,)))
    variants = [m.import_func(VARIANTS_ARG, str(i), ft) for i in range(max(variant_of_front) + 1)]
    args = b"".join(op.local_get(k) for k in range(len(ft.params)))
    body = by_front(op.call(current), [args + op.call(variants[v]) for v in variant_of_front])
    m.export("f", KIND_FUNC, m.add_func(ft, body))
    return m.encode()
