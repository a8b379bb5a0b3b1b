"""Finding where a child's core instances import the WASI functions the virtualizer serves.

Two shapes are known and fused alike:

- a jco-adapted wasip1 program (`adapt.py`): four core modules, the program (defines and
  exports `memory`), the preview1 adapter (imports it as `env.memory`), and wit-component's
  shim/fixup pair, which breaks the cycle between the adapter's lowered imports and its own
  `cabi_import_realloc` with a table. Only the adapter imports WASI.
- a flat WASI 0.2 component, such as wit-component's dynamic linking output
  (componentize-py): several core instances import WASI (its wasip2 `libc.so`, a preview1
  adapter for libraries built for wasip1), all lowered with one memory and one realloc
  (libc's `cabi_realloc`).

Each importer is instantiated with one argument instance per WASI interface it imports;
each exports the lowered host functions (directly, or a shim trampoline whose table slot a
fixup fills from the `actual` instance), and `canon resource.drop`s.

`find_importers` locates those instances and the *fronts*: the distinct sets of canonical
options (memory, realloc) the served host functions are lowered with, one in every
toolchain output seen so far (libc's and the adapter's lowerings share the program's
memory and one realloc), several in a component lowering with two memories or reallocs.
Strings must be UTF-8 and there is no post-return. Anything else is `Unsupported`, with
the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..names import compat_key, split_name
from ..virt.names import BRIDGE_MODULE
from .coretypes import CoreInterface, read_interface
from .items import Component, Item, Unsupported
from .modules import ACTUAL_ARG, SHIM_ARG, SHIM_TABLE

# The interfaces whose lowered imports the fused virtualizer answers (WASI 0.2). The wall
# clock stays the host's, as in the composed mode (`virt/wiring.HOST_DIRECT`): it has no
# resources, and answering it here would only add a hop.
SERVED = ("wasi:filesystem/types", "wasi:filesystem/preopens", "wasi:io/error", "wasi:io/poll",
          "wasi:io/streams", "wasi:cli/stdin", "wasi:cli/stdout", "wasi:cli/stderr",
          "wasi:cli/terminal-input", "wasi:cli/terminal-output", "wasi:cli/terminal-stdin",
          "wasi:cli/terminal-stdout", "wasi:cli/terminal-stderr", "wasi:clocks/monotonic-clock")


def served(name: str) -> bool:
    """`wasi:filesystem/preopens@0.2.6` -> True."""
    return split_name(name)[0] in SERVED


@dataclass
class Importer:
    """One core instantiation whose arguments include served WASI interfaces."""

    instance: Item                    # the core instantiation
    module: Item                      # its core module
    bundles: dict[str, Item]          # argument name -> instance, for served interfaces
    others: dict[str, Item]           # its other arguments

    @cached_property
    def declared(self) -> CoreInterface:
        """The core types its module declares for its imports (read once: libc is large)."""
        return read_interface(self.module.data, "WASI importer")  # type: ignore[arg-type]


@dataclass(frozen=True)
class Front:
    """One set of canonical options served functions are lowered with."""

    memory: Item                      # the memory the lowered functions read and write
    realloc: Item | None              # `alias core export` of the realloc they pass, if any


@dataclass
class WasiShape:
    """Where the child's WASI importers sit in its items, and the fronts their served
    functions are lowered with."""

    importers: list[Importer]
    fronts: list[Front]
    front_of: dict[int, int]          # id(served `canon lower` with a memory) -> its front
    fixups: list[tuple[Item, Item]] = field(default_factory=list)  # (shim, actual) of each fixup

    @property
    def served_arguments(self) -> list[str]:
        return sorted({name for imp in self.importers for name in imp.bundles})


def find_importers(child: Component, what: str) -> WasiShape:
    if any(i.info.kind == "instantiate" and i.named_target(BRIDGE_MODULE) is not None for i in child.items):
        raise Unsupported(f"{what} already has a fused virtualizer inside (compose the original program)")
    importers = [_importer(i, what) for i in child.items
                 if i.info.kind == "instantiate" and any(served(n) for n, _ in i.info.named)]
    if not importers:
        nested = [i for i in child.items if i.info.kind == "instantiate component"
                  and any(served(n) for n, _ in i.info.named)]
        if nested:
            raise Unsupported(f"{what} nests components: the served WASI interfaces are passed to a "
                              "component inside it, not imported by its own core instances")
        raise Unsupported(f"{what} imports none of the interfaces the virtualizer serves")
    fronts, front_of = _fronts(child, what)
    if not fronts:  # nothing is lowered with a memory: the bridge still needs one
        memory = _env_memory(importers[0])
        if memory is None:
            raise Unsupported(f"{what}: no memory is passed to its WASI imports")
        fronts = [Front(memory, None)]
    if any(f.memory.space != "core memory" for f in fronts):
        raise Unsupported(f"{what}: a memory passed to its WASI imports is not a core memory")
    shape = WasiShape(importers, fronts, front_of)
    _find_fixups(child, shape)
    return shape


def _importer(instance: Item, what: str) -> Importer:
    args = {n: instance.refs[k] for n, k in instance.info.named}
    bundles = {n: i for n, i in args.items() if served(n)}
    for name, bundle in bundles.items():
        if bundle.info.kind != "core exports":
            raise Unsupported(f"{what}: the WASI importer's {name} is not a plain bundle of functions")
    return Importer(instance, instance.refs[0], bundles, {n: i for n, i in args.items() if n not in bundles})


def _env_memory(importer: Importer) -> Item | None:
    env = importer.others.get("env")
    return env.named_target("memory") if env is not None and env.info.kind == "core exports" else None


def _find_fixups(child: Component, shape: WasiShape) -> None:
    """wit-component's fixups, in either of its forms: an instantiation with a `shim` and
    an `actual` argument, or with one argument `""` exporting the shim's table
    (`$imports`) beside the functions for its slots."""
    for item in child.items:
        if item.info.kind != "instantiate":
            continue
        shim, actual = item.named_target(SHIM_ARG), item.named_target(ACTUAL_ARG)
        single = item.named_target("")
        if shim is None and actual is None and single is not None and single.info.kind == "core exports":
            table = single.named_target(SHIM_TABLE)
            if table is not None and table.info.kind == "alias core export":
                shim, actual = table.refs[0], single
        if shim is None or actual is None or actual.info.kind != "core exports":
            continue
        shape.fixups.append((shim, actual))


def lowered_import(item: Item) -> tuple[Item, str] | None:
    """(import instance, function name) a `canon lower` lowers, when it is an instance's export."""
    if item.info.kind != "canon lower":
        return None
    func = item.refs[item.info.options["func"]]
    if func.info.kind != "alias export" or func.refs[0].info.kind != "import":
        return None
    return func.refs[0], func.info.name or ""


