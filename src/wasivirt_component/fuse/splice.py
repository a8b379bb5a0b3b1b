"""The splice: the virtualizer's core instances wired into a jco-adapted child component.

Seven core instances join the child's own, right before the adapter's first argument
instance that the virtualizer now provides (all of them come after the program's memory):

1. the image memory (`virt/splice.image_memory_module`): defines the virtualizer's memory,
   its image as data segments (copy-on-write per instance);
2. the bridge (`virt/bridge.py`): imports that memory and the program's;
3. the host imports the virtualizer may use, lowered with its memory (`host.py`): those
   returning lists or strings through a shim whose table a fixup fills once (4) exists,
   the others directly; the rest trap (`modules.trap_module`). The host stream functions
   the core forwards to are lowered a second time with the program's memory and the
   bridge's `caller-realloc` (slot 0 of its table: the adapter's `cabi_import_realloc`
   once (6) has run), so the host reads and writes the program's buffer directly;
4. the fused core module (`virt/build.fused_core_module`);
5. the adapter's argument instances for the served interfaces are rebuilt to export the
   core's `fused:IFACE#NAME` functions instead of the host's (`structure.SERVED`), and the
   shim slots that held those host functions get the same functions;
6. after the adapter: a fixup putting its `cabi_import_realloc` into the bridge's table.

Then every definition that only served the replaced host functions (their `canon lower`s,
aliases, resource drops, and imports nothing uses any more, such as `wasi:filesystem`
without host mounts) is dropped. The child's core modules and everything else are kept;
only indices change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..compose import import_dependencies, read_component
from ..compose.types import ComponentType
from ..errors import BinaryFormatError
from ..names import compat_key
from ..virt.bridge import CALLER_REALLOC, bridge_module
from ..virt.glue.lowered import PREFIX, export_name
from ..virt.names import BRIDGE_CALLER_MEMORY, BRIDGE_MODULE, BRIDGE_OUR_MEMORY, FUSED_MEMORY_IMPORT
from ..virt.splice import image_memory_parts
from . import modules
from .coretypes import CoreInterface, read_interface
from .host import Binding, plan_host, wanted_imports
from .items import (
    Item,
    Unsupported,
    encode_component,
    live,
    new_alias_core_export,
    new_alias_export,
    new_canon_lower,
    new_core_exports,
    new_core_module,
    new_instantiate,
    new_resource_drop,
    parse_component,
)
from .structure import AdapterShape, find_adapter, import_items, served

REALLOC = "cabi_realloc"


@dataclass(frozen=True)
class Fused:
    """The fused component and how the child's imports are now satisfied."""

    data: bytes
    served: list[str]                                   # the adapter's imports the virtualizer answers
    host: list[str]                                     # child imports the virtualizer calls for it
    missing: list[str] = field(default_factory=list)    # host functions it would call, absent from the child


def fuse(child: bytes, core: bytes, image: bytes, *, host_filesystem: bool, what: str = "child") -> Fused:
    """`child` (a jco-adapted component) with the fused virtualizer `core` serving `image`.
    Raises `Unsupported` (with the reason) when the child's structure is not one the
    splice can prove right."""
    try:
        return _fuse(child, core, image, host_filesystem, what)
    except BinaryFormatError as exc:  # well-formed for the composer, not for this walker
        raise Unsupported(f"{what}: {exc}") from None


def _fuse(child: bytes, core: bytes, image: bytes, host_filesystem: bool, what: str) -> Fused:
    comp = parse_component(child, what)
    shape = find_adapter(comp, what)
    ctype = read_component(child, what).type
    _check_other_arguments(shape, ctype, what)
    ours = read_interface(core, "fused virtualizer")
    adapter = read_interface(shape.module.data, "preview1 adapter")  # type: ignore[arg-type]
    block = _Block()

    # 1-2: the image memory and the bridge
    m_img = block.add(new_core_module(image_memory_parts(core, image)))
    m_bridge = block.add(new_core_module(bridge_module()))
    m_core = block.add(new_core_module(core))
    m_rfix = block.add(new_core_module(modules.realloc_fixup_module()))
    i_img = block.add(new_instantiate(m_img, []))
    memory = block.add(new_alias_core_export(i_img, "memory", "core memory"))
    caller = block.add(new_core_exports([("memory", shape.memory)]))
    i_bridge = block.add(new_instantiate(m_bridge, [(BRIDGE_OUR_MEMORY[0], i_img), (BRIDGE_CALLER_MEMORY[0], caller)]))

    # 3-4: the host side and the fused core
    wanted = wanted_imports(ctype, list(shape.bundles), host_filesystem)
    plan = plan_host(ours.imports, ctype, wanted)
    imports = import_items(comp)
    host_args = _host_functions(block, plan.bindings, imports, memory, (shape.memory, i_bridge))
    args = [(FUSED_MEMORY_IMPORT[0], i_img), (BRIDGE_MODULE, i_bridge)]
    i_core = block.add(new_instantiate(m_core, args + [(m, block.add(new_core_exports(funcs)))
                                                        for m, funcs in host_args.items()]))
    block.finish_reallocs(i_core, memory)

    # 5: the adapter's arguments
    replace = _rewired_arguments(shape, ours, adapter, lambda name: block.fused(i_core, name), what)

    items = _assemble(comp.items, shape, block, replace, new_instantiate(
        m_rfix, [(modules.BRIDGE_ARG, i_bridge), (modules.CALLER_ARG, shape.adapter)]), imports, what)
    data = encode_component(items)
    return Fused(data, sorted(shape.bundles), plan.host, plan.missing)


