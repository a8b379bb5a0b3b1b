"""The core module encoder: byte-exact against jco's WAT parser, and valid in wasmtime."""

from __future__ import annotations

import pytest
import wasmtime

from wasivirt_component.binary.core_encoder import (
    F64,
    FUNCREF,
    I32,
    I64,
    KIND_FUNC,
    KIND_GLOBAL,
    KIND_MEMORY,
    KIND_TABLE,
    CoreModule,
    FuncType,
    Limits,
    op,
    trapping_body,
)
from wasivirt_component.binary.encode import sleb
from wasivirt_component.binary.module import read_module
from wasivirt_component.errors import ToolchainError
from wasivirt_component.toolchain import run_jco


def _instantiate(binary: bytes, imports: list | None = None) -> tuple[wasmtime.Store, wasmtime.Instance]:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module(engine, binary)
    return store, wasmtime.Instance(store, module, imports or [])


def _jco_parse(wat: str, tmp_path) -> bytes:
    src = tmp_path / "m.wat"
    out = tmp_path / "m.wasm"
    src.write_text(wat)
    try:
        run_jco(["parse", str(src), "-o", str(out)])
    except ToolchainError as exc:  # pragma: no cover - setup problem, not an encoder bug
        pytest.skip(f"jco unavailable: {exc}")
    return out.read_bytes()


def test_matches_wat_parser_byte_for_byte(tmp_path):
    wat = """(module
      (type (func (param i32 i64 i32) (result i32)))
      (type (func))
      (import "env" "log" (func (type 1)))
      (import "env" "mem" (memory 1 2))
      (import "env" "g" (global i64))
      (func (type 0) (local i32 i32)
        local.get 0
        i32.const -1
        i32.add)
      (func (type 1) unreachable)
      (table 2 funcref)
      (global (mut i32) (i32.const 42))
      (export "read" (func 1))
      (export "trap" (func 2))
      (export "tab" (table 0))
      (export "counter" (global 1))
      (data (i32.const 16) "hello"))"""
    expected = _jco_parse(wat, tmp_path)

    m = CoreModule()
    ft = FuncType((I32, I64, I32), (I32,))
    void = FuncType()
    assert m.add_type(ft) == 0 and m.add_type(void) == 1
    assert m.import_func("env", "log", void) == 0
    assert m.import_memory("env", "mem", Limits(1, 2)) == 0
    assert m.import_global("env", "g", I64) == 0
    read = m.add_func(ft, op.local_get(0) + op.i32_const(-1) + op.I32_ADD, locals=[(2, I32)])
    trap = m.add_func(void, trapping_body())
    assert (read, trap) == (1, 2)
    tab = m.add_table(FUNCREF, Limits(2))
    counter = m.add_global(I32, op.i32_const(42), mutable=True)
    assert counter == 1
    m.export("read", KIND_FUNC, read)
    m.export("trap", KIND_FUNC, trap)
    m.export("tab", KIND_TABLE, tab)
    m.export("counter", KIND_GLOBAL, counter)
    m.add_data(b"hello", offset=16)
    assert m.encode() == expected


def test_memory_copy_between_memories_and_call_indirect_match_the_wat_parser(tmp_path):
    wat = """(module
      (type (func (param i32 i32 i32)))
      (type (func (param i32 i32 i32 i32) (result i32)))
      (import "a" "m" (memory 0))
      (import "b" "m" (memory 0))
      (table 1 1 funcref)
      (func (type 0) local.get 0 local.get 1 local.get 2 memory.copy 1 0)
      (func (type 1) local.get 0 local.get 1 local.get 2 local.get 3 i32.const 0 call_indirect (type 1)))"""
    m = CoreModule()
    copy, realloc = FuncType((I32, I32, I32)), FuncType((I32,) * 4, (I32,))
    m.add_type(copy)
    m.add_type(realloc)
    m.import_memory("a", "m", Limits(0))
    m.import_memory("b", "m", Limits(0))
    table = m.add_table(FUNCREF, Limits(1, 1))
    args = op.local_get(0) + op.local_get(1) + op.local_get(2)
    m.add_func(copy, args + op.memory_copy(1, 0))
    m.add_func(realloc, args + op.local_get(3) + op.i32_const(0) + op.call_indirect(1, table))
    assert m.encode() == _jco_parse(wat, tmp_path)


def test_passive_segments_get_a_data_count_and_work_with_memory_init():
    # wasm-tools writes the data count section only when code uses memory.init; our bodies
    # are opaque bytes, so any passive segment gets one (always valid).
    m = CoreModule()
    mem = m.add_memory(Limits(1))
    m.add_data(b"xx", offset=0)
    seg = m.add_data(memoryview(b"passive"), offset=None)
    memory_init = b"\xfc\x08" + bytes([seg, 0])  # memory.init seg, memory 0
    init = m.add_func(FuncType(), op.i32_const(100) + op.i32_const(0) + op.i32_const(7) + memory_init)
    m.export("init", KIND_FUNC, init)
    m.export("memory", KIND_MEMORY, mem)
    store, inst = _instantiate(m.encode())
    ex = inst.exports(store)
    ex["init"](store)
    assert ex["memory"].read(store, 100, 107) == b"passive"


