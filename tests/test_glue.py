"""The canonical-ABI glue generator (`virt/glue`), end to end and in pieces.

A test world uses every WIT type the generator supports (records, tuples, variants whose
payloads join i32/i64/f32/f64, enums, flags, options, results, lists of strings, records
and handles, own and borrow handles of exported and imported resources). A C component
(tests/c/glue_echo.c) implements it on the generated glue; wasmtime-py calls every export
and plays the host, so each value crosses the generated code both ways and is compared.
The layout functions are checked against values worked out from CanonicalABI.md.
"""

from __future__ import annotations

import math

import pytest
import wasmtime
from wasmtime.component import Component, Linker, ResourceHost, ResourceType, Variant

from support.glueworld import API, HOST, TYPES, WIT, cached_build, glue_sources
from wasivirt_component.compose import abi
from wasivirt_component.compose.types import Enum, Flags, ListType, Option, Record, Result, Tuple
from wasivirt_component.compose.types import Variant as VariantT
from wasivirt_component.virt import build
from wasivirt_component.virt.glue import GlueError, generate, load_world


@pytest.fixture(scope="module")
def component_bytes() -> bytes:
    return cached_build(WIT, glue_sources(), build.GENERATOR_SOURCES, "glue-test", build.compile_component)


class Host:
    """The imported `host` interface, in Python; records what it was given."""

    TOKEN = 11

    def __init__(self) -> None:
        self.tokens: dict[int, str] = {}
        self.dropped: list[int] = []
        self.seen: list[object] = []
        self.next = 100

    def define(self, root) -> None:
        with root.add_instance(HOST) as inst:
            inst.add_resource("token", ResourceType.host(self.TOKEN), lambda store, rep: self.dropped.append(rep))

            def make_token(store, name):
                self.next += 1
                self.tokens[self.next] = name
                return ResourceHost.own(self.next, self.TOKEN)

            def token_name(store, this):
                return "token:" + self.tokens[this.to_host(store).rep]

            def swap(store, p):
                out = wasmtime.component.Record()
                out.x, out.y = p.y, p.x
                return out

            def transform(store, v):
                # wasmtime-py: hval's payload types differ, so a case is its bare payload
                self.seen.append(v)
                if v is None:
                    return None  # the payload-less case
                if isinstance(v, int):
                    return -v * 2
                if isinstance(v, str):
                    return v.upper() + "!"
                return v / 2

            inst.add_func("make-token", make_token)
            inst.add_func("[method]token.name", token_name)
            inst.add_func("reverse", lambda store, data: bytes(data)[::-1])
            inst.add_func("swap", swap)
            inst.add_func("transform", transform)
            inst.add_func("maybe", lambda store, n: None if n % 2 else n * 1_000_000_007)
            # wasmtime-py: a result whose ok and err types differ is its bare payload
            inst.add_func("divide", lambda store, a, b: "division by zero" if b == 0 else a // b)
            inst.add_func("words", lambda store, text: text.split())


class Glue:
    """A fresh instance of the test component."""

    def __init__(self, data: bytes) -> None:
        self.engine = wasmtime.Engine()
        self.component = Component(self.engine, data)
        self.host = Host()
        linker = Linker(self.engine)
        with linker.root() as root:
            self.host.define(root)
        self.store = wasmtime.Store(self.engine)
        self.instance = linker.instantiate(self.store, self.component)

    def call(self, name: str, *args, interface: str = API):
        index = self.instance.get_export_index(self.store, interface)
        fn = self.instance.get_func(self.store, self.instance.get_export_index(self.store, name, index))
        result = fn(self.store, *args)
        return result


@pytest.fixture
def g(component_bytes) -> Glue:
    return Glue(component_bytes)


def point(x: int, y: int, label: str):
    p = wasmtime.component.Record()
    p.x, p.y, p.label = x, y, label
    return p


# -- every type, both directions ----------------------------------------------------------------

def test_primitives(g):
    assert g.call("echo-bool", True) is True and g.call("echo-bool", False) is False
    values = (255, -128, 65535, -32768, 4_294_967_295, -2_147_483_648, 2**64 - 1, -2**63)
    assert g.call("echo-ints", *values) == values
    assert g.call("echo-ints", 0, 0, 0, 0, 0, 0, 0, 0) == (0,) * 8
    f32, f64 = g.call("echo-floats", 1.5, -2.25e300)
    assert (f32, f64) == (1.5, -2.25e300)
    assert math.isnan(g.call("echo-floats", math.nan, 0.0)[0])
    assert g.call("echo-char", "é") == "é" and g.call("echo-char", "\U0010FFFF") == "\U0010FFFF"


def test_strings_and_lists(g):
    assert g.call("echo-string", "") == ""
    assert g.call("echo-string", "héllo wörld " * 100) == "héllo wörld " * 100
    assert g.call("echo-strings", ["a", "", "ünï", "x" * 5000]) == ["a", "", "ünï", "x" * 5000]
    assert g.call("echo-strings", []) == []


def test_records_options_and_results(g):
    p = g.call("echo-point", point(-3, 7, "label"))
    assert (p.x, p.y, p.label) == (-3, 7, "label")
    assert g.call("echo-option", None) is None
    o = g.call("echo-option", point(1, 2, "o"))
    assert (o.x, o.y, o.label) == (1, 2, "o")
    assert g.call("echo-result", 42) == 42  # wasmtime-py: an untagged result is its payload
    assert g.call("echo-result", "bad") == "bad"
    s = g.call("sum-points", [point(1, 2, "a"), point(10, 20, "b"), point(100, 200, "")])
    assert (s.x, s.y, s.label) == (111, 222, "sum")


@pytest.mark.parametrize("value", [
    Variant("circle", 2.5), Variant("rect", point(4, 5, "r")), Variant("empty"),
    Variant("blob", b"\x00\x01\xff"), Variant("big", 2**64 - 1), Variant("small", -5),
    Variant("precise", -1.0 / 3.0),
])
def test_variant_payloads_that_join_flat_types(g, value):
    """shape's payloads flatten to f32, 4×i32, -, 2×i32, i64, i32, f64: lifting them from
    the joined (i64, i32, i32, i32) parameters must undo each join exactly."""
    got = g.call("echo-shape", value)
    assert got.tag == value.tag
    if value.tag == "rect":
        assert (got.payload.x, got.payload.y, got.payload.label) == (4, 5, "r")
    else:
        assert got.payload == value.payload


def test_enums_and_flags(g):
    for c in ("red", "green", "blue"):
        assert g.call("echo-color", c) == c
    for perms in (set(), {"read"}, {"write", "exec"}, {"read", "write", "exec"}):
        assert g.call("echo-perms", perms) == perms


def test_exported_resources_own_and_borrow(g):
    counters = g.call("make-counters", 3)
    assert len(counters) == 3 and g.call("live-counters") == 3
    incr = lambda c, n: g.call("[method]counter.incr", c, n, interface=TYPES)  # noqa: E731
    assert [incr(c, 1) for c in counters] == [1, 11, 21]
    assert g.call("[static]counter.total", counters, interface=TYPES) == 33
    made = g.call("[constructor]counter", 5, interface=TYPES)
    assert incr(made, 2) == 7
    ok = g.call("try-counter", True)
    assert incr(ok, 1) == 8
    assert g.call("try-counter", False) == "refused"
    for c in [*counters, made, ok]:
        c.drop(g.store)
    assert g.call("live-counters") == 0  # every [dtor] ran


# -- imports: lowering arguments, lifting results ------------------------------------------------

def test_host_round_trips(g):
    assert g.call("host-reverse", b"abcdef") == b"fedcba"
    assert g.call("host-reverse", b"") == b""
    assert g.call("host-swap", 1, -2) == (-2, 1)
    assert g.call("host-maybe", 4) == 4_000_000_028 and g.call("host-maybe", 3) is None
    assert g.call("host-divide", -9, 2) == -5
    assert g.call("host-divide", 1, 0) == "division by zero"
    assert g.call("host-words", "a bb  ccc ") == ["a", "bb", "ccc"]


@pytest.mark.parametrize("tag,expected", [
    (0, ("num", -2 * 1234567890123)), (1, ("text", "HÉLLO!")), (2, ("nothing", None)), (3, ("ratio", 0.75)),
])
def test_variant_arguments_of_imports_are_joined(g, tag, expected):
    """hval's payloads flatten to i64, 2×i32, -, f32, joined as (i64, i32)."""
    d = g.call("host-transform", tag, 1234567890123, "héllo", 1.5)
    seen = g.host.seen[-1]
    assert seen == [1234567890123, "héllo", seen, 1.5][tag]  # the host got the case's payload
    got = {0: d.num, 1: d.text, 2: None, 3: d.ratio}[d.tag]
    assert (["num", "text", "nothing", "ratio"][d.tag], got) == expected


def test_host_resources(g):
    assert g.call("host-token-name", "abc") == "token:abc"
    assert g.host.dropped == [101]  # the wrapper's drop reached the host


def test_nothing_leaks(g):
    """Arguments the glue frees and results post-return frees: the heap comes back."""
    g.call("echo-strings", ["warm", "up"])
    before = g.call("heap-in-use")
    for _ in range(50):
        g.call("echo-strings", ["a" * 100, "b" * 1000])
        g.call("echo-point", point(1, 2, "x" * 300))
        g.call("host-words", "one two three")
        g.call("host-reverse", b"z" * 4000)
        g.call("echo-shape", Variant("blob", b"q" * 500))
    assert g.call("heap-in-use") == before


# -- layout and generator errors -------------------------------------------------------------------

def test_layouts_from_the_canonical_abi():
    datetime = Record((("seconds", "u64"), ("nanoseconds", "u32")))
    stat = Record((("type", Enum(tuple("abcdefgh"))), ("link-count", "u64"), ("size", "u64"),
                   ("a", Option(datetime)), ("m", Option(datetime)), ("c", Option(datetime))))
    assert (abi.size(datetime), abi.alignment(datetime)) == (16, 8)
    assert (abi.size(Option(datetime)), abi.payload_offset(Option(datetime))) == (24, 8)
    assert abi.field_offsets([ft for _, ft in stat.fields]) == [0, 8, 16, 24, 48, 72]
    result = Result(stat, Enum(tuple(f"e{i}" for i in range(37))))
    assert (abi.size(result), abi.payload_offset(result)) == (104, 8)  # TOOLCHAIN.md's figure
    assert abi.size(Tuple((ListType("u8"), "bool"))) == 12
    assert abi.size(Flags(tuple(f"f{i}" for i in range(9)))) == 2
    assert abi.size(VariantT((("a", "u8"), ("b", None)))) == 2
    assert abi.discriminant_size(257) == 2


def test_unsupported_wit_is_a_clear_error():
    resolved = _resolve("""
package test:bad@0.1.0;
interface i { f: func(a: u32, b: u32, c: u32, d: u32, e: u32, f: u32, g: u32, h: u32, i: u32,
                      j: u32, k: u32, l: u32, m: u32, n: u32, o: u32, p: u32, q: u32); }
world w { export i; }
""")
    with pytest.raises(GlueError, match="more than 16 flat parameters"):
        generate(load_world(resolved, "w"))


def _resolve(wit: str) -> dict:
    return build.resolve_wit({"world.wit": wit})
