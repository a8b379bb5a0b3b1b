"""The composer, in pure Python: components read into a type model, composed, written.

`read_component` reads a component binary into its type (`reader.py`, `types.py`);
`CompositionGraph` instantiates components, connects imports to exports (checked by
`compare.py`, with resource binding), merges same-named imports and encodes the result
(`graph.py`, `encoder.py`); `plug` is `wac plug` on top of it; `trap_stub` and `skeleton`
generate components whose every function traps (`stub.py`, `shim.py`).

This module is the public face: `__all__` below (pinned by tests/test_public_api.py).
The submodules are internal, except two the virtualizer's glue generator builds on: the
type model (`compose.types`) and the canonical ABI layout (`compose.abi`). Errors are
`errors.CompositionError` and its subclasses.
"""

from __future__ import annotations

from .graph import CompositionGraph, ExportRef, ImportRef, InstanceNode, Package, Source
from .plug import PlugResult, plug
from .reader import ComponentInfo, read_component
from .stub import STUB_MODULE_NAME, Stub, skeleton, trap_stub
from .types import ComponentType
from .walk import children, import_dependencies

__all__ = [
    "children",
    "ComponentInfo",
    "ComponentType",
    "CompositionGraph",
    "ExportRef",
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
]
