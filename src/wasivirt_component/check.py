"""Checking what we write before it is written.

wasmtime is the only component validator we can install, and it validates by compiling.
`validate_component` compiles through the shared compile cache, so a later `wasivirt run`
of the same bytes starts without compiling again.

`validate_composition` is the fast path for compositions whose parts are large: a
composition is valid exactly when each part is valid and the wiring type-checks against
the parts' *types*. So each part is compiled on its own (once, then cached by content
hash) and the same wiring over type skeletons of the parts (same imports and exports,
trapping bodies; the one graph encoded a second way) is compiled in milliseconds.

`validate_fused` does the same for a fused component, whose parts are core modules:
each is validated by wasmtime without compiling (`Module.validate`), then the component
with code-less skeletons of them is compiled (`fuse/skeleton.py`).

`filesystem_imports` is the isolation check, and means what `inspect` reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .engine import load_component, make_engine, one_line
from .errors import ValidationError
from .names import is_filesystem


def validate_component(data: bytes, what: str, *, cache: bool = True) -> None:
    """Raise ValidationError (one line) unless wasmtime accepts `data`."""
    load_component(make_engine(), data, what=what, use_cache=cache)


def validate_composition(parts: Sequence[tuple[str, bytes]], over_skeletons: Callable[[], bytes],
                         what: str) -> None:
    """Validate a composition without compiling it: each part (name, bytes) alone
    (cached), then `over_skeletons()`, the same composition encoded over the parts' type
    skeletons."""
    for name, data in parts:
        validate_component(data, name)
    validate_component(over_skeletons(), f"{what} (composition)", cache=False)


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


def filesystem_imports(imports: Iterable[str]) -> list[str]:
    """The `wasi:filesystem/*` interfaces among a component's imports (empty = isolated)."""
    return [name for name in imports if is_filesystem(name)]
