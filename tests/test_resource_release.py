"""Dropped descriptors and streams are freed inside the composed program.

Each `open` allocates a descriptor, a stream and a node reference in the virtualizer; a
leak of any of them grows the instance's memory with every cycle (the first, Python
runtime leaked ~0.7 KB per open until its destructor was patched). Measured end to end:
the peak memory of `wasivirt run` must not grow with the number of open/read/close cycles.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from support.cbuild import compile_c
from support.cli import cli_command, cli_env, run_cli
from support.vfsapps import compose

SPEC = """
from wasivirt_component import VFS
vfs = VFS()
with vfs.dir("/data") as data:
    data.file("f.txt", "hello world\\n")
"""
FEW, MANY = 2_000, 60_000
LEAK_BEFORE_FIX = 0.7e3  # bytes per cycle the first runtime leaked before its destructor worked


@pytest.fixture(scope="module")
def app(adapted, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compose(adapted(compile_c("fsprobe.c")), SPEC, tmp_path_factory.mktemp("release"))


def peak_rss(app: Path, cycles: int, tmp: Path) -> int:
    """Peak resident memory (bytes) of `wasivirt run APP -- "reopen /data/f.txt N"`."""
    out, err = tmp / "out", tmp / "err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(cli_command("run", app, "--", f"reopen /data/f.txt {cycles}"),
                                stdout=stdout, stderr=stderr, env=cli_env())
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, err.read_text()
    assert out.read_text() == f"/data/f.txt: reopened {cycles}\n"
    return usage.ru_maxrss * 1024  # Linux reports KiB


def test_open_close_cycles_do_not_grow_memory(app, tmp_path):
    proc = run_cli("run", app, "--", "reopen /data/f.txt 1")  # compile outside the measured runs
    assert proc.returncode == 0, proc.stderr
    few, many = peak_rss(app, FEW, tmp_path), peak_rss(app, MANY, tmp_path)
    growth = many - few
    leak_budget = (MANY - FEW) * LEAK_BEFORE_FIX / 4  # a quarter of the old leak fails
    assert growth < leak_budget, f"{growth / 1e6:.1f} MB more for {MANY - FEW} more cycles"
