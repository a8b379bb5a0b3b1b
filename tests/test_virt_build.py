"""Building the virtualizer: generated WIT, cache behaviour, and the real component's
imports and exports (the isolation property: no `wasi:*` import at all)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from wasivirt_component.errors import ToolchainError
from wasivirt_component.virt import build, names, wit_gen

SIZE_BUDGET = 200_000  # bytes: smaller than WASI-Virt's virtual adapter (208 KB)


def world_items(kind: str) -> set[str]:
    """`import`/`export` names listed in the virtualizer's world (the file's other world,
    `host-filesystem`, only describes the host's types: build.host_filesystem_types_path)."""
    text = wit_gen.wit_files()["virtualizer.wit"]
    world = re.search(r"^world virtualizer \{(.*?)^\}", text, re.MULTILINE | re.DOTALL)
    assert world is not None
    return set(re.findall(rf"^\s*{kind} ([^;]+);", world[1], re.MULTILINE))


# -- generated WIT ---------------------------------------------------------------------------

def test_wit_has_wasi_and_renamed_host_packages():
    files = wit_gen.wit_files()
    assert set(files) == ({"virtualizer.wit"}
                          | {f"deps/wasi-{p}/package.wit" for p in names.WASI_PACKAGES}
                          | {f"deps/wasivirt-host-{p}/package.wit" for p in names.WASI_PACKAGES})
    cli = files["deps/wasivirt-host-cli/package.wit"]
    assert cli.startswith("package wasivirt-host:cli@0.2.12;")
    assert "include wasivirt-host:filesystem/imports@0.2.12;" in cli
    assert "wasi:" not in cli.replace("wasivirt-host:", "")
    assert files["deps/wasi-io/package.wit"].startswith("package wasi:io@0.2.12;")


def test_world_imports_only_host_interfaces():
    assert world_items("import") and all(n.startswith(names.HOST_PACKAGE) for n in world_items("import"))
    assert all(n.startswith("wasi:") for n in world_items("export"))


def test_glue_is_generated_from_the_resolved_world():
    header, source = build.generated_glue(wit_gen.wit_files())
    assert "bool filesystem_types_descriptor_stat(filesystem_types_descriptor_t *self" in header
    assert '_Static_assert(sizeof(filesystem_types_descriptor_stat_t) == 96' in header
    assert 'export_name("wasi:filesystem/types@0.2.12#[method]descriptor.stat")' in source
    assert 'import_module("wasivirt-host:io/streams@0.2.12"), import_name("[method]input-stream.read")' in source


# -- cache key and cache behaviour ---------------------------------------------------------------

def test_cache_key_covers_sources_wit_tools_and_flags(monkeypatch):
    wit, src = {"a.wit": "x"}, {"wv.h": b"/* */"}
    key = build.cache_key(wit, src)
    assert key == build.cache_key(dict(wit), dict(src))
    assert key != build.cache_key({"a.wit": "y"}, src)
    assert key != build.cache_key(wit, {"wv.h": b"/* changed */"})
    assert key != build.cache_key(wit, {**src, "extra.c": b""})
    monkeypatch.setattr(build.toolchain, "zig_version", lambda: "0.0.1")
    assert key != build.cache_key(wit, src)
    monkeypatch.undo()
    monkeypatch.setattr(build, "CFLAGS", [*build.CFLAGS, "-O3"])
    assert key != build.cache_key(wit, src)


@pytest.fixture
def counted_builds(tmp_path, monkeypatch):
    """`_build` replaced by a stand-in that writes a marker and counts its calls."""
    calls: list[Path] = []
    delay = {"seconds": 0.0}

    def fake_build(target: Path, wit: dict, sources: dict) -> None:
        import time
        time.sleep(delay["seconds"])
        calls.append(target)
        target.write_bytes(b"built " + str(len(calls)).encode())

    monkeypatch.setattr(build, "_build", fake_build)
    monkeypatch.setenv("WASIVIRT_CACHE_DIR", str(tmp_path / "cache"))
    return calls, delay


def test_second_call_is_served_from_the_cache(counted_builds):
    calls, _ = counted_builds
    first = build.virtualizer_path()
    assert first.parent == Path(os.environ["WASIVIRT_CACHE_DIR"]) / "virtualizer"
    assert build.virtualizer_path() == first
    assert build.virtualizer_component() == b"built 1"
    assert len(calls) == 1


