"""Finding the preview1 adapter's wiring inside a jco-adapted component.

A jco-adapted wasip1 program (`adapt.py`) has four core modules: the program (defines and
exports `memory`), the preview1 adapter (imports it as `env.memory`), and wit-component's
shim/fixup pair, which breaks the cycle between the adapter's lowered imports and its own
`cabi_import_realloc` with a table. The adapter is instantiated with one argument instance
per WASI interface it imports; each exports the lowered host functions (directly, or a
shim trampoline whose table slot the fixup fills from the `actual` instance), and
`canon resource.drop`s.

`find_adapter` locates that instance and checks what fusing relies on: exactly one core
instance imports the interfaces the virtualizer serves; it shares one memory, imported as
`env.memory`; every host function those interfaces lower uses that memory, the adapter's
`cabi_import_realloc` and UTF-8. Anything else is `Unsupported`, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..names import compat_key, split_name
from ..virt.names import BRIDGE_MODULE
from .items import Component, Item, Unsupported

# The interfaces whose lowered imports the fused virtualizer answers (WASI 0.2). The wall
# clock stays the host's, as in the composed mode (`virt/wiring.HOST_DIRECT`): it has no
# resources, and answering it here would only add a hop.
SERVED = ("wasi:filesystem/types", "wasi:filesystem/preopens", "wasi:io/error", "wasi:io/poll",
          "wasi:io/streams", "wasi:cli/stdin", "wasi:cli/stdout", "wasi:cli/stderr",
          "wasi:cli/terminal-input", "wasi:cli/terminal-output", "wasi:cli/terminal-stdin",
          "wasi:cli/terminal-stdout", "wasi:cli/terminal-stderr", "wasi:clocks/monotonic-clock")
SHIM_ARG, ACTUAL_ARG = "shim", "actual"
IMPORT_REALLOC = "cabi_import_realloc"


def served(name: str) -> bool:
    """`wasi:filesystem/preopens@0.2.6` -> True."""
    return split_name(name)[0] in SERVED


@dataclass
class AdapterShape:
    """Where the adapter sits in the child's items."""

    adapter: Item                     # the adapter's core instantiation
    module: Item                      # the adapter's core module
    memory: Item                      # the program's memory (the adapter's env.memory)
    bundles: dict[str, Item]          # argument name -> instance, for served interfaces
    others: dict[str, Item]           # the adapter's other arguments
    fixups: list[tuple[Item, Item]] = field(default_factory=list)  # (shim, actual) of each fixup


def find_adapter(child: Component, what: str) -> AdapterShape:
    if any(i.info.kind == "instantiate" and i.named_target(BRIDGE_MODULE) is not None for i in child.items):
        raise Unsupported(f"{what} already has a fused virtualizer inside (compose the original program)")
    candidates = [i for i in child.items if i.info.kind == "instantiate"
                  and any(served(n) for n, _ in i.info.named)]
    if not candidates:
        raise Unsupported(f"{what} imports none of the interfaces the virtualizer serves through a "
                          "preview1 adapter")
    if len(candidates) > 1:
        raise Unsupported(f"{len(candidates)} core instances of {what} import WASI interfaces (not a "
                          "preview1-adapted program)")
    adapter = candidates[0]
    args = {n: adapter.refs[k] for n, k in adapter.info.named}
    env = args.get("env")
    memory = env.named_target("memory") if env is not None and env.info.kind == "core exports" else None
    if memory is None or memory.space != "core memory":
        raise Unsupported(f"{what}: the WASI importer does not import its memory as env.memory")
    bundles = {n: i for n, i in args.items() if served(n)}
    for name, bundle in bundles.items():
        if bundle.info.kind != "core exports":
            raise Unsupported(f"{what}: the adapter's {name} is not a plain bundle of functions")
    shape = AdapterShape(adapter, adapter.refs[0], memory, bundles,
                         {n: i for n, i in args.items() if n not in bundles})
    _find_fixups(child, shape)
    _check_lowerings(child, shape, what)
    return shape


def _find_fixups(child: Component, shape: AdapterShape) -> None:
    """wit-component's fixups: instantiations with a `shim` and an `actual` argument."""
    for item in child.items:
        if item.info.kind != "instantiate":
            continue
        shim, actual = item.named_target(SHIM_ARG), item.named_target(ACTUAL_ARG)
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


def _check_lowerings(child: Component, shape: AdapterShape, what: str) -> None:
    """Every lowering of a served host function passes the program's memory, the adapter's
    realloc and UTF-8: the options the fused exports assume."""
    for item in child.items:
        lowered = lowered_import(item)
        if lowered is None or not served(lowered[0].info.name or ""):
            continue
        opts = item.info.options
        memory = item.refs[opts["memory"]] if "memory" in opts else None
        realloc = item.refs[opts["realloc"]] if "realloc" in opts else None
        problem = None
        if memory is not None and memory is not shape.memory:
            problem = "another memory"
        elif realloc is not None and not (realloc.info.kind == "alias core export"
                                          and realloc.refs[0] is shape.adapter
                                          and realloc.info.name == IMPORT_REALLOC):
            problem = "another realloc"
        elif item.info.encoding != "utf8":
            problem = f"string encoding {item.info.encoding}"
        elif "post-return" in opts:
            problem = "a post-return"
        if problem:
            raise Unsupported(f"{what}: {lowered[0].info.name} {lowered[1]} is lowered with {problem}")


def import_items(child: Component) -> dict[str, Item]:
    """The child's instance imports by compatibility key (`wasi:io/streams@0.2`)."""
    return {compat_key(i.info.name or ""): i for i in child.items
            if i.info.kind == "import" and i.space == "instance"}
