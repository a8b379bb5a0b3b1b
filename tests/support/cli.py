"""Driving the real `wasivirt` CLI in a subprocess: the one way the tests do it.

`run_cli` runs the installed console script of the interpreter running the tests (so it
tests the entry point too). The compile cache defaults to the session's shared one under
tests/.cache, so each distinct component compiles once per session; the `wasivirt`
fixture in conftest.py gives each test a private cache instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.cbuild import CACHE

SESSION_CACHE = CACHE / "wasivirt-cache"


def wasivirt_exe() -> Path:
    """The installed `wasivirt` console script next to the running interpreter."""
    return Path(sys.executable).parent / "wasivirt"


def cli_env(extra: dict[str, str] | None = None, cache: Path = SESSION_CACHE) -> dict[str, str]:
    """Our environment with the compile cache at `cache`, plus `extra`."""
    return {**os.environ, "WASIVIRT_CACHE_DIR": str(cache), **(extra or {})}


def cli_command(*args: str | os.PathLike[str]) -> list[str]:
    """The argv of `wasivirt ARGS...`, for tests that need their own Popen."""
    return [str(wasivirt_exe()), *map(str, args)]


def run_cli(*args: str | os.PathLike[str], env: dict[str, str] | None = None, input: str | None = None,
            cwd: str | os.PathLike[str] | None = None, timeout: float = 600,
            cache: Path = SESSION_CACHE) -> subprocess.CompletedProcess[str]:
    """`wasivirt ARGS...`, output captured as text; `env` is added to ours (and may set
    WASIVIRT_CACHE_DIR itself, which wins over `cache`)."""
    return subprocess.run(cli_command(*args), env=cli_env(env, cache), input=input, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
