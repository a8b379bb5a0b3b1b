"""The fused virtualizer at the core level: lowered calls from a fake caller, its memory, its realloc.

The wiring is `support/fused.py`'s (the order a fused component instantiates the modules
in). Result layouts are read at offsets worked out by hand from CanonicalABI.md, not from
`compose.abi`, so the generated code is checked against the spec, not against itself.
Every trap is one the component model would raise too, and a plain wasm trap here:
`unreachable` for the virtualizer's own checks (handles, UTF-8, alignment, reentrance), out
of bounds for the bridge's `memory.copy` (the canonical ABI's range checks), a null call
for an empty realloc slot. An instance is unusable after a trap (as a trapped component
instance is), so each trap gets a fresh one.
"""

from __future__ import annotations

import pytest
import wasmtime
from wasmtime import TrapCode

from support.fused import ERROR, FS, POLL, PREOPENS, STDIN, STDOUT, STREAMS, Fused, engine, fused_core, module, traps
from support.vfsimages import SAMPLE, TIMESTAMP, make_image
from wasivirt_component import toolchain
from wasivirt_component.compose import abi
from wasivirt_component.compose.types import FuncType as WitFuncType
from wasivirt_component.virt import build
from wasivirt_component.virt.glue import load_world
from wasivirt_component.virt.glue.lowered import export_name
from wasivirt_component.virt.names import BRIDGE_MODULE, FUSED_MEMORY_IMPORT, HOST_PACKAGE, WORLD, WORLD_PACKAGE
from wasivirt_component.virt.wit_gen import wit_files

TAG = 0x40000000
NO_ENTRY, BAD_DESCRIPTOR, FILE_TOO_LARGE = 20, 3, 8
READ, WRITE = 1, 2
CREATE = 1
FOLLOW = 1
BIG = bytes(range(251)) * (5 * 4096)  # 5 MiB and a bit, longer than one read (4 MiB)


@pytest.fixture(scope="module")
def image() -> bytes:
    return make_image({**SAMPLE, "huge.bin": BIG, "ünï.txt": b"u"})


@pytest.fixture
def f(image) -> Fused:
    return Fused(image)


def root(f: Fused) -> int:
    ret = f.area(8)
    f.call(PREOPENS, "get-directories", ret)
    return f.u32(f.u32(ret))


def ok_handle(f: Fused, ret: int) -> int:
    """The handle of an ok `result<own<T>, error-code>` at `ret` (disc@0, handle@4)."""
    assert f.u8(ret) == 0, f"err({f.u8(ret + 4)})"
    return f.u32(ret + 4)


def open_at(f: Fused, base: int, path: bytes, *, flags: int = READ, open_flags: int = 0) -> int:
    ret = f.area(8)
    f.call(FS, "[method]descriptor.open-at", base, FOLLOW, f.put(path, 1), len(path), open_flags, flags, ret)
    return ok_handle(f, ret)


def stream(f: Fused, path: bytes, offset: int = 0) -> int:
    ret = f.area(8)
    f.call(FS, "[method]descriptor.read-via-stream", open_at(f, root(f), path), offset, ret)
    return ok_handle(f, ret)


def blocking_read(f: Fused, s: int, n: int) -> bytes | None:
    """`result<list<u8>, stream-error>` (12 bytes: disc@0, list@4 / error disc@4): the bytes,
    or None for err(closed)."""
    ret = f.area(12)
    f.call(STREAMS, "[method]input-stream.blocking-read", s, n, ret)
    if f.u8(ret):
        assert f.u8(ret + 4) == 1, "last-operation-failed"
        return None
    return f.string(ret + 4)


# -- the exports are what a caller imports ------------------------------------------------------

@pytest.mark.parametrize("kind", ["command", "reactor"])
def test_exports_stand_in_for_every_import_of_the_preview1_adapter(kind):
    """Each adapter import of an interface we export has a `fused:` export of the very same
    core type (the adapter's `preopens@0.2.6` is the same interface as our 0.2.12)."""
    ours = {e.name: e.type for e in module(fused_core()).exports}
    exported = {q.split("@")[0]: q for q in _world_exports()}
    adapter = wasmtime.Module(engine(), toolchain.adapter_path(kind).read_bytes())
    matched = 0
    for imp in adapter.imports:
        qualified = exported.get(imp.module.split("@")[0])
        if qualified is None:
            continue
        mine = ours.get(export_name(qualified, imp.name))
        assert mine is not None, f"no export for {imp.module} {imp.name}"
        assert (str(mine.params), str(mine.results)) == (str(imp.type.params), str(imp.type.results)), imp.name
        matched += 1
    assert matched > 40


