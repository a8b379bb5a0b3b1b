"""Type aliases of resources (`type a = r`, `type c = a`) through the composer.

`wasi:http/types` declares `type headers = fields` and `type trailers = headers`; every
such alias is an `eq` export of the same resource, and a distinct index that the
validator names after its export. `[constructor]r`, `[method]r.f` must reach `r` through
the index named `r`, so the composer must refer to a resource by its own name however
many aliases it has (issue 12). Each case here is encoded, validated by wasmtime and
read back with the same types.
"""

from __future__ import annotations

import pytest

from wasivirt_component.check import validate_component
from wasivirt_component.compose._compare import check
from wasivirt_component.compose._graph import CompositionGraph
from wasivirt_component.compose._plug import plug
from wasivirt_component.compose._reader import ComponentInfo, read_component
from wasivirt_component.compose._render import render_type
from wasivirt_component.compose._shim import InterfaceShim
from wasivirt_component.compose._stub import skeleton, trap_stub
from wasivirt_component.compose.types import ComponentType, InstanceType, Resource, TypeItem
from wasivirt_component.names import resource_function

# `t:x/chain` declares resource r with `type a = r`, `type c = a` and uses all three
# (constructor, method and static function through `r`, other functions through the
# aliases, in params, results, options, lists and results), and a record with an alias;
# `t:x/user` uses the chain's resource through an outer alias re-exported as `r`, renamed
# `d` and aliased again as `e`. This is the reference: wasmtime validates it as written.
IMPORTS = """
(component
  (type $chain (instance
    (export "r" (type (sub resource)))
    (export "a" (type (eq 0)))
    (export "c" (type (eq 1)))
    (type (record (field "x" u32)))
    (export "point" (type (eq 3)))
    (export "pt" (type (eq 4)))
    (type (own 0))
    (type (func (param "v" u32) (result 6)))
    (export "[constructor]r" (func (type 7)))
    (type (borrow 0))
    (type (func (param "self" 8) (result u32)))
    (export "[method]r.get" (func (type 9)))
    (type (own 2))
    (type (result 10 (error string)))
    (type (func (param "v" u32) (result 11)))
    (export "[static]r.parse" (func (type 12)))
    (type (borrow 1))
    (type (option 10))
    (type (func (param "x" 13) (param "p" 5) (result 14)))
    (export "clone" (func (type 15)))
    (type (own 1))
    (type (list 16))
    (type (func (param "all" 17) (result 4)))
    (export "count" (func (type 18)))))
  (import "t:x/chain@0.1.0" (instance $chain (type $chain)))
  (alias export $chain "r" (type $r))
  (alias export $chain "c" (type $c))
  (type $user (instance
    (alias outer 1 $r (type))
    (export "r" (type (eq 0)))
    (alias outer 1 $c (type))
    (export "d" (type (eq 2)))
    (export "e" (type (eq 3)))
    (type (own 4))
    (type (borrow 3))
    (type (own 1))
    (type (func (param "x" 5) (param "y" 6) (result 7)))
    (export "swap" (func (type 8)))
    (type (option 5))
    (type (func (result 9)))
    (export "maybe" (func (type 10)))))
  (import "t:x/user@0.1.0" (instance $user (type $user)))
)
"""
CHAIN, USER = "t:x/chain@0.1.0", "t:x/user@0.1.0"
CHAIN_OUT, USER_OUT = "t:x/chain-out@0.1.0", "t:x/user-out@0.1.0"

CHAIN_FUNCS = {
    "[constructor]r": "func(v: u32) -> r",
    "[method]r.get": "func(self: borrow<r>) -> u32",
    "[static]r.parse": "func(v: u32) -> result<r, string>",
    "clone": "func(x: borrow<r>, p: point) -> option<r>",
    "count": "func(all: list<r>) -> point",
}
USER_FUNCS = {"swap": "func(x: r, y: borrow<r>) -> r", "maybe": "func() -> option<r>"}


@pytest.fixture(scope="module")
def declared(wat) -> ComponentInfo:
    """The reference component: imports only."""
    return read_component(wat(IMPORTS, "alias-imports").read_bytes(), "alias-imports")


@pytest.fixture(scope="module")
def socket(declared: ComponentInfo) -> ComponentInfo:
    """A component importing the chain and exporting it again (as `*-out`), encoded by
    the composer: its imports through instance types, its exports through shims."""
    imports = declared.type.imports
    ctype = ComponentType(dict(imports), {CHAIN_OUT: imports[CHAIN], USER_OUT: imports[USER]},
                          list(declared.type.imported))
    return read_component(skeleton(ctype), "alias-socket")


