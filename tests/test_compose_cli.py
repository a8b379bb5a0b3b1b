"""`wasivirt compose CHILD --vfs SPEC -o OUT` end to end, through the CLI.

Success paths run the composed program (wasmtime, and jco for a second runtime: jco cannot
load a fused, two-memory component, so that one is composed with `--link composed`); every
bad input is one stderr line, exit code 2, and no output file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.cbuild import compile_c
from support.cli import SESSION_CACHE, cli_env, run_cli
from support.vfsapps import LINKS, run_app, wasivirt
from support.wasmtimecli import wasmtime_cli
from wasivirt_component import toolchain

EPOCH = 1_700_000_000


@pytest.fixture(scope="module")
def probe(adapted) -> Path:
    return adapted(compile_c("fsprobe.c"))


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("assets")
    (root / "logo.txt").write_text("ascii art\n")
    (root / "css").mkdir()
    (root / "css" / "site.css").write_text("body {}\n")
    return root


def _compose(child: Path, spec_text: str, workdir: Path, name: str = "app",
             env: dict[str, str] | None = None, link: str | None = None,
             ) -> tuple[subprocess.CompletedProcess[str], Path]:
    spec = workdir / f"{name}_spec.py"
    spec.write_text(spec_text)
    out = workdir / f"{name}.wasm"
    proc = run_cli("compose", child, "--vfs", spec, "-o", out, *(["--link", link] if link else []),
                   env=env, timeout=1800)
    return proc, out


SEMANTICS_SPEC = """
from wasivirt_component import VFS

vfs = VFS()
with vfs.dir("/etc") as etc:
    etc.file("app.toml", "debug = false\\n", read_only=True)
    etc.file("motd", "welcome\\n")