def test_every_export_has_the_lowered_signature_and_imports_are_the_wiring():
    world = load_world(build.resolve_wit(wit_files()), WORLD, WORLD_PACKAGE)
    ours = {e.name: e.type for e in module(fused_core()).exports}
    for iface in world.exports:
        for fn in iface.functions:
            params, results = abi.lowered_core_signature(WitFuncType(tuple(fn.params), fn.result))
            t = ours.pop(export_name(iface.qualified, fn.name))
            assert [str(p) for p in t.params] == params and [str(r) for r in t.results] == results, fn.name
        for resource in iface.resources:
            t = ours.pop(export_name(iface.qualified, f"[resource-drop]{resource.name}"))
            assert [str(p) for p in t.params] == ["i32"] and not t.results
    assert set(ours) == {"cabi_realloc", "__heap_base", "wasivirt:fused#live-handles"}
    imports = {(i.module, i.name) for i in module(fused_core()).imports}
    assert FUSED_MEMORY_IMPORT in imports
    assert {n for m, n in imports if m == BRIDGE_MODULE} == {"copy-from-caller", "copy-to-caller", "caller-realloc"}
    assert all(m.startswith(HOST_PACKAGE) for m, _ in imports - {FUSED_MEMORY_IMPORT} if m != BRIDGE_MODULE)


def _world_exports() -> list[str]:
    world = load_world(build.resolve_wit(wit_files()), WORLD, WORLD_PACKAGE)
    return [i.qualified for i in world.exports]


# -- results in the caller's memory ---------------------------------------------------------------

def test_get_directories_allocates_the_list_then_its_string(f):
    ret = f.area(8)
    f.call(PREOPENS, "get-directories", ret)
    # list<tuple<own<descriptor>, string>>: one element of 12 bytes (handle@0, string@4)
    assert f.realloc_log() == [(0, 0, 4, 12), (0, 0, 1, 1)]
    items, count = f.u32(ret), f.u32(ret + 4)
    assert count == 1 and f.string(items + 4) == b"/"
    assert f.u32(items) & TAG and f.live_handles() == 1


def test_a_read_lands_in_the_callers_buffer_with_one_realloc(f):
    s = stream(f, b"f.txt")
    buf = f.area(4096)
    f.clear_log()
    f.force_buffer(buf)  # what the adapter's fd_read does: realloc must return its buffer
    ret = f.area(12)
    f.call(STREAMS, "[method]input-stream.blocking-read", s, 4096, ret)
    assert f.realloc_log() == [(0, 0, 1, 12)]
    assert f.u8(ret) == 0 and f.u32(ret + 4) == buf and f.u32(ret + 8) == 12
    assert f.read(buf, 12) == b"hello world\n"


def test_empty_reads_allocate_once_and_the_end_allocates_nothing(f):
    s = stream(f, b"f.txt")
    f.clear_log()
    assert blocking_read(f, s, 0) == b""         # ok(empty list): realloc(0, 0, 1, 0), once
    assert f.realloc_log() == [(0, 0, 1, 0)]
    assert blocking_read(f, s, 100) == b"hello world\n"
    f.clear_log()
    assert blocking_read(f, s, 100) is None      # err(closed): no list, no realloc
    ret = f.area(12)
    f.call(STREAMS, "[method]input-stream.read", s, 100, ret)
    assert (f.u8(ret), f.u8(ret + 4)) == (1, 1)
    assert f.realloc_log() == []
    assert blocking_read(f, stream(f, b"empty"), 100) is None


def test_a_large_file_arrives_intact_in_reads_of_at_most_4_mib(f):
    s = stream(f, b"huge.bin")
    first = blocking_read(f, s, 1 << 30)
    assert len(first) == 4 << 20
    rest = blocking_read(f, s, 1 << 30)
    assert first + rest == BIG and blocking_read(f, s, 1) is None


def test_stat_is_written_at_the_return_pointer(f):
    # result<descriptor-stat, error-code>: 104 bytes; type@8, link-count@16, size@24,
    # three option<datetime> at 32/56/80 (is-some@+0, seconds@+8, nanoseconds@+16)
    ret = f.area(104)
    f.call(FS, "[method]descriptor.stat", open_at(f, root(f), b"d/g.txt"), ret)
    assert (f.u8(ret), f.u8(ret + 8), f.u64(ret + 16), f.u64(ret + 24)) == (0, 6, 1, 2)
    for at in (32, 56, 80):
        assert (f.u8(ret + at), f.u64(ret + at + 8), f.u32(ret + at + 16)) == (1, TIMESTAMP, 0)
    path = b"d"
    f.call(FS, "[method]descriptor.stat-at", root(f), FOLLOW, f.put(path, 1), len(path), ret)
    assert (f.u8(ret), f.u8(ret + 8), f.u64(ret + 24)) == (0, 3, 3)  # a directory of 3 entries


