"""The bridge (`virt/bridge.py`) run on its own in wasmtime-py: copies land in the memory
of the front the call came through, and the realloc called is that front's table slot."""

from __future__ import annotations

import pytest
import wasmtime

from wasivirt_component.virt.bridge import (
    CALLER_REALLOC,
    COPY_FROM_CALLER,
    COPY_TO_CALLER,
    SET_FRONT,
    bridge_module,
)
from wasivirt_component.virt.names import BRIDGE_REALLOC_TABLE


def _bridge(fronts: int):
    engine = wasmtime.Engine()  # multi-memory is on by default
    store = wasmtime.Store(engine)
    memories = [wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None))) for _ in range(fronts + 1)]
    module = wasmtime.Module(engine, bridge_module(fronts))
    instance = wasmtime.Instance(store, module, memories)
    exports = instance.exports(store)
    calls: list[tuple[int, tuple[int, ...]]] = []
    i32 = wasmtime.ValType.i32()
    realloc_type = wasmtime.FuncType([i32] * 4, [i32])
    table = exports[BRIDGE_REALLOC_TABLE]
    for k in range(fronts):
        table.set(store, k, wasmtime.Func(store, realloc_type,
                                          lambda *args, k=k: calls.append((k, args)) or 1000 * (k + 1)))
    return store, memories, exports, calls


@pytest.mark.parametrize("front", [0, 1, 2])
def test_each_front_copies_its_own_memory_and_calls_its_own_realloc(front):
    store, (ours, *callers), exports, calls = _bridge(3)
    exports[SET_FRONT](store, front)
    ours.write(store, b"from-ours", 16)
    exports[COPY_TO_CALLER](store, 64, 16, 9)
    assert [bytes(c.read(store, 64, 73)) for c in callers] == [
        b"from-ours" if k == front else b"\0" * 9 for k in range(3)]
    callers[front].write(store, b"theirs", 128)
    exports[COPY_FROM_CALLER](store, 200, 128, 6)
    assert ours.read(store, 200, 206) == b"theirs"
    assert exports[CALLER_REALLOC](store, 0, 0, 4, 24) == 1000 * (front + 1)
    assert calls == [(front, (0, 0, 4, 24))]


def test_one_front_has_no_front_to_set():
    store, (ours, caller), exports, calls = _bridge(1)
    assert SET_FRONT not in exports
    ours.write(store, b"x", 0)
    exports[COPY_TO_CALLER](store, 5, 0, 1)
    assert caller.read(store, 5, 6) == b"x" and exports[CALLER_REALLOC](store, 0, 0, 1, 1) == 1000


def test_a_copy_out_of_bounds_traps_for_every_front():
    store, _, exports, _ = _bridge(2)
    exports[SET_FRONT](store, 1)
    with pytest.raises(wasmtime.Trap):
        exports[COPY_TO_CALLER](store, 65536 - 2, 0, 4)


def test_the_dispatcher_calls_the_current_fronts_variant():
    """Host functions lowered once per front memory sit behind `modules.dispatch_module`:
    fronts 0 and 2 share a memory (variant 0), front 1 has its own (variant 1)."""
    from wasivirt_component.fuse.modules import dispatch_module

    store, _, exports, _ = _bridge(3)
    engine = store.engine
    i32 = wasmtime.ValType.i32()
    calls: list[tuple[int, int, int]] = []
    ft = wasmtime.FuncType([i32, i32], [])
    variants = [wasmtime.Func(store, ft, lambda a, b, v=v: calls.append((v, a, b))) for v in range(2)]
    dispatch = wasmtime.Instance(store, wasmtime.Module(engine, dispatch_module((("i32", "i32"), ()), [0, 1, 0])),
                                 [exports["current-front"], *variants]).exports(store)["f"]
    for front in (0, 1, 2, 1):
        exports[SET_FRONT](store, front)
        dispatch(store, front, 7)
    assert calls == [(0, 0, 7), (1, 1, 7), (0, 2, 7), (1, 1, 7)]
