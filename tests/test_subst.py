"""`compose._subst`: resource substitution rebuilds only what changes, shares the rest,
keeps names, and reaches every constructor of the type model."""

from __future__ import annotations

from wasivirt_component.compose._subst import Substitution, subst
from wasivirt_component.compose._walk import iter_resources
from wasivirt_component.compose.types import (
    Borrow,
    ComponentType,
    Enum,
    Flags,
    FuncType,
    Future,
    InstanceType,
    ListType,
    MapType,
    ModuleType,
    Option,
    Own,
    Record,
    Resource,
    Result,
    Stream,
    Tuple,
    TypeItem,
    ValueItem,
    Variant,
)


def test_an_empty_mapping_is_the_identity() -> None:
    t = InstanceType({"f": FuncType((("p", Own(Resource("r"))),), None)})
    assert subst(t, {}) is t


def test_only_what_uses_the_resource_is_rebuilt() -> None:
    old, new = Resource("r"), Resource("r")
    point = Record((("x", "u32"),), name="point")
    handle = Record((("h", Own(old)), ("p", point)), name="handle")
    f = FuncType((("self", Borrow(old)), ("p", point)), handle)
    g = FuncType((("p", point),), "u32")
    iface = InstanceType({"point": TypeItem("eq", point), "handle": TypeItem("eq", handle), "f": f, "g": g})
    out = subst(iface, {old: new})
    assert out is not iface
    assert out.exports["g"] is g                       # untouched: shared
    assert out.exports["point"].type is point          # untouched named type: the same object
    new_handle = out.exports["handle"].type
    assert new_handle is not handle and new_handle.name == "handle"   # rebuilt, name kept
    assert new_handle.fields[1][1] is point
    assert list(iter_resources(out)) == [new]
    assert list(iter_resources(iface)) == [old]        # the original is not changed


def test_shared_terms_are_rebuilt_once() -> None:
    old, new = Resource("r"), Resource("r")
    shared = Option(Own(old))
    out = subst(Tuple((shared, shared)), {old: new})
    assert out.items[0] is out.items[1]


def test_replace_swaps_whole_types_by_identity() -> None:
    mine = Record((("x", "u32"),), name="point")
    theirs = Record((("x", "u32"),), name="point")
    f = FuncType((("p", mine),), None)
    out = Substitution({}, {id(mine): theirs})(f)
    assert out.params[0][1] is theirs


def test_unchanged_component_and_module_types_are_shared() -> None:
    ct = ComponentType({"f": FuncType((), None)}, {"g": FuncType((), "u8")})
    mt = ModuleType([("m", "f", "func")], [("memory", "memory")])
    assert subst(ct, {Resource("other"): Resource("x")}) is ct
    assert subst(mt, {Resource("other"): Resource("x")}) is mt


def test_every_constructor_is_substituted() -> None:
    old, new = Resource("r"), Resource("r")
    own = Own(old)
    values = [Record((("f", own),)), Variant((("a", own), ("b", None))), ListType(own), ListType(own, 2),
              Tuple((own,)), Option(own), Result(own, None), Result(None, own), Borrow(old), Stream(own),
              Future(own), MapType("string", own)]
    func = FuncType(tuple((f"p{i}", v) for i, v in enumerate(values)), own)
    iface = InstanceType({"r": TypeItem("sub", old), "f": func, "flags": TypeItem("eq", Flags(("a",))),
                          "enum": TypeItem("eq", Enum(("a",)))}, [old])
    component = ComponentType({"i": iface, "v": ValueItem(own)}, {"e": func}, [old])
    out = subst(component, {old: new})
    assert list(iter_resources(out)) == [new]
    assert out.imports["i"].exports["flags"] is iface.exports["flags"]   # no resource: shared
    assert out.imported == [new] and out.imports["i"].bound == [new]
