"""The component type model the composer reasons with.

Value types are structural (two records with the same fields are the same type); resources
are nominal: a `Resource` object *is* its identity. Type objects are immutable after
construction and compared by identity for caching, structurally by `compare.py`.

Where a type binds a resource (an import or export declared `(sub resource)`), the
binding site is a `TypeItem` with `bound == "sub"`; referring to an existing type is
`bound == "eq"`. Instantiating a type substitutes resources (`subst.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import Literal, Union

PRIMITIVE_CODES: dict[int, str] = {
    0x7F: "bool", 0x7E: "s8", 0x7D: "u8", 0x7C: "s16", 0x7B: "u16", 0x7A: "s32",
    0x79: "u32", 0x78: "s64", 0x77: "u64", 0x76: "f32", 0x75: "f64", 0x74: "char",
    0x73: "string", 0x64: "error-context",
}
PRIMITIVE_BYTES: dict[str, int] = {v: k for k, v in PRIMITIVE_CODES.items()}

_ids = count(1)


class Resource:
    """A resource type; identity is the object itself."""

    __slots__ = ("name", "origin", "serial")

    def __init__(self, name: str, origin: str = "") -> None:
        self.name = name
        self.origin = origin
        self.serial = next(_ids)

    def __repr__(self) -> str:
        where = f" from {self.origin}" if self.origin else ""
        return f"<resource {self.name}#{self.serial}{where}>"


class Defined:
    """Base of the structural value types (record, variant, list...).

    `name` is set (when known) to the name the type is exported under, for messages and
    readable WIT; it never takes part in type equality.
    """

    __slots__ = ("name",)


class Record(Defined):
    __slots__ = ("fields",)

    def __init__(self, fields: tuple[tuple[str, "ValType"], ...]) -> None:
        self.fields = fields


class Variant(Defined):
    __slots__ = ("cases",)

    def __init__(self, cases: tuple[tuple[str, "ValType | None"], ...]) -> None:
        self.cases = cases


class ListType(Defined):
    __slots__ = ("element", "length")

    def __init__(self, element: "ValType", length: int | None = None) -> None:
        self.element = element
        self.length = length


class Tuple(Defined):
    __slots__ = ("items",)

    def __init__(self, items: tuple["ValType", ...]) -> None:
        self.items = items


class Flags(Defined):
    __slots__ = ("names",)

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names


class Enum(Defined):
    __slots__ = ("names",)

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names


class Option(Defined):
    __slots__ = ("inner",)

    def __init__(self, inner: "ValType") -> None:
        self.inner = inner


class Result(Defined):
    __slots__ = ("ok", "err")

    def __init__(self, ok: "ValType | None", err: "ValType | None") -> None:
        self.ok = ok
        self.err = err


class Own(Defined):
    __slots__ = ("resource",)

    def __init__(self, resource: "Resource") -> None:
        self.resource = resource


class Borrow(Defined):
    __slots__ = ("resource",)

    def __init__(self, resource: "Resource") -> None:
        self.resource = resource


class Stream(Defined):
    __slots__ = ("element",)

    def __init__(self, element: "ValType | None") -> None:
        self.element = element


class Future(Defined):
    __slots__ = ("element",)

    def __init__(self, element: "ValType | None") -> None:
        self.element = element


class MapType(Defined):
    __slots__ = ("key", "value")

    def __init__(self, key: "ValType", value: "ValType") -> None:
        self.key = key
        self.value = value


# A value type is a primitive name ("u32", "string", ...) or a Defined type.
ValType = Union[str, Defined]


class FuncType:
    __slots__ = ("params", "result", "is_async")

    def __init__(self, params: tuple[tuple[str, ValType], ...], result: ValType | None,
                 is_async: bool = False) -> None:
        self.params = params
        self.result = result
        self.is_async = is_async


class TypeItem:
    """A type imported or exported by name: `(sub resource)` binds a new resource."""

    __slots__ = ("bound", "type")

    def __init__(self, bound: Literal["sub", "eq"], type: "ValType | Resource | AnyType") -> None:
        self.bound = bound
        self.type = type


@dataclass(eq=False)
class InstanceType:
    """An instance's exports, in declaration order; `bound` lists resources it declares."""

    exports: dict[str, "Extern"] = field(default_factory=dict)
    bound: list[Resource] = field(default_factory=list)


@dataclass(eq=False)
class ComponentType:
    """A component's imports and exports, in declaration order.

    `imported` are the resources bound by imports (supplied by the instantiator); any
    other resource reachable from the exports is defined by the component and is fresh for
    every instantiation.
    """

    imports: dict[str, "Extern"] = field(default_factory=dict)
    exports: dict[str, "Extern"] = field(default_factory=dict)
    imported: list[Resource] = field(default_factory=list)


@dataclass(eq=False)
class ModuleType:
    """A core module's imports and exports, as (module, name, kind) / (name, kind)."""

    imports: list[tuple[str, str, str]] = field(default_factory=list)
    exports: list[tuple[str, str]] = field(default_factory=list)


@dataclass(eq=False)
class ValueItem:
    """A component-level value (the 🪙 value sort); rare, kept for index bookkeeping."""

    type: ValType


AnyType = Union[FuncType, InstanceType, ComponentType, ModuleType]
Extern = Union[FuncType, InstanceType, ComponentType, ModuleType, TypeItem, ValueItem]


def type_name(t: object) -> str | None:
    """The name a defined type was exported under, if any."""
    return getattr(t, "name", None)


def extern_kind(item: Extern) -> str:
    """The sort name of an import/export: func, instance, component, module, type, value."""
    if isinstance(item, FuncType):
        return "func"
    if isinstance(item, InstanceType):
        return "instance"
    if isinstance(item, ComponentType):
        return "component"
    if isinstance(item, ModuleType):
        return "module"
    if isinstance(item, TypeItem):
        return "type"
    return "value"
