"""Trapping stubs: satisfy imports a component will never call, without the host.

The virtualizer imports every host interface it could forward to (filesystem for host
mounts, stdin, clocks...). For a spec that needs none of, say, `wasi:filesystem`, those
imports are filled by a generated stub instead of the host, so the composed program
cannot reach the host filesystem at all and its import list shows it.

A stub exports the chosen interfaces with the consumer's exact import types: resources
are defined locally, named types are re-exported, every function traps (`unreachable`).
Types the stubbed interfaces use from interfaces that are *not* stubbed (say a stream
resource from `wasi:io/streams`) are imported by the stub, so the graph can hand it the
same instance the consumer gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from ..binary.core_encoder import F32, F64, I32, I64, KIND_FUNC, KIND_MEMORY, CoreModule, Limits, name_section
from ..binary.core_encoder import FuncType as CoreFuncType
from ..errors import CompositionError
from ._encoder import ComponentBuilder, TypeScope
from ._shim import InterfaceShim
from ._walk import import_dependencies, type_owners
from .abi import lifted_core_signature
from .types import (
    ComponentType,
    Extern,
    FuncType,
    InstanceType,
    ModuleType,
    Resource,
    TypeDef,
    TypeItem,
    ValueItem,
    extern_kind,
)

_CORE = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}
_UNREACHABLE = b"\x00"
_RESOURCE_I32 = b"\x3f\x7f\x00"  # (resource (rep i32)) without destructor


@dataclass(frozen=True)
class Stub:
    """A stub component and the consumer imports it needs in turn (wire them the same way)."""

    data: bytes
    exports: list[str]
    imports: list[str]


STUB_MODULE_NAME = "wasivirt-trap-stub"


def trap_stub(consumer: ComponentType, stubbed: list[str]) -> Stub:
    """A component exporting the `stubbed` imports of `consumer`, every function trapping.

    It imports the other imports of `consumer` the stubbed ones' types use.
    """
    for name in stubbed:
        if not isinstance(consumer.imports.get(name), InstanceType):
            raise CompositionError(f"cannot stub `{name}`: it is not an instance import", import_name=name)
    needed = import_dependencies(consumer, stubbed)
    deps = {n: item for n, item in consumer.imports.items() if n in needed}
    exports = {n: item for n, item in consumer.imports.items() if n in set(stubbed)}
    data = _StubEncoder(deps, exports).encode()
    return Stub(data, list(exports), list(deps))


def skeleton(ctype: ComponentType) -> bytes:
    """A component of exactly type `ctype` whose every function traps.

    Composition validity depends only on the types of the components composed, so a
    composition of skeletons validates (in milliseconds) exactly when the real one does,
    given components that are valid on their own.
    """
    return _StubEncoder(ctype.imports, ctype.exports).encode()


class _StubEncoder:
    """Encodes a component importing `imports` and implementing `exports` with traps."""

    def __init__(self, imports: dict[str, Extern], exports: dict[str, Extern]) -> None:
        self.imports = imports
        self.exports = exports
        self.binder, self.named = type_owners(imports, exports)
        self.builder = ComponentBuilder()
        self.scope = TypeScope(self.builder.add_type, self._resource, self._named)
        self.import_index: dict[str, int] = {}

    # -- type hooks ----------------------------------------------------------------------
    def _resource(self, res: Resource) -> int:
        owner = self.binder.get(res)
        if owner is None:
            raise CompositionError(f"cannot stub: resource `{res.name}` ({res.origin}) is neither imported "
                                   "nor exported")
        if owner[0] in self.exports:
            return self.builder.add_type(_RESOURCE_I32)
        return self._alias(*owner)

    def _named(self, t: TypeDef) -> int | None:
        owner = self.named.get(id(t))
        if owner is None or owner[0] in self.exports:
            return None
        return self._alias(*owner)

    def _alias(self, import_name: str, path: tuple[str, ...]) -> int:
        if import_name not in self.import_index:
            raise CompositionError(f"stub needs `{import_name}` before it is imported", import_name=import_name)
        index = self.import_index[import_name]
        return self.builder.alias_type_path(index, path) if path else index

    # -- encoding ------------------------------------------------------------------------
    def encode(self) -> bytes:
        self.scope.name_resources(self.imports)
        for name, item in self.imports.items():
            index = self.builder.add_import(name, self.scope.extern_desc(item), extern_kind(item))
            self.import_index[name] = index
            if isinstance(item, TypeItem):
                self.scope.remember(item.type, index, name)
        funcs: list[tuple[tuple[str, ...], FuncType]] = [
            ((name,), item) for name, item in self.exports.items() if isinstance(item, FuncType)]
        funcs += [((name, export), item)
                  for name, iface in self.exports.items() if isinstance(iface, InstanceType)
                  for export, item in iface.exports.items() if isinstance(item, FuncType)]
        module, memory, realloc = self._core([("#".join(where), ft) for where, ft in funcs])
        lifted: dict[tuple[str, ...], int] = {}
        for number, (where, ft) in enumerate(funcs):
            core_func = self.builder.add_core_alias_export(module, f"f{number}", "func")
            lifted[where] = self.builder.add_canon_lift(
                core_func, self.scope.type_index(ft), memory=memory, realloc=realloc)
        for name, item in self.exports.items():
            match item:
                case FuncType():
                    self.builder.add_export(name, "func", lifted[(name,)])
                case TypeItem():
                    self.builder.add_export(name, "type", self.scope.type_index(item.type))
                case InstanceType():
                    shim = InterfaceShim(item)
                    args = []
                    for arg in shim.args:
                        if arg.sort == "func":
                            assert isinstance(arg.what, str)
                            args.append((arg.name, "func", lifted[(name, arg.what)]))
                        else:
                            args.append((arg.name, "type", self.scope.type_index(arg.what)))
                    component = self.builder.add_component(shim.data)
                    self.builder.add_export(name, "instance", self.builder.add_instantiation(component, args))
                case ComponentType() | ModuleType() | ValueItem():
                    raise CompositionError(f"cannot stub export `{name}` of kind {type(item).__name__}",
                                           export=name)
                case _:
                    assert_never(item)
        return self.builder.finish()

    def _core(self, funcs: list[tuple[str, FuncType]]) -> tuple[int, int, int]:
        """The trapping core module, instantiated; returns (instance, memory, realloc).

        Its name section names each function after the import it stands for, so a trap's
        backtrace says which one was called (`run` turns that into its message)."""
        core = CoreModule()
        core.export("memory", KIND_MEMORY, core.add_memory(Limits(1)))
        realloc_type = CoreFuncType((I32, I32, I32, I32), (I32,))
        core.export("realloc", KIND_FUNC, core.add_func(realloc_type, _UNREACHABLE))
        names = [(0, "realloc")]
        for number, (func_name, ft) in enumerate(funcs):
            params, results = lifted_core_signature(ft)
            sig = CoreFuncType(tuple(_CORE[p] for p in params), tuple(_CORE[r] for r in results))
            index = core.add_func(sig, _UNREACHABLE)
            core.export(f"f{number}", KIND_FUNC, index)
            names.append((index, func_name))
        core.add_custom("name", name_section(STUB_MODULE_NAME, names))
        parts, _ = core.encode_parts()
        module = self.builder.add_core_module(b"".join(bytes(p) for p in parts))
        instance = self.builder.add_core_instantiation(module)
        memory = self.builder.add_core_alias_export(instance, "memory", "memory")
        realloc = self.builder.add_core_alias_export(instance, "realloc", "func")
        return instance, memory, realloc
