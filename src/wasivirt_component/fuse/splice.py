"""The splice: the virtualizer's core instances wired into a child component.

The child is a jco-adapted wasip1 program or a flat WASI 0.2 component (`structure.py`);
its core instances that import served WASI interfaces are its *importers*. Seven core
instances join the child's own, right before the first importer argument the splice
replaces (all of them come after the memory the importers' WASI functions write into):

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
5. the importers' argument instances for the served interfaces are rebuilt to export the
   core's `fused:IFACE#NAME` functions instead of the host's (`structure.SERVED`) -- with
   several fronts, through the wrapper of the front each function was lowered with
   (`modules.front_module`, which sets the bridge's current front) --, those
   for interfaces tied to served types (`wasi:sockets`) to export named trapping
   functions, as the composed mode stubs them; the shim slots that held the replaced host
   functions get the same functions;
6. after the instance exporting each front's realloc (the adapter's `cabi_import_realloc`,
   libc's `cabi_realloc`): a fixup putting it into the front's slot of the bridge's table.

Then every definition that only served the replaced host functions (their `canon lower`s,
aliases, resource drops, and imports nothing uses any more, such as `wasi:filesystem`
without host mounts) is dropped. The child's core modules and everything else are kept;
only indices change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from ..compose import read_component
from ..errors import BinaryFormatError
from ..names import compat_key
from ..virt.bridge import CALLER_REALLOC, bridge_module, caller_memory
from ..virt.glue.lowered import PREFIX, export_name
from ..virt.names import BRIDGE_CALLER_MEMORY, BRIDGE_MODULE, BRIDGE_OUR_MEMORY, FUSED_MEMORY_IMPORT
from ..virt.splice import image_memory_parts
from ..virt.wiring import tied_imports
from . import modules
from .coretypes import CoreInterface, Signature, read_interface
from .host import MOUNT_NEEDS, Binding, plan_host, wanted_imports
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
from .structure import Importer, WasiShape, find_importers, identity, import_items, served
from .widen import full_interface, widen_import

REALLOC = "cabi_realloc"


@dataclass(frozen=True)
class Fused:
    """The fused component and how the child's imports are now satisfied."""

    data: bytes
    served: list[str]                                   # the importers' arguments the virtualizer answers
    host: list[str]                                     # child imports the virtualizer calls for it
    missing: list[str] = field(default_factory=list)    # host functions it would call, absent from the child
    trapped: list[str] = field(default_factory=list)    # child imports tied to served types: every call traps
    widened: list[tuple[str, str]] = field(default_factory=list)  # (import, function) declared for mounts (widen.py)


def fuse(child: bytes, core: bytes, image: bytes, *, host_filesystem: bool,
         host_types: Callable[[], bytes] | None = None, what: str = "child") -> Fused:
    """`child` (a jco-adapted or flat WASI 0.2 component) with the fused virtualizer `core`
    serving `image`. `host_types()`: a component importing the whole host
    `wasi:filesystem/types` (`virt.build.host_filesystem_types_path`), read only when host
    mounts need a function the child's import lacks (`widen.py`). Raises `Unsupported`
    (with the reason) when the child's structure is not one the splice can prove right."""
    try:
        return _fuse(child, core, image, host_filesystem, host_types, what)
    except BinaryFormatError as exc:  # well-formed for the composer, not for this walker
        raise Unsupported(f"{what}: {exc}") from None


