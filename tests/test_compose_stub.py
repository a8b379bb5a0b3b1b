"""Trapping stubs: fill imports without the host, so the result cannot reach it."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run_cli
from wasivirt_component.check import filesystem_imports, validate_component
from wasivirt_component.compose._graph import CompositionGraph
from wasivirt_component.compose._reader import read_component
from wasivirt_component.compose._stub import trap_stub
from wasivirt_component.compose.abi import flatten, lifted_core_signature
from wasivirt_component.compose.types import (
    Enum,
    FuncType,
    ListType,
    Option,
    Record,
    Result,
    Tuple,
    Variant,
)
from wasivirt_component.errors import CompositionError


def _stubbed(info, prefixes: tuple[str, ...]) -> tuple[bytes, list[str], list[str]]:
    names = [n for n in info.type.imports if n.startswith(prefixes)]
    stub = trap_stub(info.type, names)
    validate_component(stub.data, "stub")
    graph = CompositionGraph()
    stub_node = graph.instantiate(graph.add_component(read_component(stub.data, "stub"), "stub"))
    node = graph.instantiate(graph.add_component(info, "hello"))
    for name in stub.exports:
        graph.connect(node, name, graph.export_of(stub_node, name))
    for name in info.type.exports:
        graph.export(graph.export_of(node, name), name)
    data = graph.encode()
    validate_component(data, "stubbed")
    return data, stub.exports, stub.imports


def test_filesystem_stub_removes_every_filesystem_import(tmp_path: Path, hello: Path) -> None:
    info = read_component(hello.read_bytes(), "hello")
    assert filesystem_imports(info.type.imports) == ["wasi:filesystem/types@0.2.12", "wasi:filesystem/preopens@0.2.12"]
    data, exports, imports = _stubbed(info, ("wasi:filesystem/",))
    assert exports == ["wasi:filesystem/types@0.2.12", "wasi:filesystem/preopens@0.2.12"]
    # the stub imports what the filesystem types use: streams, errors, datetime
    assert imports == ["wasi:io/error@0.2.12", "wasi:io/streams@0.2.12", "wasi:clocks/wall-clock@0.2.12"]
    composed = read_component(data, "stubbed").type
    assert filesystem_imports(composed.imports) == []
    # the libc asks for preopens at startup: the stub traps, it never reaches the host
    app = tmp_path / "app.wasm"
    app.write_bytes(data)
    proc = run_cli("run", app)
    assert proc.returncode == 134
    assert proc.stderr == (f"error: {app}: trapped: it called `wasi:filesystem/preopens@0.2.12#get-directories`, "
                           "which this composition stubs out (every call traps) "
                           "(add --backtrace for the wasm backtrace)\n")


def test_stubs_with_resources_and_no_dependencies(hello: Path) -> None:
    info = read_component(hello.read_bytes(), "hello")
    _, exports, imports = _stubbed(info, ("wasi:cli/terminal-",))
    assert len(exports) == 5 and imports == []


def test_only_instance_imports_can_be_stubbed(hello: Path) -> None:
    info = read_component(hello.read_bytes(), "hello")
    with pytest.raises(CompositionError, match=r"cannot stub `nope`: it is not an instance import"):
        trap_stub(info.type, ["nope"])


@pytest.mark.parametrize("t, flat", [
    ("u8", ["i32"]), ("s64", ["i64"]), ("f32", ["f32"]), ("string", ["i32", "i32"]),
    (ListType("u8"), ["i32", "i32"]), (ListType("f64", 3), ["f64"] * 3),
    (Record((("a", "u32"), ("b", "f64"))), ["i32", "f64"]),
    (Tuple(("u8", "string")), ["i32", "i32", "i32"]),
    (Option("f32"), ["i32", "f32"]),
    (Result("u64", "u32"), ["i32", "i64"]),          # join(i64, i32) = i64
    (Variant((("a", "f32"), ("b", "u32"), ("c", None))), ["i32", "i32"]),  # join(f32, i32) = i32
    (Variant((("a", "f64"), ("b", "f32"))), ["i32", "i64"]),
    (Enum(("x", "y")), ["i32"]),
])
def test_flattening_follows_the_canonical_abi(t, flat) -> None:
    assert flatten(t) == flat


def test_lifted_signatures_spill_to_memory() -> None:
    assert lifted_core_signature(FuncType((("a", "u32"),), "string")) == (["i32"], ["i32"])
    many = FuncType(tuple((f"p{i}", "u32") for i in range(17)), None)
    assert lifted_core_signature(many) == (["i32"], [])
    assert lifted_core_signature(FuncType((("x", "u64"),), "f64")) == (["i64"], ["f64"])
