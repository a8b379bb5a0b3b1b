"""`adapt`: core module -> component with the preview1 adapter, and every way it refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.wat_samples import FOREIGN_IMPORT_WAT, THREADS_WAT
from wasivirt_component import adapt as adapt_mod
from wasivirt_component.adapt import adapt, adapt_file, adapt_module
from wasivirt_component.binary.component_externs import read_component_externs
from wasivirt_component.errors import AdaptError, BinaryFormatError, JcoFailed, WasivirtError

SHARED_MEMORY_ONLY_WAT = """(module
  (memory (export "memory") 1 1 shared)
  (func (export "_start")))
"""
THREAD_SPAWN_ONLY_WAT = """(module
  (import "wasi" "thread-spawn" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
"""
PREVIEW0_WAT = """(module
  (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
"""
# Parses (jco parse does not type-check) but is invalid: i32.add with an empty stack.
INVALID_BODY_WAT = """(module
  (memory (export "memory") 1)
  (func (export "_start") i32.add))
"""


def names(externs) -> list[str]:
    return [e.name for e in externs]


def leftovers(directory: Path) -> list[str]:
    """Everything in `directory`: used to prove no output or temp file was left."""
    return sorted(p.name for p in directory.iterdir())


# -- success paths -----------------------------------------------------------------------

def test_command_module_becomes_command_component(c_module):
    data = c_module("hello.c").read_bytes()
    result = adapt(data)
    assert (result.kind, result.detected, result.already_component) == ("command", True, False)
    externs = read_component_externs(result.data)
    assert names(externs.exports) == ["wasi:cli/run@0.2.12"]
    assert "wasi:cli/environment@0.2.12" in names(externs.imports)
    assert result.unexported == ()


def test_reactor_module_becomes_reactor_component(c_module):
    data = c_module("library.c", flags=("-mexec-model=reactor",)).read_bytes()
    result = adapt(data)
    assert (result.kind, result.detected) == ("reactor", True)
    assert names(read_component_externs(result.data).exports) == []
    # `add` has no WIT world, so the component cannot export it; we say so.
    assert result.unexported == ("add",)


def test_reactor_override_on_a_command_module(c_module):
    result = adapt(c_module("hello.c").read_bytes(), "reactor")
    assert (result.kind, result.detected) == ("reactor", False)
    assert "wasi:cli/run@0.2.12" not in names(read_component_externs(result.data).exports)


def test_command_override_on_a_command_module_is_accepted(c_module):
    result = adapt(c_module("hello.c").read_bytes(), "command")
    assert (result.kind, result.detected) == ("command", False)


def test_component_input_passes_through_unchanged(c_module, adapted):
    component = adapted(c_module("hello.c")).read_bytes()
    result = adapt(component)
    assert result.already_component and result.kind is None
    assert result.data == component
    assert adapt_module(component) == component


def test_adapt_file_writes_output(c_module, tmp_path):
    out = tmp_path / "out.wasm"
    result = adapt_file(c_module("hello.c"), out)
    assert out.read_bytes() == result.data
    assert leftovers(tmp_path) == ["out.wasm"]


# -- refusals: exit 2, one line, nothing written ----------------------------------------

@pytest.mark.parametrize("text, why", [
    (THREADS_WAT, "imports wasi/thread-spawn and has a shared memory"),
    (SHARED_MEMORY_ONLY_WAT, "has a shared memory"),
    (THREAD_SPAWN_ONLY_WAT, "imports wasi/thread-spawn"),
])
def test_wasip1_threads_modules_are_refused(wat, tmp_path, text, why):
    module = wat(text, "threads")
    out = tmp_path / "out.wasm"
    with pytest.raises(AdaptError) as info:
        adapt_file(module, out)
    assert info.value.exit_code == 2
    assert info.value.message == (
        f"{module}: is a wasip1-threads module ({why}); the component model has no "
        "shared-memory threads, so this module cannot become a component -- rebuild it for "
        "wasm32-wasip1 without threads")
    assert leftovers(tmp_path) == []


def test_foreign_imports_are_refused_before_jco(wat, tmp_path):
    module = wat(FOREIGN_IMPORT_WAT, "foreign")
    with pytest.raises(AdaptError, match=r"imports host::call, which no WASI adapter provides"):
        adapt_file(module, tmp_path / "out.wasm")
    assert leftovers(tmp_path) == []


def test_preview0_modules_are_refused(wat, tmp_path):
    module = wat(PREVIEW0_WAT, "preview0")
    with pytest.raises(AdaptError, match=r"legacy wasi_unstable ABI \(WASI preview 0\)"):
        adapt_file(module, tmp_path / "out.wasm")


def test_command_override_without_start_is_refused(c_module, tmp_path):
    module = c_module("library.c", flags=("-mexec-model=reactor",))
    with pytest.raises(AdaptError) as info:
        adapt_file(module, tmp_path / "out.wasm", "command")
    assert info.value.message == (
        f"{module}: --command needs a `_start` export, which this module lacks; drop "
        "--command to adapt it as a reactor (library)")
    assert leftovers(tmp_path) == []


def test_jco_rejection_is_one_line_and_leaves_nothing(wat, tmp_path):
    module = wat(INVALID_BODY_WAT, "invalid")
    with pytest.raises(AdaptError) as info:
        adapt_file(module, tmp_path / "out.wasm")
    message = info.value.message
    assert message.startswith(f"{module}: the preview1 command adapter rejected this module: ")
    assert "\n" not in message and "file://" not in message  # no JS stack
    assert "type mismatch" in message or "expected" in message, message
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("content, expected", [
    (b"", "not a WebAssembly file (bad magic number)"),
    (b"hello world, not wasm", "not a WebAssembly file (bad magic number)"),
    (b"\x00asm\x01\x00", "truncated wasm header (6 bytes)"),
    (b"\x00asm\x02\x00\x00\x00", "unknown wasm version 0x2 / layer 0"),
    (b"\x7fELF\x02\x01\x01\x00", "not a WebAssembly file (bad magic number)"),
])
def test_not_wasm_is_refused(tmp_path, content, expected):
    src = tmp_path / "in.wasm"
    src.write_bytes(content)
    with pytest.raises(BinaryFormatError) as info:
        adapt_file(src, tmp_path / "out.wasm")
    assert info.value.message == f"{src}: {expected}"
    assert info.value.exit_code == 2
    assert leftovers(tmp_path) == ["in.wasm"]


def test_truncated_module_is_refused(c_module, tmp_path):
    src = tmp_path / "cut.wasm"
    src.write_bytes(c_module("hello.c").read_bytes()[:1000])
    with pytest.raises(BinaryFormatError, match=r"runs past the end .*the file is truncated"):
        adapt_file(src, tmp_path / "out.wasm")
    assert leftovers(tmp_path) == ["cut.wasm"]


def test_truncated_component_is_refused_not_copied(c_module, adapted, tmp_path):
    src = tmp_path / "cut.wasm"
    src.write_bytes(adapted(c_module("hello.c")).read_bytes()[:100])
    with pytest.raises(BinaryFormatError, match=r"the file is truncated"):
        adapt_file(src, tmp_path / "out.wasm")
    assert leftovers(tmp_path) == ["cut.wasm"]


def test_failure_keeps_an_existing_output_intact(wat, tmp_path):
    out = tmp_path / "out.wasm"
    out.write_bytes(b"previous build")
    with pytest.raises(AdaptError):
        adapt_file(wat(THREADS_WAT, "threads"), out)
    assert out.read_bytes() == b"previous build"
    assert leftovers(tmp_path) == ["out.wasm"]


def test_failure_while_writing_leaves_no_temp_file(c_module, tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(WasivirtError, match=r"out.wasm: cannot write \(No space left on device\)"):
        adapt_file(c_module("hello.c"), tmp_path / "out.wasm")
    assert leftovers(tmp_path) == []


def test_jco_temp_output_never_escapes(c_module, tmp_path, monkeypatch, isolated_cache):
    """jco writes into a private temp dir; on failure that dir (and its output) is gone."""
    seen: list[Path] = []
    real = adapt_mod.toolchain.run_jco

    def spy(args, **kw):
        out = Path(args[args.index("-o") + 1])
        seen.append(out.parent)
        real(args, **kw)
        raise JcoFailed("new", "simulated failure after writing")

    monkeypatch.setattr(adapt_mod.toolchain, "run_jco", spy)
    with pytest.raises(AdaptError, match="simulated failure after writing"):
        adapt_file(c_module("hello.c"), tmp_path / "out.wasm")
    assert seen and not seen[0].exists()
    assert leftovers(tmp_path) == []


def test_missing_input_file(tmp_path):
    with pytest.raises(WasivirtError) as info:
        adapt_file(tmp_path / "nope.wasm", tmp_path / "out.wasm")
    assert info.value.message == f"{tmp_path / 'nope.wasm'}: no such file"


def test_output_in_missing_directory(c_module, tmp_path):
    with pytest.raises(WasivirtError) as info:
        adapt_file(c_module("hello.c"), tmp_path / "no" / "out.wasm")
    assert info.value.message == (f"{tmp_path / 'no' / 'out.wasm'}: directory {tmp_path / 'no'} "
                                  "does not exist; create it first")


def test_output_is_a_directory(c_module, tmp_path):
    with pytest.raises(WasivirtError, match="is a directory; give a file name for the output"):
        adapt_file(c_module("hello.c"), tmp_path)


def test_bad_kind_is_a_programming_error(c_module):
    with pytest.raises(ValueError):
        adapt(c_module("hello.c").read_bytes(), "threads")
