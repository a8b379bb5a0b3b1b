"""Differential tests: the same C program on wasmtime's native filesystem and on ours.

(a) natively: the tree is a real host directory preopened as `/`;
(b) virtually: the same tree embedded by `wasivirt compose` (spec: `vfs.embed("/", tree)`).
Both must print the same thing and exit the same way, with the virtualizer linked either
way (fused into the program's component, or composed as its own). Host timestamps and inode
numbers differ by design, so the probe never prints them. The command lists live in
`support/probes.py` (the mount tests run them too).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.cbuild import compile_c
from support.probes import BIG, PROBES, make_tree
from support.vfsapps import LINKS, compose, run_app, run_native


@pytest.fixture(scope="module")
def probe(adapted) -> Path:
    return adapted(compile_c("fsprobe.c"))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("difftree") / "tree"
    root.mkdir()
    make_tree(root)
    return root


@pytest.fixture(scope="module", params=LINKS)
def virtual(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, probe: Path,
            tree: Path) -> Path:
    spec = f"""
from wasivirt_component import VFS

vfs = VFS()
vfs.embed("/", {str(tree)!r})
vfs.dir("/scratch")   # writable on both sides
"""
    return compose(probe, spec, tmp_path_factory.mktemp("diffapp"), link=request.param)


@pytest.fixture
def native_root(tmp_path: Path, tree: Path) -> Path:
    """A fresh writable copy of the tree (plus the scratch dir) for one native run."""
    root = tmp_path / "native"
    shutil.copytree(tree, root)
    (root / "scratch").mkdir()
    return root


def _same(probe: Path, virtual: Path, native_root: Path, commands: list[str]) -> str:
    native = run_native(probe, native_root, *commands)
    ours = run_app(virtual, *commands)
    assert native.stderr == "" and ours.stderr == "", (native.stderr, ours.stderr)
    assert ours.stdout.splitlines() == native.stdout.splitlines()
    assert (ours.code, native.code) == (0, 0)
    return ours.stdout


def test_walk_and_list(probe, virtual, native_root) -> None:
    out = _same(probe, virtual, native_root, PROBES["walk_and_list"])
    assert "f /data/big.bin 1048576" in out and "d /emptydir" in out and "  ünïcödé.txt f" in out


def test_read_whole_files_and_errors(probe, virtual, native_root) -> None:
    out = _same(probe, virtual, native_root, PROBES["read_whole_files"])
    assert "/README.txt: hello, virtual world\\n" in out


@pytest.mark.parametrize("size", [1, 1000, 4096, 65536, BIG, 3 * BIG])
def test_sequential_reads_in_chunks(probe, virtual, native_root, size: int) -> None:
    _same(probe, virtual, native_root, PROBES[f"chunks_{size}"])


def test_pread_at_any_offset(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, PROBES["pread"])


def test_seek_then_read(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, PROBES["seek"])


def test_stat_and_identity(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, PROBES["stat_and_identity"])


def test_dot_dot_is_normalised_and_never_escapes(probe, virtual, native_root) -> None:
    out = _same(probe, virtual, native_root, PROBES["dot_dot"])
    assert "root:x:0:0" not in out  # nothing from the real host


def test_absolute_host_paths_are_not_reachable(probe, virtual, native_root) -> None:
    out = _same(probe, virtual, native_root, [
        "cat /etc/passwd", "stat /proc/self/status", "ls /root", "ls /tmp", f"ls {native_root}",
        f"cat {native_root}/README.txt",
    ])
    assert out.count(": ENOENT\n") == 6 and "root:x:0:0" not in out


def test_open_flags(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, PROBES["open_flags"])


def test_writes_where_both_sides_are_writable(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, PROBES["writes"])