def test_errors_are_error_codes_and_allocate_nothing(f):
    base = root(f)
    f.clear_log()
    ret = f.area(8)
    path = b"missing/x"
    f.call(FS, "[method]descriptor.open-at", base, FOLLOW, f.put(path, 1), len(path), 0, READ, ret)
    assert (f.u8(ret), f.u8(ret + 4)) == (1, NO_ENTRY)
    f.call(FS, "[method]descriptor.read-via-stream", base, 0, ret)  # a directory
    assert f.u8(ret) == 1 and f.realloc_log() == []


def test_read_directory_entries_allocate_each_name_in_the_callers_memory(f):
    ret = f.area(8)
    f.call(FS, "[method]descriptor.read-directory", open_at(f, root(f), b"d"), ret)
    entries = ok_handle(f, ret)
    names = []
    # result<option<directory-entry>, error-code>: 20 bytes; is-some@4, type@8, name@12
    entry = f.area(20)
    while True:
        f.clear_log()
        f.call(FS, "[method]directory-entry-stream.read-directory-entry", entries, entry)
        assert f.u8(entry) == 0
        if not f.u8(entry + 4):
            assert f.realloc_log() == []
            break
        name = f.string(entry + 12)
        assert f.realloc_log() == [(0, 0, 1, len(name))]
        names.append((name, f.u8(entry + 8)))
    assert sorted(names) == [(b"deep", 3), (b"g.txt", 6), (b"sub", 3)]
    f.call(FS, "[resource-drop]directory-entry-stream", entries)


def test_readlink_and_pread_results(f):
    base = root(f)
    ret = f.area(12)
    path = b"lf"
    f.call(FS, "[method]descriptor.readlink-at", base, f.put(path, 1), len(path), ret)
    assert f.u8(ret) == 0 and f.string(ret + 4) == b"f.txt"
    # result<tuple<list<u8>, bool>, error-code>: 16 bytes; list@4, bool@12
    ret = f.area(16)
    f.call(FS, "[method]descriptor.read", open_at(f, base, b"f.txt"), 5, 6, ret)
    assert (f.u8(ret), f.string(ret + 4), f.u8(ret + 12)) == (0, b"world", 0)
    assert f.call(FS, "[method]descriptor.is-same-object", base, base) == 1


def test_writes_copy_from_the_callers_memory(f):
    fd = open_at(f, root(f), b"new.txt", flags=READ | WRITE, open_flags=CREATE)
    data = b"written by the caller " * 100
    ret = f.area(16)
    f.call(FS, "[method]descriptor.write", fd, f.put(data), len(data), 0, ret)
    assert (f.u8(ret), f.u64(ret + 8)) == (0, len(data))
    assert blocking_read(f, stream(f, b"new.txt"), 1 << 20) == data


def test_errors_inside_streams_are_resources_of_ours(f):
    fd = open_at(f, root(f), b"f.txt", flags=WRITE)
    ret = f.area(8)
    f.call(FS, "[method]descriptor.write-via-stream", fd, 1 << 40, ret)
    out = ok_handle(f, ret)
    ret = f.area(12)
    f.call(STREAMS, "[method]output-stream.blocking-write-and-flush", out, f.put(b"x"), 1, ret)
    # result<_, stream-error>: disc@0; stream-error disc@4 (0: last-operation-failed), error@8
    assert (f.u8(ret), f.u8(ret + 4)) == (1, 0)
    error = f.u32(ret + 8)
    code = f.area(2)  # option<error-code>
    f.call(FS, "filesystem-error-code", error, code)
    assert (f.u8(code), f.u8(code + 1)) == (1, FILE_TOO_LARGE)
    text = f.area(8)
    f.call(ERROR, "[method]error.to-debug-string", error, text)
    assert f.string(text) == b"file-too-large"
    f.call(ERROR, "[resource-drop]error", error)