def _assert_chain(chain: InstanceType, user: InstanceType) -> None:
    """`chain` and `user` have the reference's shape: one resource behind r, a, c, d and
    e, one record behind point and pt, the same function types."""
    r = chain.exports["r"]
    assert isinstance(r, TypeItem) and isinstance(r.type, Resource) and r.type.name == "r"
    assert all(chain.exports[n].type is r.type for n in ("a", "c"))
    assert chain.exports["pt"].type is chain.exports["point"].type
    assert all(user.exports[n].type is r.type for n in ("r", "d", "e"))
    assert {n: render_type(chain.exports[n]) for n in CHAIN_FUNCS} == CHAIN_FUNCS
    assert {n: render_type(user.exports[n]) for n in USER_FUNCS} == USER_FUNCS


def _same_type(provided: InstanceType, required: InstanceType,
               outer: tuple[Resource, Resource] | None = None) -> None:
    """Each is a subtype of the other, binding the resources one to one (`outer`: a
    resource both use from elsewhere, as (provided's, required's))."""
    forward: dict[Resource, Resource] = {outer[1]: outer[0]} if outer else {}
    backward: dict[Resource, Resource] = {outer[0]: outer[1]} if outer else {}
    check(provided, required, forward)
    check(required, provided, backward)
    assert list(provided.exports) == list(required.exports)
    assert {a: b for b, a in forward.items()} == backward


def test_the_reference_validates_as_written(declared: ComponentInfo) -> None:
    validate_component(declared.data, "alias-imports")
    imports = declared.type.imports
    assert [imports[CHAIN].exports[n].bound for n in ("r", "a", "c")] == ["sub", "eq", "eq"]
    _assert_chain(imports[CHAIN], imports[USER])


def test_imports_with_alias_chains_are_declared_through_the_resources_own_name(
        declared: ComponentInfo) -> None:
    graph = CompositionGraph()
    graph.instantiate(graph.add_component(declared, "declared"))
    data = graph.encode()
    validate_component(data, "alias-graph")
    composed = read_component(data, "alias-graph").type
    assert list(composed.imports) == [CHAIN, USER]
    chain = composed.imports[CHAIN]
    assert [chain.exports[n].bound for n in ("r", "a", "c")] == ["sub", "eq", "eq"]
    _assert_chain(chain, composed.imports[USER])
    _same_type(chain, declared.type.imports[CHAIN])


def test_a_component_exporting_alias_chains_is_encoded(socket: ComponentInfo) -> None:
    validate_component(socket.data, "alias-socket")
    imports, exports = socket.type.imports, socket.type.exports
    _assert_chain(imports[CHAIN], imports[USER])
    _assert_chain(exports[CHAIN_OUT], exports[USER_OUT])
    assert exports[CHAIN_OUT].exports["c"].type is imports[CHAIN].exports["r"].type
    _same_type(exports[CHAIN_OUT], imports[CHAIN])


def test_its_exports_pass_through_a_composition(socket: ComponentInfo) -> None:
    graph = CompositionGraph()
    node = graph.instantiate(graph.add_component(socket, "socket"))
    for name in socket.type.exports:
        graph.export(graph.export_of(node, name), name)
    data = graph.encode()
    validate_component(data, "alias-reexport")
    composed = read_component(data, "alias-reexport").type
    _assert_chain(composed.exports[CHAIN_OUT], composed.exports[USER_OUT])
    assert composed.exports[USER_OUT].exports["e"].type is composed.imports[CHAIN].exports["r"].type


def test_a_plug_defining_the_aliased_resource_fills_both_imports(socket: ComponentInfo) -> None:
    """The stub defines `r` and exports it under every alias; plugged in, the result
    imports nothing and exports the stub's resource through the socket."""
    stub = trap_stub(socket.type, [CHAIN, USER])
    validate_component(stub.data, "alias-stub")
    stub_info = read_component(stub.data, "alias-stub")
    _assert_chain(stub_info.type.exports[CHAIN], stub_info.type.exports[USER])
    result = plug(socket, [stub_info])
    assert set(result.filled) == {CHAIN, USER}
    validate_component(result.data, "alias-plugged")
    composed = read_component(result.data, "alias-plugged").type
    assert composed.imports == {}
    _assert_chain(composed.exports[CHAIN_OUT], composed.exports[USER_OUT])
    _same_type(composed.exports[CHAIN_OUT], socket.type.imports[CHAIN])


def test_a_shim_imports_each_type_under_its_own_name(declared: ComponentInfo) -> None:
    """The shim's imports are named after the type (`r`, `point`), not its last alias."""
    shim = InterfaceShim(declared.type.imports[CHAIN])
    types = [name for name, sort, _ in shim.args if sort == "type"]
    assert types == ["import-type-r", "import-type-point"]


