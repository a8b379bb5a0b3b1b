"""Building the virtualizer component once, with componentize-py, and caching it.

The runtime (`virt/runtime/*.py`) is compiled against a generated WIT directory
(`wit_gen.py`) with `componentize --stub-wasi`, so the result imports only the image
interface and `wasivirt-host:*`, and exports the world's `wasi:*` interfaces. The output
then gets a working resource destructor (`dtor_patch.py`; componentize-py's leaks). A build
takes 10-20 s and ~400 MB, so the output is cached under the user cache dir, keyed by a
hash of everything that determines it: runtime sources, generated WIT, componentize-py
version, build flags and the destructor patch's source. Concurrent builds serialise on a
file lock; the cache entry is written atomically, so a reader never sees half a component.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .. import toolchain
from ..errors import BinaryFormatError, ToolchainError
from ..fsutil import atomic_path
from .dtor_patch import patch_resource_destructor
from .names import APP_MODULE, WORLD, interface_name_flags
from .wit_gen import wit_files, write_wit_dir

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
KEY_VERSION = b"wasivirt-virtualizer-build-v2"  # v2: resource destructor patch (dtor_patch.py)
PATCH_SOURCE = Path(__file__).resolve().parent / "dtor_patch.py"  # part of the key: it shapes the output
BUILD_TIMEOUT = 900.0
KEEP_BUILDS = 4  # older cached virtualizers (other versions of the runtime) are removed
# Variables that would make componentize-py bundle or pick up another Python environment.
_ENV_DROP = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")


def runtime_sources() -> dict[str, bytes]:
    """The runtime's Python files (name -> bytes), exactly what goes into the component."""
    files = {path.name: path.read_bytes() for path in sorted(RUNTIME_DIR.glob("*.py"))}
    if APP_MODULE + ".py" not in files:
        raise ToolchainError(f"the virtualizer runtime is incomplete: {RUNTIME_DIR}/{APP_MODULE}.py "
                             "is missing (reinstall wasivirt)")
    return files


def componentize_version() -> str:
    """componentize-py's version: from the installed distribution, else its --version."""
    version = toolchain.python_package_version("componentize-py")
    if version:
        return version
    proc = subprocess.run([toolchain.find_componentize_py(), "--version"], capture_output=True,
                          text=True, timeout=60)
    return proc.stdout.strip() or "unknown"


def global_flags(wit_dir: str) -> list[str]:
    """componentize-py options before the subcommand."""
    return ["-d", wit_dir, "-w", WORLD, *interface_name_flags()]


def componentize_flags(python_path: str, output: str) -> list[str]:
    """The `componentize` subcommand and its options."""
    return ["componentize", "--stub-wasi", "-p", python_path, APP_MODULE, "-o", output]


def cache_key(wit: dict[str, str], sources: dict[str, bytes], version: str) -> str:
    """Hex digest identifying a build: same key, same component."""
    h = hashlib.sha256(KEY_VERSION)

    def add(label: str, data: bytes) -> None:
        h.update(f"\0{label}\0{len(data)}\0".encode())
        h.update(data)

    add("componentize-py", version.encode())
    add("flags", "\0".join(global_flags("WIT") + componentize_flags("RUNTIME", "OUT")).encode())
    add("patch", PATCH_SOURCE.read_bytes())
    for rel in sorted(wit):
        add("wit:" + rel, wit[rel].encode())
    for name in sorted(sources):
        add("src:" + name, sources[name])
    return h.hexdigest()


def virtualizer_cache_dir() -> Path:
    """Where built virtualizers live: `<wasivirt cache>/virtualizer`."""
    from ..run import cache_dir  # run.py owns the cache root (WASIVIRT_CACHE_DIR, XDG...)
    return cache_dir() / "virtualizer"


def virtualizer_path(*, quiet: bool = False) -> Path:
    """Path of the built virtualizer component, building it first if the cache lacks it."""
    wit = wit_files()
    sources = runtime_sources()
    key = cache_key(wit, sources, componentize_version())
    root = virtualizer_cache_dir()
    target = root / f"virtualizer-{key[:32]}.wasm"
    if target.is_file():
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolchainError(f"cannot create the cache directory {root} ({exc.strerror}); "
                             "set WASIVIRT_CACHE_DIR to a writable directory") from None
    with _locked(root / ".build.lock"):
        if not target.is_file():  # another process may have built it while we waited
            with _progress(quiet):
                _build(target, wit, sources, log=root / "last-build.log")
            _prune(root, keep=KEEP_BUILDS)
    return target


def virtualizer_component(*, quiet: bool = False) -> bytes:
    """The virtualizer component's bytes (built on first use, then from the cache)."""
    return virtualizer_path(quiet=quiet).read_bytes()


def _build(target: Path, wit: dict[str, str], sources: dict[str, bytes], *, log: Path) -> None:
    """Run componentize-py into `target` atomically; failures become ToolchainError."""
    exe = toolchain.find_componentize_py()
    with tempfile.TemporaryDirectory(prefix="wasivirt-virt-") as tmp:
        work = Path(tmp)
        wit_dir = work / "wit"
        wit_dir.mkdir()
        write_wit_dir(wit_dir, wit)
        src_dir = work / "runtime"
        src_dir.mkdir()
        for name, data in sources.items():
            (src_dir / name).write_bytes(data)
        env = {k: v for k, v in os.environ.items() if k not in _ENV_DROP}
        with atomic_path(target) as out:
            cmd = [exe, *global_flags(str(wit_dir)), *componentize_flags(str(src_dir), str(out))]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work,
                                      timeout=BUILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise ToolchainError(f"componentize-py took over {BUILD_TIMEOUT:.0f} s building the "
                                     "virtualizer; giving up") from None
            if proc.returncode != 0 or out.stat().st_size == 0:
                with contextlib.suppress(OSError):
                    log.write_text(f"$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}", encoding="utf-8")
                raise ToolchainError(f"componentize-py failed to build the virtualizer: "
                                     f"{failure_summary(proc.stderr, proc.returncode)} (full log: {log})")
            try:
                out.write_bytes(patch_resource_destructor(out.read_bytes()))
            except BinaryFormatError as exc:
                raise ToolchainError(f"componentize-py wrote an unreadable virtualizer ({exc}); "
                                     "reinstall wasivirt to get the componentize-py it supports") from None


def _prune(root: Path, keep: int) -> None:
    """Remove all but the `keep` most recently built virtualizers (18 MB each)."""
    built = sorted(root.glob("virtualizer-*.wasm"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in built[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()


def failure_summary(stderr: str, returncode: int) -> str:
    """The informative line of a componentize-py failure (its Python error, not the backtrace)."""
    text = stderr.split("Stack backtrace:", 1)[0]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if "Caused by:" in lines:
        after = lines[lines.index("Caused by:") + 1:]
        if after:
            return after[0]
    return lines[-1] if lines else f"exit code {returncode}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path`, held for the block (POSIX; no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: builds may race, writes stay atomic
        yield
        return
    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[None]:
    """A spinner on stderr while componentize-py runs; silent when quiet or not a TTY."""
    if quiet:
        yield
        return
    from rich.console import Console
    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status("Building the virtualizer runtime with componentize-py (once, ~15 s)..."):
        yield