def test_poll_takes_a_list_of_borrowed_handles(f):
    s = stream(f, b"f.txt")
    pollables = [f.call(STREAMS, "[method]input-stream.subscribe", s) for _ in range(3)]
    ret = f.area(8)
    f.clear_log()
    f.call(POLL, "poll", f.put(b"".join(p.to_bytes(4, "little") for p in pollables), 4), 3, ret)
    # list<u32>: every pollable of ours is ready at once
    assert f.realloc_log() == [(0, 0, 4, 12)]
    items, n = f.u32(ret), f.u32(ret + 4)
    assert [f.u32(items + 4 * i) for i in range(n)] == [0, 1, 2]
    for p in pollables:
        f.call(POLL, "[resource-drop]pollable", p)
    with traps():  # a dropped pollable in the list
        f.call(POLL, "poll", f.put(pollables[0].to_bytes(4, "little"), 4), 1, ret)


# -- handles ------------------------------------------------------------------------------------

def test_drops_destroy_and_objects_outlive_the_handles_that_made_them(f):
    base = root(f)
    fd = open_at(f, base, b"f.txt")
    ret = f.area(8)
    f.call(FS, "[method]descriptor.read-via-stream", fd, 6, ret)
    s = ok_handle(f, ret)
    assert f.live_handles() == 3
    f.call(FS, "[resource-drop]descriptor", fd)
    assert f.live_handles() == 2
    assert blocking_read(f, s, 100) == b"world\n"  # the stream holds the file, not the descriptor
    f.call(STREAMS, "[resource-drop]input-stream", s)
    f.call(FS, "[resource-drop]descriptor", base)
    assert f.live_handles() == 0


def test_freed_slots_are_reused_with_a_new_generation(f):
    base = root(f)
    first = open_at(f, base, b"f.txt")
    f.call(FS, "[resource-drop]descriptor", first)
    second = open_at(f, base, b"f.txt")
    assert second & 0x3FFFFF == first & 0x3FFFFF and second != first
    for _ in range(600):  # generations wrap (8 bits); handles stay well-formed
        f.call(FS, "[resource-drop]descriptor", open_at(f, base, b"empty"))
    assert blocking_read(f, stream(f, b"f.txt"), 5) == b"hello"


def _stale(f: Fused) -> int:
    fd = open_at(f, root(f), b"f.txt")
    f.call(FS, "[resource-drop]descriptor", fd)
    return fd


def _reused(f: Fused) -> int:
    fd = _stale(f)
    open_at(f, root(f), b"f.txt")  # the same slot, the next generation
    return fd


def _input_stream(f: Fused) -> int:
    return stream(f, b"f.txt")


@pytest.mark.parametrize("make", [
    lambda f: 12345,                 # forged: not one of ours (no tag bit)
    lambda f: TAG | 999,             # a slot never handed out
    lambda f: -1,                    # the high bit: never ours
    _stale,                          # dropped
    _reused,                         # dropped, slot reused since
    _input_stream,                   # a live handle of another resource type
], ids=["forged", "unused-slot", "negative", "stale", "reused", "wrong-type"])
@pytest.mark.parametrize("use", ["stat", "drop"])
def test_bad_handles_trap(image, make, use):
    f = Fused(image)
    handle = make(f)
    with traps():
        if use == "stat":
            f.call(FS, "[method]descriptor.stat", handle, f.area(104))
        else:
            f.call(FS, "[resource-drop]descriptor", handle)
    with traps():  # a trapped instance stays unusable (the reentrance guard is still up)
        root(f)


def test_a_bad_second_handle_traps_too(image):
    f = Fused(image)
    base = root(f)
    stale = _stale(f)
    with traps():
        f.call(FS, "[method]descriptor.is-same-object", base, stale)


# -- the canonical ABI's checks -------------------------------------------------------------------

@pytest.mark.parametrize("path", [b"\xff", b"a\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"],
                         ids=["byte", "truncated", "surrogate", "overlong", "too-large"])
def test_a_path_that_is_not_utf8_traps(image, path):
    f = Fused(image)
    base = root(f)
    with traps():
        f.call(FS, "[method]descriptor.open-at", base, FOLLOW, f.put(path, 1), len(path), 0, READ, f.area(8))


def test_utf8_paths_are_fine(f):
    assert blocking_read(f, stream(f, "ünï.txt".encode()), 10) == b"u"


OOB = TrapCode.MEMORY_OUT_OF_BOUNDS  # the bridge's memory.copy: the canonical ABI's range check


