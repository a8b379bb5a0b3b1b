"""Core wasip1 module -> component, with the preview1 adapter shipped in jco.

`jco new core.wasm --wasi-command|--wasi-reactor` wraps the module with the adapter that
implements `wasi_snapshot_preview1` on top of WASI 0.2. We decide beforehand what the
adapter cannot do, so the user gets our reason instead of a wasm-tools stack trace:
wasip1-threads modules (the component model has no shared-memory threads), imports
from modules no adapter provides, and `--command` on a module without `_start`.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import toolchain
from .binary.component_externs import read_component_externs
from .binary.module import PREVIEW1, ModuleInfo, read_module
from .binary.sections import WasmKind, detect_kind
from .errors import AdaptError, JcoFailed, WasivirtError
from .fsutil import atomic_write_bytes, read_input
from .paths import cache_dir

Kind = Literal["command", "reactor"]
KINDS: tuple[Kind, ...] = ("command", "reactor")


@dataclass(frozen=True, slots=True)
class AdaptResult:
    """What `adapt` produced and why; `kind` is None when the input already was a component."""

    data: bytes
    kind: Kind | None
    detected: bool          # kind came from the module's exports, not from an override
    already_component: bool
    unexported: tuple[str, ...] = ()   # module functions the component does not export


def _thread_reasons(info: ModuleInfo) -> list[str]:
    reasons = []
    if info.imports_thread_spawn:
        reasons.append("imports wasi/thread-spawn")
    if info.shared_memory:
        reasons.append("has a shared memory")
    return reasons


def _foreign_imports(info: ModuleInfo) -> list[str]:
    """Imports the preview1 adapter cannot satisfy.

    Modules produced by wit-bindgen import component interfaces and describe them in a
    `component-type` custom section; jco handles those, so we only reject imports when
    no such section exists.
    """
    if any(name.startswith("component-type") for name in info.custom_sections):
        return []
    return [f"{i.module}::{i.name}" for i in info.imports
            if i.module != PREVIEW1 and not (i.module == "wasi" and i.name == "thread-spawn")]


_ABI_EXPORTS = {"_start", "_initialize"}


def unexported_functions(info: ModuleInfo) -> tuple[str, ...]:
    """Function exports that will not survive adaptation.

    Without a `component-type` section (written by wit-bindgen) no WIT world describes
    the module's own exports, so the component exports only what the adapter's world
    has (`wasi:cli/run` for a command, nothing for a reactor); `add` and friends vanish.
    """
    if any(name.startswith("component-type") for name in info.custom_sections):
        return ()
    return tuple(e.name for e in info.exports if e.kind == "func" and e.name not in _ABI_EXPORTS
                 and not e.name.startswith(("cabi_", "__")))


def choose_kind(info: ModuleInfo, kind: str | None, what: str) -> tuple[Kind, bool]:
    """The adapter to use and whether it was detected (True) or forced (False)."""
    if kind is None:
        return ("command" if info.is_command else "reactor"), True
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, not {kind!r}")
    if kind == "command" and not info.is_command:
        raise AdaptError(f"{what}: --command needs a `_start` export, which this module lacks; "
                         "drop --command to adapt it as a reactor (library)")
    return kind, False


def check_adaptable(info: ModuleInfo, what: str) -> None:
    """Reject what no preview1 adapter can turn into a component, with the reason."""
    threads = _thread_reasons(info)
    if threads:
        raise AdaptError(
            f"{what}: is a wasip1-threads module ({' and '.join(threads)}); the component "
            "model has no shared-memory threads, so this module cannot become a component "
            "-- rebuild it for wasm32-wasip1 without threads")
    foreign = _foreign_imports(info)
    if any(name.startswith("wasi_unstable::") for name in foreign):
        raise AdaptError(f"{what}: targets the legacy wasi_unstable ABI (WASI preview 0), which "
                         "no adapter supports; rebuild it for wasm32-wasip1")
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise AdaptError(
            f"{what}: imports {shown}, which no WASI adapter provides; only "
            f"{PREVIEW1} imports can be adapted (was it built for a different host?)")


def _adapted(module: bytes, kind: Kind, what: str) -> bytes:
    """The adapted component, from the cache when this module was adapted before.

    jco new costs a node start (~1 s) and is deterministic, so its output is kept under
    the cache root keyed by the module, the adapter and the kind.
    """
    adapter = toolchain.adapter_path(kind).read_bytes()
    key = hashlib.sha256(b"\0".join([b"adapt-v1", kind.encode(), adapter, module])).hexdigest()
    path = cache_dir() / "adapted" / f"{key}.wasm"
    if path.is_file():
        return path.read_bytes()
    data = _run_jco_new(module, kind, what)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    except (OSError, WasivirtError):
        pass  # an unwritable cache only costs the next adapt a jco run
    return data


def _run_jco_new(module: bytes, kind: Kind, what: str) -> bytes:
    """jco new in a private temp dir, so its output (complete or not) never leaks."""
    with tempfile.TemporaryDirectory(prefix="wasivirt-adapt-") as tmp:
        src = Path(tmp) / "core.wasm"
        out = Path(tmp) / "component.wasm"
        src.write_bytes(module)
        try:
            toolchain.run_jco(["new", str(src), f"--wasi-{kind}", "-o", str(out)])
        except JcoFailed as exc:
            raise AdaptError(f"{what}: the preview1 {kind} adapter rejected this module: "
                             f"{exc.detail}") from None
        if not out.is_file() or out.stat().st_size == 0:
            raise AdaptError(f"{what}: jco new reported success but wrote no component")
        return out.read_bytes()


def adapt(data: bytes, kind: str | None = None, *, what: str = "module") -> AdaptResult:
    """Adapt a core module (or pass a component through); the library entry point."""
    if detect_kind(data, what) is WasmKind.COMPONENT:
        read_component_externs(data, what)  # walks every top-level section: catches truncation
        return AdaptResult(bytes(data), None, False, True)
    info = read_module(data, what)
    check_adaptable(info, what)
    chosen, detected = choose_kind(info, kind, what)
    return AdaptResult(_adapted(bytes(data), chosen, what), chosen, detected, False,
                       unexported_functions(info))


def adapt_module(data: bytes, kind: str | None = None, *, what: str = "module") -> bytes:
    """Component bytes for `data`: adapted if it is a core module, unchanged if a component.

    `kind` is "command", "reactor" or None (detect: exports `_start` -> command).
    Raises `AdaptError` / `BinaryFormatError` / `ToolchainError`, all one-line.
    """
    return adapt(data, kind, what=what).data


def adapt_file(src: str | Path, out: str | Path, kind: str | None = None) -> AdaptResult:
    """Read `src`, adapt it, write `out` atomically (nothing is written on failure)."""
    data = read_input(src, "wasm")
    result = adapt(data, kind, what=str(src))
    atomic_write_bytes(out, result.data)
    return result
