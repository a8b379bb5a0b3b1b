"""The component reader on real components: adapted C programs and componentize-py output."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasivirt_component.binary.sections import iter_sections
from wasivirt_component.compose._reader import read_component
from wasivirt_component.compose._render import render_type
from wasivirt_component.compose.types import FuncType, InstanceType, Resource, TypeItem
from wasivirt_component.errors import BinaryFormatError


def _instance(info, name: str) -> InstanceType:
    item = info.type.imports.get(name) or info.type.exports[name]
    assert isinstance(item, InstanceType)
    return item


def test_adapted_c_program_imports_wasi_0_2_12_and_exports_run(hello: Path) -> None:
    info = read_component(hello.read_bytes(), "hello")
    imports = list(info.type.imports)
    assert "wasi:cli/environment@0.2.12" in imports
    assert "wasi:filesystem/types@0.2.12" in imports
    assert list(info.type.exports) == ["wasi:cli/run@0.2.12"]
    run = _instance(info, "wasi:cli/run@0.2.12").exports["run"]
    assert isinstance(run, FuncType) and render_type(run) == "func() -> result"


def test_resources_flow_between_imports_like_the_validator_binds_them(hello: Path) -> None:
    info = read_component(hello.read_bytes(), "hello")
    error = _instance(info, "wasi:io/error@0.2.12").exports["error"]
    streams = _instance(info, "wasi:io/streams@0.2.12")
    assert isinstance(error, TypeItem) and error.bound == "sub" and isinstance(error.type, Resource)
    # streams refers to the very resource the error import introduced
    assert streams.exports["error"].bound == "eq"
    assert streams.exports["error"].type is error.type
    # and its own stream resources are fresh, distinct resources
    ins, outs = streams.exports["input-stream"].type, streams.exports["output-stream"].type
    assert isinstance(ins, Resource) and isinstance(outs, Resource) and ins is not outs
    assert ins in info.type.imported and error.type in info.type.imported
    read = streams.exports["[method]input-stream.read"]
    assert render_type(read) == "func(self: borrow<input-stream>, len: u64) -> result<list<u8>, stream-error>"


def test_named_types_keep_their_names(hello: Path) -> None:
    info = read_component(hello.read_bytes(), "hello")
    fs = _instance(info, "wasi:filesystem/types@0.2.12")
    stat = fs.exports["[method]descriptor.stat"]
    assert render_type(stat) == "func(self: borrow<descriptor>) -> result<descriptor-stat, error-code>"


def test_componentize_py_component_is_read_through_its_shim_components(env_plug: Path) -> None:
    data = env_plug.read_bytes()
    assert len(data) > 10_000_000
    info = read_component(data, "env-plug")
    assert "wasi:io/streams@0.2.9" in info.type.imports  # componentize-py's own CPython imports
    env = _instance(info, "wasi:cli/environment@0.2.12")
    assert set(env.exports) == {"get-environment", "get-arguments", "initial-cwd"}
    assert render_type(env.exports["initial-cwd"]) == "func() -> option<string>"


def test_core_module_is_refused_with_the_adapt_hint(c_module) -> None:
    module = c_module("hello.c")
    with pytest.raises(BinaryFormatError, match=r"core wasm module.*wasivirt adapt"):
        read_component(module.read_bytes(), "hello.wasm")


@pytest.mark.parametrize("data, message", [
    (b"", "not a WebAssembly file"),
    (b"\x00asm", "truncated wasm header"),
    (b"\x00asm\x0e\x00\x01\x00", "version 0xe is not supported"),
    (b"GIF89a..", "not a WebAssembly file"),
])
def test_bad_headers_are_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(BinaryFormatError, match=message):
        read_component(data, "x.wasm")


def test_every_truncation_is_our_error(hello: Path) -> None:
    data = hello.read_bytes()
    # A cut exactly between two sections leaves a well-formed shorter component.
    boundaries = {s.end for s in iter_sections(memoryview(data))}
    # every cut in the type-heavy prefix, then a stride through the rest
    cuts = list(range(9, 3000)) + list(range(3000, len(data), 97))
    for cut in cuts:
        if cut in boundaries:
            read_component(data[:cut], "cut.wasm")
            continue
        with pytest.raises(BinaryFormatError, match="cut.wasm"):
            read_component(data[:cut], "cut.wasm")


@st.composite
def _mutations(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "set"]))
        pos = draw(st.integers(8, len(out) - 1))
        if kind == "flip":
            out[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            out[pos:pos] = bytes([draw(st.integers(0, 255))])
        elif kind == "delete":
            del out[pos]
        else:
            out[pos] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF, 0x40, 0x41, 0x42]))
    return bytes(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_binaries_raise_only_our_error(hello: Path, data: st.DataObject) -> None:
    original = hello.read_bytes()
    # mutate the component-level prefix (types, imports), where the reader does real work
    head = original[:3500]
    mutated = data.draw(_mutations(head)) + original[3500:]
    try:
        read_component(mutated, "mutated.wasm")
    except BinaryFormatError as exc:
        assert exc.message.startswith("mutated.wasm") and "\n" not in exc.message, exc.message


def test_names_with_control_characters_keep_the_error_on_one_line() -> None:
    """Found by the mutation test: a name read from the bytes may hold a newline."""
    from wasivirt_component.binary.reader import Reader

    error = Reader(b"\0", what="bad.wasm").error("`ethod]input-stream.read\x01\n`: must refer to a component type")
    assert error.message == ("bad.wasm: `ethod]input-stream.read\\x01\\n`: must refer to a component type "
                             "at byte offset 0")
