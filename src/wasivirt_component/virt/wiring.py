"""Plugging the virtualizer between a child and the host.

Two instances (more with stubs): the virtualizer, its image in its own memory, serves
`wasi:filesystem`, `wasi:io`, stdio, terminals and clocks to the child;
everything else the child imports goes to the host unchanged, except interfaces whose
types come from the virtualized ones (`wasi:sockets` hands out `wasi:io` pollables and
streams, which here are the virtualizer's): those get a trapping stub built on the
virtualizer's types, so a program that imports but never calls them (any componentize-py
program) composes and runs, and one that calls them traps. The virtualizer's own host
imports (`wasivirt-host:*`, the WASI packages renamed) are given the host's `wasi:*`
instances only where the child can make it call them; the rest are filled by one trapping
stub, so the composed program imports from the host only what it can really use. In
particular it imports no `wasi:filesystem` unless a host mount is declared (mounts also
need the host's stderr: a missing preopen is reported there once).

HTTP children are refused (`check_child`): the host calls an exported
`wasi:http/incoming-handler` with its own request and response resources, and nothing
bridges those to the virtualizer's `wasi:io` yet (the design's virt → child → edge DAG).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ..compose import (
    ComponentInfo,
    CompositionGraph,
    InstanceNode,
    Package,
    Stub,
    import_dependencies,
    read_component,
    trap_stub,
)
from ..compose.types import ComponentType
from ..errors import CompositionError
from ..names import HTTP_HANDLER_INTERFACE, compat_key, split_name
from .names import HOST_PACKAGE

# For each child interface the virtualizer serves: the host interfaces (package-less)
# the virtualizer calls when the child uses it. Type dependencies (e.g. streams -> error)
# are added from the types themselves.
HOST_NEEDS: dict[str, tuple[str, ...]] = {
    "wasi:cli/stdin": ("cli/stdin", "io/streams", "io/poll"),
    "wasi:cli/stdout": ("cli/stdout", "io/streams", "io/poll"),
    "wasi:cli/stderr": ("cli/stderr", "io/streams", "io/poll"),
    "wasi:cli/terminal-stdin": ("cli/terminal-stdin",),
    "wasi:cli/terminal-stdout": ("cli/terminal-stdout",),
    "wasi:cli/terminal-stderr": ("cli/terminal-stderr",),
    "wasi:clocks/monotonic-clock": ("clocks/monotonic-clock", "io/poll"),
}
# Served from the image alone; host filesystem access only for declared host mounts.
HOST_FILESYSTEM = ("filesystem/types", "filesystem/preopens", "cli/stderr", "io/streams", "io/poll")
# Served by the host even though the virtualizer exports them: the wall clock has no
# resources (its `datetime` is a plain record, so `filesystem/types` still matches), and
# forwarding each clock read through the virtualizer's Python costs ~2 µs.
HOST_DIRECT = ("wasi:clocks/wall-clock",)
# Exports the host would call with its own resources, which the virtualizer cannot bridge yet.
HTTP_HANDLER = HTTP_HANDLER_INTERFACE


@dataclass(frozen=True)
class Virtualized:
    """The composition, built once, and how its child's imports were satisfied.

    `encode()` writes it; `encode(skeletons=True)` writes the same wiring over type
    skeletons of the child and the virtualizer (`parts`), for `check.validate_composition`.
    """

    graph: CompositionGraph
    parts: tuple[Package, Package]   # (child, virtualizer)
    virtualized: list[str]           # child imports served by the virtualizer
    trapped: list[str]               # child imports stubbed out (tied to wasi:io)

    def encode(self, *, skeletons: bool = False) -> bytes:
        child = self.parts[0].info.name
        try:
            return self.graph.encode(skeletons=self.parts if skeletons else ())
        except CompositionError as exc:
            raise exc.prefixed(f"{child}: cannot virtualize: ") from None

    @property
    def data(self) -> bytes:
        """The composed component (encoded anew on each access)."""
        return self.encode()


def _interface(name: str) -> str:
    """`wasivirt-host:io/streams@0.2.12` -> `io/streams`."""
    base, _ = split_name(name)
    return base.split(":", 1)[1]


def check_child(child: ComponentInfo) -> None:
    """Refuse a child this wiring cannot virtualize (an HTTP handler), naming the export."""
    for name in child.type.exports:
        if split_name(name)[0] == HTTP_HANDLER:
            raise CompositionError(
                f"{child.name}: HTTP children are not supported by compose yet (it exports {name}); "
                "serve it without a virtual filesystem, or compose it with `wasivirt plug`",
                node=child.name, export=name)


def tied_imports(child: ComponentType, virtualized: Collection[str]) -> list[str]:
    """The child's other imports whose types come from the `virtualized` ones (`wasi:sockets`
    hands out `wasi:io` pollables and streams): given to the host, they would pass it the
    virtualizer's handles, so they are stubbed and every call traps (both link modes)."""
    ours = set(virtualized)
    return [n for n in child.imports if n not in ours and import_dependencies(child, [n]) & ours]


