"""Running command components in-process with wasmtime-py, wasmtime-CLI style.

`wasivirt run APP.wasm --dir HOST::GUEST --env K=V -- ARGS` instantiates APP with the
host's WASI 0.2 (`Linker.add_wasip2()`, plus outgoing `wasi:http`) and calls its
`wasi:cli/run` export. Exit codes follow the wasmtime CLI: the guest's exit code
(`ExitTrap.code`), 1 when `run` returns `err`, 134 when the guest traps.

Compiling a large component takes seconds, so compiled code is cached by content hash
(+ wasmtime version + engine settings) with `Component.serialize`; the next load
deserializes (memory-maps) it in milliseconds. The cache lives in `$WASIVIRT_CACHE_DIR`,
else `$XDG_CACHE_HOME/wasivirt`, else `~/.cache/wasivirt`. Like wasmtime's own cache it
trusts files in that directory: it is the user's, never shared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import signal
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import wasmtime
from wasmtime import Config, Engine, ExitTrap, Store, WasiConfig, WasmtimeError
from wasmtime.component import Component, Linker, Variant

from . import names
from .artifact import read_mounts
from .binary.sections import WasmKind, detect_kind
from .errors import ValidationError, WasivirtError
from .fsutil import atomic_write_bytes, read_input
from .paths import cache_dir

TRAP_EXIT_CODE = 134  # what the wasmtime CLI exits with on a trap (128 + SIGABRT)
RUN_INTERFACE = "wasi:cli/run"

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

_ENGINE_KEYS: "weakref.WeakKeyDictionary[Engine, str]" = weakref.WeakKeyDictionary()


class GuestTrap(WasivirtError):
    """The guest trapped (unreachable, out-of-bounds, stack exhausted, ...)."""

    exit_code = TRAP_EXIT_CODE

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details  # wasmtime's full text, with the wasm backtrace


# -- engine and compile cache ------------------------------------------------------------

def wasmtime_version() -> str:
    from importlib import metadata
    try:
        return metadata.version("wasmtime")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return getattr(wasmtime, "__version__", "unknown")


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
    """wasmtime's message on one line: its headline and root cause, without backtraces.

    wasmtime formats errors as a headline, optional backtrace, then `Caused by:` and
    numbered causes. A headline ending in `:` only introduces a backtrace and is dropped.
    """
    lines = [ln.strip() for ln in str(error).splitlines()]
    headline = next((ln for ln in lines if ln), "")
    if headline.endswith(":") and headline != "Caused by:":
        headline = ""
    cause = ""
    if "Caused by:" in lines:
        causes = [ln for ln in lines[lines.index("Caused by:") + 1:] if ln]
        cause = re.sub(r"^\d+:\s*", "", causes[-1]) if causes else ""
        if headline == "Caused by:":
            headline = ""
    text = f"{headline}: {cause}" if headline and cause else headline or cause
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


# -- options -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Preopen:
    """A host directory the guest sees at `guest`."""

    host: str
    guest: str
    read_only: bool = False


def parse_dir(spec: str) -> Preopen:
    """wasmtime's `--dir HOST::GUEST` (or `--dir DIR`, meaning DIR::DIR)."""
    host, sep, guest = spec.partition("::")
    if not sep:
        guest = host
    if not host or not guest:
        raise WasivirtError(f"--dir {spec}: expected HOST::GUEST or DIR")
    if not os.path.isdir(host):
        raise WasivirtError(f"--dir {spec}: host directory {host} does not exist")
    return Preopen(host, guest)


def parse_env(spec: str, environ: dict[str, str] | os._Environ[str] | None = None) -> tuple[str, str]:
    """wasmtime's `--env NAME=VALUE`, or `--env NAME` to pass the host's value through."""
    name, sep, value = spec.partition("=")
    if not name:
        raise WasivirtError(f"--env {spec}: expected NAME=VALUE or NAME")
    if not sep:
        source = os.environ if environ is None else environ
        if name not in source:
            raise WasivirtError(f"--env {spec}: {name} is not set here; write --env {name}=VALUE")
        value = source[name]
    return name, value


@dataclass(slots=True)
class RunOptions:
    """What the guest sees. Streams default to inheriting ours; a path redirects one."""

    args: Sequence[str] = ()
    argv0: str | None = None       # default: "main" (run_file: the file's name)
    env: Sequence[tuple[str, str]] = ()
    dirs: Sequence[Preopen] = ()
    stdin: str | os.PathLike[str] | None = None
    stdout: str | os.PathLike[str] | None = None
    stderr: str | os.PathLike[str] | None = None


def _wasi_config(options: RunOptions) -> WasiConfig:
    wasi = WasiConfig()
    wasi.argv = [options.argv0 or "main", *options.args]
    wasi.env = [list(pair) for pair in options.env]
    for pre in options.dirs:
        try:
            wasi.preopen_dir(pre.host, pre.guest, not pre.read_only)
        except WasmtimeError as exc:
            raise WasivirtError(f"--dir {pre.host}::{pre.guest}: cannot preopen ({one_line(exc)})") from None
    for stream, path in (("stdin", options.stdin), ("stdout", options.stdout),
                         ("stderr", options.stderr)):
        try:
            if path is None:
                getattr(wasi, f"inherit_{stream}")()
            else:
                setattr(wasi, f"{stream}_file", os.fspath(path))
        except WasmtimeError as exc:
            raise WasivirtError(f"{stream} {path}: cannot open ({one_line(exc)})") from None
    return wasi


