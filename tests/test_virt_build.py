"""Building the virtualizer: generated WIT, cache behaviour, and the real component's
imports and exports (the isolation property: no `wasi:*` import at all)."""

from __future__ import annotations

import ast
import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from wasivirt_component.binary.encode import COMPONENT_PREAMBLE
from wasivirt_component.errors import ToolchainError
from wasivirt_component.virt import build, names, wit_gen
from wasivirt_component.virt.dtor_patch import patch_resource_destructor

from support.fakeruntime import component_with, runtime_module

RUNTIME = build.RUNTIME_DIR


# -- generated WIT ---------------------------------------------------------------------------

def test_wit_has_wasi_and_renamed_host_packages():
    files = wit_gen.wit_files()
    assert set(files) == ({"virtualizer.wit", "deps/wasivirt-vfs/image.wit"}
                          | {f"deps/wasi-{p}/package.wit" for p in names.WASI_PACKAGES}
                          | {f"deps/wasivirt-host-{p}/package.wit" for p in names.WASI_PACKAGES})
    cli = files["deps/wasivirt-host-cli/package.wit"]
    assert cli.startswith("package wasivirt-host:cli@0.2.12;")
    assert "include wasivirt-host:filesystem/imports@0.2.12;" in cli
    assert "wasi:" not in cli.replace("wasivirt-host:", "")
    assert files["deps/wasi-io/package.wit"].startswith("package wasi:io@0.2.12;")


def test_bare_resources_get_a_doc_comment_only_in_the_exported_copy():
    files = wit_gen.wit_files()
    exported = files["deps/wasi-cli/package.wit"]
    assert "/// A resource without methods" in exported
    lines = exported.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("resource ") and line.strip().endswith(";"):
            assert lines[i - 1].strip().startswith("///"), line
    assert "/// A resource without methods" not in files["deps/wasivirt-host-cli/package.wit"]


def test_world_exports_every_mapped_interface():
    world = wit_gen.wit_files()["virtualizer.wit"]
    for name in names.exported_wasi_names():
        assert f"export {name};" in world
    for name in names.imported_names():
        assert f"import {name};" in world


def test_runtime_has_a_module_per_resource_interface_and_no_forbidden_calls():
    """Each exported resource lives in a module named as names.py says; the runtime never
    calls what traps under --stub-wasi (print, open, time, os, random)."""
    for module in names.RESOURCE_MODULES:
        assert (RUNTIME / f"{module}.py").is_file(), module
    forbidden_modules = {"os", "time", "random", "socket", "io", "pathlib", "subprocess"}
    for path in RUNTIME.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"print", "open", "input"}, f"{path.name}: {node.func.id}()"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for mod in mods:
                    assert mod.split(".")[0] not in forbidden_modules, f"{path.name} imports {mod}"
                    assert not mod.startswith("wasivirt_component"), f"{path.name} imports the host package"


def test_runtime_imports_only_at_module_top_level():
    """An import first run inside a function searches the (stubbed, trapping) filesystem."""
    for path in RUNTIME.glob("*.py"):
        tree = ast.parse(path.read_text())
        top = set(map(id, tree.body))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                assert id(node) in top, f"{path.name}:{node.lineno} imports inside a function"


def test_host_package_never_imports_the_runtime():
    pkg = Path(build.__file__).resolve().parent.parent
    runtime_modules = {p.stem for p in RUNTIME.glob("*.py")}
    for path in pkg.rglob("*.py"):
        if RUNTIME in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            for mod in mods:
                assert mod.split(".")[0] not in runtime_modules, f"{path} imports {mod}"
                assert "virt.runtime" not in mod, f"{path} imports {mod}"


# -- cache key and cache behaviour ---------------------------------------------------------------

def test_cache_key_covers_sources_wit_version_and_flags():
    wit, src = {"a.wit": "x"}, {"wv_app.py": b"pass"}
    key = build.cache_key(wit, src, "0.25.1")
    assert key == build.cache_key(dict(wit), dict(src), "0.25.1")
    assert key != build.cache_key({"a.wit": "y"}, src, "0.25.1")
    assert key != build.cache_key(wit, {"wv_app.py": b"pass\n"}, "0.25.1")
    assert key != build.cache_key(wit, src, "0.25.2")
    assert key != build.cache_key(wit, {**src, "extra.py": b""}, "0.25.1")


FAKE_COMPONENTIZE = """#!{python}
import os, sys, time
args = sys.argv[1:]
with open({log!r}, "a") as fh:
    fh.write(" ".join(args) + "\\n")
time.sleep(float(os.environ.get("FAKE_DELAY", "0")))
if os.environ.get("FAKE_FAIL"):
    sys.stderr.write("Traceback\\nAssertionError: boom\\n\\nCaused by:\\n    NameError: name 'x' is not defined\\n\\nStack backtrace:\\n  0: junk\\n")
    sys.exit(1)
out = args[args.index("-o") + 1]
open(out, "wb").write(open(os.environ.get("FAKE_OUTPUT", {component!r}), "rb").read())
"""


# What the stand-in writes: a component holding a module shaped like componentize-py's
# runtime (so the destructor patch really runs), and the bytes the cache must then hold.
FAKE_OUTPUT = component_with(runtime_module())
PATCHED_OUTPUT = patch_resource_destructor(FAKE_OUTPUT)