def virtualize(child: ComponentInfo, virtualizer: ComponentInfo, *,
               host_filesystem: bool = False) -> Virtualized:
    """Compose virtualizer (its image spliced in) + child; `host_filesystem` when host
    mounts exist."""
    check_child(child)
    served = {compat_key(n): n for n in virtualizer.type.exports
              if n.startswith("wasi:") and split_name(n)[0] not in HOST_DIRECT}
    virtualized = {n: served[compat_key(n)] for n in child.type.imports if compat_key(n) in served}
    trapped = tied_imports(child.type, virtualized)

    wanted = {need for n in virtualized for need in HOST_NEEDS.get(split_name(n)[0], ())}
    if host_filesystem:
        wanted |= set(HOST_FILESYSTEM)
    host_imports = [n for n in virtualizer.type.imports if n.startswith(HOST_PACKAGE)]
    needed = {n for n in host_imports if _interface(n) in wanted}
    needed |= import_dependencies(virtualizer.type, sorted(needed))
    denied = [n for n in host_imports if n not in needed]

    graph = CompositionGraph()
    virt_package = graph.add_component(virtualizer, "virtualizer")
    virt = graph.instantiate(virt_package)
    for name in host_imports:
        if name in needed:
            graph.connect(virt, name, graph.import_("wasi:" + name[len(HOST_PACKAGE):]))
    if denied:
        stub, stub_node = _stub_node(graph, virtualizer, denied, "host stub")
        for name in stub.exports:
            graph.connect(virt, name, graph.export_of(stub_node, name))
        for name in stub.imports:
            graph.connect(stub_node, name, graph.import_("wasi:" + name[len(HOST_PACKAGE):]))
    child_package = graph.add_component(child, "child")
    child_node = graph.instantiate(child_package)
    for name, export in virtualized.items():
        graph.connect(child_node, name, graph.export_of(virt, export))
    for name in child.type.exports:
        graph.export(graph.export_of(child_node, name), name)
    try:
        if trapped:
            _stub_child_imports(graph, child, trapped, virt, virtualized, child_node)
    except CompositionError as exc:
        raise exc.prefixed(f"{child.name}: cannot virtualize: ") from None
    return Virtualized(graph, (child_package, virt_package), list(virtualized), trapped)


def _stub_node(graph: CompositionGraph, consumer: ComponentInfo, names: list[str],
               label: str) -> tuple[Stub, InstanceNode]:
    """A trapping stub for `consumer`'s imports `names`, instantiated in `graph`."""
    stub = trap_stub(consumer.type, names)
    return stub, graph.instantiate(graph.add_component(read_component(stub.data, "stub"), label))


def _stub_child_imports(graph: CompositionGraph, child: ComponentInfo, trapped: list[str],
                        virt: InstanceNode, virtualized: dict[str, str], child_node: InstanceNode) -> None:
    """Fill the child's `trapped` imports from one trapping stub whose own imports (the
    types it shares with the child) come from the virtualizer or, if not virtualized,
    from the same host imports the child uses."""
    stub, stub_node = _stub_node(graph, child, trapped, "child stub")
    for name in stub.imports:
        source = graph.export_of(virt, virtualized[name]) if name in virtualized else graph.import_(name)
        graph.connect(stub_node, name, source)
    for name in trapped:
        graph.connect(child_node, name, graph.export_of(stub_node, name))
