"""Generic fixtures: building real wasm during the run, and driving the CLI.

Everything here is cached under tests/.cache by content hash (C via ziglang in
tests/support/cbuild.py; WAT via `jco parse`; adapted components via `jco new`), so a
rerun costs nothing. No .wasm is ever committed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import support.cli
from support.cbuild import CACHE, compile_c
from support.vfsapps import LINKS

REPO = Path(__file__).resolve().parent.parent

# Real components built during the run (C sockets, componentize-py plugs): fixtures.
pytest_plugins = ["support.components"]


@pytest.fixture(scope="module", params=LINKS)
def link(request: pytest.FixtureRequest) -> str:
    """Each way to link the virtualizer (`support.vfsapps.LINKS`): a module's apps built once per mode."""
    return request.param


def _cache_file(parts: list[bytes], suffix: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE / (hashlib.sha256(b"\0".join(parts)).hexdigest()[:24] + suffix)


@pytest.fixture(scope="session")
def c_module() -> Callable[..., Path]:
    """`c_module("hello.c", flags=())`: a wasip1 core module built from tests/c (cached)."""
    return compile_c


@pytest.fixture(scope="session")
def wat() -> Callable[[str, str], Path]:
    """`wat(text, name)`: a module or component from WAT text, via `jco parse` (cached)."""
    from wasivirt_component import toolchain

    def build(text: str, name: str = "wat") -> Path:
        out = _cache_file([b"jco-parse-v1", text.encode()], f"-{name}.wasm")
        if not out.exists():
            src = out.with_suffix(".wat")
            src.write_text(text)
            tmp = out.with_suffix(".tmp.wasm")
            toolchain.run_jco(["parse", str(src), "-o", str(tmp)])
            os.replace(tmp, out)
        return out

    return build


@pytest.fixture(scope="session")
def adapted() -> Callable[..., Path]:
    """`adapted(module_path, kind=None)`: the module adapted by wasivirt (cached)."""
    from wasivirt_component import toolchain
    from wasivirt_component.adapt import adapt_module

    def build(module: Path, kind: str | None = None) -> Path:
        data = Path(module).read_bytes()
        key = [b"adapt-v1", data, (kind or "auto").encode(), toolchain.jco_version().encode()]
        out = _cache_file(key, f"-{Path(module).stem}.component.wasm")
        if not out.exists():
            tmp = out.with_suffix(".tmp.wasm")
            tmp.write_bytes(adapt_module(data, kind))
            os.replace(tmp, out)
        return out

    return build


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty WASIVIRT_CACHE_DIR for this test."""
    path = tmp_path / "wasivirt-cache"
    monkeypatch.setenv("WASIVIRT_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def wasivirt_exe() -> Path:
    """The installed `wasivirt` console script of the interpreter running the tests."""
    exe = support.cli.wasivirt_exe()
    if not exe.exists():
        pytest.fail(f"{exe} is missing; install the package (`make setup`)")
    return exe


@pytest.fixture
def wasivirt(wasivirt_exe: Path, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`wasivirt(*args, env={...}, input=..., cwd=...)`: the real CLI in a subprocess
    (`support.cli.run_cli`), with a cache of this test's own unless `env` sets
    WASIVIRT_CACHE_DIR."""
    def invoke(*args: str | os.PathLike[str], env: dict[str, str] | None = None,
               input: str | None = None, cwd: str | os.PathLike[str] | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return support.cli.run_cli(*args, env=env, input=input, cwd=cwd, timeout=timeout,
                                   cache=tmp_path / "subprocess-cache")

    return invoke


@pytest.fixture
def cli() -> Callable[..., object]:
    """`cli(*args)`: the typer app in-process (CliRunner); returns the Result.

    Guest programs run by `wasivirt run` write to the real file descriptors, which
    CliRunner cannot capture; use the `wasivirt` subprocess fixture for those.
    """
    from typer.testing import CliRunner

    from wasivirt_component.cli import app

    runner = CliRunner()

    def invoke(*args: str | os.PathLike[str], env: dict[str, str] | None = None, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], env=env, input=input)

    return invoke