vfs.embed("/assets", {assets!r})
vfs.dir("/work")
"""


@pytest.fixture(scope="module", params=["fused", "composed"])
def semantics_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, probe: Path,
                  assets: Path) -> Path:
    proc, out = _compose(probe, SEMANTICS_SPEC.format(assets=str(assets)), tmp_path_factory.mktemp("semantics"),
                         env={"SOURCE_DATE_EPOCH": str(EPOCH)}, link=request.param)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("link", ["fused", "composed"])
def test_compose_prints_a_summary_and_inspect_reports_isolation(probe: Path, tmp_path: Path, assets: Path,
                                                                link: str) -> None:
    proc, out = _compose(probe, f"from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed('/a', {str(assets)!r})\n",
                         tmp_path, link=None if link == "fused" else link)  # fused is the default here
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"linked: {link} (")
    assert lines[1].startswith("virtualized: io/error, io/streams, ")
    assert "filesystem/types" in lines[1] and "filesystem/preopens" in lines[1]
    assert lines[2].startswith("from the host: ") and "filesystem" not in lines[2]
    assert lines[3] == f"{out}: {out.stat().st_size} bytes, validated; no host filesystem access"
    assert proc.stderr == ""  # no fallback note
    report = json.loads(wasivirt("inspect", str(out), "--json").stdout)
    assert report["component"]["host_filesystem"] is False
    assert report["component"]["filesystem_imports"] == []
    assert report["component"]["link"] == link
    assert [e["name"] for e in report["component"]["exports"]] == ["wasi:cli/run@0.2.12"]
    world = wasivirt("inspect", str(out), "--wit").stdout.split("world root {", 1)[1].split("}", 1)[0]
    assert "import wasi:cli/stdout@0.2.12;" in world and "export wasi:cli/run@0.2.12;" in world
    assert "wasi:filesystem" not in world


def test_core_module_child_is_adapted_first(tmp_path: Path) -> None:
    proc, out = _compose(compile_c("fsprobe.c"), "from wasivirt_component import VFS\nvfs = VFS()\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("adapted ") and out.exists()


def test_read_only_nodes_refuse_writes_and_writable_ones_accept_them(semantics_app: Path) -> None:
    result = run_app(semantics_app,
                     "open /etc/app.toml w", "write /etc/motd changed", "cat /etc/motd", "cat /etc/app.toml",
                     "write /assets/new.txt x", "open /assets/logo.txt rw", "unlink /assets/logo.txt",
                     "mkdir /assets/d", "rename /assets/logo.txt /work/logo.txt", "write /work/n.txt new",
                     "cat /work/n.txt", "write /etc/new.conf made", "ls /etc")
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "open /etc/app.toml w: EACCES",
        "/etc/motd: wrote 7",
        "/etc/motd: changed",
        "/etc/app.toml: debug = false\\n",
        "/assets/new.txt: EACCES",
        "open /assets/logo.txt rw: EACCES",
        "unlink /assets/logo.txt: EACCES",
        "mkdir /assets/d: EACCES",
        "rename /assets/logo.txt: EACCES",
        "/work/n.txt: wrote 3",
        "/work/n.txt: new",
        "/etc/new.conf: wrote 4",
        "/etc: 3 entries", "  app.toml f", "  motd f", "  new.conf f",
    ]


def test_changes_live_only_in_one_instance(semantics_app: Path) -> None:
    first = run_app(semantics_app, "write /etc/motd changed", "cat /etc/motd")
    second = run_app(semantics_app, "cat /etc/motd")
    assert first.stdout.splitlines()[-1] == "/etc/motd: changed"
    assert second.stdout.splitlines() == ["/etc/motd: welcome\\n"]


def test_timestamps_are_compose_time_and_link_counts_are_one(semantics_app: Path) -> None:
    result = run_app(semantics_app, "times /etc/app.toml", "times /assets/css", "times /",
                     "nlink /", "nlink /assets", "nlink /etc/motd")
    assert result.stdout.splitlines() == [
        f"/etc/app.toml: mtime={EPOCH} atime={EPOCH} ctime={EPOCH}",
        f"/assets/css: mtime={EPOCH} atime={EPOCH} ctime={EPOCH}",
        f"/: mtime={EPOCH} atime={EPOCH} ctime={EPOCH}",
        "/: nlink=1", "/assets: nlink=1", "/etc/motd: nlink=1",
    ]


READ_ONLY_COMMANDS = ["cat /data/f.txt", "write /data/f.txt x", "write /new x", "mkdir /data/d",
                      "unlink /data/f.txt", "open /data/f.txt creat+excl", "open /data/f.txt trunc",
                      "open /data/f.txt r", "rename /data/f.txt /data/g.txt", "rmdir /data"]


def test_read_only_tree_behaves_like_a_read_only_preopen(tmp_path: Path, probe: Path) -> None:
    """Differential: VFS(read_only=True) vs wasmtime's own read-only preopen of the same tree."""
    proc, app = _compose(probe, """
from wasivirt_component import VFS

vfs = VFS(read_only=True)
with vfs.dir("/data") as d:
    d.file("f.txt", "fixed\\n")
""", tmp_path)
    assert proc.returncode == 0, proc.stderr
    ours = run_app(app, *READ_ONLY_COMMANDS)
    host = tmp_path / "host"
    (host / "data").mkdir(parents=True)
    (host / "data" / "f.txt").write_text("fixed\n")
    native = subprocess.run([sys.executable, "-c", NATIVE_READ_ONLY, str(probe), str(host), *READ_ONLY_COMMANDS],
                            capture_output=True, text=True, env=cli_env(), timeout=900)
    # Every operation fails or succeeds alike. The one deliberate difference: wasmtime says
    # `not-permitted` (EPERM, a capability not granted) where a read-only tree says
    # `read-only` (EROFS), as on a read-only mount. wasmtime checks mutability first, so an
    # existing file with create+exclusive is a read-only error, not `exist`.
    assert [ln.replace("EROFS", "EPERM") for ln in ours.stdout.splitlines()] == native.stdout.splitlines()
    assert ours.stdout.splitlines()[:6] == [
        "/data/f.txt: fixed\\n", "/data/f.txt: EROFS", "/new: EROFS", "mkdir /data/d: EROFS",
        "unlink /data/f.txt: EROFS", "open /data/f.txt creat+excl: EROFS"]


NATIVE_READ_ONLY = """
import sys
from wasivirt_component.run import Preopen, RunOptions, run_file
probe, host, *args = sys.argv[1:]
sys.exit(run_file(probe, RunOptions(args=args, dirs=[Preopen(host, "/", read_only=True)])))
"""


def _jco_run(app: Path) -> subprocess.CompletedProcess[str]:
    # componentize-py's CPython (inside a virtualizer) uses extended-const, which
    # Node 20 keeps behind a flag; jco passes JCO_RUN_ARGS to the node it starts.
    env = {**os.environ, "JCO_RUN_ARGS": "--experimental-wasm-extended-const"}
    return subprocess.run(toolchain.jco_command() + ["run", str(app), "cat /etc/app.toml", "ls /assets", "cat /nope"],
                          capture_output=True, text=True, env=env, timeout=900)


