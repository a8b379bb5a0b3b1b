"""Resource substitution: what instantiation does to types.

`subst` rebuilds a type with some resources replaced, sharing every sub-term that does
not change (so named record types stay the same object and keep their names).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, assert_never, cast

from .types import (
    Borrow,
    ComponentType,
    Defined,
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
    Term,
    Tuple,
    TypeItem,
    ValType,
    ValueItem,
    Variant,
)

T = TypeVar("T", bound=Term)


class Substitution:
    """Replaces resources according to `mapping` (and whole defined types by identity
    according to `replace`), memoizing rebuilt terms by identity."""

    def __init__(self, mapping: dict[Resource, Resource], replace: dict[int, Term] | None = None) -> None:
        self.mapping = mapping
        self.replace = replace or {}
        self._memo: dict[int, Term] = {}

    def __call__(self, t: T) -> T:
        """`t` with the substitution applied: a term of the same kind (a value type stays
        a value type, an instance type an instance type)."""
        if isinstance(t, str):
            return t
        if isinstance(t, Resource):
            return cast(T, self.mapping.get(t, t))
        key = id(t)
        if key in self.replace:
            return cast(T, self.replace[key])
        if key in self._memo:
            return cast(T, self._memo[key])
        result = self._rebuild(t)
        self._memo[key] = result
        return cast(T, result)

    def opt(self, t: ValType | None) -> ValType | None:
        return None if t is None else self(t)

    def _rebuild(self, t: Term) -> Term:
        new = self._rebuild_term(t)
        if new is not t and isinstance(t, Defined) and isinstance(new, Defined) and t.name is not None:
            new.name = t.name
        return new

    def _rebuild_term(self, t: Term) -> Term:  # noqa: C901 - one case per type constructor
        s = self
        match t:
            case str() | Resource() | Flags() | Enum() | ModuleType():
                return t
            case Record(fields=fields):
                new_fields = tuple((n, s(v)) for n, v in fields)
                return t if _same(new_fields, fields) else Record(new_fields)
            case Variant(cases=cases):
                new_cases = tuple((n, s.opt(v)) for n, v in cases)
                return t if _same(new_cases, cases) else Variant(new_cases)
            case ListType(element=element, length=length):
                e = s(element)
                return t if e is element else ListType(e, length)
            case Tuple(items=items):
                new_items = tuple(s(v) for v in items)
                return t if _all_same(new_items, items) else Tuple(new_items)
            case Option(inner=inner):
                i = s(inner)
                return t if i is inner else Option(i)
            case Result(ok=ok, err=err):
                new_ok, new_err = s.opt(ok), s.opt(err)
                return t if new_ok is ok and new_err is err else Result(new_ok, new_err)
            case Own(resource=resource):
                r = s(resource)
                return t if r is resource else Own(r)
            case Borrow(resource=resource):
                r = s(resource)
                return t if r is resource else Borrow(r)
            case Stream(element=element):
                e2 = s.opt(element)
                return t if e2 is element else Stream(e2)
            case Future(element=element):
                e2 = s.opt(element)
                return t if e2 is element else Future(e2)
            case MapType(key=key, value=value):
                k, v = s(key), s(value)
                return t if k is key and v is value else MapType(k, v)
            case FuncType(params=params, result=result, is_async=is_async):
                new_params = tuple((n, s(v)) for n, v in params)
                new_result = s.opt(result)
                if _same(new_params, params) and new_result is result:
                    return t
                return FuncType(new_params, new_result, is_async)
            case TypeItem(bound=bound, type=inner):
                new_inner = s(inner)
                return t if new_inner is inner else TypeItem(bound, new_inner)
            case InstanceType(exports=exports, bound=bound_resources):
                new_exports = {n: s(v) for n, v in exports.items()}
                new_bound = [s(r) for r in bound_resources]
                if all(new_exports[n] is v for n, v in exports.items()) and _all_same(new_bound, bound_resources):
                    return t
                return InstanceType(new_exports, new_bound)
            case ComponentType(imports=imports, exports=exports, imported=imported):
                new_imports = {n: s(v) for n, v in imports.items()}
                new_exports = {n: s(v) for n, v in exports.items()}
                new_imported = [s(r) for r in imported]
                if (all(new_imports[n] is v for n, v in imports.items())
                        and all(new_exports[n] is v for n, v in exports.items())
                        and _all_same(new_imported, imported)):
                    return t
                return ComponentType(new_imports, new_exports, new_imported)
            case ValueItem(type=inner):
                new_value = s(inner)
                return t if new_value is inner else ValueItem(new_value)
            case _:
                assert_never(t)


def _same(new: Sequence[tuple[str, object]], old: Sequence[tuple[str, object]]) -> bool:
    return all(a[1] is b[1] for a, b in zip(new, old, strict=True))


def _all_same(new: Sequence[object], old: Sequence[object]) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))


def subst(t: T, mapping: dict[Resource, Resource]) -> T:
    """`t` with resources replaced by `mapping` (identity when nothing changes)."""
    if not mapping:
        return t
    return Substitution(mapping)(t)