def _fronts(child: Component, what: str) -> tuple[list[Front], dict[int, int]]:
    """The distinct (memory, realloc) sets of the served lowerings, and each lowering's.
    A lowering with a memory but no realloc (it returns no list) joins the first front
    with its memory."""
    fronts: list[Front] = []
    keys: dict[tuple[tuple[int, str], tuple[int, str]], int] = {}
    pending: list[tuple[Item, Item]] = []   # (lowering, memory) without a realloc
    front_of: dict[int, int] = {}
    for item in child.items:
        lowered = lowered_import(item)
        if lowered is None or not served(lowered[0].info.name or ""):
            continue
        opts = item.info.options
        problem = None
        if item.info.encoding != "utf8":
            problem = f"string encoding {item.info.encoding}"
        elif "post-return" in opts:
            problem = "a post-return"
        elif "realloc" in opts and item.refs[opts["realloc"]].info.kind != "alias core export":
            problem = "a realloc that is not a core instance's export"
        elif "realloc" in opts and "memory" not in opts:
            problem = "a realloc but no memory"
        if problem:
            raise Unsupported(f"{what}: {lowered[0].info.name} {lowered[1]} is lowered with {problem}")
        if "memory" not in opts:
            continue
        memory = item.refs[opts["memory"]]
        if "realloc" not in opts:
            pending.append((item, memory))
            continue
        realloc = item.refs[opts["realloc"]]
        key = (identity(memory), identity(realloc))
        if key not in keys:
            keys[key] = len(fronts)
            fronts.append(Front(memory, realloc))
        front_of[id(item)] = keys[key]
    for item, memory in pending:
        k = next((k for k, f in enumerate(fronts) if identity(f.memory) == identity(memory)), None)
        if k is None:
            k = len(fronts)
            fronts.append(Front(memory, None))
        front_of[id(item)] = k
    return fronts, front_of


def identity(item: Item) -> tuple[int, str]:
    """What an item stands for: an alias of an instance's export is that export (two
    aliases of one memory are one memory)."""
    if item.info.kind == "alias core export":
        return id(item.refs[0]), item.info.name or ""
    return id(item), ""


def import_items(child: Component) -> dict[str, Item]:
    """The child's instance imports by compatibility key (`wasi:io/streams@0.2`)."""
    return {compat_key(i.info.name or ""): i for i in child.items
            if i.info.kind == "import" and i.space == "instance"}