def test_runs_in_wasmtime_with_data_globals_and_start():
    m = CoreModule()
    mem = m.add_memory(Limits(1))
    g = m.add_global(I32, op.i32_const(0), mutable=True)
    # start function: g = load(8) (a data segment put 7 there)
    start = m.add_func(FuncType(), op.i32_const(0) + op.i32_load(8) + op.global_set(g))
    m.set_start(start)
    get = m.add_func(FuncType((), (I32,)), op.global_get(g))
    big = m.add_func(FuncType((), (I32,)), op.i32_const(0xFFFFFFFF))
    wide = m.add_func(FuncType((), (I64,)), op.i64_const(-(1 << 63)))
    f64 = m.add_func(FuncType((F64,), (F64,)), op.local_get(0))
    m.export("memory", KIND_MEMORY, mem)
    for name, idx in (("get", get), ("big", big), ("wide", wide), ("f64", f64)):
        m.export(name, KIND_FUNC, idx)
    m.add_data(b"\x07\x00\x00\x00", offset=8)
    m.add_data(b"tail", offset=65532)
    m.add_custom("note", b"anything")
    binary = m.encode()

    store, inst = _instantiate(binary)
    ex = inst.exports(store)
    assert ex["get"](store) == 7
    assert ex["big"](store) == -1  # 0xFFFFFFFF as an i32
    assert ex["wide"](store) == -(1 << 63)
    assert ex["f64"](store, 1.5) == 1.5
    assert ex["memory"].read(store, 65532, 65536) == b"tail"
    info = read_module(binary)
    assert info.has_start and info.custom_sections == ["note"]
    assert {e.name for e in info.exports} == {"memory", "get", "big", "wide", "f64"}


@pytest.mark.parametrize("params,results", [((), ()), ((I32, I64, F64), (I32,)), ((I64,) * 20, (I64, I32))])
def test_trapping_stub_any_signature(params, results):
    m = CoreModule()
    m.export("stub", KIND_FUNC, m.add_func(FuncType(params, results), trapping_body()))
    store, inst = _instantiate(m.encode())
    stub = inst.exports(store)["stub"]
    args = [0.0 if t == F64 else 0 for t in params]
    with pytest.raises(wasmtime.Trap, match="unreachable"):
        stub(store, *args)


def test_imported_functions_come_first_in_the_index_space():
    m = CoreModule()
    host = m.import_func("env", "host", FuncType((I32,), (I32,)))
    wrapper = m.add_func(FuncType((I32,), (I32,)), op.local_get(0) + op.call(host) + op.i32_const(1) + op.I32_ADD)
    assert (host, wrapper) == (0, 1)
    m.export("wrapper", KIND_FUNC, wrapper)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    double = wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()], [wasmtime.ValType.i32()]),
                           lambda x: x * 2)
    inst = wasmtime.Instance(store, wasmtime.Module(engine, m.encode()), [double])
    assert inst.exports(store)["wrapper"](store, 20) == 41


def test_i32_const_takes_unsigned_values_above_2_31():
    assert op.i32_const(1 << 31) == b"\x41" + sleb(-(1 << 31))
    assert op.i32_const(0xFFFFFFFF) == b"\x41" + sleb(-1)
    with pytest.raises(ValueError):
        op.i32_const(1 << 32)
    with pytest.raises(ValueError):
        op.i64_const(1 << 64)


def test_misuse_is_rejected():
    m = CoreModule()
    m.add_func(FuncType(), trapping_body())
    with pytest.raises(ValueError, match="import functions before"):
        m.import_func("a", "b", FuncType())
    m.export("x", KIND_FUNC, 0)
    with pytest.raises(ValueError, match="duplicate export"):
        m.export("x", KIND_FUNC, 0)
    with pytest.raises(ValueError, match="maximum"):
        Limits(3, 2).encode()
    with pytest.raises(ValueError, match="shared"):
        Limits(1, shared=True).encode()


def test_encode_parts_sum_to_the_module():
    m = CoreModule()
    m.add_memory(Limits(1, 1))
    payload = memoryview(bytes(range(256)) * 100)
    m.add_data(payload, offset=0)
    parts, size = m.encode_parts()
    assert any(p is payload for p in parts)  # the payload is not copied before the join
    assert size == sum(len(p) for p in parts) == len(m.encode())
    _instantiate(m.encode())
