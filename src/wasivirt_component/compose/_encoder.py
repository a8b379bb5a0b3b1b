"""Writing components: a builder for the outer component and encoders for types.

`ComponentBuilder` appends definitions in order, tracks the index spaces, and groups
consecutive definitions into sections. Embedded components are written as one section
each, with their bytes copied once at `finish()`.

`TypeScope` encodes model types into one scope (the component itself, or the body of an
instance type being declared), defining each distinct type once and reaching resources
of enclosing scopes with outer aliases.

One type can have several indices in a scope: `type headers = fields` and
`type trailers = headers` are `eq` exports of the very resource `fields`, and each such
export is a distinct index that the validator names after it. It checks
`[constructor]fields` and `[method]fields.get` against the name of the index behind their
`own`/`borrow`, so a scope refers to a resource through the index imported or exported
under the name its functions use (`name_resources`; else the resource's own name), else
the first one under any name, else its outer alias (`remember`). Value types follow the
same rule with their own names, so uses read as the source wrote them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from ..binary.encode import COMPONENT_PREAMBLE, section_header, sleb, uleb
from ..binary.encode import name as enc_name
from ..errors import CompositionError
from ..names import resource_function
from ._render import render_type
from .types import (
    PRIMITIVE_BYTES,
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
    type_name,
)

# A type the encoder defines or aliases: anything a type index can hold but a resource
# (resources are declared by their owners and reached through `outer_resource`).
Encodable = ValType | FuncType | InstanceType | ComponentType

SORT_BYTES = {"func": b"\x01", "value": b"\x02", "type": b"\x03", "component": b"\x04",
              "instance": b"\x05", "core module": b"\x00\x11"}
SECTION_IDS = {"core instance": 2, "instance": 5, "alias": 6, "type": 7, "canon": 8,
               "import": 10, "export": 11}
CORE_SORT_BYTES = {"func": b"\x00", "table": b"\x01", "memory": b"\x02", "global": b"\x03"}


def extern_name(text: str) -> bytes:
    """A plain import/export name (`nameattributes` form 0x00)."""
    return b"\x00" + enc_name(text)


class ComponentBuilder:
    """The definitions of one component, in order, with its index spaces counted."""

    def __init__(self) -> None:
        self._items: list[tuple[int, bytes | memoryview]] = []
        self.counts = {"type": 0, "func": 0, "instance": 0, "component": 0, "value": 0,
                       "core module": 0, "core instance": 0, "core func": 0, "core table": 0,
                       "core memory": 0, "core global": 0}
        self._aliases: dict[tuple[int, str, str], int] = {}

    def _add(self, section: str, item: bytes, sort: str | None) -> int:
        self._items.append((SECTION_IDS[section], item))
        if sort is None:
            return -1
        index = self.counts[sort]
        self.counts[sort] += 1
        return index

    # -- core definitions (used by generated components such as stubs) --------------------
    def add_core_module(self, data: bytes) -> int:
        """Embed a core module (its whole binary) as its own section."""
        self._items.append((1, data))
        self.counts["core module"] += 1
        return self.counts["core module"] - 1

    def add_core_instantiation(self, module: int) -> int:
        """Instantiate a core module that imports nothing."""
        return self._add("core instance", b"\x00" + uleb(module) + uleb(0), "core instance")

    def add_core_alias_export(self, instance: int, name: str, sort: str) -> int:
        item = b"\x00" + CORE_SORT_BYTES[sort] + b"\x01" + uleb(instance) + enc_name(name)
        return self._add("alias", item, f"core {sort}")

    def add_canon_lift(self, core_func: int, functype: int, *, memory: int | None = None,
                       realloc: int | None = None) -> int:
        opts = []
        if memory is not None:
            opts.append(b"\x03" + uleb(memory))
        if realloc is not None:
            opts.append(b"\x04" + uleb(realloc))
        item = b"\x00\x00" + uleb(core_func) + uleb(len(opts)) + b"".join(opts) + uleb(functype)
        return self._add("canon", item, "func")

    def add_type(self, body: bytes) -> int:
        return self._add("type", body, "type")

    def add_import(self, name: str, desc: bytes, sort: str) -> int:
        return self._add("import", extern_name(name) + desc, sort)

    def add_alias_export(self, instance: int, name: str, sort: str) -> int:
        return self._add("alias", SORT_BYTES[sort] + b"\x00" + uleb(instance) + enc_name(name), sort)

    def alias_export(self, instance: int, name: str, sort: str) -> int:
        """Export `name` of `instance` as an index of `sort`, aliased once and then reused."""
        key = (instance, name, sort)
        if key not in self._aliases:
            self._aliases[key] = self.add_alias_export(instance, name, sort)
        return self._aliases[key]

    def alias_type_path(self, instance: int, path: tuple[str, ...]) -> int:
        """The type at `path` inside `instance` (nested instances aliased on the way)."""
        for step in path[:-1]:
            instance = self.alias_export(instance, step, "instance")
        return self.alias_export(instance, path[-1], "type")

    def add_component(self, data: bytes | memoryview) -> int:
        """Embed a whole component binary as a nested component section."""
        self._items.append((4, data))
        index = self.counts["component"]
        self.counts["component"] += 1
        return index

    def add_instantiation(self, component: int, args: list[tuple[str, str, int]]) -> int:
        body = b"\x00" + uleb(component) + uleb(len(args)) + b"".join(
            enc_name(n) + SORT_BYTES[s] + uleb(i) for n, s, i in args)
        return self._add("instance", body, "instance")

    def add_export(self, name: str, sort: str, index: int, ascription: bytes | None = None) -> int:
        """Export an item, optionally ascribing it the type `ascription` (an externtype)."""
        tail = b"\x00" if ascription is None else b"\x01" + ascription
        return self._add("export", extern_name(name) + SORT_BYTES[sort] + uleb(index) + tail, sort)

    def finish(self) -> bytes:
        """The component binary: preamble, then sections grouping consecutive definitions."""
        out: list[bytes | memoryview] = [COMPONENT_PREAMBLE]
        i = 0
        items = self._items
        while i < len(items):
            sid, item = items[i]
            if sid in (1, 4):
                out += [section_header(sid, len(item)), item]
                i += 1
                continue
            j = i
            while j < len(items) and items[j][0] == sid:
                j += 1
            payload = uleb(j - i) + b"".join(bytes(x) for _, x in items[i:j])
            out += [section_header(sid, len(payload)), payload]
            i = j
        return b"".join(out)


class TypeScope:
    """Encodes model types into one type index space, defining each type once."""

    def __init__(self, add_type: Callable[[bytes], int],
                 outer_resource: Callable[[Resource], int],
                 outer_named: Callable[[TypeDef], int | None] = lambda t: None) -> None:
        self._add_type = add_type
        self._outer_resource = outer_resource
        self._outer_named = outer_named
        self._memo: dict[int, int] = {}        # id(type) -> its index here
        self._primitives: dict[str, int] = {}  # primitive name -> its index here
        self._keep: list[TypeDef] = []  # memo keys are ids: keep the objects alive
        self._rank: dict[int, int] = {}  # id(type) -> how well its index names it (`remember`)
        self._resource_names: dict[Resource, str] = {}  # what `[method]R.f` calls them here
        self.resources: dict[Resource, int] = {}

    # -- value types -----------------------------------------------------------------------
    def valtype(self, t: ValType) -> bytes:
        """A `valtype`: a primitive byte, or the s33 index of a defined type."""
        if isinstance(t, str):
            return bytes([PRIMITIVE_BYTES[t]])
        return sleb(self.type_index(t))

    def _opt(self, t: ValType | None) -> bytes:
        return b"\x00" if t is None else b"\x01" + self.valtype(t)

    def resource(self, r: Resource) -> int:
        if r not in self.resources:
            self.resources[r] = self._outer_resource(r)
        return self.resources[r]

    def named_index(self, t: TypeDef) -> int | None:
        """The index of `t` if this scope has it or can alias it as a named type."""
        cached = self._memo.get(id(t))
        return cached if cached is not None else self._outer_named(t)

    def exported_index(self, t: TypeDef) -> int | None:
        """The index `t` was imported or exported under in this scope, if it was."""
        if self._rank.get(id(t), 0) == 0:
            return None
        return self.resources[t] if isinstance(t, Resource) else self._memo[id(t)]

    def name_resources(self, items: dict[str, Extern]) -> None:
        """Learn what the resource functions among `items` (this scope's imports or
        exports) call their resources: `[method]trailers.get` wants its `borrow` through
        the index named `trailers`, whatever the resource's own name is."""
        for name, item in items.items():
            found = _function_resource(name, item)
            if found is not None:
                self._resource_names.setdefault(found[1], found[0])

    def remember(self, t: TypeDef, index: int, name: str | None = None) -> None:
        """Refer to `t` through `index` from now on if it names `t` better than the index
        known so far: an import/export under `t`'s name here (`name_resources`, else its
        own name) beats one under another name (an alias such as `type trailers =
        fields`), which beats a definition or outer alias (`name` None); of equals, the
        first stays."""
        if isinstance(t, str):
            return
        wanted = self._resource_names.get(t) if isinstance(t, Resource) else None
        rank = 0 if name is None else 2 if name == (wanted or type_name(t)) else 1
        known = t in self.resources if isinstance(t, Resource) else id(t) in self._memo
        if known and rank <= self._rank.get(id(t), 0):
            return
        self._rank[id(t)] = rank
        if isinstance(t, Resource):
            self.resources[t] = index
        else:
            self._memo[id(t)] = index
            self._keep.append(t)

    def type_index(self, t: TypeDef) -> int:
        """The index of `t` in this scope, defining it (and its parts) first if needed."""
        if isinstance(t, Resource):
            return self.resource(t)
        if isinstance(t, str):
            if t not in self._primitives:
                self._primitives[t] = self._add_type(bytes([PRIMITIVE_BYTES[t]]))
            return self._primitives[t]
        cached = self._memo.get(id(t))
        if cached is not None:
            return cached
        index = self._outer_named(t)
        if index is None:
            index = self._add_type(self._definition(t))
        self.remember(t, index)
        return index

    def definition_index(self, t: Encodable) -> int:
        """Define `t` in this scope (never aliasing it) and return the new index."""
        return self._add_type(self._definition(t))

    def _definition(self, t: Encodable) -> bytes:  # noqa: C901 - one case per constructor
        v = self.valtype
        match t:
            case str():
                return bytes([PRIMITIVE_BYTES[t]])
            case Record(fields=fields):
                return b"\x72" + uleb(len(fields)) + b"".join(enc_name(n) + v(x) for n, x in fields)
            case Variant(cases=cases):
                return b"\x71" + uleb(len(cases)) + b"".join(
                    enc_name(n) + self._opt(x) + b"\x00" for n, x in cases)
            case ListType(element=element, length=length):
                return b"\x70" + v(element) if length is None else b"\x67" + v(element) + uleb(length)
            case Tuple(items=items):
                return b"\x6f" + uleb(len(items)) + b"".join(v(x) for x in items)
            case Flags(names=names):
                return b"\x6e" + uleb(len(names)) + b"".join(enc_name(n) for n in names)
            case Enum(names=names):
                return b"\x6d" + uleb(len(names)) + b"".join(enc_name(n) for n in names)
            case Option(inner=inner):
                return b"\x6b" + v(inner)
            case Result(ok=ok, err=err):
                return b"\x6a" + self._opt(ok) + self._opt(err)
            case Own(resource=resource):
                return b"\x69" + uleb(self.resource(resource))
            case Borrow(resource=resource):
                return b"\x68" + uleb(self.resource(resource))
            case Stream(element=element):
                return b"\x66" + self._opt(element)
            case Future(element=element):
                return b"\x65" + self._opt(element)
            case MapType(key=key, value=value):
                return b"\x63" + v(key) + v(value)
            case FuncType(params=params, result=result, is_async=is_async):
                encoded = uleb(len(params)) + b"".join(enc_name(n) + v(x) for n, x in params)
                tail = b"\x01\x00" if result is None else b"\x00" + v(result)
                return (b"\x43" if is_async else b"\x40") + encoded + tail
            case InstanceType():
                return InstanceTypeEncoder(self).encode(t)
            case ComponentType():
                raise CompositionError(f"the composer cannot declare a type like {render_type(t)} here")
            case _:
                assert_never(t)

    # -- extern descriptors ----------------------------------------------------------------
    def extern_desc(self, item: Extern) -> bytes:
        """The `externtype` for declaring `item` (types of its parts defined first)."""
        match item:
            case FuncType():
                return b"\x01" + uleb(self.type_index(item))
            case InstanceType():
                return b"\x05" + uleb(self.type_index(item))
            case TypeItem(bound="sub"):
                return b"\x03\x01"
            case TypeItem(type=inner):
                return b"\x03\x00" + uleb(self.type_index(inner))
            case ComponentType() | ModuleType() | ValueItem():
                raise CompositionError(f"the composer cannot import or declare a {type(item).__name__}; "
                                       "only instances, functions and types are supported")
            case _:
                assert_never(item)


