"""The composition graph API on small hand-written components (WAT via `jco parse`).

The plug tests cover real toolchain output; these pin down graph behaviour that is hard
to provoke with it: cycles, widening merged imports, renamed explicit imports, function
imports, and imports whose types cannot be declared. Every successful encoding is
validated by wasmtime.
"""

from __future__ import annotations

import pytest

from wasivirt_component.check import validate_component
from wasivirt_component.compose._graph import CompositionGraph
from wasivirt_component.compose._reader import read_component
from wasivirt_component.compose._render import render_type
from wasivirt_component.errors import CompositionError

POINT = """(type $p (record (field "x" u32) (field "y" u32)))
    (export "point" (type (eq $p)))"""


# A component that imports `api` (with record `point`, or the `types` given, and function
# NAME) and exports `call-NAME`, implemented by core code calling the import (wasmtime
# cannot run a bare re-export of an imported function). `{t}` in `params` is the type
# `uses` names: (its export name, its index in `types`).
def _api_user(version: str, func: str, params: str, core_params: str, out: str, types: str = POINT,
              uses: tuple[str, int] = ("point", 1)) -> str:
    inner, outer = params.format(t=uses[1]), params.format(t="$point")
    return f"""
(component
  (type $api (instance
    {types}
    (type $ft (func {inner} (result u32)))
    (export "{func}" (func (type $ft)))))
  (import "t:x/api@{version}" (instance $api (type $api)))
  (alias export $api "{func}" (func $f))
  (alias export $api "{uses[0]}" (type $point))
  (core func $f_low (canon lower (func $f)))
  (core module $m
    (import "" "f" (func $f (param {core_params}) (result i32)))
    (func (export "call") (param {core_params}) (result i32)
      {" ".join(f"local.get {i}" for i in range(len(core_params.split())))} call $f))
  (core instance $i (instantiate $m (with "" (instance (export "f" (func $f_low))))))
  (type $ft_outer (func {outer} (result u32)))
  (func $call (type $ft_outer) (canon lift (core func $i "call")))
  (instance $out (export "{uses[0]}" (type $point)) (export "call-{func}" (func $call)))
  (export "t:x/{out}@0.1.0" (instance $out))
)
"""


USES_F = _api_user("0.1.0", "f", '(param "p" {t})', "i32 i32", "out-f")
USES_G = _api_user("0.1.2", "g", '(param "p" {t}) (param "k" u32)', "i32 i32 i32", "out-g")


def _forwarder(imports: str, exports: str) -> str:
    """Imports interface `imports` with `f{imports}: func()`, exports `exports` with `f{exports}`."""
    return f"""
(component
  (import "t:x/{imports}" (instance $in (export "f{imports}" (func))))
  (alias export $in "f{imports}" (func $g))
  (core func $g_low (canon lower (func $g)))
  (core module $m
    (import "" "g" (func $g))
    (func (export "h") call $g))
  (core instance $i (instantiate $m (with "" (instance (export "g" (func $g_low))))))
  (func $h (canon lift (core func $i "h")))
  (instance $out (export "f{exports}" (func $h)))
  (export "t:x/{exports}" (instance $out))
)
"""


