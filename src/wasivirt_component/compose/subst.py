"""Resource substitution: what instantiation does to types.

`subst` rebuilds a type with some resources replaced, sharing every sub-term that does
not change (so named record types stay the same object and keep their names).
"""

from __future__ import annotations

from typing import Any

from .types import (
    Borrow, ComponentType, Defined, Enum, Flags, FuncType, Future, InstanceType, ListType,
    MapType, ModuleType, Option, Own, Record, Resource, Result, Stream, Tuple, TypeItem,
    ValueItem, Variant,
)


class Substitution:
    """Replaces resources according to `mapping` (and whole defined types by identity
    according to `replace`), memoizing rebuilt terms by identity."""

    def __init__(self, mapping: dict[Resource, Resource], replace: dict[int, Any] | None = None) -> None:
        self.mapping = mapping
        self.replace = replace or {}
        self._memo: dict[int, Any] = {}

    def __call__(self, t: Any) -> Any:
        if t is None or isinstance(t, str):
            return t
        if isinstance(t, Resource):
            return self.mapping.get(t, t)
        key = id(t)
        if key in self.replace:
            return self.replace[key]
        if key in self._memo:
            return self._memo[key]
        result = self._rebuild(t)
        self._memo[key] = result
        return result

    def _rebuild(self, t: Any) -> Any:
        new = self._rebuild_term(t)
        if new is not t and isinstance(t, Defined):
            name = getattr(t, "name", None)
            if name is not None:
                new.name = name
        return new

    def _rebuild_term(self, t: Any) -> Any:  # noqa: C901 - one case per type constructor
        s = self
        if isinstance(t, Record):
            fields = tuple((n, s(v)) for n, v in t.fields)
            return t if _same(fields, t.fields) else Record(fields)
        if isinstance(t, Variant):
            cases = tuple((n, s(v)) for n, v in t.cases)
            return t if _same(cases, t.cases) else Variant(cases)
        if isinstance(t, ListType):
            e = s(t.element)
            return t if e is t.element else ListType(e, t.length)
        if isinstance(t, Tuple):
            items = tuple(s(v) for v in t.items)
            return t if all(a is b for a, b in zip(items, t.items)) else Tuple(items)
        if isinstance(t, (Flags, Enum)):
            return t
        if isinstance(t, Option):
            i = s(t.inner)
            return t if i is t.inner else Option(i)
        if isinstance(t, Result):
            ok, err = s(t.ok), s(t.err)
            return t if ok is t.ok and err is t.err else Result(ok, err)
        if isinstance(t, Own):
            r = s(t.resource)
            return t if r is t.resource else Own(r)
        if isinstance(t, Borrow):
            r = s(t.resource)
            return t if r is t.resource else Borrow(r)
        if isinstance(t, Stream):
            e = s(t.element)
            return t if e is t.element else Stream(e)
        if isinstance(t, Future):
            e = s(t.element)
            return t if e is t.element else Future(e)
        if isinstance(t, MapType):
            k, v = s(t.key), s(t.value)
            return t if k is t.key and v is t.value else MapType(k, v)
        if isinstance(t, FuncType):
            params = tuple((n, s(v)) for n, v in t.params)
            result = s(t.result)
            if _same(params, t.params) and result is t.result:
                return t
            return FuncType(params, result, t.is_async)
        if isinstance(t, TypeItem):
            inner = s(t.type)
            return t if inner is t.type else TypeItem(t.bound, inner)
        if isinstance(t, InstanceType):
            exports = {n: s(v) for n, v in t.exports.items()}
            bound = [s(r) for r in t.bound]
            if all(exports[n] is v for n, v in t.exports.items()) and all(
                    a is b for a, b in zip(bound, t.bound)):
                return t
            return InstanceType(exports, bound)
        if isinstance(t, ComponentType):
            imports = {n: s(v) for n, v in t.imports.items()}
            exports = {n: s(v) for n, v in t.exports.items()}
            imported = [s(r) for r in t.imported]
            return ComponentType(imports, exports, imported)
        if isinstance(t, (ModuleType,)):
            return t
        if isinstance(t, ValueItem):
            inner = s(t.type)
            return t if inner is t.type else ValueItem(inner)
        raise TypeError(f"cannot substitute in {t!r}")


def _same(new: tuple[tuple[str, Any], ...], old: tuple[tuple[str, Any], ...]) -> bool:
    return all(a[1] is b[1] for a, b in zip(new, old))


def subst(t: Any, mapping: dict[Resource, Resource]) -> Any:
    """`t` with resources replaced by `mapping` (identity when nothing changes)."""
    if not mapping:
        return t
    return Substitution(mapping)(t)
