"""Mutants of a jco-adapted program with more than one set of canonical options (fronts),
for the fused splice: no toolchain here emits such a component, so the tests make them.

- `with_forwarding_realloc`: the filesystem functions returning lists are lowered with a
  second realloc, a module forwarding to the adapter's `cabi_import_realloc`. It behaves
  exactly as the original (the adapter's realloc-once contract holds), so it runs.
- `with_another_memory`: one filesystem function is lowered with a memory of its own
  (structure only: the adapter would not find its results there).
"""

from __future__ import annotations

from wasivirt_component.binary.core_encoder import I32, KIND_FUNC, KIND_MEMORY, CoreModule, FuncType, Limits, op
from wasivirt_component.fuse.items import (
    Item,
    encode_component,
    new_alias_core_export,
    new_core_module,
    new_instantiate,
    parse_component,
)

REALLOC = FuncType((I32,) * 4, (I32,))


def _filesystem_lowerings(items: list[Item], option: str) -> list[Item]:
    return [i for i in items if i.info.kind == "canon lower" and option in i.info.options
            and "filesystem" in (i.refs[0].refs[0].info.name or "")]


def with_forwarding_realloc(adapted: bytes) -> bytes:
    items = parse_component(adapted).items
    lowers = _filesystem_lowerings(items, "realloc")
    adapter = lowers[0].refs[lowers[0].info.options["realloc"]].refs[0]
    m = CoreModule()
    target = m.import_func("caller", "cabi_import_realloc", REALLOC)
    m.export("cabi_realloc", KIND_FUNC, m.add_func(REALLOC, b"".join(op.local_get(k) for k in range(4))
                                                   + op.call(target)))
    module = new_core_module(m.encode())
    instance = new_instantiate(module, [("caller", adapter)])
    realloc = new_alias_core_export(instance, "cabi_realloc", "core func")
    for lower in lowers:
        lower.refs[lower.info.options["realloc"]] = realloc
    at = items.index(adapter) + 1
    items[at:at] = [module, instance, realloc]
    return encode_component(items)


def with_another_memory(adapted: bytes) -> bytes:
    items = parse_component(adapted).items
    m = CoreModule()
    m.export("memory", KIND_MEMORY, m.add_memory(Limits(1)))
    other = new_core_module(m.encode())
    instance = new_instantiate(other, [])
    memory = new_alias_core_export(instance, "memory", "core memory")
    lower = _filesystem_lowerings(items, "memory")[0]
    lower.refs[lower.info.options["memory"]] = memory
    items[0:0] = [other, instance, memory]
    return encode_component(items)
