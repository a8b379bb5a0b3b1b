"""`compose._compare`: structural equality and subtype checks with resource binding, and
the messages that say where and what differs. Types are built by hand here."""

from __future__ import annotations

import pytest

from wasivirt_component.compose._compare import Mismatch, check, equal
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

POINT = (("x", "u32"), ("y", "u32"))


def fails(provided, required, bindings=None, where: str = "") -> str:
    with pytest.raises(Mismatch) as info:
        check(provided, required, {} if bindings is None else bindings, where)
    return str(info.value)


# -- equal: value types are structural, resources nominal --------------------------------

@pytest.mark.parametrize("a, b", [
    ("u32", "u32"),
    (Record(POINT), Record(POINT)),
    (Record(POINT, name="point"), Record(POINT, name="pt")),    # names never matter
    (Variant((("a", None), ("b", "u8"))), Variant((("a", None), ("b", "u8")))),
    (ListType("u8"), ListType("u8")),
    (ListType("u8", 4), ListType("u8", 4)),
    (Tuple(("u8", "string")), Tuple(("u8", "string"))),
    (Flags(("r", "w")), Flags(("r", "w"))),
    (Enum(("a", "b")), Enum(("a", "b"))),
    (Option(Record(POINT)), Option(Record(POINT))),
    (Result(None, "u8"), Result(None, "u8")),
    (Stream("u8"), Stream("u8")),
    (Future(None), Future(None)),
    (MapType("string", "u32"), MapType("string", "u32")),
    (FuncType((("p", "u32"),), "u8"), FuncType((("p", "u32"),), "u8")),
])
def test_equal_types(a, b) -> None:
    assert equal(a, b, {})


@pytest.mark.parametrize("a, b", [
    ("u32", "u64"),
    (Record(POINT), Record((("y", "u32"), ("x", "u32")))),    # field order
    (Record(POINT), Record((("x", "u32"),))),
    (Variant((("a", None),)), Variant((("a", "u8"),))),
    (ListType("u8"), ListType("u8", 4)),
    (ListType("u8", 4), ListType("u8", 5)),
    (Tuple(("u8",)), Tuple(("u8", "u8"))),
    (Flags(("r", "w")), Flags(("w", "r"))),
    (Flags(("a",)), Enum(("a",))),                             # different constructors
    (Option("u8"), Option("u16")),
    (Result("u8", None), Result(None, "u8")),
    (Stream("u8"), Future("u8")),
    (MapType("string", "u32"), MapType("string", "u64")),
    (FuncType((), None), FuncType((), None, is_async=True)),
    (Record(POINT), None),
    (InstanceType(), InstanceType()),                          # compared by `check`, not here
])
def test_unequal_types(a, b) -> None:
    assert not equal(a, b, {})


def test_resources_are_nominal_and_go_through_bindings() -> None:
    mine, yours, bound = Resource("r"), Resource("r"), Resource("r")
    assert equal(Own(mine), Own(mine), {})
    assert not equal(Own(mine), Own(yours), {})               # same name, another resource
    assert not equal(Own(mine), Borrow(mine), {})
    assert equal(Own(bound), Own(yours), {yours: bound})      # `required`'s side is bound
    assert not equal(Own(yours), Own(yours), {yours: bound})


# -- check: subtyping of imports and exports ---------------------------------------------

def test_kinds_must_agree() -> None:
    assert fails(FuncType((), None), InstanceType(), where="api") == "`api`: expected instance, found function"
    assert fails(TypeItem("eq", "u8"), TypeItem("sub", Resource("r"))) == "expected a resource, found u8"
    assert fails(ValueItem("u8"), ModuleType()) == "expected core module, found value"


def test_instances_are_width_subtypes() -> None:
    f = FuncType((), None)
    wide = InstanceType({"f": f, "g": f})
    check(wide, InstanceType({"f": f}), {})                  # extra exports are fine
    assert fails(InstanceType({"g": f}), InstanceType({"f": f}), where="api") == "missing function `api.f`"
    assert fails(InstanceType({"f": FuncType((("x", "u8"),), None)}), InstanceType({"f": f}), where="api") == (
        "`api.f`: function takes 1 parameters, expected 0")


def test_sub_resources_bind_once() -> None:
    required, provided, other = Resource("r"), Resource("r"), Resource("r")
    bindings: dict[Resource, Resource] = {}
    check(TypeItem("sub", provided), TypeItem("sub", required), bindings)
    assert bindings == {required: provided}
    check(FuncType((("self", Borrow(provided)),), None), FuncType((("self", Borrow(required)),), None), bindings)
    assert fails(TypeItem("sub", other), TypeItem("sub", required), bindings, "r") == (
        "`r`: resource `r` is bound to two different resources")
    assert fails(FuncType((("self", Borrow(other)),), None), FuncType((("self", Borrow(required)),), None),
                 bindings, "f") == "`f`: parameter `self` has type borrow<r>, expected borrow<r>"


@pytest.mark.parametrize("provided, required, message", [
    (FuncType((("a", "u8"),), None), FuncType((("b", "u8"),), None), "`f`: parameter `a` should be named `b`"),
    (FuncType((("a", "u8"),), None), FuncType((("a", "u16"),), None),
     "`f`: parameter `a` has type u8, expected u16"),
    (FuncType((), "u8"), FuncType((), None), "`f`: result is u8, expected nothing"),
    (FuncType((), Record(POINT, name="point")), FuncType((), Record((("x", "u32"),), name="point")),
     "`f`: result is point, expected point"),
    (FuncType((), None, is_async=True), FuncType((), None), "`f`: function async-ness differs"),
])
def test_function_mismatches_say_what_differs(provided, required, message) -> None:
    assert fails(provided, required, where="f") == message


def test_type_items_compare_their_types() -> None:
    check(TypeItem("eq", Record(POINT)), TypeItem("eq", Record(POINT)), {})
    assert fails(TypeItem("eq", Record(POINT, name="point")), TypeItem("eq", Record((("x", "u32"),))), where="t") == (
        "`t`: type is point, expected record { x: u32 }")


def test_components_modules_and_values() -> None:
    f = FuncType((), None)
    check(ComponentType({}, {"f": f, "g": f}), ComponentType({"x": f}, {"f": f}), {})
    assert fails(ComponentType({"y": f}, {}), ComponentType({}, {}), where="c") == (
        "`c`: component imports `y`, which is not allowed here")
    check(ModuleType([], [("memory", "memory"), ("f", "func")]), ModuleType([], [("f", "func")]), {})
    assert fails(ModuleType([], []), ModuleType([], [("f", "func")]), where="m") == (
        "`m`: core module lacks exports [('f', 'func')]")
    check(ValueItem("u8"), ValueItem("u8"), {})
    assert fails(ValueItem("u8"), ValueItem("string"), where="v") == "`v`: value of type u8, expected string"