def test_jco_runs_the_composed_program_too(tmp_path: Path, probe: Path, assets: Path) -> None:
    proc, app = _compose(probe, SEMANTICS_SPEC.format(assets=str(assets)), tmp_path, link="composed")
    assert proc.returncode == 0, proc.stderr
    proc = _jco_run(app)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "/etc/app.toml: debug = false\\n", "/assets: 2 entries", "  css d", "  logo.txt f", "/nope: ENOENT"]


def test_jco_cannot_load_a_fused_program(tmp_path: Path, probe: Path, assets: Path) -> None:
    """What README and `compose --link` say: a fused component has two memories, which jco
    (and Node 20) refuse; the jco path is `--link composed`."""
    proc, app = _compose(probe, SEMANTICS_SPEC.format(assets=str(assets)), tmp_path, link="fused")
    assert proc.returncode == 0, proc.stderr
    proc = _jco_run(app)
    assert proc.returncode != 0 and "multiple memories" in proc.stderr


THREADS_WAT = """
(module
  (import "wasi" "thread-spawn" (func (param i32) (result i32)))
  (memory (export "memory") 1 1 shared)
  (func (export "_start")))
"""


@pytest.mark.parametrize("case, message", [
    ("syntax", r"^error: {spec}:3: SyntaxError: "),
    ("exception", r"^error: {spec}:4: ZeroDivisionError: division by zero$"),
    ("missing-dir", r"^error: {spec}:3: "),
    ("no-vfs", r"^error: {spec}:1: the spec defines no module-level `vfs`; add `vfs = VFS\(\)`"),
    ("no-spec", r"^error: {spec}: cannot read the spec file: No such file or directory$"),
    ("not-wasm", r"^error: {child}: not a WebAssembly file"),
    ("threads", r"^error: {child}: .*shared-memory threads"),
    ("no-child", r"^error: {child}: no such file"),
])
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path: Path, probe: Path, wat, case: str,
                                                    message: str) -> None:
    spec = tmp_path / "spec.py"
    child = probe
    specs = {
        "syntax": "from wasivirt_component import VFS\nvfs = VFS()\nvfs.dir('/a'\n",
        "exception": "from wasivirt_component import VFS\nvfs = VFS()\n\n1 / 0\n",
        "missing-dir": "from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed('/x', 'no-such-dir')\n",
        "no-vfs": "x = 1\n",
    }
    spec.write_text(specs.get(case, "from wasivirt_component import VFS\nvfs = VFS()\n"))
    if case == "no-spec":
        spec.unlink()
    elif case == "not-wasm":
        child = tmp_path / "child.wasm"
        child.write_text("#!/bin/sh\necho not wasm\n")
    elif case == "threads":
        child = wat(THREADS_WAT, "threads")
    elif case == "no-child":
        child = tmp_path / "missing.wasm"
    out = tmp_path / "out" / "app.wasm"
    out.parent.mkdir()
    result = wasivirt("compose", str(child), "--vfs", str(spec), "-o", str(out))
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert re.match(message.format(spec=re.escape(str(spec)), child=re.escape(str(child))), result.stderr), result.stderr
    assert list(out.parent.iterdir()) == []


def test_an_http_child_is_refused_up_front(tmp_path: Path, http_child: Path) -> None:
    """Before the spec runs (this one would fail) and before the virtualizer is built."""
    spec = tmp_path / "spec.py"
    spec.write_text("from wasivirt_component import VFS\nvfs = VFS()\n1 / 0\n")
    out = tmp_path / "out" / "app.wasm"
    out.parent.mkdir()
    result = wasivirt("compose", str(http_child), "--vfs", str(spec), "-o", str(out))
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {http_child}: HTTP children are not supported by compose yet (it exports "
        "wasi:http/incoming-handler@0.2.12); serve it without a virtual filesystem, or compose it "
        "with `wasivirt plug`\n")
    assert list(out.parent.iterdir()) == []


PY_SPEC = """
from wasivirt_component import VFS
vfs = VFS()
with vfs.dir("/data") as data:
    data.file("hello.txt", "hello from the image\\n")
{extra}
"""


