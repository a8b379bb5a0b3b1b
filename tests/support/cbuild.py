"""Compile C test programs to wasm32-wasip1 with ziglang, cached by source hash.

Fixtures are built from source during the test run and never committed. The cache lives
under `tests/.cache` (ignored by git) so reruns are instant.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

CACHE = Path(os.environ.get("WASIVIRT_TEST_CACHE", Path(__file__).resolve().parent.parent / ".cache"))
C_DIR = Path(__file__).resolve().parent.parent / "c"


def _cached(key_parts: list[bytes], suffix: str) -> Path:
    digest = hashlib.sha256(b"\0".join(key_parts)).hexdigest()[:24]
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE / f"{digest}{suffix}"


def compile_c(source: str | Path, *, flags: tuple[str, ...] = (), name: str | None = None) -> Path:
    """Compile a C file (a path, or a name under tests/c) to a wasip1 core module."""
    path = Path(source)
    if not path.is_absolute() and not path.exists():
        path = C_DIR / path
    code = path.read_bytes()
    out = _cached([b"zig-cc-v1", code, " ".join(flags).encode()], f"-{name or path.stem}.wasm")
    if out.exists():
        return out
    tmp = out.with_suffix(".tmp.wasm")
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-wasi", "-O2", "-s",
           *flags, str(path), "-o", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"compiling {path} failed:\n{proc.stderr}")
    os.replace(tmp, out)
    return out