def _rewired_arguments(shape: AdapterShape, ours: CoreInterface, adapter: CoreInterface,
                       fused_func: Callable[[str], Item], what: str) -> dict[int, Item]:
    """id(original) -> replacement: the adapter's argument instances for the served
    interfaces, exporting the core's `fused:IFACE#NAME` functions under the adapter's
    names, and each fixup's `actual` instance with the shim slots those arguments used
    filled with the same functions."""
    ifaces = {compat_key(n[len(PREFIX):].split("#", 1)[0]): n[len(PREFIX):].split("#", 1)[0]
              for n in ours.exports if n.startswith(PREFIX)}
    replace: dict[int, Item] = {}
    slot_fill: dict[tuple[int, str], Item] = {}
    for arg, bundle in shape.bundles.items():
        iface = ifaces.get(compat_key(arg))
        if iface is None:
            raise Unsupported(f"{what}: the virtualizer does not serve {arg}")
        exports = []
        for fname, k in bundle.info.named:
            target = bundle.refs[k]
            name = export_name(iface, fname)
            if target.space != "core func" or name not in ours.exports:
                raise Unsupported(f"{what}: the virtualizer has no {fname} in {arg}")
            wants = adapter.imports.get((arg, fname))
            if wants is not None and wants != ours.exports[name]:
                raise Unsupported(f"{what}: {arg} {fname} has core type {wants}, the virtualizer's "
                                  f"{ours.exports[name]}")
            exports.append((fname, fused_func(name)))
            if target.info.kind == "alias core export":  # a shim trampoline: remember its slot
                slot_fill[(id(target.refs[0]), target.info.name or "")] = fused_func(name)
        replace[id(bundle)] = new_core_exports(exports)
    for shim, actual in shape.fixups:
        slots = [(n, slot_fill.get((id(shim), n), actual.refs[k])) for n, k in actual.info.named]
        if any(t is not actual.refs[k] for (_, t), (_, k) in zip(slots, actual.info.named, strict=True)):
            replace[id(actual)] = new_core_exports(slots)
    return replace


def _check_other_arguments(shape: AdapterShape, ctype: ComponentType, what: str) -> None:
    """The adapter's other host interfaces must not use served types: their functions
    would get the virtualizer's handles (streams, pollables) and hand them to the host
    (the composed mode stubs such interfaces, e.g. `wasi:sockets`, with traps)."""
    by_key = {compat_key(n): n for n in ctype.imports}
    served_names = {n for n in ctype.imports if served(n)}
    for arg in shape.others:
        name = by_key.get(compat_key(arg))
        if name is None:
            continue
        tied = import_dependencies(ctype, [name]) & served_names
        if tied:
            raise Unsupported(f"{what}: {name} uses the types of {', '.join(sorted(tied))}, which the "
                              "virtualizer serves")


