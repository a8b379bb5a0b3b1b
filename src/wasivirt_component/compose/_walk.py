"""Walking types: the resources, defined types and binding sites reachable from a type,
and which import or export each of them belongs to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import assert_never

from .types import (
    Borrow,
    ComponentType,
    DefinedType,
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
    Term,
    Tuple,
    TypeItem,
    ValueItem,
    Variant,
)

Path = tuple[str, ...]
Owner = tuple[str, Path]  # (import or export name, path within it)


def children(t: Term) -> Iterator[Term | None]:
    """The direct sub-terms of a type (None for an absent payload or result)."""
    match t:
        case str() | Resource() | Flags() | Enum() | ModuleType():
            return
        case Record(fields=fields):
            yield from (v for _, v in fields)
        case Variant(cases=cases):
            yield from (v for _, v in cases)
        case ListType(element=element):
            yield element
        case Stream(element=element) | Future(element=element):
            yield element
        case Tuple(items=items):
            yield from items
        case Option(inner=inner):
            yield inner
        case Result(ok=ok, err=err):
            yield ok
            yield err
        case Own(resource=resource) | Borrow(resource=resource):
            yield resource
        case MapType(key=key, value=value):
            yield key
            yield value
        case FuncType(params=params, result=result):
            yield from (v for _, v in params)
            yield result
        case TypeItem(type=inner):
            yield inner
        case ValueItem(type=inner):
            yield inner
        case InstanceType(exports=exports, bound=bound):
            yield from bound
            yield from exports.values()
        case ComponentType(imports=imports, exports=exports, imported=imported):
            yield from imported
            yield from imports.values()
            yield from exports.values()
        case _:
            assert_never(t)


def iter_resources(t: Term | None, seen: set[int] | None = None) -> Iterator[Resource]:
    """Every resource reachable from `t` (each distinct object once, in first-seen order)."""
    seen = set() if seen is None else seen
    stack: list[Term | None] = [t]
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


def iter_defined(t: Term | None) -> Iterator[DefinedType]:
    """Every defined value type (record, list...) reachable from `t`, each object once."""
    seen: set[int] = set()
    stack: list[Term | None] = [t]
    while stack:
        x = stack.pop()
        if x is None or isinstance(x, str | Resource) or id(x) in seen:
            continue
        seen.add(id(x))
        if isinstance(x, DefinedType):
            yield x
        stack.extend(children(x))


def type_items(item: Extern, path: Path = ()) -> Iterator[tuple[Path, TypeItem]]:
    """Each type an import/export item carries by name (nested instances included), with
    its export path: the places resources and named types can be aliased from."""
    if isinstance(item, TypeItem):
        yield path, item
    elif isinstance(item, InstanceType):
        for name, sub in item.exports.items():
            yield from type_items(sub, path + (name,))


def sub_bindings(item: Extern, path: Path = ()) -> Iterator[tuple[Path, Resource]]:
    """Each `(sub resource)` declared by an import/export item, with its export path."""
    for where, t in type_items(item, path):
        if t.bound == "sub" and isinstance(t.type, Resource):
            yield where, t.type


def resource_paths(item: Extern, path: Path = ()) -> Iterator[tuple[Path, Resource]]:
    """Each resource an import/export item exports (bound here or not), with its path."""
    for where, t in type_items(item, path):
        if isinstance(t.type, Resource):
            yield where, t.type


def named_types(item: Extern, path: Path = ()) -> Iterator[tuple[Path, DefinedType]]:
    """Each value type an import/export item exports by name, with its export path."""
    for where, t in type_items(item, path):
        if t.bound == "eq" and isinstance(t.type, DefinedType):
            yield where, t.type


def type_owners(imports: dict[str, Extern], exports: dict[str, Extern] | None = None
                ) -> tuple[dict[Resource, Owner], dict[int, Owner]]:
    """Where each resource is bound and each named value type (by id) first appears.

    Imports own the resources they bind; exports own any other resource they carry.
    """
    binder: dict[Resource, Owner] = {}
    named: dict[int, Owner] = {}
    for items, resources in ((imports, sub_bindings), (exports or {}, resource_paths)):
        for item_name, item in items.items():
            for path, res in resources(item):
                binder.setdefault(res, (item_name, path))
            for path, t in named_types(item):
                named.setdefault(id(t), (item_name, path))
    return binder, named


def import_dependencies(consumer: ComponentType, names: list[str]) -> set[str]:
    """The other imports of `consumer` whose types `names` use, transitively."""
    binder, named = type_owners(consumer.imports)
    needed: set[str] = set()
    todo = list(names)
    while todo:
        item = consumer.imports[todo.pop()]
        owners = {binder[r][0] for r in iter_resources(item) if r in binder}
        owners |= {named[id(t)][0] for t in iter_defined(item) if id(t) in named}
        for owner in owners - set(names) - needed:
            needed.add(owner)
            todo.append(owner)
    return needed
