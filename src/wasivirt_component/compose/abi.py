"""Canonical ABI flattening: the core signature of a lifted component function.

Follows `flatten_functype` in the Component Model's CanonicalABI.md (sync functions).
Used to generate core functions that `canon lift` accepts, e.g. for trapping stubs.
"""

from __future__ import annotations

from typing import Any

from .types import (
    Borrow, Enum, Flags, FuncType, Future, ListType, MapType, Option, Own, Record, Resource,
    Result, Stream, Tuple, Variant,
)

MAX_FLAT_PARAMS = 16
MAX_FLAT_RESULTS = 1

_PRIMITIVE_FLAT = {
    "bool": "i32", "s8": "i32", "u8": "i32", "s16": "i32", "u16": "i32", "s32": "i32",
    "u32": "i32", "char": "i32", "s64": "i64", "u64": "i64", "f32": "f32", "f64": "f64",
    "error-context": "i32",
}


def flatten(t: Any) -> list[str]:
    """The core value types (`i32`, `i64`, `f32`, `f64`) a value of type `t` flattens to."""
    if isinstance(t, str):
        return ["i32", "i32"] if t == "string" else [_PRIMITIVE_FLAT[t]]
    if isinstance(t, ListType):
        return ["i32", "i32"] if t.length is None else flatten(t.element) * t.length
    if isinstance(t, MapType):
        return ["i32", "i32"]
    if isinstance(t, Record):
        return [f for _, ft in t.fields for f in flatten(ft)]
    if isinstance(t, Tuple):
        return [f for item in t.items for f in flatten(item)]
    if isinstance(t, Variant):
        return _flatten_variant([c for _, c in t.cases])
    if isinstance(t, Enum):
        return ["i32"]
    if isinstance(t, Option):
        return _flatten_variant([None, t.inner])
    if isinstance(t, Result):
        return _flatten_variant([t.ok, t.err])
    if isinstance(t, (Flags, Own, Borrow, Stream, Future, Resource)):
        return ["i32"]
    raise TypeError(f"cannot flatten {t!r}")


def _flatten_variant(payloads: list[Any]) -> list[str]:
    flat: list[str] = []
    for payload in payloads:
        if payload is None:
            continue
        for i, ft in enumerate(flatten(payload)):
            if i < len(flat):
                flat[i] = _join(flat[i], ft)
            else:
                flat.append(ft)
    return ["i32"] + flat  # the discriminant (u8/u16/u32) is always an i32


def _join(a: str, b: str) -> str:
    if a == b:
        return a
    if {a, b} == {"i32", "f32"}:
        return "i32"
    return "i64"


def lifted_core_signature(ft: FuncType) -> tuple[list[str], list[str]]:
    """The core (params, results) `canon lift` expects for `ft` (sync, 32-bit memory)."""
    params = [f for _, t in ft.params for f in flatten(t)]
    results = flatten(ft.result) if ft.result is not None else []
    if len(params) > MAX_FLAT_PARAMS:
        params = ["i32"]
    if len(results) > MAX_FLAT_RESULTS:
        results = ["i32"]
    return params, results
