"""Host streams (issue 11): the reads and writes of files in a host mount, and of stdio.

Fused, the virtualizer forwards a read or write on a host stream to the host's function
lowered with the program's memory and the adapter's realloc, so the host fills (or reads)
the program's buffer itself; only an error is translated back (the host's `error` handle
becomes ours). `test_fuse.py` checks that lowering in the fused component; here
tests/c/streams.c, which prints every read's and write's own result, runs on wasmtime's
own WASI and through the virtualizer, linked both ways, and the outputs must be the same
call for call: partial reads, end of file, zero-length reads, one 8 MiB read, writes into
the mount, large stdout writes, stdin, and a read the host fails (`/proc/self/mem` at
offset 0 is EIO on Linux).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from support.cbuild import compile_c
from support.cli import run_cli
from support.vfsapps import LINKS, Outcome, compose, run_native, wasivirt

MOUNT_SPEC = "from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount('/', host='data')\n"
PROC_SPEC = "from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount('/proc', host='proc', read_only=True)\n"
BIG = 9 * 1024 * 1024 + 123  # more than one 8 MiB read


@pytest.fixture(scope="module", params=LINKS)
def link(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def streams(adapted) -> Path:
    return adapted(compile_c("streams.c"))


@pytest.fixture(scope="module")
def app(streams: Path, link: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compose(streams, MOUNT_SPEC, tmp_path_factory.mktemp("streams"), link=link)


def make_host(root: Path) -> Path:
    root.mkdir()
    (root / "small.txt").write_bytes(b"hello, host\n")
    (root / "empty").write_bytes(b"")
    (root / "page").write_bytes(bytes(range(256)) * 16)  # exactly 4096 bytes
    (root / "big.bin").write_bytes(random.Random(11).randbytes(BIG))
    return root


def native_and_ours(streams: Path, app: Path, tmp_path: Path, *commands: str) -> tuple[Outcome, Outcome]:
    """`commands` natively on a host directory and through the mount of a copy of it."""
    native = run_native(streams, make_host(tmp_path / "native"), *commands)
    ours = wasivirt("run", str(app), "--dir", f"{make_host(tmp_path / 'ours')}::data", "--", *commands)
    assert (native.code, native.stderr, ours.code, ours.stderr) == (0, "", 0, "")
    return native, ours


READS = {
    "partial reads, then end of file": ["reads /small.txt 5 4"],
    "end of file at once": ["reads /empty 16 2"],
    "zero-length reads": ["zero /small.txt", "zero /empty", "reads /page 0 2"],
    "a page exactly, then end of file": ["reads /page 4096 2"],
    "one 8 MiB read": ["whole /big.bin 8388608"],
    "64 KiB reads": ["reads /big.bin 65536 200"],
    "a missing file": ["reads /nothing 16 1"],
}


@pytest.mark.parametrize("case", sorted(READS))
def test_reads_through_a_mount_match_native_call_by_call(streams, app, tmp_path, case):
    native, ours = native_and_ours(streams, app, tmp_path, *READS[case])
    assert ours.stdout == native.stdout


def test_the_8_mib_read_is_answered_whole(streams, app, tmp_path):
    """The host's one reply to one large read lands in the program's buffer (both ways)."""
    _, ours = native_and_ours(streams, app, tmp_path, "whole /big.bin 8388608")
    lines = ours.stdout.splitlines()
    assert lines[-1].startswith(f"/big.bin: {BIG} bytes")
    assert lines[0] != "whole: 0" and lines[-2] == "last: 0"


@pytest.mark.parametrize("size", [1, 4096, 65536])
def test_writes_into_a_mount_match_native(streams, app, tmp_path, size):
    src = "/small.txt" if size == 1 else "/big.bin"
    native, ours = native_and_ours(streams, app, tmp_path, f"copy {src} /copy {size}")
    assert ours.stdout == native.stdout
    assert (tmp_path / "ours" / "copy").read_bytes() == (tmp_path / "native" / "copy").read_bytes() == (
        tmp_path / "native" / src.lstrip("/")).read_bytes()


def test_a_host_read_error_is_the_hosts_error_code(streams, link, tmp_path):
    """/proc/self/mem at offset 0 fails with EIO: the host stream's `last-operation-failed`
    error, which the program then asks `filesystem-error-code` about (a mounted file's
    error is the host's: ours wraps its handle)."""
    app = compose(streams, PROC_SPEC, tmp_path, link=link)
    commands = ["reads /proc/self/mem 4096 2", "reads /proc/self/mem 0 1", "zero /proc/self/mem"]
    native = run_native(streams, Path("/proc"), *commands, guest="/proc")
    ours = wasivirt("run", str(app), "--dir", "/proc::proc", "--", *commands)
    assert (native.code, native.stderr, ours.code, ours.stderr) == (0, "", 0, "")
    assert ours.stdout == native.stdout
    assert ours.stdout.startswith("read: -1 EIO\n")


@pytest.mark.parametrize("size", [65536, 100_003])
def test_large_stdout_writes_match_native(streams, app, size):
    native = run_cli("run", streams, "--", f"out {size}")
    ours = run_cli("run", app, "--dir", f"{Path.cwd()}::data", "--", f"out {size}")
    assert (native.returncode, ours.returncode, ours.stderr) == (0, 0, "")
    assert ours.stdout == native.stdout
    assert ours.stdout.startswith("0123456789abcdef") and ours.stdout.endswith(f"\nout: {size}\n")


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
def test_stdin_reads_match_native(streams, app, size):
    text = "".join(f"line {i}: {'x' * (i % 97)}\n" for i in range(3000 if size > 1 else 300))
    native = run_cli("run", streams, "--", f"stdin {size}", input=text)
    ours = run_cli("run", app, "--dir", f"{Path.cwd()}::data", "--", f"stdin {size}", input=text)
    assert (native.returncode, ours.returncode, ours.stderr) == (0, 0, "")
    assert ours.stdout == native.stdout
    assert ours.stdout.startswith(f"stdin: {len(text)} bytes") and ours.stdout.endswith("ended: 0\n")


def test_an_empty_stdin_is_end_of_file(streams, app):
    ours = run_cli("run", app, "--dir", f"{Path.cwd()}::data", "--", "stdin 16", input="")
    assert (ours.returncode, ours.stdout) == (0, "stdin: 0 bytes, checksum 0, ended: 0\n")


def test_a_child_that_cannot_walk_a_mount_fused_is_composed(tmp_path):
    """The virtualizer's path walk through a mount calls the host's `stat-at` and
    `readlink-at`; fused, it can call only the host functions the child imports, and a
    program that never stats (hello.c) imports neither: `auto` composes it (saying why)
    and a forced fused link is refused, rather than a fused program trapping on its first
    open."""
    hello = compile_c("hello.c")
    spec = tmp_path / "spec.py"
    spec.write_text(MOUNT_SPEC)
    out = tmp_path / "auto.wasm"
    auto = wasivirt("compose", str(hello), "--vfs", str(spec), "-o", str(out))
    assert auto.code == 0, auto.stderr
    assert auto.stderr.startswith("note: linked composed, not fused: ") and "[method]descriptor.stat-at" in auto.stderr
    assert "which host mounts need" in auto.stderr
    forced = wasivirt("compose", str(hello), "--vfs", str(spec), "-o", str(tmp_path / "f.wasm"), "--link", "fused")
    assert forced.code == 2 and "cannot link fused: " in forced.stderr and not (tmp_path / "f.wasm").exists()


def test_a_child_that_cannot_read_links_is_composed_with_mounts(tmp_path):
    """files.c stats and opens but never reads a link, so it lacks `readlink-at`, which
    the walk calls to follow a symlink itself (a mount with hidden paths, or `..`): fused,
    that would trap; composed, a symlink to a hidden file is `no-entry` as it must be."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret.key").write_text("SECRET\n")
    (host / "real.txt").write_text("real\n")
    (host / "s").symlink_to("secret.key")
    (host / "link").symlink_to("real.txt")
    spec = tmp_path / "spec.py"
    spec.write_text("from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount('/data', host='data', hide=['*.key'])\n")
    out = tmp_path / "app.wasm"
    auto = wasivirt("compose", str(compile_c("files.c")), "--vfs", str(spec), "-o", str(out), "-q")
    assert auto.code == 0 and "[method]descriptor.readlink-at" in auto.stderr, auto.stderr
    run = wasivirt("run", str(out), "--dir", f"{host}::data", "--", "cat", "/data/s", "/data/link", "/data/sub/../link")
    assert (run.code, run.stderr) == (1, "")
    assert run.stdout == ("/data/s: error: No such file or directory\nreal\n"
                          "/data/sub/../link: error: No such file or directory\n")
