"""A resolved WIT world (`wasm-tools component wit --json`) as our component type model.

The JSON lists every type once, by index; `type x = y` and `use` are `{"type": y}` kinds,
so aliases resolve to the same object here and a resource keeps one identity however many
interfaces name it. Each named type remembers the interface that defined it: C names are
made from that (`filesystem_types_descriptor_stat_t`), never from an alias.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...compose.types import (
    Borrow,
    Enum,
    Flags,
    ListType,
    Option,
    Own,
    Record,
    Resource,
    Result,
    Tuple,
    ValType,
    Variant,
)
from ...errors import ToolchainError

PRIMITIVES = {"bool", "s8", "u8", "s16", "u16", "s32", "u32", "s64", "u64", "f32", "f64", "char",
              "string"}


class GlueError(ToolchainError):
    """The WIT uses something the glue generator does not support (yet)."""


@dataclass(eq=False)
class Interface:
    """One interface of the world, imported or exported."""

    qualified: str       # "wasi:io/streams@0.2.12"
    prefix: str          # C identifier prefix: "io_streams", "host_io_streams"
    exported: bool
    functions: list[Function] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)


@dataclass(eq=False)
class Function:
    """A function of an interface; `resource` is set for methods, statics and constructors."""

    interface: Interface
    name: str                        # the WIT name: "[method]descriptor.read"
    kind: str                        # freestanding, method, static, constructor
    resource: Resource | None
    params: list[tuple[str, ValType]]
    result: ValType | None

    @property
    def short(self) -> str:
        """The function's name inside its resource (or its plain name)."""
        return self.name.split("]", 1)[-1].split(".", 1)[-1]


@dataclass
class World:
    """The interfaces of one world and the names of its types."""

    name: str
    imports: list[Interface]
    exports: list[Interface]
    type_names: dict[int, tuple[Interface, str]]  # id(type object) -> (owner, WIT name)

    @property
    def interfaces(self) -> list[Interface]:
        return [*self.imports, *self.exports]

    def owner(self, t: object) -> tuple[Interface, str] | None:
        """The interface that defined `t` and its name there, for named types."""
        return self.type_names.get(id(t))

    def is_exported_resource(self, resource: Resource) -> bool:
        owner = self.owner(resource)
        return owner is not None and owner[0].exported


def c_prefix(qualified: str) -> str:
    """`wasi:io/streams@0.2.12` -> `io_streams`; `wasivirt-host:io/streams` -> `host_io_streams`."""
    base = qualified.split("@", 1)[0]
    namespace, rest = base.split(":", 1)
    package, iface = rest.split("/", 1)
    lead = {"wasi": "", "wasivirt-host": "host_"}.get(namespace, ident(namespace) + "_")
    return f"{lead}{ident(package)}_{ident(iface)}"


def ident(name: str) -> str:
    """A WIT kebab-case name as a C identifier fragment."""
    return re.sub(r"[^0-9A-Za-z_]", "_", name)


def load_world(resolved: dict[str, Any], world: str, package: str | None = None) -> World:
    """The world named `world` (in `package`, e.g. `wasivirt:virt@0.1.0`, if given)."""
    packages = resolved["packages"]
    candidates = [w for w in resolved["worlds"] if w["name"] == world
                  and (package is None or packages[w["package"]]["name"] == package)]
    if len(candidates) != 1:
        raise GlueError(f"the resolved WIT has {len(candidates)} worlds named {world!r}")
    loader = _Loader(resolved)
    w = candidates[0]
    imports = [loader.interface(key, item, exported=False) for key, item in w["imports"].items()]
    exports = [loader.interface(key, item, exported=True) for key, item in w["exports"].items()]
    interfaces = [i for i in imports + exports if i is not None]
    for iface in interfaces:
        loader.functions(iface)
    return World(world, [i for i in imports if i is not None], [i for i in exports if i is not None],
                 loader.names)


