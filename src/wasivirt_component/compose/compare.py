"""Subtype checking with resource binding, and human descriptions of what differs.

`check(provided, required, bindings)` asks: can `provided` be passed where `required` is
expected? As the component-model validator does, each `(sub resource)` in `required`
is bound (in `bindings`) to the resource `provided` has there, and later references to
it must then agree. A failure raises `Mismatch` whose text says where and what differs.
"""

from __future__ import annotations

from typing import Any

from .render import render_extern_kind, render_type
from .types import (
    Borrow, ComponentType, Enum, Flags, FuncType, Future, InstanceType, ListType, MapType,
    ModuleType, Option, Own, Record, Resource, Result, Stream, Tuple, TypeItem, ValueItem,
    Variant, extern_kind,
)


class Mismatch(Exception):
    """`provided` does not satisfy `required`; the message says where and how."""


def check(provided: Any, required: Any, bindings: dict[Resource, Resource], where: str = "") -> None:
    """Raise `Mismatch` unless `provided` is a subtype of `required`; extends `bindings`."""
    pk, rk = extern_kind(provided), extern_kind(required)
    if pk != rk:
        raise Mismatch(f"{_at(where)}expected {render_extern_kind(required)}, found {render_extern_kind(provided)}")
    if isinstance(required, TypeItem):
        _check_type_item(provided, required, bindings, where)
    elif isinstance(required, FuncType):
        _check_func(provided, required, bindings, where)
    elif isinstance(required, InstanceType):
        _check_exports(provided, required, bindings, where)
    elif isinstance(required, ComponentType):
        _check_exports(provided, required, bindings, where)
        for name in provided.imports:
            if name not in required.imports:
                raise Mismatch(f"{_at(where)}component imports `{name}`, which is not allowed here")
    elif isinstance(required, ModuleType):
        missing = set(required.exports) - set(provided.exports)
        if missing:
            raise Mismatch(f"{_at(where)}core module lacks exports {sorted(missing)}")
    elif isinstance(required, ValueItem):
        if not equal(provided.type, required.type, bindings):
            raise Mismatch(f"{_at(where)}value of type {render_type(provided.type)}, expected {render_type(required.type)}")


def _check_exports(provided: InstanceType | ComponentType, required: InstanceType | ComponentType,
                   bindings: dict[Resource, Resource], where: str) -> None:
    """Every export `required` names is present in `provided` and fits (width subtyping)."""
    for name, req in required.exports.items():
        inner = f"{where}.{name}" if where else name
        if name not in provided.exports:
            raise Mismatch(f"missing {render_extern_kind(req)} `{inner}`")
        check(provided.exports[name], req, bindings, inner)


def _at(where: str) -> str:
    return f"`{where}`: " if where else ""


def _check_type_item(provided: TypeItem, required: TypeItem, bindings: dict[Resource, Resource],
                     where: str) -> None:
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


def _check_func(provided: FuncType, required: FuncType, bindings: dict[Resource, Resource],
                where: str) -> None:
    if len(provided.params) != len(required.params):
        raise Mismatch(f"{_at(where)}function takes {len(provided.params)} parameters, expected {len(required.params)}")
    for (pn, pt), (rn, rt) in zip(provided.params, required.params):
        if pn != rn:
            raise Mismatch(f"{_at(where)}parameter `{pn}` should be named `{rn}`")
        if not equal(pt, rt, bindings):
            raise Mismatch(f"{_at(where)}parameter `{rn}` has type {render_type(pt)}, expected {render_type(rt)}")
    if (provided.result is None) != (required.result is None) or not equal(
            provided.result, required.result, bindings):
        raise Mismatch(f"{_at(where)}result is {render_type(provided.result)}, expected {render_type(required.result)}")
    if provided.is_async != required.is_async:
        raise Mismatch(f"{_at(where)}function async-ness differs")


def equal(provided: Any, required: Any, bindings: dict[Resource, Resource]) -> bool:
    """Structural equality of value types; `required`'s resources go through `bindings`."""
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
    if isinstance(required, Record):
        return len(provided.fields) == len(required.fields) and all(
            pn == rn and equal(pt, rt, bindings)
            for (pn, pt), (rn, rt) in zip(provided.fields, required.fields))
    if isinstance(required, Variant):
        return len(provided.cases) == len(required.cases) and all(
            pn == rn and equal(pt, rt, bindings)
            for (pn, pt), (rn, rt) in zip(provided.cases, required.cases))
    if isinstance(required, ListType):
        return provided.length == required.length and equal(provided.element, required.element, bindings)
    if isinstance(required, Tuple):
        return len(provided.items) == len(required.items) and all(
            equal(p, r, bindings) for p, r in zip(provided.items, required.items))
    if isinstance(required, (Flags, Enum)):
        return provided.names == required.names
    if isinstance(required, Option):
        return equal(provided.inner, required.inner, bindings)
    if isinstance(required, Result):
        return equal(provided.ok, required.ok, bindings) and equal(provided.err, required.err, bindings)
    if isinstance(required, (Own, Borrow)):
        return equal(provided.resource, required.resource, bindings)
    if isinstance(required, (Stream, Future)):
        return equal(provided.element, required.element, bindings)
    if isinstance(required, MapType):
        return equal(provided.key, required.key, bindings) and equal(provided.value, required.value, bindings)
    if isinstance(required, FuncType):
        try:
            _check_func(provided, required, bindings, "")
        except Mismatch:
            return False
        return True
    return False
