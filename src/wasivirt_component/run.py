"""Running command components in-process with wasmtime-py, wasmtime-CLI style.

`wasivirt run APP.wasm --dir HOST::GUEST --env K=V -- ARGS` instantiates APP with the
host's WASI 0.2 (`Linker.add_wasip2()`, plus outgoing `wasi:http`) and calls its
`wasi:cli/run` export. Exit codes follow the wasmtime CLI: the guest's exit code
(`ExitTrap.code`), 1 when `run` returns `err`, 134 when the guest traps (`GuestTrap`).
The engine and the compile cache are `engine.py`'s.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from wasmtime import Engine, ExitTrap, Store, WasiConfig, WasmtimeError
from wasmtime.component import Component, Linker, Variant

from . import names
from .artifact import read_mounts
from .binary.sections import WasmKind, detect_kind
from .engine import ComponentCache, load_component, make_engine, one_line
from .errors import GuestTrap, NotAComponentError, WasivirtError
from .fsutil import read_input

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
    if name == names.RUN_INTERFACE:
        return True
    base, version = names.split_name(name)
    return base == names.RUN_INTERFACE and version is not None and (version.major, version.minor) == (0, 2)


@contextlib.contextmanager
def _default_sigint(enabled: bool) -> Iterator[None]:
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
    from .compose import STUB_MODULE_NAME

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
        raise NotAComponentError(what, then="run app.wasm")
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
