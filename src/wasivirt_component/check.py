"""Checking what we write before it is written.

wasmtime is the only component validator we can install, and it validates by compiling.
`validate_component` compiles through the shared compile cache, so a later `wasivirt run`
of the same bytes starts without compiling again.

`validate_composition` is the fast path for compositions whose parts are large: a
composition is valid exactly when each part is valid and the wiring type-checks against
the parts' *types*. So each part is compiled on its own (once, then cached by content
hash) and the same wiring over type skeletons of the parts (same imports and exports,
trapping bodies) is compiled in milliseconds.

`validate_fused` does the same for a fused component, whose parts are core modules:
each is validated by wasmtime without compiling (`Module.validate`), then the component
with code-less skeletons of them is compiled (`fuse/skeleton.py`).

`filesystem_imports` backs the isolation report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .compose.reader import ComponentInfo, read_component
from .compose.stub import skeleton
from .compose.types import ComponentType
from .errors import ValidationError
from .run import load_component, make_engine, one_line

FILESYSTEM_PACKAGE = "wasi:filesystem/"


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


def validate_fused(data: bytes, what: str) -> None:
    """Raise ValidationError (one line) unless wasmtime accepts `data`, compiling no code:
    every core module on its own, then the wiring over code-less skeletons of them."""
    import wasmtime

    from .fuse.skeleton import core_modules, skeleton, without_payloads

    engine = make_engine()
    for k, module in enumerate(core_modules(data)):
        try:
            wasmtime.Module.validate(engine, without_payloads(module))
        except wasmtime.WasmtimeError as exc:
            raise ValidationError(f"{what}: core module {k} is invalid: {one_line(exc)}") from None
    load_component(engine, skeleton(data), what=f"{what} (wiring)", use_cache=False)


def filesystem_imports(ctype: ComponentType) -> list[str]:
    """The `wasi:filesystem/*` interfaces a component imports (empty = isolated)."""
    return [name for name in ctype.imports if name.startswith(FILESYSTEM_PACKAGE)]
