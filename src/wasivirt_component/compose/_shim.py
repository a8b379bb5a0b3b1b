"""Interface shims: export an interface's items by name from a nested component.

wasmparser checks `[method]r.f` / `[constructor]r` export names against the resource
names registered in the same component, and a bag-of-exports instance has no such
context. So, as wit-component does, a generated interface is exported through a tiny
component that imports each item (resources, named types, functions) and re-exports it
under its interface name; the enclosing component instantiates it with its own items.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from ..binary.encode import uleb
from ..errors import CompositionError
from ._encoder import ComponentBuilder, TypeScope
from .types import Enum, Flags, FuncType, InstanceType, Record, Resource, TypeDef, TypeItem, Variant, type_name

# Types the validator wants named wherever a function or exported type uses them.
_NOMINAL = (Record, Variant, Enum, Flags)


class ShimArg(NamedTuple):
    """One argument of the shim's instantiation: a type (`what` is the resource or named
    value type) or a function (`what` is the name the interface exports it under)."""

    name: str
    sort: Literal["type", "func"]
    what: TypeDef


class InterfaceShim:
    """The shim for `iface`; `args` says what to instantiate it with, in import order."""

    def __init__(self, iface: InstanceType) -> None:
        self.builder = ComponentBuilder()
        self.scope = TypeScope(self.builder.add_type, self._import_resource, self._import_named)
        self.args: list[ShimArg] = []
        self._names: set[str] = set()
        self._labels: dict[int, str] = {}  # id(type) -> its own export name, else its first
        for name, item in iface.exports.items():
            if isinstance(item, TypeItem) and (id(item.type) not in self._labels or name == type_name(item.type)):
                self._labels[id(item.type)] = name
        funcs: dict[str, int] = {}
        for name, item in iface.exports.items():
            if isinstance(item, FuncType):
                desc = self.scope.extern_desc(item)  # imports the types it uses first
                import_name = self._unique(f"import-func-{name}")
                funcs[name] = self.builder.add_import(import_name, desc, "func")
                self.args.append(ShimArg(import_name, "func", name))
        # Exports refer to *exported* indices only, as wit-component's shims do: the
        # validator names resources (for `[method]r.f`) by their exported alias, and an
        # exported record's fields must be types exported before it. So value types are
        # defined afresh over the exported indices, and functions get ascribed types. An
        # alias (`type pt = point`) exports the type exported before, not a copy of it.
        exported = TypeScope(self.builder.add_type, self.scope.resource, self._imported_nominal)
        exported.name_resources(iface.exports)
        for name, item in iface.exports.items():
            if isinstance(item, TypeItem):
                t = item.type
                if isinstance(t, Resource):
                    local = self.scope.type_index(t)
                else:
                    before = exported.exported_index(t)
                    local = exported.definition_index(t) if before is None else before
                exported.remember(t, self.builder.add_export(name, "type", local), name)
            elif isinstance(item, FuncType):
                self.builder.add_export(name, "func", funcs[name], exported.extern_desc(item))
            else:
                raise CompositionError(f"cannot generate interface export `{name}` of kind {type(item).__name__}",
                                       export=name)
        self.data = self.builder.finish()

    def _imported_nominal(self, t: TypeDef) -> int | None:
        return self.scope.type_index(t) if isinstance(t, _NOMINAL) else None

    def _unique(self, name: str) -> str:
        """A kebab-case import name not used yet (`[method]a.b` becomes `method-a-b`)."""
        name = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        candidate, n = name, 1
        while candidate in self._names:
            n += 1
            candidate = f"{name}{n}"
        self._names.add(candidate)
        return candidate

    def _label(self, t: TypeDef) -> str:
        return self._labels.get(id(t)) or type_name(t) or "anonymous"

    def _import_resource(self, r: Resource) -> int:
        name = self._unique(f"import-type-{self._label(r)}")
        self.args.append(ShimArg(name, "type", r))
        return self.builder.add_import(name, b"\x03\x01", "type")

    def _import_named(self, t: TypeDef) -> int | None:
        """Records, variants, enums and flags are imported (so they are named) as defined."""
        if not isinstance(t, _NOMINAL):
            return None
        definition = self.scope.definition_index(t)
        name = self._unique(f"import-type-{self._label(t)}")
        self.args.append(ShimArg(name, "type", t))
        return self.builder.add_import(name, b"\x03\x00" + uleb(definition), "type")