@pytest.mark.parametrize("case,code", [
    ("path-out-of-bounds", OOB), ("path-wraps", OOB), ("misaligned-retptr", TrapCode.UNREACHABLE),
    ("retptr-out-of-bounds", OOB), ("misaligned-realloc", TrapCode.UNREACHABLE), ("realloc-out-of-bounds", OOB),
])
def test_bounds_and_alignment_trap(image, case, code):
    f = Fused(image)
    base = root(f)
    size = f.memory.data_len(f.store)
    ret = f.area(8)
    path, length = f.put(b"f.txt", 1), 5
    if case == "path-out-of-bounds":
        path = size - 2
    elif case == "path-wraps":
        path, length = -16, 0x20  # 0xFFFFFFF0: the end wraps past 4 GiB
    elif case == "misaligned-retptr":
        ret += 2
    elif case == "retptr-out-of-bounds":
        ret = size - 4  # aligned; the 8-byte result does not fit
    if case in ("misaligned-realloc", "realloc-out-of-bounds"):
        f.force_buffer(f.area(16) + 2 if case == "misaligned-realloc" else size - 4)
        with traps(code):
            f.call(PREOPENS, "get-directories", f.area(8))  # a list of 12-byte, 4-aligned elements
        return
    with traps(code):
        f.call(FS, "[method]descriptor.open-at", base, FOLLOW, path, length, 0, READ, ret)


def test_an_empty_realloc_slot_traps_only_when_a_list_is_returned(image):
    f = Fused(image, fixup=False)
    with traps(TrapCode.INDIRECT_CALL_TO_NULL):
        f.call(PREOPENS, "get-directories", f.area(8))
    f = Fused(image, fixup=False)
    f.call(STDOUT, "get-stdout")  # no list in the result: no realloc needed
    assert f.live_handles() == 1


def test_reentering_from_the_callers_realloc_traps(image):
    f = Fused(image)
    f.cx["reenter"].set_value(f.store, 1)  # the caller's realloc calls get-directories
    with traps():
        f.call(PREOPENS, "get-directories", f.area(8))


# -- the host behind us -------------------------------------------------------------------------

def test_stdout_forwards_the_callers_bytes_to_the_host(f):
    out = f.call(STDOUT, "get-stdout")
    assert out & TAG
    data = b"hello from the caller\n"
    ret = f.area(12)
    f.call(STREAMS, "[method]output-stream.blocking-write-and-flush", out, f.put(data), len(data), ret)
    assert f.u8(ret) == 0 and f.host.written == data
    # forwarded: the host read the caller's memory itself (no copy through ours)
    assert [m is f.memory for m in f.host.writes] == [True]
    f.call(STREAMS, "[resource-drop]output-stream", out)
    assert f.host.dropped == [7]


def test_a_host_streams_read_lands_in_the_callers_buffer_and_its_errors_become_ours(f):
    """stdin is a host stream: blocking-read goes to the host's function lowered with the
    caller's memory (the fake host calls the caller's realloc once and writes there); an
    end of file is the host's `closed` as it is; a failed read's host `error` handle comes
    back as one of ours, wrapping it (dropping ours drops the host's)."""
    stdin = f.call(STDIN, "get-stdin")
    assert stdin & TAG
    read = "[method]input-stream.blocking-read"
    f.host.stdin = [b"typed by a person", b"", "closed", 9]
    buf = f.put(b"\0" * 64)
    f.force_buffer(buf)
    f.clear_log()
    ret = f.area(12)
    f.call(STREAMS, read, stdin, 64, ret)
    assert (f.u8(ret), f.u32(ret + 4), f.string(ret + 4)) == (0, buf, b"typed by a person")
    assert f.realloc_log() == [(0, 0, 1, 17)]
    f.call(STREAMS, read, stdin, 64, ret := f.area(12))  # an empty read: realloc still called once
    assert (f.u8(ret), f.u32(ret + 8)) == (0, 0) and len(f.realloc_log()) == 2
    f.call(STREAMS, read, stdin, 64, ret := f.area(12))
    assert (f.u8(ret), f.u8(ret + 4)) == (1, 1)  # err(closed)
    live = f.live_handles()
    f.call(STREAMS, read, stdin, 64, ret := f.area(12))
    assert (f.u8(ret), f.u8(ret + 4)) == (1, 0)  # err(last-operation-failed(error))
    error = f.u32(ret + 8)
    assert error & TAG and f.live_handles() == live + 1
    assert len(f.realloc_log()) == 2  # no list in an error: no realloc
    f.call(ERROR, "[resource-drop]error", error)
    assert f.host.errors_dropped == [9] and f.live_handles() == live
    f.call(STREAMS, "[resource-drop]input-stream", stdin)
    assert f.host.dropped == [5]
