"""Differential tests: the same C program on wasmtime's native filesystem and on ours.

(a) natively: the tree is a real host directory preopened as `/`;
(b) virtually: the same tree embedded by `wasivirt compose` (spec: `vfs.embed("/", tree)`).
Both must print the same thing and exit the same way. Host timestamps and inode numbers
differ by design, so the probe never prints them.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from support.cbuild import compile_c
from support.vfsapps import compose, run_app, run_native

BIG = 1 << 20


def _make_tree(root: Path) -> None:
    (root / "data" / "nested" / "deep").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "emptydir").mkdir()
    (root / "README.txt").write_text("hello, virtual world\n")
    (root / "empty.txt").write_bytes(b"")
    (root / "data" / "numbers.bin").write_bytes(bytes(range(256)) * 300)
    (root / "data" / "big.bin").write_bytes(random.Random(7).randbytes(BIG))
    (root / "data" / "nested" / "deep" / "leaf.txt").write_text("leaf\n")
    (root / "data" / "nested" / "mid.txt").write_text("middle\nline two\n")
    for name in ("a.md", "b.md", "c.md", "ünïcödé.txt", "UPPER.TXT", "dots.in.name", "-dash"):
        (root / "docs" / name).write_text(f"{name}\n")


@pytest.fixture(scope="module")
def probe(adapted) -> Path:
    return adapted(compile_c("fsprobe.c"))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("difftree") / "tree"
    root.mkdir()
    _make_tree(root)
    return root


@pytest.fixture(scope="module")
def virtual(tmp_path_factory: pytest.TempPathFactory, probe: Path, tree: Path) -> Path:
    spec = f"""
from wasivirt_component import VFS

vfs = VFS()
vfs.embed("/", {str(tree)!r})
vfs.dir("/scratch")   # writable on both sides
"""
    return compose(probe, spec, tmp_path_factory.mktemp("diffapp"))


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
    out = _same(probe, virtual, native_root, [
        "walk /", "ls /", "ls /docs", "ls /emptydir", "ls /README.txt", "ls /nope", "ls /data/nested/deep",
    ])
    assert "f /data/big.bin 1048576" in out and "d /emptydir" in out and "  ünïcödé.txt f" in out


def test_read_whole_files_and_errors(probe, virtual, native_root) -> None:
    out = _same(probe, virtual, native_root, [
        "cat /README.txt", "cat /empty.txt", "cat /data/nested/mid.txt", "cat /docs/ünïcödé.txt",
        "cat /nope", "cat /data/nope/x", "cat /README.txt/x", "cat /data", "cat /data/nested/deep/leaf.txt",
    ])
    assert "/README.txt: hello, virtual world\\n" in out


@pytest.mark.parametrize("size", [1, 1000, 4096, 65536, BIG, 3 * BIG])
def test_sequential_reads_in_chunks(probe, virtual, native_root, size: int) -> None:
    _same(probe, virtual, native_root, [f"chunks /data/big.bin {size}", f"chunks /data/numbers.bin {size}",
                                        f"chunks /empty.txt {size}"])


def test_pread_at_any_offset(probe, virtual, native_root) -> None:
    commands = [f"pread /data/numbers.bin {off} {n}"
                for off in (0, 1, 255, 256, 4095, 4096, 65535, 65536, 76799, 76800, 76801, 1 << 40)
                for n in (1, 7, 4096)]
    commands += ["pread /empty.txt 0 10", "pread /data/big.bin 1048570 100"]
    _same(probe, virtual, native_root, commands)


def test_seek_then_read(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, [
        "seek /data/numbers.bin 10 set 5", "seek /data/numbers.bin 10 cur 5", "seek /data/numbers.bin -5 end 10",
        "seek /data/numbers.bin 0 end 10", "seek /data/numbers.bin 100000 set 4", "seek /data/numbers.bin -1 set 4",
        "seek /README.txt -100 end 4",
    ])


def test_stat_and_identity(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, [
        "stat /", "stat /data", "stat /README.txt", "stat /empty.txt", "stat /data/big.bin", "stat /nope",
        "lstat /docs/a.md", "stat /README.txt/", "stat /data/", "stat //README.txt", "stat /./data/./nested",
        "fstatdir /data", "fstatdir /README.txt",
        "same /README.txt /data/../README.txt", "same /README.txt /empty.txt", "same /data /data/nested/..",
    ])


def test_dot_dot_is_normalised_and_never_escapes(probe, virtual, native_root) -> None:
    out = _same(probe, virtual, native_root, [
        "cat /data/../README.txt", "cat /data/nested/../../README.txt", "cat /../README.txt",
        "cat /data/../../README.txt", "cat /data/nested/deep/../../../../etc/passwd", "cat /../../../etc/passwd",
        "stat /..", "stat /../..", "ls /data/..", "ls /..", "walk /data/nested/..",
        "cat ../README.txt", "cat ./README.txt", "cat README.txt",
    ])
    assert "root:x:0:0" not in out  # nothing from the real host


def test_absolute_host_paths_are_not_reachable(probe, virtual, native_root) -> None:
    out = _same(probe, virtual, native_root, [
        "cat /etc/passwd", "stat /proc/self/status", "ls /root", "ls /tmp", f"ls {native_root}",
        f"cat {native_root}/README.txt",
    ])
    assert out.count(": ENOENT\n") == 6 and "root:x:0:0" not in out


def test_open_flags(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, [
        "open /README.txt r", "open /README.txt dir", "open /data r+dir", "open /data r",
        "open /nope r", "open /README.txt creat+excl", "open /data creat+excl", "open /nope/x creat",
        "open /scratch/new creat+excl+w", "open /scratch/new creat+excl+w", "open /scratch/new r+dir",
        "open /scratch dir",
    ])


def test_writes_where_both_sides_are_writable(probe, virtual, native_root) -> None:
    _same(probe, virtual, native_root, [
        "write /scratch/a.txt hello", "cat /scratch/a.txt", "append /scratch/a.txt +more", "cat /scratch/a.txt",
        "pwrite /scratch/a.txt 2 XY", "cat /scratch/a.txt", "stat /scratch/a.txt", "write /scratch/a.txt new",
        "cat /scratch/a.txt", "pwrite /scratch/a.txt 10 far", "cat /scratch/a.txt", "stat /scratch/a.txt",
        "mkdir /scratch/sub", "mkdir /scratch/sub", "write /scratch/sub/f x", "ls /scratch", "walk /scratch",
        "rmdir /scratch/sub", "unlink /scratch/sub/f", "rmdir /scratch/sub", "rename /scratch/a.txt /scratch/b.txt",
        "ls /scratch", "unlink /scratch/nope", "rmdir /scratch/b.txt",
    ])
