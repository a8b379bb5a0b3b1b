"""The lowered glue generator on the glue test world (every WIT type it supports).

tests/c/glue_echo.c, the lifted glue test's implementation, is built with the lowered glue
instead (`build.compile_fused_core`), plus an export of more than 16 flat parameters. Python
plays the caller: its memory is a plain wasmtime memory, its realloc a host function in the
bridge's table slot that logs every call. Arguments are written and results read at offsets
worked out by hand from CanonicalABI.md. The `host` imports trap (the lifted test covers
the import wrappers, which both builds share).
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import wasmtime

from support.fused import engine, instantiate_virtualizer, traps
from support.glueworld import API, SOURCES, TYPES, WIT, cached_build, glue_sources
from wasivirt_component.virt import build
from wasivirt_component.virt.glue.lowered import LIVE_HANDLES, export_name
from wasivirt_component.virt.names import BRIDGE_REALLOC_TABLE

WIDE = "test:glue/wide@0.1.0"
FUSED_WIT = WIT + """
interface wide {
  spill: func(a: u32, b: u32, c: u32, d: u32, e: u32, f: u32, g: u32, h: u32, i: u32, j: u32,
              k: u32, l: u32, m: u32, n: u32, o: u32, p: u32, s: string) -> u32;
}

world glue-fused-test {
  include glue-test;
  export wide;
}
"""
FUSED_C = ("fused.c", "fused.h", "handles.c", "util.c")
TAG = 0x40000000


def fused_sources() -> dict[str, bytes]:
    extra = {n: (Path(build.C_DIR) / n).read_bytes() for n in FUSED_C}
    return {**glue_sources(), **extra, "glue_wide.c": (SOURCES / "glue_wide.c").read_bytes()}


@pytest.fixture(scope="module")
def core() -> bytes:
    return cached_build(FUSED_WIT, fused_sources(), build.FUSED_GENERATOR_SOURCES, "glue-fused-test",
                        build.compile_fused_core)


class Caller:
    """A caller of the lowered exports: its own memory and a logging bump realloc."""

    def __init__(self, core: bytes) -> None:
        self.store = wasmtime.Store(engine())
        self.memory = wasmtime.Memory(self.store, wasmtime.MemoryType(wasmtime.Limits(16, None)))
        self.virt, bridge, _ = instantiate_virtualizer(self.store, core, None, self.memory)
        self.exports = self.virt.exports(self.store)
        self.log: list[tuple[int, int]] = []
        self.next = 0x8000
        i32 = wasmtime.ValType.i32()
        realloc = wasmtime.Func(self.store, wasmtime.FuncType([i32] * 4, [i32]), self.realloc)
        bridge.exports(self.store)[BRIDGE_REALLOC_TABLE].set(self.store, 0, realloc)
        self.scratch = 0x100

    def realloc(self, old: int, old_size: int, align: int, size: int) -> int:
        assert (old, old_size) == (0, 0)
        self.log.append((align, size))
        self.next = (self.next + align - 1) // align * align
        ptr, self.next = self.next, self.next + size
        return ptr

    def call(self, name: str, *args: int, interface: str = API) -> object:
        return self.exports[export_name(interface, name)](self.store, *args)

    def put(self, data: bytes, align: int = 8) -> int:
        self.scratch = (self.scratch + align - 1) // align * align
        ptr = self.scratch
        self.scratch += max(len(data), 1)
        assert self.scratch < 0x8000
        self.memory.write(self.store, data, ptr)
        return ptr

    def area(self, size: int) -> int:
        return self.put(b"\0" * size)

    def string(self, text: bytes) -> tuple[int, int]:
        return self.put(text, 1), len(text)

    def read(self, ptr: int, n: int) -> bytes:
        return bytes(self.memory.read(self.store, ptr, ptr + n))

    def unpack(self, fmt: str, ptr: int) -> tuple:
        return struct.unpack_from("<" + fmt, self.read(ptr, struct.calcsize("<" + fmt)))

    def text(self, ptr: int) -> bytes:
        """The string whose {ptr, len} is at `ptr`."""
        p, n = self.unpack("II", ptr)
        return self.read(p, n)


@pytest.fixture
def c(core) -> Caller:
    return Caller(core)


# -- scalars: canon lift's checks --------------------------------------------------------------

def test_scalars(c):
    assert c.call("echo-bool", 2) == 1  # any non-zero is true
    ret = c.area(32)
    c.call("echo-ints", 255, -128, 65535, -32768, -1, -(1 << 31), -1, -(1 << 63), ret)
    # tuple<u8, s8, u16, s16, u32, s32, u64, s64>: 0, 1, 2, 4, 8, 12, 16, 24
    assert c.unpack("BbHh2xIiQq", ret) == (255, -128, 65535, -32768, 2**32 - 1, -(1 << 31), 2**64 - 1, -(1 << 63))
    assert c.call("echo-char", 0x10FFFF) == 0x10FFFF
    assert c.call("echo-color", 2) == 2
    assert c.call("echo-perms", 0xFF) == 0b111  # unknown flag bits are dropped


@pytest.mark.parametrize("name,arg", [("echo-char", 0xD800), ("echo-char", 0x110000), ("echo-color", 3),
                                      ("echo-color", 256)])
def test_values_canon_lift_refuses_trap(core, name, arg):
    c = Caller(core)
    with traps():
        c.call(name, arg)


# -- strings, lists, records, variants ----------------------------------------------------------

def test_strings_are_copied_both_ways_with_one_realloc_each(c):
    ret = c.area(8)
    c.call("echo-string", *c.string("héllo".encode()), ret)
    assert c.text(ret) == "héllo".encode() and c.log == [(1, 6)]
    c.log.clear()
    c.call("echo-string", *c.string(b""), ret)
    assert c.text(ret) == b"" and c.log == [(1, 0)]


def test_a_list_of_strings_allocates_the_list_first(c):
    words = [b"a", b"", "ünï".encode(), b"x" * 3000]
    elems = b"".join(struct.pack("<II", *c.string(w)) for w in words)
    ret = c.area(8)
    c.call("echo-strings", c.put(elems, 4), len(words), ret)
    assert c.log == [(4, 8 * len(words))] + [(1, len(w)) for w in words]
    ptr, n = c.unpack("II", ret)
    assert [c.text(ptr + 8 * i) for i in range(n)] == words


def test_a_string_in_a_list_element_must_be_utf8(core):
    c = Caller(core)
    elems = struct.pack("<II", *c.string(b"ok")) + struct.pack("<II", *c.string(b"\xff"))
    with traps():
        c.call("echo-strings", c.put(elems, 4), 2, c.area(8))


def test_records_options_and_results(c):
    ret = c.area(16)  # point: x@0, y@4, label@8
    c.call("echo-point", -3, 7, *c.string(b"label"), ret)
    assert c.unpack("ii", ret) == (-3, 7) and c.text(ret + 8) == b"label"
    opt = c.area(20)  # option<point>: disc@0, point@4
    c.call("echo-option", 1, 1, 2, *c.string(b"o"), opt)
    assert c.unpack("B3xii", opt) == (1, 1, 2) and c.text(opt + 12) == b"o"
    c.call("echo-option", 0, 0, 0, 0, 0, opt)
    assert c.read(opt, 1) == b"\0"
    res = c.area(12)  # result<u32, string>: disc@0, payload@4
    c.call("echo-result", 0, 42, 0, res)
    assert c.unpack("B3xI", res) == (0, 42)
    c.call("echo-result", 1, *c.string(b"bad"), res)
    assert c.read(res, 1) == b"\1" and c.text(res + 4) == b"bad"
    points = b"".join(struct.pack("<iiII", x, y, *c.string(b"p")) for x, y in ((1, 2), (10, 20)))
    c.call("sum-points", c.put(points, 4), 2, ret)
    assert c.unpack("ii", ret) == (11, 22) and c.text(ret + 8) == b"sum"


def test_an_option_discriminant_out_of_range_traps(core):
    c = Caller(core)
    with traps():
        c.call("echo-option", 2, 0, 0, 0, 0, c.area(20))


@pytest.mark.parametrize("case,flat,check", [
    (0, (0, struct.unpack("<I", struct.pack("<f", 2.5))[0], 0, 0, 0), lambda c, r: c.unpack("f", r + 8) == (2.5,)),
    (3, (3, None, None, 0, 0), lambda c, r: c.text(r + 8) == b"\x00\x01\xff"),
    (4, (4, 2**64 - 1, 0, 0, 0), lambda c, r: c.unpack("Q", r + 8) == (2**64 - 1,)),
    (5, (5, 0xFFFFFFFB, 0, 0, 0), lambda c, r: c.unpack("b", r + 8) == (-5,)),
    (6, (6, struct.unpack("<Q", struct.pack("<d", -1 / 3))[0], 0, 0, 0), lambda c, r: c.unpack("d", r + 8) == (-1 / 3,)),
    (2, (2, 0, 0, 0, 0), lambda c, r: True),
], ids=["circle-f32", "blob-list", "big-u64", "small-s8", "precise-f64", "empty"])
def test_variant_payloads_are_read_back_from_joined_flat_values(c, case, flat, check):
    """shape flattens to (i32, i64, i32, i32, i32): each case's payload is undone from the join."""
    args = list(flat)
    if case == 3:
        args[1], args[2] = c.string(b"\x00\x01\xff")
    as_signed = [args[0], args[1] - (1 << 64) if args[1] >= 1 << 63 else args[1], *args[2:]]
    ret = c.area(24)  # shape: disc@0, payload@8 (point is 16 bytes), 24 bytes
    c.call("echo-shape", *as_signed, ret)
    assert c.read(ret, 1)[0] == case and check(c, ret)


