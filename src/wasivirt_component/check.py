"""Checking what we write before it is written.

wasmtime is the only component validator we can install, and it validates by compiling.
`validate_component` compiles through the shared compile cache, so a later `wasivirt run`
of the same bytes starts without compiling again.

`validate_composition` is the fast path for compositions whose parts are large: a
composition is valid exactly when each part is valid and the wiring type-checks against
the parts' *types*. So each part is compiled on its own (once, then cached by content
hash) and the same wiring over type skeletons of the parts (same imports and exports,
trapping bodies) is compiled in milliseconds.

`filesystem_imports` backs the isolation report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .compose.reader import ComponentInfo, read_component
from .compose.stub import skeleton
from .compose.types import ComponentType
from .engine import load_component, make_engine
from .names import is_filesystem


def validate_component(data: bytes, what: str, *, cache: bool = True) -> None:
    """Raise ValidationError (one line) unless wasmtime accepts `data`."""
    load_component(make_engine(), data, what=what, use_cache=cache)


def validate_composition(parts: Sequence[ComponentInfo],
                         compose: Callable[[Sequence[ComponentInfo]], bytes], what: str) -> None:
    """Validate `compose(parts)` without compiling it: the parts alone (cached), then the
    same composition over their type skeletons."""
    for part in parts:
        validate_component(part.data, part.name)
    skeletons = [read_component(skeleton(part.type), part.name) for part in parts]
    validate_component(compose(skeletons), f"{what} (composition)", cache=False)


def filesystem_imports(ctype: ComponentType) -> list[str]:
    """The `wasi:filesystem/*` interfaces a component imports (empty = isolated)."""
    return [name for name in ctype.imports if is_filesystem(name)]
