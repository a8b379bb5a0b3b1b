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

The fused variant (`fused_core_path`, `fused_core_module`) is the same runtime with the
lowered glue (`glue/lowered.py`) instead of the lifted exports: a core module, not a
component, that imports its memory (`names.FUSED_MEMORY_IMPORT`; the image lives in the
module that defines it, `splice.image_memory_module`) and the bridge's functions
(`bridge.py`), and exports `fused:IFACE#NAME` for every function of the world's exports.
The runtime's fused support (`c/fused.c`, `c/handles.c`) is compiled into both; the
component's linker drops it, as nothing there calls it.
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
from .glue import generate, generate_lowered, load_world
from .glue.lowered import Forward
from .names import HOST_FILESYSTEM_WORLD, HOST_PACKAGE, WASI_VERSION, WORLD, WORLD_PACKAGE
from .wit_gen import wit_files, write_wit_dir

C_DIR = Path(__file__).resolve().parent / "c"
KEY_VERSION = b"wasivirt-virtualizer-c-v1"
BUILD_TIMEOUT = 300.0
KEEP_BUILDS = 4  # older cached virtualizers (other versions of the sources) are removed
STACK_SIZE = 64 * 1024
# -flto: the glue, the runtime and the fused call guard are separate files; link-time
# inlining of their small helpers takes 10-20 ns off every fused call.
CFLAGS = ["-target", "wasm32-freestanding", "-O2", "-flto", "-mbulk-memory", "-std=c11", "-Wall",
          "-Wextra", "-Wno-unused-parameter", "-Werror"]
LDFLAGS = ["-nostdlib", "-Wl,--no-entry", "-Wl,--export=__heap_base",
           f"-Wl,-z,stack-size={STACK_SIZE}", "-s"]
FUSED_LDFLAGS = [*LDFLAGS, "-Wl,--import-memory"]  # zig's wasm-ld: imported as env.memory

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


# Fused, host streams forward these to the host lowered with the caller's memory and realloc:
# the host reads and writes the program's buffer itself (one copy, not two; glue/lowered.py);
# so does a host directory's listing when its mount hides nothing (the entry's name).
FORWARDED = [*(Forward(f"wasi:io/streams@{WASI_VERSION}", name, f"{HOST_PACKAGE}io/streams@{WASI_VERSION}")
               for name in ("[method]input-stream.read", "[method]input-stream.blocking-read",
                            "[method]output-stream.write", "[method]output-stream.blocking-write-and-flush")),
             Forward(f"wasi:filesystem/types@{WASI_VERSION}", "[method]directory-entry-stream.read-directory-entry",
                     f"{HOST_PACKAGE}filesystem/types@{WASI_VERSION}")]


def generated_glue(wit: dict[str, str], world: str = WORLD, package: str | None = WORLD_PACKAGE, *,
                   fused: bool = False, forward: list[Forward] | None = None) -> tuple[str, str]:
    """(glue.h, glue.c) for `world` of the WIT directory `wit` (default: the virtualizer):
    the lifted exports, or with `fused` the lowered ones of every exported interface (those
    in `forward` forwarding to the host)."""
    loaded = load_world(resolve_wit(wit), world, package)
    glue = generate_lowered(loaded, forward=forward or []) if fused else generate(loaded)
    return glue.header, glue.source


_GLUE_DIR = Path(__file__).resolve().parent / "glue"
GENERATOR_SOURCES = [_GLUE_DIR / n for n in ("cgen.py", "model.py")] + [
    Path(__file__).resolve().parent.parent / "compose" / "abi.py"]
FUSED_GENERATOR_SOURCES = [*GENERATOR_SOURCES, _GLUE_DIR / "lowered.py"]


