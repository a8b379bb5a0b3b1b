"""Finding the external tools wasivirt drives: node + jco, componentize-py.

A missing tool is a `ToolchainError` whose one-line message names the setup command;
callers never see a traceback for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from .errors import ToolchainError

WASI_VERSION = "0.2.12"
JCO_PACKAGE = Path("@bytecodealliance") / "jco"
SETUP_HINT = "run `make setup` in the wasivirt checkout (or `npm install @bytecodealliance/jco@1.35.0`)"


def _candidate_node_modules() -> list[Path]:
    """Where a node_modules holding jco may live, most specific first."""
    found: list[Path] = []
    env = os.environ.get("WASIVIRT_NODE_MODULES")
    if env:
        found.append(Path(env))
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for parent in (start, *start.parents):
            found.append(parent / "node_modules")
    return found


@lru_cache(maxsize=1)
def find_node() -> str:
    node = os.environ.get("WASIVIRT_NODE") or shutil.which("node")
    if not node:
        raise ToolchainError(f"node is not installed or not on PATH; install Node.js 18+, then {SETUP_HINT}")
    return node


@lru_cache(maxsize=1)
def jco_package_dir() -> Path:
    """The installed @bytecodealliance/jco package directory."""
    for node_modules in _candidate_node_modules():
        candidate = node_modules / JCO_PACKAGE
        if (candidate / "package.json").is_file():
            return candidate
    raise ToolchainError(f"jco is not installed; {SETUP_HINT}")


def jco_command() -> list[str]:
    """The argv prefix that runs jco."""
    pkg = jco_package_dir()
    script = pkg / "src" / "jco.js"
    if not script.is_file():
        raise ToolchainError(f"jco at {pkg} is incomplete (no src/jco.js); {SETUP_HINT}")
    return [find_node(), str(script)]


def run_jco(args: list[str], *, input: bytes | None = None, timeout: float = 600) -> subprocess.CompletedProcess[bytes]:
    """Run jco; a non-zero exit becomes a ToolchainError with jco's last stderr line."""
    cmd = jco_command() + args
    proc = subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.decode(errors="replace").splitlines() if ln.strip()]
        detail = lines[-1].strip() if lines else f"exit code {proc.returncode}"
        raise ToolchainError(f"jco {args[0]} failed: {detail}")
    return proc


def adapter_path(kind: str) -> Path:
    """The preview1 adapter shipped with jco: kind is 'command' or 'reactor'."""
    path = jco_package_dir() / "lib" / f"wasi_snapshot_preview1.{kind}.wasm"
    if not path.is_file():
        raise ToolchainError(f"the preview1 {kind} adapter is missing at {path}; {SETUP_HINT}")
    return path


def wasi_wit_dir(version: str = WASI_VERSION) -> Path:
    """Directory holding the WASI WIT packages (wasi-io, wasi-cli, ...) shipped with jco."""
    path = jco_package_dir() / "lib" / "wit" / "builtin" / version
    if not path.is_dir():
        raise ToolchainError(f"WASI WIT {version} is missing from jco at {path}; {SETUP_HINT}")
    return path


@lru_cache(maxsize=1)
def find_componentize_py() -> str:
    """The componentize-py executable next to our interpreter, or on PATH."""
    beside = Path(sys.executable).parent / "componentize-py"
    if beside.is_file():
        return str(beside)
    found = shutil.which("componentize-py")
    if not found:
        raise ToolchainError("componentize-py is not installed; run `pip install componentize-py==0.25.1` "
                             "(or `make setup` in the wasivirt checkout)")
    return found
