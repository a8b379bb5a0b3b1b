"""Running programs natively on wasmtime vs through a composed virtual filesystem.

Both sides run through `wasivirt run` in a subprocess (stdout captured), sharing the
test session's compile cache so each distinct composition compiles once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from support.cli import run_cli


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def wasivirt(*args: str, timeout: float = 900) -> Outcome:
    proc = run_cli(*args, timeout=timeout)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def run_native(component: Path, host_dir: Path, *args: str, guest: str = "/") -> Outcome:
    """The program on wasmtime's own WASI filesystem, `host_dir` preopened as `guest`."""
    return wasivirt("run", str(component), "--dir", f"{host_dir}::{guest}", "--", *args)


def run_app(app: Path, *args: str) -> Outcome:
    """A composed program (it brings its own filesystem)."""
    return wasivirt("run", str(app), "--", *args)


LINKS = ["fused", "composed"]  # the two ways to link the virtualizer; tests run both


def compose(child: Path, spec_text: str, workdir: Path, name: str = "app", link: str = "auto") -> Path:
    """Write `spec_text` as `workdir/NAME.spec.py` and compose `child` with it; a forced
    `link` must be the one the output records."""
    spec = workdir / f"{name}.spec.py"
    spec.write_text(spec_text)
    out = workdir / f"{name}.wasm"
    result = wasivirt("compose", str(child), "--vfs", str(spec), "-o", str(out), "-q", "--link", link)
    if result.code != 0:
        raise AssertionError(f"compose failed ({result.code}): {result.stderr}")
    if link != "auto":
        from wasivirt_component.artifact import read_artifact
        record = read_artifact(out.read_bytes())
        assert record is not None and record.link == link, record
    return out
