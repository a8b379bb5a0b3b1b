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
import subprocess
from pathlib import Path

import pytest

from support.cbuild import compile_c
from support.cli import run_cli
from support.vfsapps import Outcome, compose, run_native, wasivirt
from support.wasmtimecli import wasmtime_cli
from wasivirt_component.fuse.host import MOUNT_NEEDS

MOUNT_SPEC = "from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount('/', host='data')\n"
PROC_SPEC = "from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount('/proc', host='proc', read_only=True)\n"
MOUNT_NEEDS_FUNCTIONS = MOUNT_NEEDS[1]
BIG = 9 * 1024 * 1024 + 123  # more than one 8 MiB read


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


def _filesystem_functions(component: bytes) -> set[str]:
    from wasivirt_component.compose import read_component
    from wasivirt_component.names import split_name

    imports = read_component(component).type.imports
    types = next(t for n, t in imports.items() if split_name(n)[0] == "wasi:filesystem/types")
    return {n for n, item in types.exports.items() if n.startswith("[")}


WALK_SPEC = ("from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount('/data', host='data', hide=['*.key'])\n"
             "vfs.dir('/etc').file('app.toml', 'virtual\\n')\n")
WALKS = ("/data/s", "/data/link", "/data/sub/../link", "/data/sub/../real.txt", "/data/sub/../../etc/app.toml",
         "/data/sub/inner.txt", "/data/secret.key", "/data/nope")
WALKED = ("/data/s: error: No such file or directory\nreal\nreal\n"
          "real\nvirtual\ninner\n/data/secret.key: error: No such file or directory\n"
          "/data/nope: error: No such file or directory\n")


@pytest.mark.parametrize("program, lacking", [
    ("cat.c", {"[method]descriptor.stat-at", "[method]descriptor.readlink-at"}),
    ("files.c", {"[method]descriptor.readlink-at"}),
])
def test_a_child_lacking_what_mounts_need_is_fused_with_its_import_widened(tmp_path, adapted, program, lacking):
    """The virtualizer's walk through a mount calls the host's `stat-at` and `readlink-at`
    (a hidden name, a symlink, `..`), and fused it can call only host functions lowered from
    the child's own import. cat.c never stats nor reads a link, files.c never reads a link:
    their `wasi:filesystem/types` import is widened to declare what is missing (and nothing
    else), and they are fused by default, with no note. A symlink to a hidden file, `..`
    inside the mount and back out of it into the virtual tree answer as in the composed mode,
    under `wasivirt run` and the wasmtime CLI."""
    child = adapted(compile_c(program))
    own = _filesystem_functions(child.read_bytes())
    assert lacking <= set(MOUNT_NEEDS_FUNCTIONS) and not lacking & own, own
    host = tmp_path / "host"
    (host / "sub").mkdir(parents=True)
    (host / "secret.key").write_text("SECRET\n")
    (host / "real.txt").write_text("real\n")
    (host / "sub" / "inner.txt").write_text("inner\n")
    (host / "s").symlink_to("secret.key")
    (host / "link").symlink_to("real.txt")
    spec = tmp_path / "spec.py"
    spec.write_text(WALK_SPEC)
    auto = tmp_path / "auto.wasm"
    made = wasivirt("compose", str(child), "--vfs", str(spec), "-o", str(auto))
    assert made.code == 0 and "note:" not in made.stderr, made.stderr
    declared = next(line for line in made.stdout.splitlines() if line.startswith("declared for the host mounts"))
    assert declared.endswith(": " + ", ".join(f"filesystem/types {n.rsplit('.', 1)[-1]}" for n in sorted(lacking)))
    from wasivirt_component.artifact import read_artifact
    record = read_artifact(auto.read_bytes())
    assert record is not None and record.link == "fused"
    assert _filesystem_functions(auto.read_bytes()) == own | lacking
    composed = compose(child, WALK_SPEC, tmp_path, "composed", link="composed")
    args = (["cat"] if program == "files.c" else []) + list(WALKS)
    results = {}
    for label, app in (("fused", auto), ("composed", composed)):
        run = wasivirt("run", str(app), "--dir", f"{host}::data", "--", *args)
        results[label] = (run.code, run.stdout, run.stderr)
    assert results["fused"] == results["composed"], results
    cli = subprocess.run([str(wasmtime_cli()), "run", "--dir", f"{host}::data", str(auto), *args],
                         capture_output=True, text=True, timeout=300)
    assert (cli.returncode, cli.stdout, cli.stderr) == results["fused"]
    assert results["fused"] == (1, WALKED, "")