def _hasher(variant: str, wit: dict[str, str]) -> tuple[Callable[[], str], Callable[[str, bytes], None]]:
    """A key's hash started with what every build depends on (variant, wasm-tools, the WIT):
    its hex digest, and the function adding a labelled part to it."""
    h = hashlib.sha256(KEY_VERSION)

    def add(label: str, data: bytes) -> None:
        h.update(f"\0{label}\0{len(data)}\0".encode())
        h.update(data)

    add("variant", variant.encode())
    add("wasm-tools", toolchain.wasm_tools_version().encode())
    for rel in sorted(wit):
        add("wit:" + rel, wit[rel].encode())
    return h.hexdigest, add


def cache_key(wit: dict[str, str], sources: dict[str, bytes], *, fused: bool = False) -> str:
    """Hex digest identifying a build: same key, same component (or fused core module). The
    glue generator's own sources stand in for its output, so a hit needs no WIT resolution."""
    digest, add = _hasher("fused" if fused else "component", wit)
    add("zig", toolchain.zig_version().encode())
    add("flags", "\0".join(CFLAGS + (FUSED_LDFLAGS if fused else LDFLAGS)).encode())
    for name in sorted(sources):
        add("src:" + name, sources[name])
    for path in FUSED_GENERATOR_SOURCES if fused else GENERATOR_SOURCES:
        add("generator:" + path.name, path.read_bytes())
    if fused:
        add("forward", repr(FORWARDED).encode())
    return digest()


def virtualizer_cache_dir() -> Path:
    """Where built virtualizers live: `<wasivirt cache>/virtualizer`."""
    return cache_dir() / "virtualizer"


def virtualizer_path(*, progress: Progress = None) -> Path:
    """Path of the built virtualizer component, building it first if the cache lacks it."""
    wit = wit_files()
    sources = c_sources()
    return _cached("virtualizer", cache_key(wit, sources), lambda target: _build(target, wit, sources),
                   progress, "Building the virtualizer (once, ~2 s)...")


def virtualizer_component(*, progress: Progress = None) -> bytes:
    """The virtualizer component's bytes (built on first use, then from the cache)."""
    return virtualizer_path(progress=progress).read_bytes()


def fused_core_path(*, progress: Progress = None) -> Path:
    """Path of the fused virtualizer core module (see the module docstring), built first if
    the cache lacks it."""
    wit = wit_files()
    sources = c_sources()
    return _cached("fused-core", cache_key(wit, sources, fused=True),
                   lambda target: _build_fused(target, wit, sources), progress,
                   "Building the fused virtualizer (once, ~2 s)...")


def fused_core_module(*, progress: Progress = None) -> bytes:
    """The fused virtualizer core module's bytes (built on first use, then from the cache)."""
    return fused_core_path(progress=progress).read_bytes()


def host_filesystem_types_path(*, progress: Progress = None) -> Path:
    """A component importing the whole `wasi:filesystem/types` (world `host-filesystem`, a
    dummy core module by wit-component): where the fused splice reads the types of host
    functions a child's own import lacks (`fuse/widen.py`). Cached like the virtualizer."""
    wit = wit_files()
    key = _hasher(HOST_FILESYSTEM_WORLD, wit)[0]()
    return _cached(HOST_FILESYSTEM_WORLD, key, lambda target: _build_types(target, wit, HOST_FILESYSTEM_WORLD),
                   progress, "Reading the host filesystem's types (once)...")


def _build_types(target: Path, wit: dict[str, str], world: str) -> None:
    with tempfile.TemporaryDirectory(prefix="wasivirt-virt-") as tmp:
        work = Path(tmp)
        wit_dir = write_wit_dir(work / "wit", wit)
        embedded = work / "embedded.wasm"
        _wrap(wit_dir, ["--dummy"], world, embedded, target)


def _wrap(wit_dir: Path, core: list[str], world: str, embedded: Path, target: Path) -> None:
    """wit-component: embed `wit_dir`'s `world` into the core module (`core`: its path, or
    `--dummy`), then make the component `target` (written atomically)."""
    tools = toolchain.wasm_tools()
    toolchain.run_tool([tools, "component", "embed", str(wit_dir), "--world", world, *core,
                        "-o", str(embedded)], what="embedding the virtualizer's WIT")
    with atomic_path(target) as out:
        toolchain.run_tool([tools, "component", "new", str(embedded), "-o", str(out)],
                           what="wrapping the virtualizer into a component")