def test_progress_is_shown_only_while_building(counted_builds):
    shown: list[str] = []

    import contextlib

    @contextlib.contextmanager
    def progress(text: str):
        shown.append(text)
        yield

    build.virtualizer_path(progress=progress)
    build.virtualizer_path(progress=progress)
    assert len(shown) == 1 and "virtualizer" in shown[0]


def test_concurrent_builds_build_once(counted_builds):
    calls, delay = counted_builds
    delay["seconds"] = 0.5
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(build.virtualizer_path())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 3
    assert len(calls) == 1


def test_changed_source_rebuilds_and_old_builds_are_pruned(counted_builds, monkeypatch):
    calls, _ = counted_builds
    real = build.c_sources
    paths = []
    for i in range(build.KEEP_BUILDS + 2):
        monkeypatch.setattr(build, "c_sources", lambda i=i: {**real(), "zz.h": f"/* {i} */".encode()})
        paths.append(build.virtualizer_path())
        os.utime(paths[-1], (1000 + i, 1000 + i))  # distinct ages, oldest first
    assert len(set(paths)) == len(paths) == len(calls)
    left = sorted(paths[0].parent.glob("virtualizer-*.wasm"))
    assert left == sorted(paths[-build.KEEP_BUILDS:])


def test_a_compile_error_is_one_line_and_leaves_no_cache_entry(tmp_path, monkeypatch):
    """A real build (zig) of a broken source: one line naming the file, nothing cached."""
    monkeypatch.setenv("WASIVIRT_CACHE_DIR", str(tmp_path / "cache"))
    real = build.c_sources
    monkeypatch.setattr(build, "c_sources", lambda: {**real(), "broken.c": b"int x = ;\n"})
    with pytest.raises(ToolchainError) as info:
        build.virtualizer_path()
    message = info.value.message
    assert message.startswith("compiling the virtualizer failed:") and "broken.c" in message
    assert "\n" not in message
    cache = tmp_path / "cache" / "virtualizer"
    assert not list(cache.glob("virtualizer-*.wasm")) and not list(cache.glob("*.tmp"))


def test_missing_tools_are_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("WASIVIRT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(build.toolchain, "python_package_version",
                        lambda name: None if name == "ziglang" else "1")
    with pytest.raises(ToolchainError, match=r"ziglang is not installed; run `pip install ziglang"):
        build.toolchain.zig_cc()


# -- the real component --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def component_type():
    from support.virtharness import compiled_virtualizer
    engine, component = compiled_virtualizer()
    return engine, component.type


def test_imports_only_host_interfaces(component_type):
    engine, ctype = component_type
    imports = set(ctype.imports(engine))
    assert imports and imports <= world_items("import")
    assert not [name for name in imports if name.startswith("wasi:")]


def test_exports_exactly_the_world(component_type):
    engine, ctype = component_type
    assert set(ctype.exports(engine)) == world_items("export")


def test_is_small():
    size = len(build.virtualizer_component())
    assert size <= SIZE_BUDGET, f"{size} bytes"


def test_core_module_imports_nothing_of_wasi_for_itself():
    """The C code is freestanding: its core imports are the host functions it calls and the
    canonical-ABI intrinsics of its own resources, nothing else."""
    from wasivirt_component.binary.module import read_module
    from wasivirt_component.binary.sections import iter_sections

    data = memoryview(build.virtualizer_component())
    first_module = next(s for s in iter_sections(data, 8, None, "virtualizer") if s.id == 1)
    module = read_module(data[first_module.start:first_module.end], "virtualizer core")
    for imp in module.imports:
        assert imp.module.startswith((names.HOST_PACKAGE, "[export]wasi:")), (imp.module, imp.name)


def test_real_build_is_cached(monkeypatch):
    """The session's component came from the cache; asking again runs nothing."""
    build.virtualizer_path()
    monkeypatch.setattr(build, "_build", lambda *a, **k: pytest.fail("rebuilt a cached virtualizer"))
    assert build.virtualizer_path().is_file()


def test_the_host_filesystem_types_declare_every_function_mounts_need():
    """What the fused splice widens a child's import with (`fuse/widen.py`) is read from
    this component: the host's whole `wasi:filesystem/types`, as wit-component types it."""
    from wasivirt_component.compose import read_component
    from wasivirt_component.fuse.host import MOUNT_NEEDS

    imports = read_component(build.host_filesystem_types_path().read_bytes()).type.imports
    types = imports[f"wasi:filesystem/types@{names.WASI_VERSION}"]
    assert set(MOUNT_NEEDS[1]) <= set(types.exports)  # type: ignore[union-attr]
    assert build.host_filesystem_types_path() == build.host_filesystem_types_path()  # cached
