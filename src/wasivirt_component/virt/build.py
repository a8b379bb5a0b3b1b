"""Building the virtualizer component from its C sources, once, and caching it.

Steps (about a second): write the WIT directory (`wit_gen.py`, from jco's WASI WIT),
resolve it with `wasm-tools component wit --json`, generate the canonical-ABI glue from it
(`glue/`), compile and link `c/*.c` plus the glue with zig's clang for
`wasm32-freestanding` (no libc, no WASI imports of its own), then wrap the core module with
wit-component (`wasm-tools component embed` + `component new`). The result imports only the
`wasivirt-host:*` functions the C code calls and exports the world's `wasi:*` interfaces.

It is cached under `<cache>/virtualizer/`, keyed by a hash of everything that shapes it:
the C sources, the generated glue, the WIT, the tool versions and the flags. Builds take a
file lock and write atomically, so concurrent processes never see half a component. The
per-spec image is added afterwards (`splice.py`), without a compiler.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .. import toolchain
from ..errors import ToolchainError
from ..fsutil import atomic_path
from ..paths import cache_dir
from .glue import generate, load_world
from .names import WORLD, WORLD_PACKAGE
from .wit_gen import wit_files, write_wit_dir

C_DIR = Path(__file__).resolve().parent / "c"
KEY_VERSION = b"wasivirt-virtualizer-c-v1"
BUILD_TIMEOUT = 300.0
KEEP_BUILDS = 4  # older cached virtualizers (other versions of the sources) are removed
STACK_SIZE = 64 * 1024
CFLAGS = ["-target", "wasm32-freestanding", "-O2", "-mbulk-memory", "-std=c11", "-Wall",
          "-Wextra", "-Wno-unused-parameter", "-Werror"]
LDFLAGS = ["-nostdlib", "-Wl,--no-entry", "-Wl,--export=__heap_base",
           f"-Wl,-z,stack-size={STACK_SIZE}", "-s"]

# What a caller may show while a build runs (the CLI passes a spinner); None = silent.
Progress = Callable[[str], contextlib.AbstractContextManager[None]] | None


def c_sources() -> dict[str, bytes]:
    """The runtime's C files (name -> bytes), exactly what goes into the build."""
    files = {p.name: p.read_bytes() for p in sorted(C_DIR.iterdir()) if p.suffix in (".c", ".h")}
    if "wv.h" not in files:
        raise ToolchainError(f"the virtualizer sources are incomplete: {C_DIR}/wv.h is missing "
                             "(reinstall wasivirt)")
    return files


def resolve_wit(wit: dict[str, str]) -> dict[str, Any]:
    """The resolved WIT (wasm-tools' JSON) of the generated WIT directory."""
    with tempfile.TemporaryDirectory(prefix="wasivirt-wit-") as tmp:
        write_wit_dir(Path(tmp), wit)
        proc = toolchain.run_tool([toolchain.wasm_tools(), "component", "wit", "--json", tmp],
                                  what="resolving the virtualizer's WIT")
    try:
        resolved: dict[str, Any] = json.loads(proc.stdout)
        return resolved
    except ValueError as exc:
        raise ToolchainError(f"resolving the virtualizer's WIT: wasm-tools printed no JSON ({exc})") from None


def generated_glue(wit: dict[str, str], world: str = WORLD, package: str | None = WORLD_PACKAGE) -> tuple[str, str]:
    """(glue.h, glue.c) for `world` of the WIT directory `wit` (default: the virtualizer)."""
    glue = generate(load_world(resolve_wit(wit), world, package))
    return glue.header, glue.source


GENERATOR_SOURCES = [Path(__file__).resolve().parent / "glue" / n for n in ("cgen.py", "model.py")] + [
    Path(__file__).resolve().parent.parent / "compose" / "abi.py"]


def cache_key(wit: dict[str, str], sources: dict[str, bytes]) -> str:
    """Hex digest identifying a build: same key, same component. The glue generator's own
    sources stand in for its output, so a cache hit needs no WIT resolution."""
    h = hashlib.sha256(KEY_VERSION)

    def add(label: str, data: bytes) -> None:
        h.update(f"\0{label}\0{len(data)}\0".encode())
        h.update(data)

    add("zig", toolchain.zig_version().encode())
    add("wasm-tools", toolchain.wasm_tools_version().encode())
    add("flags", "\0".join(CFLAGS + LDFLAGS).encode())
    for rel in sorted(wit):
        add("wit:" + rel, wit[rel].encode())
    for name in sorted(sources):
        add("src:" + name, sources[name])
    for path in GENERATOR_SOURCES:
        add("generator:" + path.name, path.read_bytes())
    return h.hexdigest()


def virtualizer_cache_dir() -> Path:
    """Where built virtualizers live: `<wasivirt cache>/virtualizer`."""
    return cache_dir() / "virtualizer"


def virtualizer_path(*, progress: Progress = None) -> Path:
    """Path of the built virtualizer component, building it first if the cache lacks it."""
    wit = wit_files()
    sources = c_sources()
    key = cache_key(wit, sources)
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
            with progress("Building the virtualizer (once, ~2 s)...") if progress else contextlib.nullcontext():
                _build(target, wit, sources)
            _prune(root, keep=KEEP_BUILDS)
    return target


def virtualizer_component(*, progress: Progress = None) -> bytes:
    """The virtualizer component's bytes (built on first use, then from the cache)."""
    return virtualizer_path(progress=progress).read_bytes()


def _build(target: Path, wit: dict[str, str], sources: dict[str, bytes]) -> None:
    compile_component(wit, WORLD, WORLD_PACKAGE, sources, target)


def compile_component(wit: dict[str, str], world: str, package: str | None, sources: dict[str, bytes],
                      target: Path) -> None:
    """Generate the glue for `world`, compile `sources` (+ glue.c) freestanding, wrap the
    core module with wit-component; `target` is written atomically. Failures are one-line
    ToolchainErrors naming the step."""
    glue = generated_glue(wit, world, package)
    with tempfile.TemporaryDirectory(prefix="wasivirt-virt-") as tmp:
        work = Path(tmp)
        wit_dir = write_wit_dir(work / "wit", wit)
        src = work / "src"
        src.mkdir()
        for name, data in sources.items():
            (src / name).write_bytes(data)
        (src / "glue.h").write_text(glue[0], encoding="utf-8")
        (src / "glue.c").write_text(glue[1], encoding="utf-8")
        core = work / "core.wasm"
        c_files = sorted(str(src / n) for n in [*sources, "glue.c"] if n.endswith(".c"))
        toolchain.run_tool([*toolchain.zig_cc(), *CFLAGS, *LDFLAGS, *c_files, "-o", str(core)],
                           what="compiling the virtualizer", timeout=BUILD_TIMEOUT, cwd=work)
        embedded = work / "embedded.wasm"
        tools = toolchain.wasm_tools()
        toolchain.run_tool([tools, "component", "embed", str(wit_dir), "--world", world, str(core),
                            "-o", str(embedded)], what="embedding the virtualizer's WIT")
        with atomic_path(target) as out:
            toolchain.run_tool([tools, "component", "new", str(embedded), "-o", str(out)],
                               what="wrapping the virtualizer into a component")


def _prune(root: Path, keep: int) -> None:
    """Remove all but the `keep` most recently built virtualizers."""
    built = sorted(root.glob("virtualizer-*.wasm"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in built[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()


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