def _function_resource(name: str, item: Extern) -> tuple[str, Resource] | None:
    """(R, the resource) for a `[constructor]R` or `[method]R.f` function: the resource
    behind its `own` result (or `result<own<R>, E>`) or its `borrow` self parameter."""
    parsed = resource_function(name)
    if parsed is None or not isinstance(item, FuncType):
        return None
    kind, resource_name = parsed
    handle: ValType | None = None
    if kind == "constructor":
        handle = item.result.ok if isinstance(item.result, Result) else item.result
    elif kind == "method" and item.params:
        handle = item.params[0][1]
    if isinstance(handle, (Own, Borrow)):
        return resource_name, handle.resource
    return None


class InstanceTypeEncoder:
    """Encodes an `InstanceType` as a type declaration inside `parent`'s scope."""

    def __init__(self, parent: TypeScope) -> None:
        self.parent = parent
        self.decls: list[bytes] = []
        self.type_count = 0
        self.scope = TypeScope(self._add_type, self._outer_resource, self._outer_named)
        self._own: set[int] = set()

    def _add_type(self, body: bytes) -> int:
        self.decls.append(b"\x01" + body)
        return self._next_type()

    def _next_type(self) -> int:
        index = self.type_count
        self.type_count += 1
        return index

    def _alias_outer(self, outer_index: int) -> int:
        self.decls.append(b"\x02" + SORT_BYTES["type"] + b"\x02" + uleb(1) + uleb(outer_index))
        return self._next_type()

    def _outer_resource(self, r: Resource) -> int:
        return self._alias_outer(self.parent.resource(r))

    def _outer_named(self, t: TypeDef) -> int | None:
        """A named type another import exports is aliased from the enclosing scope."""
        if id(t) in self._own:
            return None
        outer_index = self.parent.named_index(t)
        return None if outer_index is None else self._alias_outer(outer_index)

    def encode(self, it: InstanceType) -> bytes:
        scope = self.scope
        scope.name_resources(it.exports)
        self._own = {id(item.type) for item in it.exports.values() if isinstance(item, TypeItem)}
        for export_name, item in it.exports.items():
            desc = scope.extern_desc(item)
            self.decls.append(b"\x04" + extern_name(export_name) + desc)
            if isinstance(item, TypeItem):
                scope.remember(item.type, self._next_type(), export_name)
        return b"\x42" + uleb(len(self.decls)) + b"".join(self.decls)