# The chain as top-level imports of a component (a world's own types and functions);
# in the second one `r` itself is an alias of a resource an interface import binds.
TOP_LEVEL = """
(component
  (import "r" (type $r (sub resource)))
  (import "a" (type $a (eq $r)))
  (import "c" (type $c (eq $a)))
  (import "[constructor]r" (func (param "v" u32) (result (own $r))))
  (import "[method]r.get" (func (param "self" (borrow $r)) (result u32)))
  (import "take" (func (param "x" (own $c)) (param "y" (borrow $a)) (result (own $a))))
)
"""
# `t:x/view` and the top level rename an interface's resource `q` to `a`, alias it as
# `r` and give `r` a constructor and a method: there the validator wants `r`, which is
# neither the resource's own name nor its first alias.
RENAMED = """
(component
  (import "t:x/res@0.1.0" (instance $res (export "q" (type (sub resource)))))
  (alias export $res "q" (type $q))
  (type $view (instance
    (alias outer 1 $q (type))
    (export "a" (type (eq 0)))
    (export "r" (type (eq 1)))
    (type (own 2))
    (type (func (param "v" u32) (result 3)))
    (export "[constructor]r" (func (type 4)))
    (type (borrow 2))
    (type (func (param "self" 5) (result u32)))
    (export "[method]r.get" (func (type 6)))
    (type (own 1))
    (type (func (param "x" 7)))
    (export "take" (func (type 8)))))
  (import "t:x/view@0.1.0" (instance (type $view)))
  (import "a" (type $a (eq $q)))
  (import "r" (type $r (eq $a)))
  (import "c" (type $c (eq $r)))
  (import "[constructor]r" (func (param "v" u32) (result (own $r))))
  (import "[method]r.get" (func (param "self" (borrow $r)) (result u32)))
  (import "take" (func (param "x" (own $c)) (param "y" (borrow $a)) (result (own $a))))
)
"""


def _encodings(info: ComponentInfo) -> dict[str, bytes]:
    """`info`'s imports encoded by a graph (outer imports) and by a skeleton."""
    graph = CompositionGraph()
    graph.instantiate(graph.add_component(info, "top-level"))
    return {"graph": graph.encode(), "skeleton": skeleton(info.type)}


@pytest.mark.parametrize("encoding", ["graph", "skeleton"])
@pytest.mark.parametrize("text", [TOP_LEVEL, RENAMED], ids=["bound-here", "renamed"])
def test_resource_functions_reach_the_alias_they_are_named_after(wat, text: str, encoding: str) -> None:
    info = read_component(wat(text, "alias-top-level").read_bytes(), "alias-top-level")
    validate_component(info.data, "alias-top-level")
    data = _encodings(info)[encoding]
    validate_component(data, f"alias-top-level-{encoding}")
    imports = read_component(data, f"alias-top-level-{encoding}").type.imports
    assert list(imports) == list(info.type.imports)
    r = imports["r"].type
    assert imports["a"].type is r and imports["c"].type is r
    assert [imports[n].bound for n in ("r", "a", "c")] == [info.type.imports[n].bound for n in ("r", "a", "c")]
    funcs = {n: render_type(imports[n]) for n in ("[constructor]r", "[method]r.get", "take")}
    assert funcs == {n: render_type(info.type.imports[n]) for n in funcs}
    if "t:x/view@0.1.0" in imports:
        view = imports["t:x/view@0.1.0"]
        assert view.exports["a"].type is view.exports["r"].type is imports["t:x/res@0.1.0"].exports["q"].type
        q = (imports["t:x/res@0.1.0"].exports["q"].type, info.type.imports["t:x/res@0.1.0"].exports["q"].type)
        _same_type(view, info.type.imports["t:x/view@0.1.0"], q)


def test_a_stub_for_the_renamed_interface(wat) -> None:
    """The stub exports `t:x/view` through a shim whose `[constructor]r` must reach `r`."""
    info = read_component(wat(RENAMED, "alias-top-level").read_bytes(), "alias-top-level")
    stub = trap_stub(info.type, ["t:x/view@0.1.0"])
    assert stub.imports == ["t:x/res@0.1.0"]
    validate_component(stub.data, "alias-view-stub")
    again = read_component(stub.data, "alias-view-stub").type
    view = again.exports["t:x/view@0.1.0"]
    q = (again.imports["t:x/res@0.1.0"].exports["q"].type, info.type.imports["t:x/res@0.1.0"].exports["q"].type)
    _same_type(view, info.type.imports["t:x/view@0.1.0"], q)


@pytest.mark.parametrize("name, parsed", [
    ("[constructor]fields", ("constructor", "fields")),
    ("[method]fields.get", ("method", "fields")),
    ("[static]fields.from-list", ("static", "fields")),
    ("get", None),
    ("wasi:http/types@0.2.12", None),
])
def test_resource_function_names(name: str, parsed: tuple[str, str] | None) -> None:
    assert resource_function(name) == parsed
