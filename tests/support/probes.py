"""The filesystem probes the differential tests run: one tree, named command lists.

`tests/c/fsprobe.c` prints results that are the same on any correct WASI filesystem; the
same commands run natively (the tree preopened from a host directory) and through wasivirt
(embedded by compose, or passed through a host mount) must print the same lines.
"""

from __future__ import annotations

import random
from pathlib import Path

BIG = 1 << 20


def make_tree(root: Path) -> None:
    """The probes' tree under `root` (which must exist); `scratch/` is left to the caller."""
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


PROBES: dict[str, list[str]] = {
    "walk_and_list": [
        "walk /", "ls /", "ls /docs", "ls /emptydir", "ls /README.txt", "ls /nope", "ls /data/nested/deep",
    ],
    "read_whole_files": [
        "cat /README.txt", "cat /empty.txt", "cat /data/nested/mid.txt", "cat /docs/ünïcödé.txt",
        "cat /nope", "cat /data/nope/x", "cat /README.txt/x", "cat /data", "cat /data/nested/deep/leaf.txt",
        "cat /data//nested//mid.txt", "cat /data/./nested/deep/./leaf.txt",
    ],
    **{f"chunks_{size}": [f"chunks /data/big.bin {size}", f"chunks /data/numbers.bin {size}",
                          f"chunks /empty.txt {size}"]
       for size in (1, 1000, 4096, 65536, BIG, 3 * BIG)},
    "pread": [f"pread /data/numbers.bin {off} {n}"
              for off in (0, 1, 255, 256, 4095, 4096, 65535, 65536, 76799, 76800, 76801, 1 << 40)
              for n in (1, 7, 4096)] + ["pread /empty.txt 0 10", "pread /data/big.bin 1048570 100"],
    "seek": [
        "seek /data/numbers.bin 10 set 5", "seek /data/numbers.bin 10 cur 5", "seek /data/numbers.bin -5 end 10",
        "seek /data/numbers.bin 0 end 10", "seek /data/numbers.bin 100000 set 4", "seek /data/numbers.bin -1 set 4",
        "seek /README.txt -100 end 4",
    ],
    "stat_and_identity": [
        "stat /", "stat /data", "stat /README.txt", "stat /empty.txt", "stat /data/big.bin", "stat /nope",
        "lstat /docs/a.md", "stat /README.txt/", "stat /data/", "stat //README.txt", "stat /./data/./nested",
        "stat /data//nested", "stat /data/nested/./deep/", "stat /data/nested/deep/.", "lstat /data//nested/",
        "fstatdir /data", "fstatdir /README.txt",
        "same /README.txt /data/../README.txt", "same /README.txt /empty.txt", "same /data /data/nested/..",
    ],
    "dot_dot": [
        "cat /data/../README.txt", "cat /data/nested/../../README.txt", "cat /../README.txt",
        "cat /data/../../README.txt", "cat /data/nested/deep/../../../../etc/passwd", "cat /../../../etc/passwd",
        "stat /..", "stat /../..", "ls /data/..", "ls /..", "walk /data/nested/..",
        "cat ../README.txt", "cat ./README.txt", "cat README.txt",
    ],
    "open_flags": [
        "open /README.txt r", "open /README.txt dir", "open /data r+dir", "open /data r",
        "open /nope r", "open /README.txt creat+excl", "open /data creat+excl", "open /nope/x creat",
        "open /scratch/new creat+excl+w", "open /scratch/new creat+excl+w", "open /scratch/new r+dir",
        "open /scratch dir",
    ],
    "writes": [
        "write /scratch/a.txt hello", "cat /scratch/a.txt", "append /scratch/a.txt +more", "cat /scratch/a.txt",
        "pwrite /scratch/a.txt 2 XY", "cat /scratch/a.txt", "stat /scratch/a.txt", "write /scratch/a.txt new",
        "cat /scratch/a.txt", "pwrite /scratch/a.txt 10 far", "cat /scratch/a.txt", "stat /scratch/a.txt",
        "mkdir /scratch/sub", "mkdir /scratch/sub", "write /scratch/sub/f x", "ls /scratch", "walk /scratch",
        "rmdir /scratch/sub", "unlink /scratch/sub/f", "rmdir /scratch/sub", "rename /scratch/a.txt /scratch/b.txt",
        "ls /scratch", "unlink /scratch/nope", "rmdir /scratch/b.txt",
    ],
}