class _Block:
    """The definitions inserted before the adapter's arguments, in order."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.shim: Item | None = None
        self.pending: list[tuple[Binding, Item]] = []   # host functions needing our realloc
        self.aliases: dict[str, Item] = {}               # the core's exports aliased so far

    def add(self, item: Item) -> Item:
        self.items.append(item)
        return item

    def fused(self, core: Item, name: str) -> Item:
        """The core export `name` as a core function (aliased once)."""
        if name not in self.aliases:
            self.aliases[name] = self.add(new_alias_core_export(core, name, "core func"))
        return self.aliases[name]

    def shim_slots(self, bindings: list[Binding]) -> list[Item]:
        """The shim's trampolines for `bindings` (lowered with our realloc later)."""
        m_shim = self.add(new_core_module(modules.shim_module([b.sig for b in bindings])))
        self.shim = self.add(new_instantiate(m_shim, []))
        return [self.add(new_alias_core_export(self.shim, str(k), "core func")) for k in range(len(bindings))]

    def finish_reallocs(self, core: Item, memory: Item) -> None:
        """Lower the pending host functions with the core's realloc; fill the shim's table."""
        if not self.pending:
            return
        realloc = self.add(new_alias_core_export(core, REALLOC, "core func"))
        lowered = [self.add(new_canon_lower(func, memory=memory, realloc=realloc, utf8=b.utf8))
                   for b, func in self.pending]
        m_fix = self.add(new_core_module(modules.fixup_module([b.sig for b, _ in self.pending])))
        actual = self.add(new_core_exports([(str(k), f) for k, f in enumerate(lowered)]))
        assert self.shim is not None
        self.add(new_instantiate(m_fix, [(modules.SHIM_ARG, self.shim), (modules.ACTUAL_ARG, actual)]))


def _host_functions(block: _Block, bindings: list[Binding], imports: dict[str, Item],
                    memory: Item, caller: tuple[Item, Item]) -> dict[str, list[tuple[str, Item]]]:
    """module -> [(field, core func)] for the fused core's host imports. `caller`: the
    program's memory and the bridge instance, whose `caller-realloc` calls the adapter's
    `cabi_import_realloc` (for the bindings lowered with the caller's options)."""
    traps = [b for b in bindings if b.kind == "trap"]
    trap_funcs: dict[int, Item] = {}
    if traps:
        m_trap = block.add(new_core_module(modules.trap_module([b.sig for b in traps])))
        i_trap = block.add(new_instantiate(m_trap, []))
        trap_funcs = {id(b): block.add(new_alias_core_export(i_trap, str(k), "core func"))
                      for k, b in enumerate(traps)}
    needs_realloc = [b for b in bindings if b.kind == "lower" and b.realloc and not b.caller]
    caller_realloc: list[Item] = []  # aliased once, when first needed
    slots = dict(zip(map(id, needs_realloc), block.shim_slots(needs_realloc), strict=True)) if needs_realloc else {}
    out: dict[str, list[tuple[str, Item]]] = {}
    for b in bindings:
        if b.kind == "trap":
            func = trap_funcs[id(b)]
        else:
            instance = imports[compat_key(b.source or "")]
            if b.kind == "drop":
                func = block.add(new_resource_drop(block.add(new_alias_export(instance, b.name or "", "type"))))
            else:
                source = block.add(new_alias_export(instance, b.name or "", "func"))
                if b.caller:
                    if b.realloc and not caller_realloc:
                        caller_realloc.append(block.add(new_alias_core_export(caller[1], CALLER_REALLOC,
                                                                              "core func")))
                    func = block.add(new_canon_lower(source, memory=caller[0] if b.memory else None,
                                                     realloc=caller_realloc[0] if b.realloc else None,
                                                     utf8=b.utf8))
                elif b.realloc:
                    block.pending.append((b, source))
                    func = slots[id(b)]
                else:
                    func = block.add(new_canon_lower(source, memory=memory if b.memory else None, utf8=b.utf8))
        out.setdefault(b.module, []).append((b.field, func))
    return out


def _assemble(original: list[Item], shape: AdapterShape, block: _Block, replace: dict[int, Item],
              realloc_fixup: Item, imports: dict[str, Item], what: str) -> list[Item]:
    """The child's items with the block inserted, replacements made, the realloc fixup
    after the adapter, and what nothing uses any more removed."""
    position = {id(item): k for k, item in enumerate(original)}
    at = min(position[id(b)] for b in shape.bundles.values())
    needed_before = [shape.memory] + [i for i in imports.values()
                                      if any(i in x.refs for x in block.items)]
    late = [i for i in needed_before if position[id(i)] >= at]
    if late:
        raise Unsupported(f"{what}: {late[0].info.kind} {late[0].info.name or ''} is defined after the "
                          "adapter's first argument")
    before = live(original)
    for item in original:  # whoever referred to a replaced definition gets its replacement
        item.refs = [replace.get(id(r), r) for r in item.refs]
    items: list[Item] = []
    for k, item in enumerate(original):
        if k == at:
            items.extend(block.items)
        items.append(replace.get(id(item), item))
        if item is shape.adapter:
            items.append(realloc_fixup)
    after = live(items)
    return [i for i in items if id(i) in after or (id(i) not in before and i.data is not None)]
