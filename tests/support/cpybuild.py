"""Build Python components with componentize-py during the tests, cached by content hash.

Each build takes ~10 s and ~400 MB, so results are kept in tests/.cache keyed by the
WIT, the app sources, the flags and the componentize-py version. A file lock keeps
parallel test workers from building the same component twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from support.cbuild import CACHE
from wasivirt_component import toolchain


def find_componentize_py() -> str:
    """componentize-py next to our interpreter (a test dependency), or on PATH."""
    beside = Path(sys.executable).parent / "componentize-py"
    found = str(beside) if beside.is_file() else shutil.which("componentize-py")
    if not found:
        raise RuntimeError("componentize-py is not installed; `make setup` installs the test extras")
    return found


def wasi_deps() -> dict[str, Path]:
    """The WASI 0.2.12 WIT packages shipped with jco, by directory name."""
    root = toolchain.wasi_wit_dir()
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir()}


def build_python_component(name: str, world_wit: str, app: dict[str, str], world: str,
                           *, stub_wasi: bool = False, extra_wit: dict[str, str] | None = None,
                           with_wasi_deps: bool = True) -> Path:
    """A component built from `world_wit` (+ the WASI deps) and the `app` modules.

    `app` maps module file names to sources; the module `app.py` is the entry point.
    `extra_wit` adds more packages under wit/deps/<dir>/<file>.
    """
    version = metadata.version("componentize-py")
    key = hashlib.sha256()
    for part in (b"cpy-v1", version.encode(), world_wit.encode(), world.encode(),
                 str(stub_wasi).encode(), str(with_wasi_deps).encode()):
        key.update(part + b"\0")
    for fname, text in sorted({**app, **(extra_wit or {})}.items()):
        key.update(fname.encode() + b"\0" + text.encode() + b"\0")
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"{key.hexdigest()[:24]}-{name}.wasm"
    if out.exists():
        return out
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if out.exists():
            return out
        with tempfile.TemporaryDirectory(prefix=f"cpy-{name}-") as tmp:
            work = Path(tmp)
            wit = work / "wit"
            (wit / "deps").mkdir(parents=True)
            (wit / "world.wit").write_text(world_wit)
            if with_wasi_deps:
                for dirname, src in wasi_deps().items():
                    shutil.copytree(src, wit / "deps" / dirname)
            for rel, text in (extra_wit or {}).items():
                target = wit / "deps" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            for fname, text in app.items():
                (work / fname).write_text(text)
            tmp_out = work / "out.wasm"
            cmd = [find_componentize_py(), "-q", "-d", str(wit), "-w", world,
                   "componentize", *(["--stub-wasi"] if stub_wasi else []), "app",
                   "-p", str(work), "-o", str(tmp_out)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
            if proc.returncode != 0:
                raise RuntimeError(f"componentize-py failed for {name}:\n{proc.stdout}\n{proc.stderr}")
            shutil.copyfile(tmp_out, out.with_suffix(".tmp"))
            os.replace(out.with_suffix(".tmp"), out)
    return out