# A exports a, imports b; B exports b, imports a.
CYCLE_A = _forwarder("b", "a")
CYCLE_B = _forwarder("a", "b")
# Imports a bare function and exports a wrapper of it.
FUNC_IMPORT = """
(component
  (import "tick" (func $tick (param "n" u64) (result u32)))
  (core func $low (canon lower (func $tick)))
  (core module $m
    (import "" "tick" (func $t (param i64) (result i32)))
    (func (export "tock") (param i64) (result i32) local.get 0 call $t))
  (core instance $i (instantiate $m (with "" (instance (export "tick" (func $low))))))
  (func $tock (param "n" u64) (result u32) (canon lift (core func $i "tock")))
  (export "tock" (func $tock))
)
"""
# Defines a resource and exports it in an interface.
RES_PROVIDER = """
(component
  (type $r (resource (rep i32)))
  (instance $i (export "r" (type $r)))
  (export "t:x/res@0.1.0" (instance $i))
)
"""
# Imports the resource interface and an interface whose `make` returns the resource.
RES_USER = """
(component
  (import "t:x/res@0.1.0" (instance $res (export "r" (type (sub resource)))))
  (alias export $res "r" (type $r))
  (type $use (instance
    (alias outer 1 $r (type $rr))
    (export "r" (type (eq $rr)))
    (type $own (own 1))
    (export "make" (func (result $own)))))
  (import "t:x/use@0.1.0" (instance $use (type $use)))
  (alias export $use "make" (func $make))
  (core func $low (canon lower (func $make)))
  (core module $m
    (import "" "make" (func $make (result i32)))
    (func (export "make-twice") (result i32) call $make drop call $make))
  (core instance $i (instantiate $m (with "" (instance (export "make" (func $low))))))
  (type $own_r (own $r))
  (func $twice (result $own_r) (canon lift (core func $i "make-twice")))
  (instance $out (export "r" (type $r)) (export "make-twice" (func $twice)))
  (export "t:x/use-out@0.1.0" (instance $out))
)
"""


@pytest.fixture
def load(wat):
    def build(text: str, name: str):
        return read_component(wat(text, name).read_bytes(), name)
    return build


def _export_all(graph: CompositionGraph, node) -> None:
    for name in node.package.type.exports:
        graph.export(graph.export_of(node, name), name)


def test_compatible_imports_merge_into_one_widened_import(load) -> None:
    graph = CompositionGraph()
    a = graph.instantiate(graph.add_component(load(USES_F, "uses-f"), "a"))
    b = graph.instantiate(graph.add_component(load(USES_G, "uses-g"), "b"))
    _export_all(graph, a)
    _export_all(graph, b)
    data = graph.encode()
    validate_component(data, "widened")
    composed = read_component(data, "widened").type
    assert list(composed.imports) == ["t:x/api@0.1.2"]  # the highest version names it
    api = composed.imports["t:x/api@0.1.2"]
    assert list(api.exports) == ["point", "g", "f"]
    assert render_type(api.exports["f"]) == "func(p: point) -> u32"
    assert render_type(api.exports["g"]) == "func(p: point, k: u32) -> u32"


# 0.1.0 says `type pt = point` (one record, two names); 0.1.2 has two equal records.
USES_F_ALIAS = _api_user("0.1.0", "f", '(param "p" {t})', "i32 i32", "out-f",
                         POINT + '\n    (export "pt" (type (eq 1)))')
USES_G_TWO_RECORDS = _api_user("0.1.2", "g", '(param "p" {t})', "i32 i32", "out-g",
                               POINT + '\n    (type (record (field "x" u32) (field "y" u32)))'
                                       '\n    (export "pt" (type (eq 2)))', uses=("pt", 3))


def test_widening_keeps_an_aliased_record_under_its_own_name(load) -> None:
    """`f` (from 0.1.0, where `pt` aliases `point`) takes a point, not a pt, once merged
    into 0.1.2, where they are two records."""
    graph = CompositionGraph()
    a = graph.instantiate(graph.add_component(load(USES_F_ALIAS, "uses-f-alias"), "a"))
    b = graph.instantiate(graph.add_component(load(USES_G_TWO_RECORDS, "uses-g-records"), "b"))
    _export_all(graph, a)
    _export_all(graph, b)
    data = graph.encode()
    validate_component(data, "widened-alias")
    api = read_component(data, "widened-alias").type.imports["t:x/api@0.1.2"]
    assert list(api.exports) == ["point", "pt", "g", "f"]
    assert api.exports["point"].type is not api.exports["pt"].type
    assert render_type(api.exports["g"]) == "func(p: pt) -> u32"
    assert render_type(api.exports["f"]) == "func(p: point) -> u32"


