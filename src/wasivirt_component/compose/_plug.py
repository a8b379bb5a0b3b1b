"""`wac plug` semantics on top of the graph, stricter about mismatches.

The socket is instantiated once; each of its imports is filled from a plug export of the
same name, or else a semver-compatible one; each plug is instantiated at most once; plug
imports and unfilled socket imports become imports of the result; every socket export is
re-exported. Unlike wac, a same-named export whose type does not fit is an error saying
which import, which export and what differs, never a silent skip.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PlugError
from ..names import compatible
from ._graph import CompositionGraph, InstanceNode
from ._reader import ComponentInfo


@dataclass(frozen=True)
class PlugResult:
    """The composed bytes and which socket import each plug filled."""

    data: bytes
    filled: dict[str, tuple[str, str]]  # socket import -> (plug name, plug export)


def _candidates(import_name: str, plugs: list[ComponentInfo]) -> list[tuple[ComponentInfo, str]]:
    """Plug exports that can fill `import_name`: exact names first, then compatible ones."""
    exact = [(p, import_name) for p in plugs if import_name in p.type.exports]
    if exact:
        return exact
    return [(p, e) for p in plugs for e in p.type.exports if compatible(e, import_name)]


def plug(socket: ComponentInfo, plugs: list[ComponentInfo]) -> PlugResult:
    """Compose `socket` with `plugs`; raises `PlugError` when it cannot tell which plug fills
    what (or a plug fills nothing) and another `CompositionError` on a type mismatch."""
    if not plugs:
        raise PlugError("give at least one plug (--plug PLUG.wasm)")
    names = [p.name for p in plugs]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise PlugError("the same plug was given twice: " + ", ".join(twice), node=twice[0])
    graph = CompositionGraph()
    socket_node = graph.instantiate(graph.add_component(socket, "socket"), f"socket {socket.name}")
    plug_nodes: dict[str, InstanceNode] = {}
    filled: dict[str, tuple[str, str]] = {}
    for import_name in socket.type.imports:
        found = _candidates(import_name, plugs)
        providers = sorted({p.name for p, _ in found})
        if len(providers) > 1:
            raise PlugError(f"socket import `{import_name}` is exported by several plugs "
                            f"({', '.join(providers)}); keep one of them", import_name=import_name)
        if not found:
            continue
        if len(found) > 1:
            raise PlugError(f"plug {found[0][0].name} has several exports compatible with socket import "
                            f"`{import_name}`: {', '.join(e for _, e in found)}", node=found[0][0].name,
                            import_name=import_name)
        info, export_name = found[0]
        node = plug_nodes.get(info.name)
        if node is None:
            node = plug_nodes[info.name] = graph.instantiate(graph.add_component(info, info.name), f"plug {info.name}")
        graph.connect(socket_node, import_name, graph.export_of(node, export_name))
        filled[import_name] = (info.name, export_name)
    if not filled:
        offered = sorted({e for p in plugs for e in p.type.exports})
        raise PlugError(
            "no plug export matched any socket import: the socket imports "
            f"{', '.join(socket.type.imports) or 'nothing'}; the plugs export {', '.join(offered) or 'nothing'}")
    unused = [p.name for p in plugs if p.name not in plug_nodes]
    if unused:
        raise PlugError(f"plug {', '.join(unused)} matched no socket import; remove it or check its export names",
                        node=unused[0])
    for export_name in socket.type.exports:
        graph.export(graph.export_of(socket_node, export_name), export_name)
    return PlugResult(graph.encode(), filled)
