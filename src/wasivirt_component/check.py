"""Checking what we write before it is written.

Every composed output is compiled by wasmtime (the only component validator we can
install), through the shared compile cache, so a later `wasivirt run` of the same bytes
starts without compiling again. `filesystem_imports` backs the isolation report.
"""

from __future__ import annotations

from .compose.types import ComponentType
from .run import load_component, make_engine

FILESYSTEM_PACKAGE = "wasi:filesystem/"


def validate_component(data: bytes, what: str) -> None:
    """Raise ValidationError (one line) unless wasmtime accepts `data`."""
    load_component(make_engine(), data, what=what)


def filesystem_imports(ctype: ComponentType) -> list[str]:
    """The `wasi:filesystem/*` interfaces a component imports (empty = isolated)."""
    return [name for name in ctype.imports if name.startswith(FILESYSTEM_PACKAGE)]