def _cached(prefix: str, key: str, build: Callable[[Path], None], progress: Progress, what: str) -> Path:
    """`<cache>/virtualizer/PREFIX-KEY.wasm`, made by `build(target)` under the build lock
    when missing; older builds of the same prefix are pruned."""
    root = virtualizer_cache_dir()
    target = root / f"{prefix}-{key[:32]}.wasm"
    if target.is_file():
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolchainError(f"cannot create the cache directory {root} ({exc.strerror}); "
                             "set WASIVIRT_CACHE_DIR to a writable directory") from None
    with _locked(root / ".build.lock"):
        if not target.is_file():  # another process may have built it while we waited
            with progress(what) if progress else contextlib.nullcontext():
                build(target)
            _prune(root, prefix, keep=KEEP_BUILDS)
    return target


def _build(target: Path, wit: dict[str, str], sources: dict[str, bytes]) -> None:
    compile_component(wit, WORLD, WORLD_PACKAGE, sources, target)


def _build_fused(target: Path, wit: dict[str, str], sources: dict[str, bytes]) -> None:
    compile_fused_core(wit, WORLD, WORLD_PACKAGE, sources, target, forward=FORWARDED)


def compile_component(wit: dict[str, str], world: str, package: str | None, sources: dict[str, bytes],
                      target: Path) -> None:
    """Generate the glue for `world`, compile `sources` (+ glue.c) freestanding, wrap the
    core module with wit-component; `target` is written atomically. Failures are one-line
    ToolchainErrors naming the step."""
    glue = generated_glue(wit, world, package)
    with tempfile.TemporaryDirectory(prefix="wasivirt-virt-") as tmp:
        work = Path(tmp)
        wit_dir = write_wit_dir(work / "wit", wit)
        core = work / "core.wasm"
        _compile(work, sources, glue, LDFLAGS, core)
        _wrap(wit_dir, [str(core)], world, work / "embedded.wasm", target)


def compile_fused_core(wit: dict[str, str], world: str, package: str | None, sources: dict[str, bytes],
                       target: Path, *, forward: list[Forward] | None = None) -> None:
    """Generate the lowered glue for `world` (with `forward`) and compile `sources` (+ glue.c)
    into a core module importing its memory; `target` is written atomically."""
    glue = generated_glue(wit, world, package, fused=True, forward=forward)
    with tempfile.TemporaryDirectory(prefix="wasivirt-virt-") as tmp, atomic_path(target) as out:
        _compile(Path(tmp), sources, glue, FUSED_LDFLAGS, out)


def _compile(work: Path, sources: dict[str, bytes], glue: tuple[str, str], ldflags: list[str], out: Path) -> None:
    """Compile and link `sources` plus the glue in `work` into the core module `out`."""
    src = work / "src"
    src.mkdir()
    for name, data in sources.items():
        (src / name).write_bytes(data)
    (src / "glue.h").write_text(glue[0], encoding="utf-8")
    (src / "glue.c").write_text(glue[1], encoding="utf-8")
    c_files = sorted(str(src / n) for n in [*sources, "glue.c"] if n.endswith(".c"))
    toolchain.run_tool([*toolchain.zig_cc(), *CFLAGS, *ldflags, *c_files, "-o", str(out)],
                       what="compiling the virtualizer", timeout=BUILD_TIMEOUT, cwd=work)


def _prune(root: Path, prefix: str, keep: int) -> None:
    """Remove all but the `keep` most recently built `PREFIX-*.wasm`."""
    built = sorted(root.glob(f"{prefix}-*.wasm"), key=lambda p: p.stat().st_mtime, reverse=True)
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
