"""Widening a child's import: declaring host functions the child does not use itself.

Fused, the virtualizer can call only host functions lowered from the child's own imports.
Host mounts need `open-at`, `stat-at` and `readlink-at` whatever the program calls (the
path walk, opening the mount: `host.MOUNT_NEEDS`), and a program that never stats or reads
a link imports an instance type without them (wit-component declares only what the
adapter uses). The host's instance has them all, and an import may ask for more than the
program uses: the child's instance type gets the missing functions appended to it.

The appended declarations refer to the body's own type exports by name (`descriptor`,
`error-code`, `descriptor-stat`, ...); a named type the body lacks is defined and exported
under its name, as wit-component would; everything else is defined in place. Value types
are structural, so the host's instance still matches; a resource the body does not export
cannot be named, and the child is then composed instead (`Unsupported`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..binary.encode import uleb
from ..compose import TypeScope, extern_name, read_component
from ..compose.types import FuncType, InstanceType, Resource, TypeDef, type_name
from ..names import split_name
from .items import IndexOf, Info, Item, Unsupported, read_instance_type


def full_interface(host_types: Callable[[], bytes] | None, interface: str, what: str) -> InstanceType:
    """The whole `wasi:INTERFACE` instance type, as `host_types()` (a component) imports it."""
    if host_types is not None:
        imports = read_component(host_types(), "host types").type.imports
        found = next((t for n, t in imports.items() if split_name(n)[0] == "wasi:" + interface), None)
        if isinstance(found, InstanceType):
            return found
    raise Unsupported(f"{what}: its wasi:{interface} import lacks functions host mounts need, and the "
                      "host's types are not at hand to declare them")


def widen_import(items: list[Item], imported: Item, additions: dict[str, FuncType], what: str) -> None:
    """Make the instance import `imported` (one of `items`) declare `additions` too: its
    type is replaced in place when nothing else uses it, else a widened copy is inserted
    before the import."""
    original = imported.refs[0] if imported.refs else None
    if original is None or original.info.kind != "type" or not isinstance(original.data, memoryview | bytes) \
            or bytes(original.data[:1]) != b"\x42":
        raise Unsupported(f"{what}: its type is not an instance type defined in the component")
    widened = widened_type(original, additions, what)
    imported.refs[0] = widened
    if any(original in item.refs for item in items):
        items.insert(items.index(imported), widened)
    else:
        items[items.index(original)] = widened


def widened_type(original: Item, additions: dict[str, FuncType], what: str) -> Item:
    """A type item: the instance type `original` with `additions` (export name -> type)
    declared after its own declarations. It refers to what `original` refers to."""
    def build(index_of: IndexOf) -> bytes:
        return _append(_encoded(index_of), additions, what)

    def _encoded(index_of: IndexOf) -> bytes:  # the original body, with widened's references
        encoded = Item(original.section, original.space, widened.refs, original.info, original.data).encode(index_of)
        assert not isinstance(encoded, list)
        return bytes(encoded)

    widened = Item(original.section, original.space, list(original.refs), Info("type"), build=build)
    _append(_encoded(lambda item: 0), additions, what)  # fail now (Unsupported), not while encoding
    return widened


def _append(data: bytes, additions: dict[str, FuncType], what: str) -> bytes:
    body = read_instance_type(data, what)
    decls: list[bytes] = []
    names = dict(body.type_exports)
    next_type = [body.type_count]

    def new_index() -> int:
        next_type[0] += 1
        return next_type[0] - 1

    def add_type(definition: bytes) -> int:
        decls.append(b"\x01" + definition)
        return new_index()

    def resource(r: Resource) -> int:
        if r.name not in names:
            raise Unsupported(f"{what}: its import declares no resource `{r.name}`, which the added host "
                              "functions take")
        return names[r.name]

    def named(t: TypeDef) -> int | None:
        name = type_name(t)
        if name is None:
            return None
        if name not in names:  # define it, then export it under its name
            defined = scope.definition_index(t)  # type: ignore[arg-type]
            decls.append(b"\x04" + extern_name(name) + b"\x03\x00" + uleb(defined))
            names[name] = new_index()
        return names[name]

    scope = TypeScope(add_type, resource, named)
    for name, func in additions.items():
        index = scope.type_index(func)
        decls.append(b"\x04" + extern_name(name) + b"\x01" + uleb(index))
    return b"\x42" + uleb(body.count + len(decls)) + bytes(body.decls) + b"".join(decls)