@pytest.mark.parametrize("link", LINKS)
def test_a_componentize_py_child_reads_the_virtual_filesystem(tmp_path: Path, py_files: Path, link: str) -> None:
    """A WASI 0.2 component nobody adapted: componentize-py's CPython, which also imports
    wasi:sockets. Its files come from the image; its socket imports trap (their pollables
    and streams would bypass the virtual wasi:io), reported by compose. Fused, its wasip2
    libc and its preview1 adapter both call the virtualizer's core directly."""
    spec = tmp_path / "spec.py"
    spec.write_text(PY_SPEC.format(extra=""))
    out = tmp_path / "app.wasm"
    result = wasivirt("compose", str(py_files), "--vfs", str(spec), "-o", str(out), "--link", link)
    assert result.code == 0, result.stderr
    trapped = next(line for line in result.stdout.splitlines() if line.startswith("trap if called"))
    assert trapped.endswith("sockets/udp, sockets/udp-create-socket, sockets/tcp, "
                            "sockets/tcp-create-socket, sockets/ip-name-lookup"), trapped
    assert "no host filesystem access" in result.stdout and f"linked: {link} (" in result.stdout
    run = run_app(out)
    assert (run.code, run.stdout) == (0, "listing: ['hello.txt']\nhello.txt: hello from the image\n"), run.stderr
    if link == "fused":  # the production runtime too (the composed mode's is checked elsewhere)
        cli = subprocess.run([str(wasmtime_cli()), "run", str(out)], capture_output=True, text=True, timeout=300)
        assert (cli.returncode, cli.stdout, cli.stderr) == (0, run.stdout, "")


@pytest.mark.parametrize("link", LINKS)
def test_a_child_calling_a_stubbed_socket_traps(tmp_path: Path, py_files: Path, link: str) -> None:
    spec = tmp_path / "spec.py"
    spec.write_text(PY_SPEC.format(extra='    data.file("use-network", "")'))
    out = tmp_path / "app.wasm"
    assert wasivirt("compose", str(py_files), "--vfs", str(spec), "-o", str(out), "-q", "--link", link).code == 0
    run = run_app(out)
    assert run.code == 134
    assert run.stdout == ("listing: ['hello.txt', 'use-network']\nhello.txt: hello from the image\n"
                          "opening a socket\n")
    assert run.stderr == (  # the stub's name section names the call
        f"error: {out}: trapped: it called `wasi:sockets/tcp-create-socket@0.2.9#create-tcp-socket`, "
        "which this composition stubs out (every call traps) (add --backtrace for the wasm backtrace)\n")


@pytest.mark.parametrize("link", LINKS)
def test_a_componentize_py_child_reads_a_host_mount(tmp_path: Path, py_files: Path, link: str) -> None:
    """The host side of a flat WASI 0.2 child: /data passed through from a host directory
    at run time, in both modes."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "hello.txt").write_text("hello from the host\n")
    (host / "other").write_text("")
    spec = tmp_path / "spec.py"
    spec.write_text("from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount('/data', host='data')\n")
    out = tmp_path / "app.wasm"
    assert wasivirt("compose", str(py_files), "--vfs", str(spec), "-o", str(out), "-q", "--link", link).code == 0
    run = wasivirt("run", str(out), "--dir", f"{host}::data")
    assert (run.code, run.stdout, run.stderr) == (
        0, "listing: ['hello.txt', 'other']\nhello.txt: hello from the host\n", "")


def test_precompile_fills_the_run_cache_and_quiet_prints_nothing(tmp_path: Path, probe: Path) -> None:
    from wasivirt_component.engine import ComponentCache

    spec = tmp_path / "spec.py"
    spec.write_text(f"from wasivirt_component import VFS\nvfs = VFS()\nvfs.dir('/u').file('id', {str(tmp_path)!r})\n")
    plain, pre = tmp_path / "plain.wasm", tmp_path / "pre.wasm"
    cache = ComponentCache(root=SESSION_CACHE / "compiled")
    env = {"SOURCE_DATE_EPOCH": str(EPOCH)}  # else timestamps = compose time

    def compose(out: Path, *flags: str) -> subprocess.CompletedProcess[str]:
        return run_cli("compose", probe, "--vfs", spec, "-o", out, *flags, env=env, timeout=1800)

    first = compose(plain, "-q")
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
    assert not cache.path_for(plain.read_bytes()).exists()  # validation did not compile it whole
    second = compose(pre, "-q", "--precompile")
    assert (second.returncode, second.stdout, second.stderr) == (0, "", "")
    assert pre.read_bytes() == plain.read_bytes()  # same inputs and time, same bytes
    assert cache.path_for(pre.read_bytes()).is_file()
    result = run_app(pre, "cat /u/id")
    assert result.stdout == f"/u/id: {tmp_path}\n"