class _Loader:
    def __init__(self, resolved: dict[str, Any]) -> None:
        self.resolved = resolved
        self.types: dict[int, Any] = {}
        self.names: dict[int, tuple[Interface, str]] = {}
        self.by_index: dict[int, Interface] = {}

    def interface(self, key: str, item: dict[str, Any], exported: bool) -> Interface | None:
        if "type" in item:
            return None  # a world-level `use`: types only
        if "interface" not in item:
            raise GlueError(f"world item {key!r} is not an interface (world-level functions "
                            "are not supported)")
        index = item["interface"]["id"]
        data = self.resolved["interfaces"][index]
        package = self.resolved["packages"][data["package"]]["name"]
        pkg, _, version = package.partition("@")
        qualified = f"{pkg}/{data['name']}" + (f"@{version}" if version else "")
        iface = Interface(qualified, c_prefix(qualified), exported)
        self.by_index[index] = iface
        return iface

    def functions(self, iface: Interface) -> None:
        index = next(i for i, v in self.by_index.items() if v is iface)
        data = self.resolved["interfaces"][index]
        for type_index in data["types"].values():
            t = self.type(type_index)
            if isinstance(t, Resource) and self.names.get(id(t), (None,))[0] is iface:
                iface.resources.append(t)
        for name, fn in data["functions"].items():
            kind = fn["kind"]
            if isinstance(kind, str):
                kind_name, resource = kind, None
            else:
                (kind_name, res_index), = kind.items()
                resource = self.type(res_index)
            if kind_name.startswith("async"):
                raise GlueError(f"{iface.qualified}#{name}: async functions are not supported")
            params = [(p["name"], self.value(p["type"])) for p in fn["params"]]
            result = self.value(fn["result"]) if fn.get("result") is not None else None
            iface.functions.append(Function(iface, name, kind_name, resource, params, result))

    def value(self, ref: int | str) -> ValType:
        if isinstance(ref, str):
            if ref not in PRIMITIVES:
                raise GlueError(f"unsupported primitive type {ref!r}")
            return ref
        # Any: the resolved JSON's types are values here, except a `type a = b` alias of
        # a resource (`use`), which only `_defined` asks for and passes on unchanged.
        t: ValType = self.type(ref)
        return t

    def type(self, index: int) -> Any:
        cached = self.types.get(index)
        if cached is not None:
            return cached
        data = self.resolved["types"][index]
        kind = data["kind"]
        if kind == "resource":
            t: Any = Resource(data["name"] or f"resource-{index}")
        else:
            (tag, body), = kind.items()
            t = self._defined(tag, body, index)
        self.types[index] = t
        owner = data.get("owner") or {}
        if (data.get("name") and "interface" in owner and not isinstance(t, str)
                and id(t) not in self.names):
            iface = self.by_index.get(owner["interface"])
            if iface is not None:
                self.names[id(t)] = (iface, data["name"])
                if isinstance(t, Resource):
                    t.origin = iface.qualified
        return t

    def _defined(self, tag: str, body: Any, index: int) -> Any:
        if tag == "type":
            target = self.value(body) if isinstance(body, str) else self.type(body)
            # A named alias of a primitive keeps the primitive (C has no distinct type for it).
            return target
        if tag == "handle":
            (how, res), = body.items()
            resource = self.type(res)
            return Own(resource) if how == "own" else Borrow(resource)
        if tag == "list":
            return ListType(self.value(body))
        if tag == "option":
            return Option(self.value(body))
        if tag == "result":
            return Result(None if body.get("ok") is None else self.value(body["ok"]),
                          None if body.get("err") is None else self.value(body["err"]))
        if tag == "tuple":
            return Tuple(tuple(self.value(x) for x in body["types"]))
        if tag == "record":
            return Record(tuple((f["name"], self.value(f["type"])) for f in body["fields"]))
        if tag == "variant":
            return Variant(tuple((c["name"], None if c.get("type") is None else self.value(c["type"]))
                                 for c in body["cases"]))
        if tag == "enum":
            return Enum(tuple(c["name"] for c in body["cases"]))
        if tag == "flags":
            return Flags(tuple(f["name"] for f in body["flags"]))
        raise GlueError(f"unsupported WIT type kind {tag!r} (type {index})")
