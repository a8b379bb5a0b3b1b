"""The wasmtime engine wasivirt compiles with, and the on-disk cache of compiled code.

Compiling a large component takes seconds, so compiled code is cached by content hash
(+ wasmtime version + engine settings) with `Component.serialize`; the next load
deserializes (memory-maps) it in milliseconds. The cache lives under the cache root
(`paths.cache_dir()`, `compiled/`). Like wasmtime's own cache it trusts files in that
directory: it is the user's, never shared.

Running (`run.py`), validation (`check.py`) and the benchmarks share this module; it sits
below all of them and knows nothing of WASI.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import weakref
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import wasmtime
from wasmtime import Config, Engine, WasmtimeError
from wasmtime.component import Component

from .errors import ValidationError, WasivirtError
from .fsutil import atomic_write_bytes
from .paths import cache_dir
from .toolchain import failure_reason

# Wasm proposals real toolchains emit: LLVM's -fwasm-exceptions, tail calls from
# Rust/LLVM, GC + typed function references from Kotlin/Dart/OCaml, multi-memory,
# memory64 and relaxed SIMD. Part of the cache key: deserializing needs equal settings.
ENGINE_FEATURES: dict[str, bool] = {
    "wasm_exceptions": True,
    "wasm_tail_call": True,
    "wasm_function_references": True,
    "wasm_gc": True,
    "wasm_multi_memory": True,
    "wasm_memory64": True,
    "wasm_relaxed_simd": True,
}

_ENGINE_KEYS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def wasmtime_version() -> str:
    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return str(getattr(wasmtime, "__version__", "unknown"))


def engine_fingerprint() -> str:
    """Identifies compiled code compatible with `make_engine()` on this machine."""
    settings = json.dumps(ENGINE_FEATURES, sort_keys=True).encode()
    digest = hashlib.sha256(settings).hexdigest()[:12]
    return f"wasmtime-{wasmtime_version()}-{platform.machine()}-{digest}"


def make_engine() -> Engine:
    """An engine with the proposals `ENGINE_FEATURES` enabled."""
    config = Config()
    for name, value in ENGINE_FEATURES.items():
        setattr(config, name, value)
    engine = Engine(config)
    with contextlib.suppress(TypeError):
        _ENGINE_KEYS[engine] = engine_fingerprint()
    return engine


def one_line(error: BaseException | str) -> str:
    """wasmtime's message on one line: its headline and root cause, without backtraces
    (`toolchain.failure_reason`); the exception's type name if it says nothing."""
    text = failure_reason(str(error), prefix=None)
    if text or isinstance(error, str):
        return text
    return type(error).__name__


@dataclass(slots=True)
class ComponentCache:
    """Compiled components on disk, keyed by content hash and engine fingerprint."""

    root: Path = field(default_factory=lambda: cache_dir() / "compiled")
    enabled: bool = True
    last_hit: bool | None = None   # whether the latest `load` was served from disk

    def path_for(self, data: bytes, engine: Engine | None = None) -> Path:
        fingerprint = engine_fingerprint() if engine is None else _ENGINE_KEYS.get(engine, "custom")
        digest = hashlib.sha256(data).hexdigest()
        return self.root / fingerprint / f"{digest}.cwasm"

    def load(self, engine: Engine, data: bytes, *, what: str = "component") -> Component:
        """The compiled component for `data`, from the cache when possible."""
        path = self.path_for(data, engine) if self.enabled else None
        if path is not None and path.is_file():
            try:
                component = Component.deserialize_file(engine, str(path))
                self.last_hit = True
                return component
            except WasmtimeError:
                pass  # stale or foreign entry: recompile and overwrite it below
        component = compile_component(engine, data, what=what)
        self.last_hit = False
        if path is not None:
            self._store(path, component)
        return component

    @staticmethod
    def _store(path: Path, component: Component) -> None:
        """Best effort: an unwritable cache only costs the next run a compile."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, component.serialize())
        except (OSError, WasivirtError, WasmtimeError):
            pass


def compile_component(engine: Engine, data: bytes, *, what: str = "component") -> Component:
    """Compile (and so validate) a component; rejection is a one-line ValidationError."""
    try:
        return Component(engine, data)
    except WasmtimeError as exc:
        raise ValidationError(f"{what}: wasmtime rejected this component: {one_line(exc)}") from None


def load_component(engine: Engine, data: bytes, *, what: str = "component",
                   cache: ComponentCache | None = None, use_cache: bool = True) -> Component:
    """Compile `data` for `engine`, through the on-disk cache unless `use_cache` is False."""
    if not use_cache:
        return compile_component(engine, data, what=what)
    return (cache or ComponentCache()).load(engine, data, what=what)