def test_a_variant_discriminant_out_of_range_traps(core):
    c = Caller(core)
    with traps():
        c.call("echo-shape", 7, 0, 0, 0, 0, c.area(24))


# -- handles -------------------------------------------------------------------------------------

def test_own_and_borrow_handles_of_exported_resources(c):
    ret = c.area(8)
    c.call("make-counters", 3, ret)
    assert c.log == [(4, 12)]  # list<own<counter>>: one allocation, no nested ones
    ptr, n = c.unpack("II", ret)
    counters = list(c.unpack("III", ptr))
    assert n == 3 and all(h & TAG for h in counters) and c.call("live-counters") == 3
    incr = lambda h, by: c.call("[method]counter.incr", h, by, interface=TYPES)  # noqa: E731
    assert [incr(h, 1) for h in counters] == [1, 11, 21]
    assert c.call("[static]counter.total", c.put(struct.pack("<III", *counters), 4), 3, interface=TYPES) == 33
    made = c.call("[constructor]counter", 5, interface=TYPES)
    assert incr(made, 2) == 7
    res = c.area(12)
    c.call("try-counter", 1, res)
    assert c.read(res, 1) == b"\0"
    ok = c.unpack("I", res + 4)[0]
    c.call("try-counter", 0, res)
    assert c.read(res, 1) == b"\1" and c.text(res + 4) == b"refused"
    assert c.exports[LIVE_HANDLES](c.store) == 5
    for h in [*counters, made, ok]:
        c.call("[resource-drop]counter", h, interface=TYPES)
    assert c.call("live-counters") == 0 and c.exports[LIVE_HANDLES](c.store) == 0


