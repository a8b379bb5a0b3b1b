"""Walking types: the resources, defined types and binding sites reachable from a type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .types import (
    Borrow, ComponentType, Defined, FuncType, Future, InstanceType, ListType, MapType,
    ModuleType, Option, Own, Record, Resource, Result, Stream, Tuple, TypeItem, ValueItem,
    Variant,
)


def iter_resources(t: Any, seen: set[int] | None = None) -> Iterator[Resource]:
    """Every resource reachable from `t` (each distinct object once, in first-seen order)."""
    seen = set() if seen is None else seen
    stack = [t]
    found: set[Resource] = set()
    while stack:
        x = stack.pop()
        if x is None or isinstance(x, str):
            continue
        if isinstance(x, Resource):
            if x not in found:
                found.add(x)
                yield x
            continue
        if id(x) in seen:
            continue
        seen.add(id(x))
        stack.extend(reversed(list(children(x))))


def children(t: Any) -> Iterator[Any]:
    """The direct sub-terms of a type."""
    if isinstance(t, Record):
        yield from (v for _, v in t.fields)
    elif isinstance(t, Variant):
        yield from (v for _, v in t.cases)
    elif isinstance(t, (ListType, Stream, Future)):
        yield t.element
    elif isinstance(t, Tuple):
        yield from t.items
    elif isinstance(t, Option):
        yield t.inner
    elif isinstance(t, Result):
        yield t.ok
        yield t.err
    elif isinstance(t, (Own, Borrow)):
        yield t.resource
    elif isinstance(t, MapType):
        yield t.key
        yield t.value
    elif isinstance(t, FuncType):
        yield from (v for _, v in t.params)
        yield t.result
    elif isinstance(t, TypeItem):
        yield t.type
    elif isinstance(t, ValueItem):
        yield t.type
    elif isinstance(t, InstanceType):
        yield from t.bound
        yield from t.exports.values()
    elif isinstance(t, ComponentType):
        yield from t.imported
        yield from t.imports.values()
        yield from t.exports.values()
    elif isinstance(t, (Defined, ModuleType)):
        return


def iter_defined(t: Any) -> Iterator[Defined]:
    """Every defined value type (record, list...) reachable from `t`, each object once."""
    seen: set[int] = set()
    stack = [t]
    while stack:
        x = stack.pop()
        if x is None or isinstance(x, (str, Resource)) or id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, Defined):
            yield x
        stack.extend(children(x))


def type_items(item: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], TypeItem]]:
    """Each type an import/export item carries by name (nested instances included), with
    its export path: the places resources and named types can be aliased from."""
    if isinstance(item, TypeItem):
        yield path, item
    elif isinstance(item, InstanceType):
        for name, sub in item.exports.items():
            yield from type_items(sub, path + (name,))


def sub_bindings(item: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Resource]]:
    """Each `(sub resource)` declared by an import/export item, with its export path."""
    for where, t in type_items(item, path):
        if t.bound == "sub" and isinstance(t.type, Resource):
            yield where, t.type


def resource_paths(item: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Resource]]:
    """Each resource an import/export item exports (bound here or not), with its path."""
    for where, t in type_items(item, path):
        if isinstance(t.type, Resource):
            yield where, t.type


def named_types(item: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Defined]]:
    """Each value type an import/export item exports by name, with its export path."""
    for where, t in type_items(item, path):
        if t.bound == "eq" and isinstance(t.type, Defined):
            yield where, t.type
