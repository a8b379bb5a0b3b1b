"""Canonical ABI flattening and layout: the core signatures of component functions.

Follows `flatten_functype` in the Component Model's CanonicalABI.md (sync functions).
Used to generate core functions that `canon lift` accepts (e.g. trapping stubs) and, for
fused linking, ones that stand in for what `canon lower` gives a caller.
"""

from __future__ import annotations

from typing import assert_never

from .types import (
    Borrow,
    DefinedType,
    Enum,
    Flags,
    FuncType,
    Future,
    ListType,
    MapType,
    Option,
    Own,
    Record,
    Resource,
    Result,
    Stream,
    Tuple,
    ValType,
    Variant,
)

MAX_FLAT_PARAMS = 16
MAX_FLAT_RESULTS = 1

_PRIMITIVE_FLAT = {
    "bool": "i32", "s8": "i32", "u8": "i32", "s16": "i32", "u16": "i32", "s32": "i32",
    "u32": "i32", "char": "i32", "s64": "i64", "u64": "i64", "f32": "f32", "f64": "f64",
    "error-context": "i32",
}

# What the layout functions take: a value type, or a resource (laid out as its handle).
Layout = ValType | Resource
VariantLike = Variant | Option | Result


def flatten(t: Layout) -> list[str]:
    """The core value types (`i32`, `i64`, `f32`, `f64`) a value of type `t` flattens to."""
    match t:
        case str():
            return ["i32", "i32"] if t == "string" else [_PRIMITIVE_FLAT[t]]
        case ListType(element=element, length=length):
            return ["i32", "i32"] if length is None else flatten(element) * length
        case MapType():
            return ["i32", "i32"]
        case Record(fields=fields):
            return [f for _, ft in fields for f in flatten(ft)]
        case Tuple(items=items):
            return [f for item in items for f in flatten(item)]
        case Variant() | Option() | Result():
            return _flatten_variant(_cases(t))
        case Enum() | Flags() | Own() | Borrow() | Stream() | Future() | Resource():
            return ["i32"]
        case _:
            assert_never(t)


def _flatten_variant(payloads: list[ValType | None]) -> list[str]:
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


def lowered_core_signature(ft: FuncType) -> tuple[list[str], list[str]]:
    """The core (params, results) `canon lower` gives the caller of `ft` (sync, 32-bit
    memory): more than 16 flat parameters become one pointer to them in the caller's memory,
    and a result that does not fit in one flat value is written through a trailing pointer
    parameter (no result then). What a fused callee must export to stand in for an import."""
    params = [f for _, t in ft.params for f in flatten(t)]
    results = flatten(ft.result) if ft.result is not None else []
    if len(params) > MAX_FLAT_PARAMS:
        params = ["i32"]
    if len(results) > MAX_FLAT_RESULTS:
        params, results = [*params, "i32"], []
    return params, results


# -- memory layout (CanonicalABI.md `alignment`, `elem_size`, `store`/`load`) --------------

_PRIMITIVE_SIZE = {
    "bool": 1, "s8": 1, "u8": 1, "s16": 2, "u16": 2, "s32": 4, "u32": 4, "char": 4,
    "s64": 8, "u64": 8, "f32": 4, "f64": 8, "string": 4, "error-context": 4,
}


def discriminant_size(case_count: int) -> int:
    """Bytes of a variant's discriminant: u8 up to 256 cases, u16, then u32."""
    if case_count <= 0:
        raise TypeError("a variant needs at least one case")
    return 1 if case_count <= 1 << 8 else 2 if case_count <= 1 << 16 else 4


def flags_size(count: int) -> int:
    """Bytes of a flags value: u8, u16 or u32 (at most 32 flags)."""
    if count > 32:
        raise TypeError(f"flags with {count} members (at most 32)")
    return 1 if count <= 8 else 2 if count <= 16 else 4


def _cases(t: DefinedType) -> list[ValType | None]:
    """The payload types (None for none) of a variant-like type, in case order."""
    match t:
        case Variant(cases=cases):
            return [c for _, c in cases]
        case Option(inner=inner):
            return [None, inner]
        case Result(ok=ok, err=err):
            return [ok, err]
    raise TypeError(f"not a variant: {t!r}")


def alignment(t: Layout) -> int:
    """Alignment in bytes of a value of type `t` in linear memory (32-bit memory)."""
    match t:
        case str():
            return _PRIMITIVE_SIZE[t]
        case ListType(element=element, length=length):
            return 4 if length is None else alignment(element)
        case Record(fields=fields):
            return max((alignment(ft) for _, ft in fields), default=1)
        case Tuple(items=items):
            return max((alignment(it) for it in items), default=1)
        case Variant() | Option() | Result():
            cases = _cases(t)
            return max([discriminant_size(len(cases))] + [alignment(c) for c in cases if c is not None])
        case Enum(names=names):
            return discriminant_size(len(names))
        case Flags(names=names):
            return flags_size(len(names))
        case Own() | Borrow() | Stream() | Future() | Resource() | MapType():
            return 4
        case _:
            assert_never(t)


def align_to(offset: int, align: int) -> int:
    return (offset + align - 1) // align * align


def size(t: Layout) -> int:
    """Size in bytes of a value of type `t` in linear memory (32-bit memory)."""
    match t:
        case str():
            return 8 if t == "string" else _PRIMITIVE_SIZE[t]
        case ListType(element=element, length=length):
            return 8 if length is None else size(element) * length
        case Record() | Tuple():
            members = [ft for _, ft in t.fields] if isinstance(t, Record) else list(t.items)
            offsets = field_offsets(members)
            end = offsets[-1] + size(members[-1]) if members else 0
            return align_to(end, alignment(t))
        case Variant() | Option() | Result():
            end = payload_offset(t) + max((size(c) for c in _cases(t) if c is not None), default=0)
            return align_to(end, alignment(t))
        case Enum(names=names):
            return discriminant_size(len(names))
        case Flags(names=names):
            return flags_size(len(names))
        case Own() | Borrow() | Stream() | Future() | Resource():
            return 4
        case MapType():
            return 8
        case _:
            assert_never(t)


def field_offsets(members: list[ValType]) -> list[int]:
    """Byte offsets of a record's (or tuple's) members, in order."""
    offsets, offset = [], 0
    for member in members:
        offset = align_to(offset, alignment(member))
        offsets.append(offset)
        offset += size(member)
    return offsets


def payload_offset(t: VariantLike) -> int:
    """Byte offset of a variant's payload: after the discriminant, at the payloads' alignment."""
    cases = _cases(t)
    payload_align = max((alignment(c) for c in cases if c is not None), default=1)
    return align_to(discriminant_size(len(cases)), payload_align)