# -- running -----------------------------------------------------------------------------

def find_run_export(engine: Engine, component: Component, what: str = "component") -> str:
    """The name of the component's `wasi:cli/run@0.2.x` export (the highest if several)."""
    exported = list(component.type.exports(engine))
    runs = [n for n in exported if is_run_export(n)]
    if not runs:
        shown = ", ".join(exported) if exported else "nothing"
        raise WasivirtError(f"{what}: is not a command component (it exports {shown}, not "
                            "wasi:cli/run@0.2.x); only command components can be run")
    return names.highest(runs)


def is_run_export(name: str) -> bool:
    """`wasi:cli/run`, unversioned or at any 0.2.x (pre-releases included)."""
    if name == RUN_INTERFACE:
        return True
    base, version = names.split_name(name)
    return base == RUN_INTERFACE and version is not None and (version.major, version.minor) == (0, 2)


@contextlib.contextmanager
def _default_sigint(enabled: bool):
    """Let Ctrl-C kill the process while wasm runs.

    Python's SIGINT handler only sets a flag that is checked between bytecodes, and the
    guest runs inside one long native call: a looping guest could not be interrupted.
    With the default disposition the process dies at once, as under the wasmtime CLI.
    """
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_component(engine: Engine, component: Component, options: RunOptions | None = None,
                  *, what: str = "component", interruptible: bool = False) -> int:
    """Instantiate and call `wasi:cli/run`; returns the guest's exit code.

    Raises `GuestTrap` if the guest traps and `WasivirtError` if it cannot be
    instantiated (e.g. it imports something the host does not provide). With
    `interruptible` (the CLI), Ctrl-C kills the process while the guest runs.
    """
    options = options or RunOptions()
    run_name = find_run_export(engine, component, what)
    linker = Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    store = Store(engine)
    store.set_wasi(_wasi_config(options))
    store.set_wasi_http()
    with _default_sigint(interruptible):
        try:
            instance = linker.instantiate(store, component)
        except ExitTrap as exc:
            return exc.code
        except WasmtimeError as exc:
            raise WasivirtError(f"{what}: cannot instantiate: {one_line(exc)}") from None
        interface = instance.get_export_index(store, run_name)
        func_index = instance.get_export_index(store, "run", interface) if interface else None
        func = instance.get_func(store, func_index) if func_index else None
        if func is None:
            raise WasivirtError(f"{what}: {run_name} has no `run` function")
        try:
            result = func(store)
            func.post_return(store)
        except ExitTrap as exc:
            return exc.code
        except WasmtimeError as exc:
            raise GuestTrap(f"{what}: trapped: {trap_reason(exc)}", str(exc)) from None
    if isinstance(result, Variant) and result.tag == "err":
        return 1
    return 0


def trap_reason(exc: WasmtimeError) -> str:
    """Why the guest trapped, for one line: a call into a trapping stub (an import wasivirt
    stubs out, named by the stub's name section) is said as such; else wasmtime's reason."""
    from .compose.stub import STUB_MODULE_NAME

    text = str(exc)
    frame = re.search(r"^\s*0: .*?" + re.escape(STUB_MODULE_NAME) + r"!(\S+)", text, re.MULTILINE)
    if frame:
        return f"it called `{frame[1]}`, which this composition stubs out (every call traps)"
    return re.sub(r"^wasm trap:\s*", "", one_line(exc))


def run_bytes(data: bytes, options: RunOptions | None = None, *, what: str = "component",
              engine: Engine | None = None, cache: ComponentCache | None = None,
              use_cache: bool = True, interruptible: bool = False) -> int:
    """Check, compile (cached) and run component bytes; returns the exit code."""
    if detect_kind(data, what) is WasmKind.MODULE:
        raise WasivirtError(f"{what}: is a core wasm module, not a component; run "
                            f"`wasivirt adapt {what} -o app.wasm` first, then run app.wasm")
    check_mounts(data, options or RunOptions(), what)
    engine = engine or make_engine()
    component = load_component(engine, data, what=what, cache=cache, use_cache=use_cache)
    return run_component(engine, component, options, what=what, interruptible=interruptible)


def check_mounts(data: bytes, options: RunOptions, what: str) -> None:
    """Refuse to start a composed app whose host mounts lack their preopen (`--dir`)."""
    given = {pre.guest for pre in options.dirs}
    missing: dict[str, list[str]] = {}
    for mount in read_mounts(data, what):
        if mount.host not in given:
            missing.setdefault(mount.host, []).append(mount.guest)
    if missing:
        what_needs = "; ".join(f"{'mounts' if len(g) > 1 else 'mount'} {', '.join(g)} need{'' if len(g) > 1 else 's'} "
                               f"the host directory named {host!r}" for host, g in missing.items())
        flags = " ".join(f"--dir HOST_DIR::{host}" for host in missing)
        raise WasivirtError(f"{what}: its {what_needs}, which was not given; add {flags}")


def run_file(path: str | os.PathLike[str], options: RunOptions | None = None, *,
             use_cache: bool = True, interruptible: bool = False, what: str | None = None) -> int:
    """`wasivirt run PATH`: argv[0] defaults to the file name, like the wasmtime CLI.

    `what` names the component in messages (default: the path; a pulled component is
    named by its registry reference, not its cache file)."""
    options = options or RunOptions()
    if options.argv0 is None:
        options.argv0 = Path(path).name
    return run_bytes(read_input(path, "component"), options, what=what or str(path),
                     use_cache=use_cache, interruptible=interruptible)