def _fuse(child: bytes, core: bytes, image: bytes, host_filesystem: bool,
          host_types: Callable[[], bytes] | None, what: str) -> Fused:
    comp = parse_component(child, what)
    shape = find_importers(comp, what)
    ctype = read_component(child, what).type
    tied = {compat_key(n): n for n in tied_imports(ctype, [n for n in ctype.imports if served(n)])}
    trapped = [(imp, arg, tied[compat_key(arg)]) for imp in shape.importers for arg in imp.others
               if compat_key(arg) in tied]
    ours = read_interface(core, "fused virtualizer")
    block = _Block()

    # 1-2: the image memory and the bridge
    m_img = block.add(new_core_module(image_memory_parts(core, image)))
    m_bridge = block.add(new_core_module(bridge_module(len(shape.fronts))))
    m_core = block.add(new_core_module(core))
    i_img = block.add(new_instantiate(m_img, []))
    memory = block.add(new_alias_core_export(i_img, "memory", "core memory"))
    caller = block.add(new_core_exports([(caller_memory(k)[1], f.memory) for k, f in enumerate(shape.fronts)]))
    i_bridge = block.add(new_instantiate(m_bridge, [(BRIDGE_OUR_MEMORY[0], i_img), (BRIDGE_CALLER_MEMORY[0], caller)]))

    # 3-4: the host side and the fused core
    wanted = wanted_imports(ctype, shape.served_arguments, host_filesystem)
    full = functools.cache(lambda: full_interface(host_types, MOUNT_NEEDS[0], what))  # read once, if at all
    plan = plan_host(ours.imports, ctype, wanted, full)
    imports = import_items(comp)
    for source, declared in plan.widen.items():
        widen_import(comp.items, imports[compat_key(source)], declared, f"{what}: {source}")
    host_args = _host_functions(block, plan.bindings, imports, memory, ([f.memory for f in shape.fronts], i_bridge))
    args = [(FUSED_MEMORY_IMPORT[0], i_img), (BRIDGE_MODULE, i_bridge)]
    i_core = block.add(new_instantiate(m_core, args + [(m, block.add(new_core_exports(funcs)))
                                                        for m, funcs in host_args.items()]))
    block.finish_reallocs(i_core, memory)

    # 5: the importers' arguments
    functions = _served_functions(block, shape, ours, i_core, i_bridge, what)
    functions.update(_trapping_functions(block, trapped, what))
    replace = _replace_bundles(shape, functions)

    # 6: each front's realloc into the bridge's table
    fixups = []
    for k, front in enumerate(shape.fronts):
        if front.realloc is not None:
            m_rfix = block.add(new_core_module(modules.realloc_fixup_module(
                front.realloc.info.name or "", k, len(shape.fronts))))
            fixups.append((front.realloc.refs[0], new_instantiate(
                m_rfix, [(modules.BRIDGE_ARG, i_bridge), (modules.CALLER_ARG, front.realloc.refs[0])])))

    items = _assemble(comp.items, shape, block, replace, fixups, imports, what)
    _check_isolated(items, tied, plan.host, what)
    return Fused(encode_component(items), shape.served_arguments, plan.host, plan.missing,
                 [n for n in ctype.imports if n in {name for _, _, name in trapped}],
                 sorted((source, f) for source, declared in plan.widen.items() for f in declared))


Functions = dict[int, list[tuple[str, Item]]]   # id(argument bundle) -> its new (name, function)s


def _served_functions(block: _Block, shape: WasiShape, ours: CoreInterface, core: Item, bridge: Item,
                      what: str) -> Functions:
    """The core's `fused:IFACE#NAME` function for each function of each importer's served
    arguments, checked to have the core type the importer declares. With several fronts,
    a function lowered with a memory goes through its front's wrapper instead."""
    ifaces = {compat_key(n[len(PREFIX):].split("#", 1)[0]): n[len(PREFIX):].split("#", 1)[0]
              for n in ours.exports if n.startswith(PREFIX)}
    lowering = _lowering_of(shape)
    plan: list[tuple[int, str, str, int | None]] = []   # (id(bundle), field, core export, front)
    order: list[int] = []
    for importer in shape.importers:
        declared = importer.declared
        for arg, bundle in importer.bundles.items():
            iface = ifaces.get(compat_key(arg))
            if iface is None:
                raise Unsupported(f"{what}: the virtualizer does not serve {arg}")
            for fname, k in bundle.info.named:
                name = export_name(iface, fname)
                if bundle.refs[k].space != "core func" or name not in ours.exports:
                    raise Unsupported(f"{what}: the virtualizer has no {fname} in {arg}")
                wants = declared.imports.get((arg, fname))
                if wants is not None and wants != ours.exports[name]:
                    raise Unsupported(f"{what}: {arg} {fname} has core type {wants}, the virtualizer's "
                                      f"{ours.exports[name]}")
                front = None
                if len(shape.fronts) > 1:
                    source = lowering(bundle.refs[k])
                    if source.info.kind not in ("canon lower", "canon resource.drop"):
                        raise Unsupported(f"{what}: cannot tell which canonical options {arg} {fname} "
                                          "is lowered with")
                    front = shape.front_of.get(id(source))   # None: it reaches no memory
                plan.append((id(bundle), fname, name, front))
            order.append(id(bundle))
    wrapped = _front_wrappers(block, ours, core, bridge, {(f, n) for _, _, n, f in plan if f is not None})
    out: Functions = {key: [] for key in order}
    for key, fname, name, front in plan:
        out[key].append((fname, wrapped[(front, name)] if front is not None else block.fused(core, name)))
    return out


