"""The canonical-ABI glue generator: C declarations and bindings from a resolved WIT world.

`wasm-tools component wit --json` resolves a WIT directory; `model.load_world` turns that
into our component type model (`compose.types`) plus the world's interfaces and functions;
`cgen.generate` emits a header (types whose layout *is* the canonical ABI layout, checked by
static asserts against `compose.abi`, and the prototypes the C runtime implements) and a C
file (the core exports wit-component lifts, the wrappers around the imports it lowers).
`lowered.generate_lowered` binds the same prototypes the other way, for fused linking: core
functions a caller calls with the lowered ABI, pointers into its own memory.
Nothing here is laid out by hand, so a new interface costs only its logic.
"""

from __future__ import annotations

from .cgen import GeneratedGlue, generate
from .lowered import generate_lowered
from .model import GlueError, World, load_world

__all__ = ["GeneratedGlue", "GlueError", "World", "generate", "generate_lowered", "load_world"]