@pytest.fixture
def fake_componentize(tmp_path, monkeypatch):
    """A stand-in componentize-py that logs its arguments and writes a fake component."""
    log = tmp_path / "calls.log"
    exe = tmp_path / "componentize-py"
    component = tmp_path / "fake-output.wasm"
    component.write_bytes(FAKE_OUTPUT)
    exe.write_text(FAKE_COMPONENTIZE.format(python=sys.executable, log=str(log), component=str(component)))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(build.toolchain, "find_componentize_py", lambda: str(exe))
    monkeypatch.setattr(build, "componentize_version", lambda: "fake-1")
    monkeypatch.setenv("WASIVIRT_CACHE_DIR", str(tmp_path / "cache"))
    return log


def _calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_second_call_is_served_from_the_cache(fake_componentize):
    first = build.virtualizer_path(quiet=True)
    assert first.read_bytes() == PATCHED_OUTPUT != FAKE_OUTPUT
    assert first.parent == Path(os.environ["WASIVIRT_CACHE_DIR"]) / "virtualizer"
    args = _calls(fake_componentize)[0].split()
    assert "--stub-wasi" in args and args[args.index("-w") + 1] == "virtualizer"
    assert "--export-interface-name" in args and "wasi:filesystem/types@0.2.12=ex_fs_types" in args
    assert build.virtualizer_path(quiet=True) == first
    assert build.virtualizer_component(quiet=True) == PATCHED_OUTPUT
    assert len(_calls(fake_componentize)) == 1
    assert [p.name for p in first.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_concurrent_builds_run_componentize_once(fake_componentize, monkeypatch):
    monkeypatch.setenv("FAKE_DELAY", "1")
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(build.virtualizer_path(quiet=True)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 3
    assert len(_calls(fake_componentize)) == 1


def test_a_failed_build_is_one_line_and_leaves_no_cache_entry(fake_componentize, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    with pytest.raises(ToolchainError) as info:
        build.virtualizer_path(quiet=True)
    message = info.value.message
    assert "NameError: name 'x' is not defined" in message and "\n" not in message
    cache = Path(os.environ["WASIVIRT_CACHE_DIR"]) / "virtualizer"
    assert not list(cache.glob("virtualizer-*.wasm"))
    assert "last-build.log" in message and (cache / "last-build.log").is_file()


@pytest.mark.parametrize("output", [b"\0asm\x0d\0\x01\0 not sections", COMPONENT_PREAMBLE])
def test_an_output_the_patch_cannot_handle_is_one_line_and_not_cached(fake_componentize, monkeypatch,
                                                                       tmp_path, output):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(output)
    monkeypatch.setenv("FAKE_OUTPUT", str(bad))
    with pytest.raises(ToolchainError) as info:
        build.virtualizer_path(quiet=True)
    assert "componentize-py" in info.value.message and "\n" not in info.value.message
    cache = Path(os.environ["WASIVIRT_CACHE_DIR"]) / "virtualizer"
    assert not list(cache.glob("virtualizer-*.wasm")) and not list(cache.glob("*.tmp"))


def test_changed_runtime_source_rebuilds(fake_componentize, monkeypatch):
    first = build.virtualizer_path(quiet=True)
    real = build.runtime_sources
    monkeypatch.setattr(build, "runtime_sources", lambda: {**real(), "zz_extra.py": b"# changed"})
    second = build.virtualizer_path(quiet=True)
    assert second != first and len(_calls(fake_componentize)) == 2


def test_old_builds_are_pruned(fake_componentize, monkeypatch):
    real = build.runtime_sources
    paths = []
    for i in range(build.KEEP_BUILDS + 2):
        monkeypatch.setattr(build, "runtime_sources", lambda i=i: {**real(), "zz.py": f"# {i}".encode()})
        paths.append(build.virtualizer_path(quiet=True))
        os.utime(paths[-1], (1000 + i, 1000 + i))  # distinct ages, oldest first
    left = sorted(paths[0].parent.glob("virtualizer-*.wasm"))
    assert left == sorted(paths[-build.KEEP_BUILDS:])


def test_failure_summary_picks_the_python_error():
    stderr = ("Traceback (most recent call last):\n  File x\nAssertionError: Traceback\n"
              "IndentationError: expected an indented block\n\nCaused by:\n"
              "    IndentationError: expected an indented block (t.py, line 15)\n\n"
              "Stack backtrace:\n   0: anyhow\n")
    assert build.failure_summary(stderr, 1) == "IndentationError: expected an indented block (t.py, line 15)"
    assert build.failure_summary("", 3) == "exit code 3"


# -- the real component --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def component_type():
    from virt_component_support import compiled_virtualizer
    engine, component = compiled_virtualizer()
    return engine, component.type


def test_imports_only_the_image_and_host_interfaces(component_type):
    engine, ctype = component_type
    imports = set(ctype.imports(engine))
    assert imports == set(names.imported_names())
    assert not [name for name in imports if name.startswith("wasi:")]


def test_exports_the_wasi_interfaces(component_type):
    engine, ctype = component_type
    exports = set(ctype.exports(engine))
    assert set(names.exported_wasi_names()) <= exports
    # componentize-py 0.25.1 also leaves its own `exports` instance (init); nothing else.
    assert exports - set(names.exported_wasi_names()) <= {"exports"}


def test_real_build_is_cached(monkeypatch):
    """The session's component came from the cache; asking again runs nothing."""
    build.virtualizer_path(quiet=True)
    monkeypatch.setattr(build, "_build", lambda *a, **k: pytest.fail("rebuilt a cached virtualizer"))
    assert build.virtualizer_path(quiet=True).is_file()
