"""The composer, in pure Python: components read into a type model, composed, written.

`read_component` reads a component binary into its type (`_reader.py`, `types.py`);
`CompositionGraph` instantiates components, connects imports to exports (checked by
`_compare.py`, with resource binding), merges same-named imports and encodes the result
(`_graph.py`, `_encoder.py`); `plug` is `wac plug` on top of it; `trap_stub` and `skeleton`
generate components whose every function traps (`_stub.py`, `_shim.py`); `TypeScope` and
`extern_name` encode model types into a type body (the fused splice widens an import with
them: `fuse/widen.py`).

This module is the public face: `__all__` below (pinned by tests/test_public_api.py).
The `_`-named submodules are internal. Two are public, because the virtualizer's glue
generator builds on them: the type model (`compose.types`) and the canonical ABI layout
(`compose.abi`). Errors are `errors.CompositionError` and its subclasses.
"""

from __future__ import annotations

from ._encoder import TypeScope, extern_name
from ._graph import CompositionGraph, ExportRef, ImportRef, InstanceNode, Package, Source
from ._plug import PlugResult, plug
from ._reader import ComponentInfo, read_component
from ._stub import STUB_MODULE_NAME, Stub, skeleton, trap_stub
from ._walk import children, import_dependencies
from .types import ComponentType

__all__ = [
    "children",
    "ComponentInfo",
    "ComponentType",
    "CompositionGraph",
    "ExportRef",
    "extern_name",
    "import_dependencies",
    "ImportRef",
    "InstanceNode",
    "Package",
    "plug",
    "PlugResult",
    "read_component",
    "skeleton",
    "Source",
    "Stub",
    "STUB_MODULE_NAME",
    "trap_stub",
    "TypeScope",
]