def test_a_stale_handle_in_a_list_traps(core):
    c = Caller(core)
    ret = c.area(8)
    c.call("make-counters", 2, ret)
    first, second = c.unpack("II", c.unpack("I", ret)[0])
    c.call("[resource-drop]counter", second, interface=TYPES)
    with traps():
        c.call("[static]counter.total", c.put(struct.pack("<II", first, second), 4), 2, interface=TYPES)


# -- more than 16 flat parameters ------------------------------------------------------------------

def test_more_than_16_flat_parameters_arrive_as_a_pointer_to_their_tuple(c):
    args = list(range(1, 17))
    s = "zé".encode()
    params = struct.pack("<16I", *args) + struct.pack("<II", *c.string(s))  # string@64, 72 bytes
    expected = sum((i + 1) * a for i, a in enumerate(args)) + 1000 * sum(s)
    assert c.call("spill", c.put(params, 4), interface=WIDE) == expected
    with traps():
        c.call("spill", c.put(params, 4) + 2, interface=WIDE)  # misaligned


def test_nothing_leaks(c):
    def work() -> None:
        elems = b"".join(struct.pack("<II", *c.string(w)) for w in (b"a" * 100, b"b" * 1000))
        c.call("echo-strings", c.put(elems, 4), 2, c.area(8))
        c.call("echo-point", 1, 2, *c.string(b"x" * 300), c.area(16))
        c.call("[resource-drop]counter", c.call("[constructor]counter", 1, interface=TYPES), interface=TYPES)
        c.scratch = 0x100

    work()
    before = c.call("heap-in-use")
    for _ in range(30):
        work()
    assert c.call("heap-in-use") == before


# -- generator choices ---------------------------------------------------------------------------

def test_only_the_chosen_interfaces_get_lowered_exports():
    from wasivirt_component.virt.glue import GlueError, generate_lowered, load_world

    world = load_world(build.resolve_wit({"world.wit": WIT}), "glue-test")
    source = generate_lowered(world, [TYPES]).source
    assert f'"{export_name(TYPES, "[method]counter.incr")}"' in source
    assert f'"{export_name(TYPES, "[resource-drop]counter")}"' in source
    assert export_name(API, "") not in source
    with pytest.raises(GlueError, match="not exported"):
        generate_lowered(world, ["test:glue/host@0.1.0"])