def _lowering_of(shape: WasiShape) -> Callable[[Item], Item]:
    """The `canon lower` behind a bundle's function: itself, or the function a fixup put
    into the shim slot the function calls."""
    slots = {(id(shim), n): actual.refs[k] for shim, actual in shape.fixups for n, k in actual.info.named}

    def lowering(func: Item) -> Item:
        if func.info.kind == "alias core export":
            return slots.get((id(func.refs[0]), func.info.name or ""), func)
        return func
    return lowering


def _front_wrappers(block: _Block, ours: CoreInterface, core: Item, bridge: Item,
                    wanted: set[tuple[int, str]]) -> dict[tuple[int, str], Item]:
    """(front, core export) -> that front's wrapper of the export (`modules.front_module`)."""
    out: dict[tuple[int, str], Item] = {}
    for front in sorted({f for f, _ in wanted}):
        names = sorted(n for f, n in wanted if f == front)
        m_front = block.add(new_core_module(modules.front_module(front, [(n, ours.exports[n]) for n in names])))
        i_front = block.add(new_instantiate(m_front, [(modules.BRIDGE_ARG, bridge), (modules.CORE_ARG, core)]))
        for name in names:
            out[(front, name)] = block.add(new_alias_core_export(i_front, name, "core func"))
    return out


def _trapping_functions(block: _Block, trapped: list[tuple[Importer, str, str]], what: str) -> Functions:
    """A trapping function, named after the child's import it stands for, for each function
    of the importers' arguments tied to served types."""
    named: list[tuple[Item, str, str, Signature]] = []   # (bundle, field, name, signature)
    for importer, arg, name in trapped:
        bundle, declared = importer.others[arg], importer.declared
        if bundle.info.kind != "core exports":
            raise Unsupported(f"{what}: the WASI importer's {arg} is not a plain bundle of functions")
        for fname, k in bundle.info.named:
            sig = declared.imports.get((arg, fname))
            if sig is None or bundle.refs[k].space != "core func":
                raise Unsupported(f"{what}: the WASI importer's {arg} {fname} is not a function it imports")
            named.append((bundle, fname, f"{name}#{fname}", sig))
    if not named:
        return {}
    m_trap = block.add(new_core_module(modules.trap_module([n[3] for n in named], [n[2] for n in named])))
    i_trap = block.add(new_instantiate(m_trap, []))
    out: Functions = {}
    for k, (bundle, fname, _, _) in enumerate(named):
        out.setdefault(id(bundle), []).append((fname, block.add(new_alias_core_export(i_trap, str(k), "core func"))))
    return out


def _replace_bundles(shape: WasiShape, functions: Functions) -> dict[int, Item]:
    """id(original) -> replacement: each argument bundle in `functions` exporting its new
    functions under the same names, and each fixup's `actual` instance with the shim slots
    those bundles used filled with the same functions."""
    bundles = {id(b): b for imp in shape.importers for b in [*imp.bundles.values(), *imp.others.values()]}
    replace: dict[int, Item] = {}
    slot_fill: dict[tuple[int, str], Item] = {}
    for key, exports in functions.items():
        bundle = bundles[key]
        for (_, k), (_, func) in zip(bundle.info.named, exports, strict=True):
            target = bundle.refs[k]
            if target.info.kind == "alias core export":  # a shim trampoline: remember its slot
                slot_fill[(id(target.refs[0]), target.info.name or "")] = func
        replace[key] = new_core_exports(exports)
    for shim, actual in shape.fixups:
        slots = [(n, slot_fill.get((id(shim), n), actual.refs[k])) for n, k in actual.info.named]
        if any(t is not actual.refs[k] for (_, t), (_, k) in zip(slots, actual.info.named, strict=True)):
            replace[id(actual)] = new_core_exports(slots)
    return replace


