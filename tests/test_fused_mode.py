"""Fused linking end to end: `wasivirt compose --link fused|composed|auto`, run.

The filesystem probes run fused in `test_differential.py` and `test_mounts.py` (both
modes, identical expectations); here: stdio, clocks and `poll`, a reactor, the wasmtime
CLI, a child with two fronts, what `auto` chooses and says, a forced fused link that
cannot be, and `inspect`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import wasmtime
from wasmtime.component import Component, Linker

from support.cbuild import compile_c
from support.cli import run_cli
from support.mutants import with_forwarding_realloc
from support.probes import PROBES, make_tree
from support.vfsapps import LINKS, compose, run_app, wasivirt
from support.wasmtimecli import wasmtime_cli
from wasivirt_component import toolchain
from wasivirt_component.artifact import read_artifact
from wasivirt_component.engine import make_engine

SPEC = """
from wasivirt_component import VFS
vfs = VFS()
vfs.dir("/etc").file("motd", "fused hello\\n")
"""


@pytest.fixture(scope="module")
def hello() -> Path:
    return compile_c("hello.c")


@pytest.fixture(scope="module", params=LINKS)
def hello_app(request, tmp_path_factory, hello) -> Path:
    return compose(hello, SPEC, tmp_path_factory.mktemp("hello"), link=request.param)


def test_stdout_stderr_stdin_args_and_exit_codes_reach_the_host(hello_app, tmp_path):
    out = wasivirt("run", str(hello_app), "--env", "NAME=fused", "--", "a b", "c")
    assert (out.code, out.stderr) == (0, "")
    assert out.stdout == f"hello, fused!\nargc=3\nargv[0]={hello_app.name}\nargv[1]=a b\nargv[2]=c\n"
    out = wasivirt("run", str(hello_app), "--", "stderr", "to the host's stderr")
    assert (out.code, out.stderr) == (0, "to the host's stderr\n")
    out = wasivirt("run", str(hello_app), "--", "exit", "3")
    assert out.code == 1  # the preview1 adapter's exit code for any non-zero status (TOOLCHAIN.md)
    proc = run_cli("run", hello_app, "--", "stdin", input="piped\ntext\n", timeout=300)
    assert proc.returncode == 0 and proc.stdout.endswith("argv[1]=stdin\npiped\ntext\n"), proc.stderr


@pytest.mark.parametrize("link", LINKS)
def test_clocks_and_sleeping_poll_through_the_virtualizer(tmp_path, link):
    """nanosleep is poll_oneoff: a monotonic-clock subscription and `poll` (fused: the
    virtualizer's pollables, forwarded to the host's)."""
    clock = compile_c("clock.c")
    app = compose(clock, SPEC, tmp_path, link=link)
    out = run_app(app)
    assert (out.code, out.stderr) == (0, "")
    assert out.stdout.splitlines() == ["slept 20 ms: yes", "resolution: positive", "wall clock: plausible"]


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> Path:
    """tests/c/reader.c as a reactor module carrying its WIT world (reader.wit)."""
    core = compile_c("reader.c", flags=("-mexec-model=reactor",))
    out = tmp_path_factory.mktemp("reader") / "reader.wasm"
    toolchain.run_tool([toolchain.wasm_tools(), "component", "embed", str(Path(__file__).parent / "c" / "reader.wit"),
                        "--world", "reader", str(core), "-o", str(out)], what="embedding reader.wit")
    return out


def _sizes(app: Path, paths: list[str]) -> list[int]:
    """`size-of` of each path, called on one instance of the reactor `app`."""
    engine = make_engine()
    linker = Linker(engine)
    linker.add_wasip2()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    size_of = linker.instantiate(store, Component(engine, app.read_bytes())).get_func(store, "size-of")
    results = []
    for path in paths:
        results.append(size_of(store, path))
        size_of.post_return(store)
    return results


def test_a_reactor_reads_from_the_image(reader, tmp_path):
    """The reactor adapter, fused: the export reads a file of the image through stdio."""
    paths = ["/etc/motd", "/nope", "/etc", "/etc/motd"]
    fused = _sizes(compose(reader, SPEC, tmp_path, "fused", link="fused"), paths)
    composed = _sizes(compose(reader, SPEC, tmp_path, "composed", link="composed"), paths)
    assert fused == composed
    assert fused[:2] == [12, -44] and fused[3] == 12  # -ENOENT


def test_the_wasmtime_cli_runs_the_fused_probes_like_its_own_wasi(tmp_path, adapted):
    """Native: the wasmtime CLI's own filesystem (the tree preopened); fused: the same tree
    embedded, run by the same CLI with no flags."""
    probe = compile_c("fsprobe.c")
    tree = tmp_path / "tree"
    tree.mkdir()
    make_tree(tree)
    app = compose(probe, f"from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed('/', {str(tree)!r})\n"
                         "vfs.dir('/scratch')\n", tmp_path, link="fused")
    component = adapted(probe)
    for name in ("walk_and_list", "read_whole_files", "chunks_65536", "pread", "stat_and_identity", "writes"):
        native_root = tmp_path / f"native-{name}"
        shutil.copytree(tree, native_root)
        (native_root / "scratch").mkdir()
        native = subprocess.run([str(wasmtime_cli()), "run", "--dir", f"{native_root}::/", str(component),
                                 *PROBES[name]], capture_output=True, text=True, timeout=300)
        fused = subprocess.run([str(wasmtime_cli()), "run", str(app), *PROBES[name]], capture_output=True,
                               text=True, timeout=300)
        assert (fused.returncode, fused.stderr) == (0, ""), (name, fused.stderr)
        assert fused.stdout.splitlines() == native.stdout.splitlines(), name


def test_a_child_with_two_reallocs_runs_through_two_fronts(tmp_path, adapted):
    """Its filesystem functions returning lists are lowered with a second realloc
    (`support.mutants`): fused with a front each, it answers every probe as the original."""
    from wasivirt_component.fuse.skeleton import core_modules
    from wasivirt_component.virt.bridge import bridge_module

    probe = compile_c("fsprobe.c")
    mutant = tmp_path / "mutant.wasm"
    mutant.write_bytes(with_forwarding_realloc(adapted(probe).read_bytes()))
    tree = tmp_path / "tree"
    tree.mkdir()
    make_tree(tree)
    spec = f"from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed('/', {str(tree)!r})\n"
    one = compose(probe, spec, tmp_path, name="one", link="fused")
    two = compose(mutant, spec, tmp_path, name="two", link="fused")
    assert bridge_module(2) in [bytes(m) for m in core_modules(two.read_bytes())]
    for name in ("walk_and_list", "read_whole_files", "stat_and_identity", "dot_dot"):
        expected, got = run_app(one, *PROBES[name]), run_app(two, *PROBES[name])
        assert (got.code, got.stdout, got.stderr) == (expected.code, expected.stdout, expected.stderr), name


# -- choosing the mode ------------------------------------------------------------------------

def _compose_cli(child: Path, tmp_path: Path, *args: str):
    spec = tmp_path / "spec.py"
    spec.write_text(SPEC)
    out = tmp_path / "out.wasm"
    return wasivirt("compose", str(child), "--vfs", str(spec), "-o", str(out), *args), out


def test_auto_is_fused_for_a_wasip1_program(tmp_path, hello):
    result, out = _compose_cli(hello, tmp_path)
    assert result.code == 0 and result.stderr == ""
    assert "\nlinked: fused (" in result.stdout and read_artifact(out.read_bytes()).link == "fused"


def test_auto_falls_back_to_composed_with_a_one_line_note(tmp_path, c_module):
    library = c_module("library.c", flags=("-mexec-model=reactor",))  # no WASI at all
    result, out = _compose_cli(library, tmp_path)
    assert result.code == 0, result.stderr
    notes = [ln for ln in result.stderr.splitlines() if ln.startswith("note: linked composed")]
    assert len(notes) == 1 and "imports none of the interfaces the virtualizer serves" in notes[0]
    assert "linked: composed (" in result.stdout and read_artifact(out.read_bytes()).link == "composed"


def test_auto_is_fused_for_a_flat_wasi_component_too(tmp_path, py_files):
    """A WASI 0.2 component (componentize-py: its wasip2 libc and a preview1 adapter both
    import WASI, lowered with one memory and libc's realloc) is fused, with no note."""
    result, out = _compose_cli(py_files, tmp_path, "-q")
    assert (result.code, result.stderr) == (0, "")
    assert read_artifact(out.read_bytes()).link == "fused"


def test_a_forced_fused_link_that_cannot_be_is_one_line_and_writes_nothing(tmp_path, c_module):
    library = c_module("library.c", flags=("-mexec-model=reactor",))
    result, out = _compose_cli(library, tmp_path, "--link", "fused")
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {library}: cannot link fused: ") and result.stderr.count("\n") == 1
    assert not out.exists()


def test_a_component_nesting_the_wasi_importer_is_not_fused(tmp_path, hello):
    """A composed app (the child a component inside it, given the virtualizer's WASI) is
    composed again, saying why."""
    first, composed = _compose_cli(hello, tmp_path, "--link", "composed", "-q")
    assert first.code == 0, first.stderr
    again = tmp_path / "again"
    again.mkdir()
    result, out = _compose_cli(composed, again, "-q")
    assert result.code == 0, result.stderr
    assert result.stderr == (f"note: linked composed, not fused: {composed} nests components: the served WASI "
                             "interfaces are passed to a component inside it, not imported by its own core "
                             "instances\n")
    assert read_artifact(out.read_bytes()).link == "composed"


def test_an_unknown_link_mode_is_an_error(tmp_path, hello):
    result, out = _compose_cli(hello, tmp_path, "--link", "both")
    assert result.code == 2 and "unknown link mode 'both'" in result.stderr and not out.exists()


@pytest.mark.parametrize("link", LINKS)
def test_inspect_says_which_mode(tmp_path, hello, link):
    result, out = _compose_cli(hello, tmp_path, "--link", link, "-q")
    assert result.code == 0, result.stderr
    report = json.loads(wasivirt("inspect", str(out), "--json").stdout)
    assert report["component"]["link"] == link
    human = run_cli("inspect", out, env={"COLUMNS": "250"}).stdout
    assert " link " in human and f"{link}: the virtualizer" in human
