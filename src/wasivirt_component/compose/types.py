"""The component type model the composer reasons with.

Value types are structural (two records with the same fields are the same type); resources
are nominal: a `Resource` object *is* its identity. Every constructor is a dataclass with
identity equality and hashing (`eq=False`), so types can key dicts by identity and are
compared structurally only by `_compare.py`. Their parts are never changed after
construction; two attributes are filled in later, and only for messages and readable
WIT: `name` on defined types (the first name a type is exported under, set by the reader)
and `Resource.origin`.

Where a type binds a resource (an import or export declared `(sub resource)`), the
binding site is a `TypeItem` with `bound == "sub"`; referring to an existing type is
`bound == "eq"`. Instantiating a type substitutes resources (`_subst.py`).

The unions at the end (`DefinedType`, `ValType`, `TypeDef`, `Extern`, `Term`) are what
the walkers dispatch over with `match` and `assert_never`: a new constructor that one of
them forgets is a type error, not a silent fall-through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from typing import Literal, assert_never

PRIMITIVE_CODES: dict[int, str] = {
    0x7F: "bool", 0x7E: "s8", 0x7D: "u8", 0x7C: "s16", 0x7B: "u16", 0x7A: "s32",
    0x79: "u32", 0x78: "s64", 0x77: "u64", 0x76: "f32", 0x75: "f64", 0x74: "char",
    0x73: "string", 0x64: "error-context",
}
PRIMITIVE_BYTES: dict[str, int] = {v: k for k, v in PRIMITIVE_CODES.items()}

_ids = count(1)


@dataclass(eq=False, slots=True, repr=False)
class Resource:
    """A resource type; identity is the object itself."""

    name: str
    origin: str = ""
    serial: int = field(default_factory=lambda: next(_ids), init=False)

    def __repr__(self) -> str:
        where = f" from {self.origin}" if self.origin else ""
        return f"<resource {self.name}#{self.serial}{where}>"


@dataclass(eq=False, slots=True)
class Defined:
    """Base of the structural value types (record, variant, list...).

    `name` is set (when known) to the name the type is exported under, for messages and
    readable WIT; it never takes part in type equality.
    """

    name: str | None = field(default=None, kw_only=True, repr=False)


@dataclass(eq=False, slots=True)
class Record(Defined):
    fields: tuple[tuple[str, ValType], ...]


@dataclass(eq=False, slots=True)
class Variant(Defined):
    cases: tuple[tuple[str, ValType | None], ...]


@dataclass(eq=False, slots=True)
class ListType(Defined):
    element: ValType
    length: int | None = None   # a fixed-length list (`list<T, N>`)


@dataclass(eq=False, slots=True)
class Tuple(Defined):
    items: tuple[ValType, ...]


@dataclass(eq=False, slots=True)
class Flags(Defined):
    names: tuple[str, ...]


@dataclass(eq=False, slots=True)
class Enum(Defined):
    names: tuple[str, ...]


@dataclass(eq=False, slots=True)
class Option(Defined):
    inner: ValType


@dataclass(eq=False, slots=True)
class Result(Defined):
    ok: ValType | None
    err: ValType | None


@dataclass(eq=False, slots=True)
class Own(Defined):
    resource: Resource


@dataclass(eq=False, slots=True)
class Borrow(Defined):
    resource: Resource


@dataclass(eq=False, slots=True)
class Stream(Defined):
    element: ValType | None


@dataclass(eq=False, slots=True)
class Future(Defined):
    element: ValType | None


@dataclass(eq=False, slots=True)
class MapType(Defined):
    key: ValType
    value: ValType


@dataclass(eq=False, slots=True)
class FuncType:
    params: tuple[tuple[str, ValType], ...]
    result: ValType | None
    is_async: bool = False


@dataclass(eq=False, slots=True)
class TypeItem:
    """A type imported or exported by name: `(sub resource)` binds a new resource."""

    bound: Literal["sub", "eq"]
    type: TypeDef


@dataclass(eq=False)
class InstanceType:
    """An instance's exports, in declaration order; `bound` lists resources it declares."""

    exports: dict[str, Extern] = field(default_factory=dict)
    bound: list[Resource] = field(default_factory=list)


@dataclass(eq=False)
class ComponentType:
    """A component's imports and exports, in declaration order.

    `imported` are the resources bound by imports (supplied by the instantiator); any
    other resource reachable from the exports is defined by the component and is fresh for
    every instantiation.
    """

    imports: dict[str, Extern] = field(default_factory=dict)
    exports: dict[str, Extern] = field(default_factory=dict)
    imported: list[Resource] = field(default_factory=list)


@dataclass(eq=False)
class ModuleType:
    """A core module's imports and exports, as (module, name, kind) / (name, kind)."""

    imports: list[tuple[str, str, str]] = field(default_factory=list)
    exports: list[tuple[str, str]] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class ValueItem:
    """A component-level value (the 🪙 value sort); rare, kept for index bookkeeping."""

    type: ValType


# The structural value types, one case each where a walker dispatches over them.
DefinedType = (Record | Variant | ListType | Tuple | Flags | Enum | Option | Result | Own | Borrow
               | Stream | Future | MapType)
# A value type is a primitive name ("u32", "string", ...) or a defined type.
ValType = str | DefinedType
# What a component type index can hold.
TypeDef = ValType | Resource | FuncType | InstanceType | ComponentType
# An import or export item.
Extern = FuncType | InstanceType | ComponentType | ModuleType | TypeItem | ValueItem
# Everything a walk over types can meet.
Term = ValType | Resource | Extern
ExternKind = Literal["func", "instance", "component", "module", "type", "value"]


def type_name(t: object) -> str | None:
    """The name a defined type (or resource) was exported under, if any."""
    if isinstance(t, Defined | Resource):
        return t.name
    return None


def extern_kind(item: Extern) -> ExternKind:
    """The sort name of an import/export: func, instance, component, module, type, value."""
    match item:
        case FuncType():
            return "func"
        case InstanceType():
            return "instance"
        case ComponentType():
            return "component"
        case ModuleType():
            return "module"
        case TypeItem():
            return "type"
        case ValueItem():
            return "value"
    assert_never(item)
