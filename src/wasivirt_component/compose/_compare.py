"""Subtype checking with resource binding, and human descriptions of what differs.

`check(provided, required, bindings)` asks: can `provided` be passed where `required` is
expected? As the component-model validator does, each `(sub resource)` in `required`
is bound (in `bindings`) to the resource `provided` has there, and later references to
it must then agree. A failure raises `Mismatch` whose text says where and what differs.
"""

from __future__ import annotations

from typing import assert_never

from ._render import render_extern_kind, render_type
from .types import (
    Borrow,
    ComponentType,
    Enum,
    Extern,
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
    TypeDef,
    TypeItem,
    ValType,
    ValueItem,
    Variant,
)

Bindings = dict[Resource, Resource]


class Mismatch(Exception):
    """`provided` does not satisfy `required`; the message says where and how."""


def check(provided: Extern, required: Extern, bindings: Bindings, where: str = "") -> None:
    """Raise `Mismatch` unless `provided` is a subtype of `required`; extends `bindings`."""
    kind_error = Mismatch(f"{_at(where)}expected {render_extern_kind(required)}, "
                          f"found {render_extern_kind(provided)}")
    match required:
        case TypeItem():
            if not isinstance(provided, TypeItem):
                raise kind_error
            _check_type_item(provided, required, bindings, where)
        case FuncType():
            if not isinstance(provided, FuncType):
                raise kind_error
            _check_func(provided, required, bindings, where)
        case InstanceType():
            if not isinstance(provided, InstanceType):
                raise kind_error
            _check_exports(provided, required, bindings, where)
        case ComponentType():
            if not isinstance(provided, ComponentType):
                raise kind_error
            _check_exports(provided, required, bindings, where)
            for name in provided.imports:
                if name not in required.imports:
                    raise Mismatch(f"{_at(where)}component imports `{name}`, which is not allowed here")
        case ModuleType():
            if not isinstance(provided, ModuleType):
                raise kind_error
            missing = set(required.exports) - set(provided.exports)
            if missing:
                raise Mismatch(f"{_at(where)}core module lacks exports {sorted(missing)}")
        case ValueItem():
            if not isinstance(provided, ValueItem):
                raise kind_error
            if not equal(provided.type, required.type, bindings):
                raise Mismatch(f"{_at(where)}value of type {render_type(provided.type)}, "
                               f"expected {render_type(required.type)}")
        case _:
            assert_never(required)


def _check_exports(provided: InstanceType | ComponentType, required: InstanceType | ComponentType,
                   bindings: Bindings, where: str) -> None:
    """Every export `required` names is present in `provided` and fits (width subtyping)."""
    for name, req in required.exports.items():
        inner = f"{where}.{name}" if where else name
        if name not in provided.exports:
            raise Mismatch(f"missing {render_extern_kind(req)} `{inner}`")
        check(provided.exports[name], req, bindings, inner)


def _at(where: str) -> str:
    return f"`{where}`: " if where else ""


def _check_type_item(provided: TypeItem, required: TypeItem, bindings: Bindings, where: str) -> None:
    if required.bound == "sub":
        if not isinstance(provided.type, Resource):
            raise Mismatch(f"{_at(where)}expected a resource, found {render_type(provided.type)}")
        assert isinstance(required.type, Resource)
        bound = bindings.get(required.type)
        if bound is not None and bound is not provided.type:
            raise Mismatch(f"{_at(where)}resource `{required.type.name}` is bound to two different resources")
        bindings[required.type] = provided.type
        return
    if not equal(provided.type, required.type, bindings):
        raise Mismatch(f"{_at(where)}type is {render_type(provided.type)}, expected {render_type(required.type)}")


def _check_func(provided: FuncType, required: FuncType, bindings: Bindings, where: str) -> None:
    if len(provided.params) != len(required.params):
        raise Mismatch(f"{_at(where)}function takes {len(provided.params)} parameters, "
                       f"expected {len(required.params)}")
    for (pn, pt), (rn, rt) in zip(provided.params, required.params, strict=True):
        if pn != rn:
            raise Mismatch(f"{_at(where)}parameter `{pn}` should be named `{rn}`")
        if not equal(pt, rt, bindings):
            raise Mismatch(f"{_at(where)}parameter `{rn}` has type {render_type(pt)}, expected {render_type(rt)}")
    if not equal(provided.result, required.result, bindings):
        raise Mismatch(f"{_at(where)}result is {render_type(provided.result)}, expected {render_type(required.result)}")
    if provided.is_async != required.is_async:
        raise Mismatch(f"{_at(where)}function async-ness differs")


def _pairs_equal(provided: tuple[tuple[str, ValType | None], ...], required: tuple[tuple[str, ValType | None], ...],
                 bindings: Bindings) -> bool:
    return len(provided) == len(required) and all(
        pn == rn and equal(pt, rt, bindings) for (pn, pt), (rn, rt) in zip(provided, required, strict=True))


def equal(provided: TypeDef | None, required: TypeDef | None, bindings: Bindings) -> bool:  # noqa: C901
    """Structural equality of types; `required`'s resources go through `bindings`.

    Value types compare by structure (names aside), resources by identity after binding,
    function types by `_check_func`; instance and component types are never equal here
    (they are compared as externs, by `check`).
    """
    if provided is None or required is None:
        return provided is None and required is None
    if isinstance(required, str) or isinstance(provided, str):
        return provided == required
    if isinstance(required, Resource):
        return isinstance(provided, Resource) and bindings.get(required, required) is provided
    if provided is required and not bindings:
        return True
    if type(provided) is not type(required):
        return False
    match required:
        case Record(fields=fields):
            assert isinstance(provided, Record)
            return _pairs_equal(provided.fields, fields, bindings)
        case Variant(cases=cases):
            assert isinstance(provided, Variant)
            return _pairs_equal(provided.cases, cases, bindings)
        case ListType(element=element, length=length):
            assert isinstance(provided, ListType)
            return provided.length == length and equal(provided.element, element, bindings)
        case Tuple(items=items):
            assert isinstance(provided, Tuple)
            return len(provided.items) == len(items) and all(
                equal(p, r, bindings) for p, r in zip(provided.items, items, strict=True))
        case Flags(names=names) | Enum(names=names):
            assert isinstance(provided, Flags | Enum)
            return provided.names == names
        case Option(inner=inner):
            assert isinstance(provided, Option)
            return equal(provided.inner, inner, bindings)
        case Result(ok=ok, err=err):
            assert isinstance(provided, Result)
            return equal(provided.ok, ok, bindings) and equal(provided.err, err, bindings)
        case Own(resource=resource) | Borrow(resource=resource):
            assert isinstance(provided, Own | Borrow)
            return equal(provided.resource, resource, bindings)
        case Stream(element=element) | Future(element=element):
            assert isinstance(provided, Stream | Future)
            return equal(provided.element, element, bindings)
        case MapType(key=key, value=value):
            assert isinstance(provided, MapType)
            return equal(provided.key, key, bindings) and equal(provided.value, value, bindings)
        case FuncType():
            assert isinstance(provided, FuncType)
            try:
                _check_func(provided, required, bindings, "")
            except Mismatch:
                return False
            return True
        case InstanceType() | ComponentType():
            return False
        case _:
            assert_never(required)