def _check_isolated(items: list[Item], tied: dict[str, str], host: list[str], what: str) -> None:
    """Nothing left reaches the host past the virtualizer: no import tied to served types
    (one used other than as an importer's argument, re-exported say, would still hand out
    the host's streams), and no served import but those the virtualizer itself calls (a
    nested component given one, say, would reach the host's)."""
    ours = {compat_key(n) for n in host}
    imported = sorted(i.info.name or "" for i in items if i.info.kind == "import")
    left_tied = [n for n in imported if compat_key(n) in tied]
    if left_tied:
        raise Unsupported(f"{what}: {left_tied[0]} uses the virtualizer's types and is used other than by a "
                          "WASI importer")
    left_served = [n for n in imported if served(n) and compat_key(n) not in ours]
    if left_served:
        raise Unsupported(f"{what}: {left_served[0]} is still used other than by the WASI importers")


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
                    memory: Item, caller: tuple[list[Item], Item]) -> dict[str, list[tuple[str, Item]]]:
    """module -> [(field, core func)] for the fused core's host imports. `caller`: each
    front's memory and the bridge instance, whose `caller-realloc` calls the current
    front's realloc (for the bindings lowered with the caller's options)."""
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
                    func = _caller_lowered(block, b, source, caller, caller_realloc[0] if b.realloc else None)
                elif b.realloc:
                    block.pending.append((b, source))
                    func = slots[id(b)]
                else:
                    func = block.add(new_canon_lower(source, memory=memory if b.memory else None, utf8=b.utf8))
        out.setdefault(b.module, []).append((b.field, func))
    return out


def _caller_lowered(block: _Block, b: Binding, source: Item, caller: tuple[list[Item], Item],
                    realloc: Item | None) -> Item:
    """`source` lowered with the caller's memory: once when every front shares it; else
    once per distinct memory, behind a dispatcher on the bridge's current front."""
    memories, bridge = caller
    distinct: dict[tuple[int, str], int] = {}
    variant_of_front = [distinct.setdefault(identity(m), len(distinct)) for m in memories]
    firsts = {v: m for v, m in zip(variant_of_front, memories, strict=True)}
    lowered = [block.add(new_canon_lower(source, memory=firsts[v] if b.memory else None, realloc=realloc,
                                         utf8=b.utf8)) for v in range(len(distinct))]
    if len(lowered) == 1:
        return lowered[0]
    m_dispatch = block.add(new_core_module(modules.dispatch_module(b.sig, variant_of_front)))
    variants = block.add(new_core_exports([(str(v), f) for v, f in enumerate(lowered)]))
    i_dispatch = block.add(new_instantiate(m_dispatch, [(modules.BRIDGE_ARG, bridge),
                                                        (modules.VARIANTS_ARG, variants)]))
    return block.add(new_alias_core_export(i_dispatch, "f", "core func"))


def _assemble(original: list[Item], shape: WasiShape, block: _Block, replace: dict[int, Item],
              fixups: list[tuple[Item, Item]], imports: dict[str, Item], what: str) -> list[Item]:
    """The child's items with the block inserted before the first replaced one,
    replacements made, each realloc fixup after the instance exporting its realloc (and
    after the block), and what nothing uses any more removed."""
    position = {id(item): k for k, item in enumerate(original)}
    at = min(position[key] for key in replace)
    needed_before = [f.memory for f in shape.fronts] + [i for i in imports.values()
                                                        if any(i in x.refs for x in block.items)]
    late = [i for i in needed_before if position[id(i)] >= at]
    if late:
        raise Unsupported(f"{what}: {late[0].info.kind} {late[0].info.name or ''} is defined after the "
                          "first WASI argument the virtualizer replaces")
    before = live(original)
    for item in original:  # whoever referred to a replaced definition gets its replacement
        item.refs = [replace.get(id(r), r) for r in item.refs]
    items: list[Item] = []
    seen: set[int] = set()
    pending = list(fixups)
    for k, item in enumerate(original):
        if k == at:
            items.extend(block.items)
        items.append(replace.get(id(item), item))
        seen.add(id(item))
        if k >= at:
            items.extend(f for owner, f in pending if id(owner) in seen)
            pending = [(owner, f) for owner, f in pending if id(owner) not in seen]
    assert not pending, "every realloc's owner is one of the child's items"
    after = live(items)
    return [i for i in items if id(i) in after or (id(i) not in before and i.data is not None)]