def test_an_imported_resource_in_an_export_is_a_clear_error():
    from wasivirt_component.virt.glue import GlueError, generate_lowered, load_world

    resolved = build.resolve_wit({"world.wit": """
package test:res@0.1.0;
interface h { resource tok; }
interface e { use h.{tok}; f: func(t: borrow<tok>); }
world w { import h; export e; }
"""})
    with pytest.raises(GlueError, match="not exported by this world"):
        generate_lowered(load_world(resolved, "w"))


FORWARD_WIT = """
package test:fwd@0.1.0;
interface host-side {
  resource error;
  variant failure { failed(error), closed }
  resource pipe { read: func(len: u64) -> result<list<u8>, failure>; other: func(len: u32) -> result<list<u8>, failure>; }
}
interface ours {
  resource error;
  variant failure { failed(error), closed }
  resource pipe { read: func(len: u64) -> result<list<u8>, failure>; other: func(len: u64) -> result<list<u8>, failure>; }
}
world w { import host-side; export ours; }
"""


def test_forwarding_imports_the_host_function_again_for_the_callers_memory():
    """A forwarded export imports the host's function as `[caller-memory]NAME`, asks the
    runtime's `_forward` hook after lifting `self`, and translates only the error."""
    from wasivirt_component.virt.glue import GlueError, generate_lowered, load_world
    from wasivirt_component.virt.glue.lowered import Forward, forward_import_name

    world = load_world(build.resolve_wit({"world.wit": FORWARD_WIT}), "w")
    ours, host = "test:fwd/ours@0.1.0", "test:fwd/host-side@0.1.0"
    glue = generate_lowered(world, forward=[Forward(ours, "[method]pipe.read", host)])
    assert f'import_module("{host}"), import_name("{forward_import_name("[method]pipe.read")}")' in glue.source
    assert "bool test_fwd_ours_pipe_read_forward(test_fwd_ours_pipe_t *self, test_fwd_host_side_pipe_borrow_t *host);" in glue.header
    assert "void test_fwd_ours_pipe_read_forwarded_err(test_fwd_ours_pipe_t *self, const test_fwd_host_side_failure_t *host, " \
           "test_fwd_ours_failure_t *err);" in glue.header
    body = glue.source.split('"fused:test:fwd/ours@0.1.0#[method]pipe.read"')[1].split("\n}\n")[0]
    assert body.index("test_fwd_ours_pipe_read_forward(a_self, &fwd)") < body.index("a_len")  # before the rest
    assert "__wv_forward_test_fwd_ours_pipe_read(fwd.handle, p1, retptr);" in body
    assert forward_import_name("[method]pipe.other") not in glue.source  # only what was asked
    with pytest.raises(GlueError, match="parameters after self must be the same"):
        generate_lowered(world, forward=[Forward(ours, "[method]pipe.other", host)])
    with pytest.raises(GlueError, match="imports no"):
        generate_lowered(world, forward=[Forward(ours, "[method]pipe.read", "test:fwd/none@0.1.0")])


ENTRY_WIT = """
package test:ent@0.1.0;
interface host-side {
  record entry { kind: u8, name: string }
  record renamed { kind: u8, title: string }
  enum code { busy, gone }
  resource lister { next: func() -> result<option<entry>, code>; other: func() -> result<option<renamed>, code>; }
}
interface ours {
  record entry { kind: u8, name: string }
  enum code { busy, gone }
  resource lister { next: func() -> result<option<entry>, code>; other: func() -> result<option<entry>, code>; }
}
world w { import host-side; export ours; }
"""


def test_forwarding_accepts_the_hosts_own_type_of_the_same_shape():
    """A directory entry is a record of each interface's own (ours, the host's): forwarding
    compares shapes, not names, and refuses a record whose fields differ; an enum error needs
    no translation (no `_forwarded_err` hook)."""
    from wasivirt_component.virt.glue import GlueError, generate_lowered, load_world
    from wasivirt_component.virt.glue.lowered import Forward

    world = load_world(build.resolve_wit({"world.wit": ENTRY_WIT}), "w")
    ours, host = "test:ent/ours@0.1.0", "test:ent/host-side@0.1.0"
    glue = generate_lowered(world, forward=[Forward(ours, "[method]lister.next", host)])
    assert "bool test_ent_ours_lister_next_forward(" in glue.header
    assert "forwarded_err" not in glue.header
    with pytest.raises(GlueError, match="ok type must be the same"):
        generate_lowered(world, forward=[Forward(ours, "[method]lister.other", host)])
