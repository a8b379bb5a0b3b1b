"""Reading a component binary into its `ComponentType`.

The reader evaluates the component's definitions the way a validator does, keeping only
the component-level index spaces (types, funcs, instances, components, values) with full
types, and counting nothing it does not need. Nested components are read recursively
(instantiating one substitutes its imports and freshens its resources); core modules and
core instances are skipped by size, so an 18 MB component is read in milliseconds.

It assumes nothing about well-formedness: malformed input raises `BinaryFormatError`
and nothing else (tests mutate binaries to check that).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..binary.module import read_core_valtype, read_import_desc, read_module
from ..binary.reader import Reader
from ..binary.sections import WasmKind, detect_kind, iter_sections
from ..errors import BinaryFormatError, NotAComponentError
from ._compare import Mismatch, check
from ._subst import Substitution, subst
from ._walk import iter_resources, type_items
from .types import (
    PRIMITIVE_CODES,
    Borrow,
    ComponentType,
    Defined,
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
    extern_kind,
)

SORT_NAMES = {0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}
CORE_SORTS = {0x00: "func", 0x01: "table", 0x02: "memory", 0x03: "global", 0x04: "tag",
              0x10: "type", 0x11: "module", 0x12: "instance"}


@dataclass(frozen=True)
class ComponentInfo:
    """A component read from bytes: its type and the bytes themselves (for embedding)."""

    type: ComponentType
    data: bytes
    name: str


def read_component(data: bytes, what: str = "component") -> ComponentInfo:
    """Read a whole component binary; a core module is an error suggesting `wasivirt adapt`."""
    kind = detect_kind(data, what)
    if kind is WasmKind.MODULE:
        raise NotAComponentError(what)
    view = memoryview(data)
    try:
        ctype = _ComponentScope(None, what).read(view, 8, len(view))
    except RecursionError:
        raise BinaryFormatError(f"{what}: types nest too deeply") from None
    return ComponentInfo(ctype, data if isinstance(data, bytes) else bytes(data), what)


@dataclass(frozen=True, eq=False)
class _DefinedModule:
    """A core module defined in the component: skipped by size, its type read only if a
    component-level export or instantiation needs it."""

    data: memoryview

    def type(self, what: str) -> ModuleType:
        info = read_module(self.data, f"{what} (nested core module)")
        return ModuleType([(i.module, i.name, i.kind) for i in info.imports],
                          [(e.name, e.kind) for e in info.exports])


CoreModule = ModuleType | _DefinedModule
CoreType = ModuleType | str   # a module type, or "core func type" (not tracked further)


class _Scope:
    """Index spaces of one component or type declaration, for resolving indices and outer aliases."""

    def __init__(self, parent: _Scope | None, what: str) -> None:
        self.parent = parent
        self.what = what
        self.types: list[TypeDef] = []
        self.funcs: list[FuncType] = []
        self.instances: list[InstanceType] = []
        self.components: list[ComponentType] = []
        self.values: list[ValueItem] = []
        self.core_types: list[CoreType] = []
        self.core_modules: list[CoreModule] = []

    # -- index resolution ------------------------------------------------------------------
    def space(self, sort: str) -> list[TypeDef] | list[FuncType] | list[InstanceType] | list[ComponentType] \
            | list[ValueItem] | list[CoreType] | list[CoreModule] | None:
        """The index space of `sort`, or None for core sorts the reader does not track."""
        match sort:
            case "type":
                return self.types
            case "func":
                return self.funcs
            case "instance":
                return self.instances
            case "component":
                return self.components
            case "value":
                return self.values
            case "core type":
                return self.core_types
            case "core module":
                return self.core_modules
        return None

    def get(self, r: Reader, sort: str, index: int) -> object:
        space = self.space(sort)
        if space is None:
            raise r.error(f"a {sort} cannot be used here")
        if index >= len(space):
            raise r.error(f"{sort} index {index} out of range (only {len(space)} defined)")
        return space[index]

    def append(self, r: Reader, sort: str, item: object) -> None:
        """Add `item` to the index space of `sort` (checked: each space holds one kind)."""
        match sort:
            case "type" if isinstance(item, TypeDef):
                self.types.append(item)
            case "func" if isinstance(item, FuncType):
                self.funcs.append(item)
            case "instance" if isinstance(item, InstanceType):
                self.instances.append(item)
            case "component" if isinstance(item, ComponentType):
                self.components.append(item)
            case "value" if isinstance(item, ValueItem):
                self.values.append(item)
            case "core type" if isinstance(item, CoreType):
                self.core_types.append(item)
            case "core module" if isinstance(item, CoreModule):
                self.core_modules.append(item)
            case "type" | "func" | "instance" | "component" | "value" | "core type" | "core module":
                raise r.error(f"a {sort} was expected, not a {type(item).__name__}")
            case _:
                pass  # a core sort the reader does not track

    def type_at(self, r: Reader, index: int) -> TypeDef:
        t = self.get(r, "type", index)
        assert isinstance(t, TypeDef)
        return t

    def instance_at(self, r: Reader, index: int) -> InstanceType:
        it = self.get(r, "instance", index)
        assert isinstance(it, InstanceType)
        return it

    def component_at(self, r: Reader, index: int) -> ComponentType:
        ct = self.get(r, "component", index)
        assert isinstance(ct, ComponentType)
        return ct

    def outer(self, r: Reader, count: int) -> _Scope:
        scope: _Scope | None = self
        for _ in range(count):
            scope = scope.parent if scope else None
        if scope is None:
            raise r.error(f"outer alias count {count} exceeds the enclosing scopes")
        return scope

    # -- shared grammar --------------------------------------------------------------------
    def valtype(self, r: Reader) -> ValType:
        v = r.s33()
        if v < 0:
            code = v & 0x7F
            if code not in PRIMITIVE_CODES:
                raise r.error(f"unknown primitive value type {code:#x}")
            return PRIMITIVE_CODES[code]
        t = self.type_at(r, v)
        if not isinstance(t, ValType):
            raise r.error(f"type index {v} is not a value type")
        return t

    def resource_at(self, r: Reader, index: int) -> Resource:
        t = self.type_at(r, index)
        if not isinstance(t, Resource):
            raise r.error(f"type index {index} is not a resource")
        return t

    def opt_valtype(self, r: Reader) -> ValType | None:
        flag = r.u8()
        if flag == 0:
            return None
        if flag == 1:
            return self.valtype(r)
        raise r.error(f"bad optional value type flag {flag:#x}")

    def label(self, r: Reader) -> str:
        return r.name()

    def deftype(self, r: Reader) -> TypeDef:
        code = r.peek()
        if code in (0x40, 0x43):
            r.u8()
            return self.functype(r, is_async=code == 0x43)
        if code == 0x41:
            r.u8()
            return _TypeDeclScope(self, self.what).component_type(r)
        if code == 0x42:
            r.u8()
            return _TypeDeclScope(self, self.what).instance_type(r)
        if code in (0x3F, 0x3E):
            r.u8()
            if r.u8() != 0x7F:
                raise r.error("resource representation must be i32")
            if code == 0x3F:
                if r.u8() == 1:
                    r.u32()
            else:
                r.u32()
                if r.u8() == 1:
                    r.u32()
            return Resource("resource", self.what)
        return self.defvaltype(r)

    def defvaltype(self, r: Reader) -> ValType:  # noqa: C901 - one case per constructor
        code = r.u8()
        if code in PRIMITIVE_CODES:
            return PRIMITIVE_CODES[code]
        if code == 0x72:
            fields = tuple((self.label(r), self.valtype(r)) for _ in range(r.count(2)))
            return Record(fields)
        if code == 0x71:
            cases = []
            for _ in range(r.count(2)):
                label = self.label(r)
                payload = self.opt_valtype(r)
                refines = r.u8()
                if refines == 1:
                    r.u32()
                elif refines != 0:
                    raise r.error(f"bad variant case trailer {refines:#x}")
                cases.append((label, payload))
            return Variant(tuple(cases))
        if code == 0x70:
            return ListType(self.valtype(r))
        if code == 0x67:
            element = self.valtype(r)
            return ListType(element, r.u32())
        if code == 0x6F:
            return Tuple(tuple(self.valtype(r) for _ in range(r.count())))
        if code == 0x6E:
            return Flags(tuple(self.label(r) for _ in range(r.count())))
        if code == 0x6D:
            return Enum(tuple(self.label(r) for _ in range(r.count())))
        if code == 0x6B:
            return Option(self.valtype(r))
        if code == 0x6A:
            return Result(self.opt_valtype(r), self.opt_valtype(r))
        if code == 0x69:
            return Own(self.resource_at(r, r.u32()))
        if code == 0x68:
            return Borrow(self.resource_at(r, r.u32()))
        if code == 0x66:
            return Stream(self.opt_valtype(r))
        if code == 0x65:
            return Future(self.opt_valtype(r))
        if code == 0x63:
            return MapType(self.valtype(r), self.valtype(r))
        raise r.error(f"unknown type constructor {code:#x}")

    def functype(self, r: Reader, is_async: bool) -> FuncType:
        params = tuple((self.label(r), self.valtype(r)) for _ in range(r.count(2)))
        tag = r.u8()
        if tag == 0x00:
            result: ValType | None = self.valtype(r)
        elif tag == 0x01:
            if r.u32() != 0:
                raise r.error("named function results are not supported (pre-0.2 component)")
            result = None
        else:
            raise r.error(f"bad function result list {tag:#x}")
        return FuncType(params, result, is_async)

    def core_type(self, r: Reader) -> CoreType:
        code = r.u8()
        if code == 0x60:
            for _ in range(2):
                for _ in range(r.count()):
                    read_core_valtype(r)
            return "core func type"
        if code == 0x50:
            return self.module_type(r)
        raise r.error(f"core type {code:#x} (GC types) is not supported in components")

    def module_type(self, r: Reader) -> ModuleType:
        mt = ModuleType()
        local_types = 0
        for _ in range(r.count()):
            tag = r.u8()
            if tag == 0x00:
                module, name = r.name(), r.name()
                mt.imports.append((module, name, read_import_desc(r, module, name).kind))
            elif tag == 0x01:
                if r.u8() != 0x60:
                    raise r.error("module types may only declare function types")
                for _ in range(2):
                    for _ in range(r.count()):
                        read_core_valtype(r)
                local_types += 1
            elif tag == 0x02:
                if r.u8() != 0x10 or r.u8() != 0x01:
                    raise r.error("bad alias in module type")
                r.u32()
                r.u32()
                local_types += 1
            elif tag == 0x03:
                name = r.name()
                mt.exports.append((name, read_import_desc(r, "", name).kind))
            else:
                raise r.error(f"bad module type declaration {tag:#x}")
        return mt

    def sort(self, r: Reader) -> str:
        code = r.u8()
        if code == 0x00:
            core = r.u8()
            if core not in CORE_SORTS:
                raise r.error(f"unknown core sort {core:#x}")
            return "core " + CORE_SORTS[core]
        if code not in SORT_NAMES:
            raise r.error(f"unknown sort {code:#x}")
        return SORT_NAMES[code]

    def extern_name(self, r: Reader) -> str:
        tag = r.u8()
        if tag not in (0x00, 0x01, 0x02):
            raise r.error(f"unknown import/export name tag {tag:#x}")
        name = r.name()
        if not name:
            raise r.error("empty import/export name")
        if tag == 0x02:
            for _ in range(r.count()):
                kind = r.u8()
                if kind not in (0x00, 0x01, 0x02):
                    raise r.error(f"unknown name attribute {kind:#x}")
                r.name()
        return name

    def extern_desc(self, r: Reader, name: str) -> tuple[Extern, list[Resource]]:
        """A declared import/export item, with the resources it binds (fresh per declaration)."""
        tag = r.u8()
        if tag == 0x00:
            if r.u8() != 0x11:
                raise r.error("core extern type must be a module")
            mt = self.get(r, "core type", r.u32())
            if not isinstance(mt, ModuleType):
                raise r.error("core module import/export must refer to a module type")
            return mt, []
        if tag == 0x01:
            ft = self.type_at(r, r.u32())
            if not isinstance(ft, FuncType):
                raise r.error(f"`{name}`: func import/export must refer to a function type")
            return ft, []
        if tag == 0x02:
            bound = r.u8()
            if bound == 0x00:
                value = self.get(r, "value", r.u32())
                assert isinstance(value, ValueItem)
                return ValueItem(value.type), []
            if bound == 0x01:
                return ValueItem(self.valtype(r)), []
            raise r.error(f"bad value bound {bound:#x}")
        if tag == 0x03:
            bound = r.u8()
            if bound == 0x00:
                t = self.type_at(r, r.u32())
                _name_type(t, name)
                return TypeItem("eq", t), []
            if bound == 0x01:
                res = Resource(name, self.what)
                return TypeItem("sub", res), [res]
            raise r.error(f"bad type bound {bound:#x}")
        if tag == 0x04:
            ct = self.type_at(r, r.u32())
            if not isinstance(ct, ComponentType):
                raise r.error(f"`{name}`: component import/export must refer to a component type")
            return ct, []
        if tag == 0x05:
            it = self.type_at(r, r.u32())
            if not isinstance(it, InstanceType):
                raise r.error(f"`{name}`: instance import/export must refer to an instance type")
            fresh = {res: Resource(res.name, f"{self.what} `{name}`") for res in it.bound}
            return subst(it, fresh), list(fresh.values())
        raise r.error(f"unknown extern type {tag:#x}")

    def add_item(self, r: Reader, sort: str, item: Extern | CoreModule | None) -> None:
        """Append an import/export/alias result to its index space (None: an untracked
        core item)."""
        if isinstance(item, TypeItem):
            self.types.append(item.type)
        elif item is not None:
            self.append(r, sort, item)

    def alias(self, r: Reader) -> None:
        sort = self.sort(r)
        target = r.u8()
        if target == 0x00:
            instance = self.instance_at(r, r.u32())
            name = r.name()
            if sort.startswith("core "):
                raise r.error("component instance export alias cannot have a core sort")
            if name not in instance.exports:
                raise r.error(f"instance has no export named `{name}`")
            self.add_item(r, sort, _as_sort(r, instance.exports[name], sort, name))
        elif target == 0x01:
            r.u32()
            r.name()
            if not sort.startswith("core "):
                raise r.error("core export alias must have a core sort")
            if sort in ("core module", "core type", "core instance"):
                raise r.error(f"a core instance cannot export a {sort[5:]}")
            self.add_item(r, sort, None)
        elif target == 0x02:
            count = r.u32()
            index = r.u32()
            if sort not in ("type", "component", "core type", "core module"):
                raise r.error(f"outer alias of sort {sort} is not allowed")
            self.append(r, sort, self.outer(r, count).get(r, sort, index))
        else:
            raise r.error(f"unknown alias target {target:#x}")


def _as_sort(r: Reader, item: Extern, sort: str, name: str) -> Extern:
    """Check an aliased export has the sort asked for."""
    if _sort_of(item) != sort:
        raise r.error(f"export `{name}` is not a {sort}")
    return item


def _name_type(t: TypeDef, name: str) -> None:
    """Remember the first name a type is exported under (for messages and WIT)."""
    if isinstance(t, Resource):
        if t.name == "resource":
            t.name = name
    elif isinstance(t, Defined) and t.name is None:
        t.name = name


class _TypeDeclScope(_Scope):
    """The fresh type index space inside a component or instance type declaration."""

    def instance_type(self, r: Reader) -> InstanceType:
        it = InstanceType()
        for _ in range(r.count()):
            tag = r.u8()
            if tag == 0x04:
                self._export_decl(r, it.exports, it.bound)
            else:
                self._common_decl(r, tag)
        return it

    def component_type(self, r: Reader) -> ComponentType:
        ct = ComponentType()
        exported: list[Resource] = []
        for _ in range(r.count()):
            tag = r.u8()
            if tag == 0x03:
                self._export_decl(r, ct.imports, ct.imported)
            elif tag == 0x04:
                self._export_decl(r, ct.exports, exported)
            else:
                self._common_decl(r, tag)
        return ct

    def _common_decl(self, r: Reader, tag: int) -> None:
        if tag == 0x00:
            self.core_types.append(self.core_type(r))
        elif tag == 0x01:
            t = self.deftype(r)
            if isinstance(t, Resource):
                raise r.error("resource definitions are not allowed inside type declarations")
            self.types.append(t)
        elif tag == 0x02:
            self.alias(r)
        else:
            raise r.error(f"unknown declaration tag {tag:#x}")

    def _export_decl(self, r: Reader, into: dict[str, Extern], bound: list[Resource]) -> None:
        name = self.extern_name(r)
        if name in into:
            raise r.error(f"duplicate name `{name}`")
        item, new = self.extern_desc(r, name)
        into[name] = item
        bound.extend(new)
        self.add_item(r, _sort_of(item), item)


def _sort_of(item: Extern) -> str:
    """The index space an import/export item goes to."""
    kind = extern_kind(item)
    return "core module" if kind == "module" else kind


class _ComponentScope(_Scope):
    """A component definition: evaluates its sections in order."""

    def read(self, view: memoryview, start: int, end: int) -> ComponentType:
        ct = ComponentType()
        for sec in iter_sections(view, start, end, self.what):
            r = sec.reader(view, self.what)
            sid = sec.id
            if sid in (0, 1, 2):  # custom, core module (skipped by size), core instance
                if sid == 1:
                    self.core_modules.append(_DefinedModule(view[sec.start:sec.end]))
                continue
            if sid == 3:
                for _ in range(r.count()):
                    self.core_types.append(self.core_type(r))
            elif sid == 4:
                if detect_kind(view[sec.start:sec.end], f"{self.what} (nested component)") is not WasmKind.COMPONENT:
                    raise r.error("nested component section does not hold a component")
                nested = _ComponentScope(self, self.what)
                self.components.append(nested.read(view, sec.start + 8, sec.end))
                r.pos = sec.end
            elif sid == 5:
                for _ in range(r.count()):
                    self.instances.append(self._instance(r))
            elif sid == 6:
                for _ in range(r.count()):
                    self.alias(r)
            elif sid == 7:
                for _ in range(r.count()):
                    self.types.append(self.deftype(r))
            elif sid == 8:
                for _ in range(r.count()):
                    self._canon(r)
            elif sid in (9, 12):
                raise r.error("component start functions and values are not supported")
            elif sid == 10:
                for _ in range(r.count()):
                    self._import(r, ct)
            elif sid == 11:
                for _ in range(r.count()):
                    self._export(r, ct)
            else:
                raise r.error(f"unknown component section id {sid}")
            if not r.at_end():
                raise r.error(f"section {sid} has {r.remaining()} trailing bytes")
        return ct

    def _import(self, r: Reader, ct: ComponentType) -> None:
        name = self.extern_name(r)
        if name in ct.imports:
            raise r.error(f"duplicate import `{name}`")
        item, new = self.extern_desc(r, name)
        ct.imports[name] = item
        ct.imported.extend(new)
        self.add_item(r, _sort_of(item), item)

    def _export(self, r: Reader, ct: ComponentType) -> None:
        name = self.extern_name(r)
        if name in ct.exports:
            raise r.error(f"duplicate export `{name}`")
        sort = self.sort(r)
        index = r.u32()
        if sort.startswith("core ") and sort != "core module":
            raise r.error(f"export `{name}` of core sort {sort} is not allowed")
        item = self._item(r, sort, index, name)
        has_ascription = r.u8()
        if has_ascription == 1:
            ascribed, _ = self.extern_desc(r, name)
            item = _ascribe(r, item, ascribed, name)
        elif has_ascription != 0:
            raise r.error(f"bad export type flag {has_ascription:#x}")
        for path, type_item in type_items(item, (name,)):
            _name_type(type_item.type, path[-1])
        ct.exports[name] = item
        self.add_item(r, _sort_of(item), item)

    def _item(self, r: Reader, sort: str, index: int, name: str) -> Extern:
        """The item at sortidx, as an import/export item (types wrapped in TypeItem)."""
        target = self.get(r, sort, index)
        if sort == "type":
            assert isinstance(target, TypeDef)
            return TypeItem("sub" if isinstance(target, Resource) else "eq", target)
        if isinstance(target, _DefinedModule):
            return target.type(self.what)
        if not isinstance(target, Extern):
            raise r.error(f"`{name}`: a {sort} cannot be used here")
        return target

    def _instance(self, r: Reader) -> InstanceType:
        tag = r.u8()
        if tag == 0x00:
            component = self.component_at(r, r.u32())
            args: dict[str, Extern] = {}
            for _ in range(r.count(2)):
                arg_name = r.name()
                sort = self.sort(r)
                args[arg_name] = self._item(r, sort, r.u32(), arg_name)
            return instantiate(component, args, self.what, r)
        if tag == 0x01:
            it = InstanceType()
            for _ in range(r.count(2)):
                name = self.extern_name(r)
                sort = self.sort(r)
                if sort.startswith("core ") and sort != "core module":
                    raise r.error(f"inline export `{name}` of core sort is not allowed")
                item = it.exports[name] = self._item(r, sort, r.u32(), name)
                if isinstance(item, TypeItem):
                    _name_type(item.type, name)
            return it
        raise r.error(f"unknown instance expression {tag:#x}")

    def _canon(self, r: Reader) -> None:  # noqa: C901 - follows the grammar table
        op = r.u8()
        if op == 0x00:
            if r.u8() != 0x00:
                raise r.error("canon lift must lift a core func")
            r.u32()
            _canon_opts(r)
            ft = self.type_at(r, r.u32())
            if not isinstance(ft, FuncType):
                raise r.error("canon lift type is not a function type")
            self.funcs.append(ft)
        elif op == 0x01:
            if r.u8() != 0x00:
                raise r.error("canon lower must lower a func")
            self.get(r, "func", r.u32())
            _canon_opts(r)
        elif op in (0x02, 0x03, 0x04, 0x07):
            self.resource_at(r, r.u32())
        elif op in (0x05, 0x08, 0x0D, 0x1E, 0x1F, 0x22, 0x23, 0x24, 0x25, 0x26, 0x28):
            pass
        elif op in (0x06, 0x0C, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x42):
            _flag(r)
        elif op == 0x09:
            tag = r.u8()
            if tag == 0x00:
                self.valtype(r)
            elif tag != 0x01 or r.u8() != 0x00:
                raise r.error("bad task.return result list")
            _canon_opts(r)
        elif op in (0x0A, 0x0B):
            r.u8()
            r.u32()
        elif op in (0x0E, 0x13, 0x14, 0x15, 0x1A, 0x1B):
            r.u32()
        elif op in (0x0F, 0x10, 0x16, 0x17):
            r.u32()
            _canon_opts(r)
        elif op in (0x11, 0x12, 0x18, 0x19):
            r.u32()
            _flag(r)
        elif op in (0x1C, 0x1D):
            _canon_opts(r)
        elif op in (0x20, 0x21):
            _flag(r)
            r.u32()
        elif op == 0x27:
            r.u32()
            r.u32()
        elif op == 0x40:
            _flag(r)
            r.u32()
        elif op == 0x41:
            _flag(r)
            r.u32()
            r.u32()
        else:
            raise r.error(f"unknown canonical function {op:#x}")


def _flag(r: Reader) -> None:
    if r.u8() not in (0, 1):
        raise r.error("bad flag byte")


def _canon_opts(r: Reader) -> None:
    for _ in range(r.count()):
        opt = r.u8()
        if opt in (0x03, 0x04, 0x05, 0x07, 0x08):
            r.u32()
        elif opt not in (0x00, 0x01, 0x02, 0x06):
            raise r.error(f"unknown canonical option {opt:#x}")


def _ascribe(r: Reader, item: Extern, ascribed: Extern, name: str) -> Extern:
    """An export's declared type, with its resources bound to the actual item's."""
    if isinstance(ascribed, TypeItem):
        if not isinstance(item, TypeItem):
            raise r.error(f"export `{name}` is not a type")
        return item
    bindings: dict[Resource, Resource] = {}
    try:
        check(item, ascribed, bindings, name)
    except Mismatch as exc:
        raise r.error(f"export `{name}` does not match its declared type: {exc}") from None
    return subst(ascribed, bindings)


def instantiate(component: ComponentType, args: dict[str, Extern], what: str,
                r: Reader | None = None) -> InstanceType:
    """The instance type of `component` instantiated with `args` (already type-checked).

    Import-bound resources become the arguments' resources; every other resource in the
    exports is defined by the component and is fresh for this instantiation.
    """
    bindings: dict[Resource, Resource] = {}
    for name, required in component.imports.items():
        if name not in args:
            message = f"{what}: instantiation is missing argument `{name}`"
            raise r.error(message) if r else BinaryFormatError(message)
        try:
            check(args[name], required, bindings, name)
        except Mismatch as exc:
            message = f"{what}: argument `{name}` does not match: {exc}"
            raise (r.error(message) if r else BinaryFormatError(message)) from None
    exports = InstanceType(dict(component.exports))
    keep = set(component.imported)
    fresh = {res: Resource(res.name, what) for res in iter_resources(exports) if res not in keep}
    bindings.update(fresh)
    return Substitution(bindings)(exports)