def test_a_cycle_is_an_error_naming_the_nodes(load) -> None:
    graph = CompositionGraph()
    a = graph.instantiate(graph.add_component(load(CYCLE_A, "cycle-a"), "a"))
    b = graph.instantiate(graph.add_component(load(CYCLE_B, "cycle-b"), "b"))
    graph.connect(a, "t:x/b", graph.export_of(b, "t:x/b"))
    graph.connect(b, "t:x/a", graph.export_of(a, "t:x/a"))
    with pytest.raises(CompositionError, match=r"^instantiation cycle: a -> b -> a$"):
        graph.encode()


def test_one_side_of_a_would_be_cycle_composes(load) -> None:
    graph = CompositionGraph()
    a = graph.instantiate(graph.add_component(load(CYCLE_A, "cycle-a"), "a"))
    b = graph.instantiate(graph.add_component(load(CYCLE_B, "cycle-b"), "b"))
    graph.connect(a, "t:x/b", graph.export_of(b, "t:x/b"))
    graph.export(graph.export_of(a, "t:x/a"), "t:x/a")
    data = graph.encode()
    validate_component(data, "chain")
    assert list(read_component(data, "chain").type.imports) == ["t:x/a"]  # b's import


def test_explicit_import_renames_what_an_instance_imports(load) -> None:
    graph = CompositionGraph()
    node = graph.instantiate(graph.add_component(load(USES_F, "uses-f"), "a"))
    graph.connect(node, "t:x/api@0.1.0", graph.import_("host:y/api@2.0.0"))
    _export_all(graph, node)
    data = graph.encode()
    validate_component(data, "renamed")
    assert list(read_component(data, "renamed").type.imports) == ["host:y/api@2.0.0"]


def test_function_imports_and_exports(load) -> None:
    graph = CompositionGraph()
    node = graph.instantiate(graph.add_component(load(FUNC_IMPORT, "func"), "f"))
    graph.export(graph.export_of(node, "tock"), "tock")
    data = graph.encode()
    validate_component(data, "func")
    composed = read_component(data, "func").type
    assert render_type(composed.imports["tick"]) == "func(n: u64) -> u32"
    assert render_type(composed.exports["tock"]) == "func(n: u64) -> u32"


def test_resource_from_an_instance_is_passed_on(load) -> None:
    graph = CompositionGraph()
    provider = graph.instantiate(graph.add_component(load(RES_PROVIDER, "res"), "provider"))
    user = graph.instantiate(graph.add_component(load(RES_USER, "user"), "user"))
    graph.connect(user, "t:x/res@0.1.0", graph.export_of(provider, "t:x/res@0.1.0"))
    # `t:x/use` refers to the provider's resource: it cannot become an outer import
    with pytest.raises(CompositionError, match=r"outer import `t:x/use@0\.1\.0` cannot be declared: its type "
                                               r"uses resource `r`, which `provider` defines \(an import may only use imported "
                                               r"types\); connect `t:x/use@0\.1\.0` to an instance as well, or leave "
                                               r"`t:x/res@0\.1\.0` to the host too$"):
        graph.encode()


def test_imports_may_share_a_resource_from_another_import(load) -> None:
    graph = CompositionGraph()
    user = graph.instantiate(graph.add_component(load(RES_USER, "user"), "user"))
    _export_all(graph, user)
    data = graph.encode()
    validate_component(data, "shared-resource")
    imports = read_component(data, "shared-resource").type.imports
    use = imports["t:x/use@0.1.0"]
    assert use.exports["r"].type is imports["t:x/res@0.1.0"].exports["r"].type
    assert render_type(use.exports["make"]) == "func() -> r"


@pytest.mark.parametrize("action, message", [
    (lambda g, n: g.connect(n, "nope", g.import_("x")), r"`a` has no import named `nope`"),
    (lambda g, n: g.export_of(n, "nope"), r"`a` has no export named `nope` \(it exports: t:x/out-f@0\.1\.0\)"),
    (lambda g, n: (g.connect(n, "t:x/api@0.1.0", g.import_("x")), g.connect(n, "t:x/api@0.1.0", g.import_("y"))),
     r"`a` import `t:x/api@0\.1\.0` is already connected"),
    (lambda g, n: (g.export(g.export_of(n, "t:x/out-f@0.1.0"), "e"), g.export(g.export_of(n, "t:x/out-f@0.1.0"), "e")),
     r"two exports are named `e`"),
])
def test_graph_misuse_is_reported(load, action, message) -> None:
    graph = CompositionGraph()
    node = graph.instantiate(graph.add_component(load(USES_F, "uses-f"), "a"))
    with pytest.raises(CompositionError, match=message):
        action(graph, node)


def test_unsatisfied_import_without_implicit_imports(load) -> None:
    graph = CompositionGraph()
    node = graph.instantiate(graph.add_component(load(USES_F, "uses-f"), "a"))
    _export_all(graph, node)
    with pytest.raises(CompositionError, match=r"`a` import `t:x/api@0\.1\.0` is not satisfied"):
        graph.encode(implicit_imports=False)


def test_unused_explicit_import_is_an_error(load) -> None:
    graph = CompositionGraph()
    node = graph.instantiate(graph.add_component(load(USES_F, "uses-f"), "a"))
    graph.import_("t:z/unused@1.0.0")
    _export_all(graph, node)
    with pytest.raises(CompositionError, match=r"outer import `t:z/unused@1\.0\.0` is not used by any instance"):
        graph.encode()


# Imports the resource interface and passes the resource on in its own export.
RES_PASSER = """
(component
  (import "t:x/res@0.1.0" (instance $res (export "r" (type (sub resource)))))
  (alias export $res "r" (type $r))
  (instance $out (export "r" (type $r)))
  (export "t:x/res-out@0.1.0" (instance $out))
)
"""


def test_encoding_twice_gives_the_same_component(load) -> None:
    graph = CompositionGraph()
    provider = graph.instantiate(graph.add_component(load(RES_PROVIDER, "res"), "provider"))
    passer = graph.instantiate(graph.add_component(load(RES_PASSER, "passer"), "passer"))
    graph.connect(passer, "t:x/res@0.1.0", graph.export_of(provider, "t:x/res@0.1.0"))
    graph.export(graph.export_of(passer, "t:x/res-out@0.1.0"), "t:x/res-out@0.1.0")
    first, second = graph.encode(), graph.encode()  # resources are bound afresh each time
    assert first == second
    validate_component(first, "twice")
    plain = CompositionGraph()
    node = plain.instantiate(plain.add_component(load(USES_F, "uses-f"), "a"))
    _export_all(plain, node)
    assert plain.encode() == plain.encode()
    assert node.args == {}  # implicit imports are not written into the caller's arguments


def test_one_resolution_encodes_the_real_parts_and_their_skeletons(load) -> None:
    """`encode(skeletons=...)` writes the same composition with those packages replaced by
    their type skeletons: what compose validates instead of the whole output."""
    graph = CompositionGraph()
    uses_f = load(USES_F, "uses-f")
    package = graph.add_component(uses_f, "a")
    a = graph.instantiate(package)
    _export_all(graph, a)
    real = graph.encode()
    resolved = graph._resolved
    over_skeletons = graph.encode(skeletons=[package])
    assert graph._resolved is resolved                  # resolved once, written twice
    assert uses_f.data in real and uses_f.data not in over_skeletons
    validate_component(over_skeletons, "over-skeletons", cache=False)
    real_type, skeleton_type = (read_component(d, "x").type for d in (real, over_skeletons))
    assert list(real_type.imports) == list(skeleton_type.imports)
    assert list(real_type.exports) == list(skeleton_type.exports)
    graph.export(graph.export_of(a, "t:x/out-f@0.1.0"), "again")
    assert graph._resolved is None                      # a change forgets the resolution
