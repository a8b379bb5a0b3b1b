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
from typing import Any

from ..binary.core_encoder import F32, F64, I32, I64, KIND_FUNC, KIND_MEMORY, CoreModule
from ..binary.core_encoder import FuncType as CoreFuncType
from ..binary.core_encoder import Limits
from ..errors import CompositionError
from .abi import lifted_core_signature
from .encoder import ComponentBuilder, TypeScope
from .shim import InterfaceShim
from .types import ComponentType, FuncType, InstanceType, Resource
from .walk import iter_defined, iter_resources, named_types, sub_bindings

_CORE = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}
_UNREACHABLE = b"\x00"
_RESOURCE_I32 = b"\x3f\x7f\x00"  # (resource (rep i32)) without destructor


@dataclass(frozen=True)
class Stub:
    """A stub component and the consumer imports it needs in turn (wire them the same way)."""

    data: bytes
    exports: list[str]
    imports: list[str]


def trap_stub(consumer: ComponentType, stubbed: list[str]) -> Stub:
    """A component exporting the `stubbed` imports of `consumer`, every function trapping."""
    for name in stubbed:
        if not isinstance(consumer.imports.get(name), InstanceType):
            raise CompositionError(f"cannot stub `{name}`: it is not an instance import")
    return _StubEncoder(consumer, stubbed).encode()


class _StubEncoder:
    def __init__(self, consumer: ComponentType, stubbed: list[str]) -> None:
        self.consumer = consumer
        self.stubbed = [n for n in consumer.imports if n in set(stubbed)]
        self.binder: dict[Resource, tuple[str, tuple[str, ...]]] = {}
        self.named: dict[int, tuple[str, tuple[str, ...]]] = {}
        for import_name, item in consumer.imports.items():
            for path, res in sub_bindings(item):
                self.binder.setdefault(res, (import_name, path))
            for path, t in named_types(item):
                self.named.setdefault(id(t), (import_name, path))
        self.deps = self._dependencies()
        self.builder = ComponentBuilder()
        self.scope = TypeScope(self.builder.add_type, self._resource, self._named)
        self.import_index: dict[str, int] = {}
        self.aliases: dict[tuple[int, str], int] = {}

    def _dependencies(self) -> list[str]:
        """Consumer imports (not stubbed) whose types the stubbed interfaces use."""
        needed: set[str] = set()
        todo = list(self.stubbed)
        while todo:
            item = self.consumer.imports[todo.pop()]
            owners = {self.binder[r][0] for r in iter_resources(item) if r in self.binder}
            owners |= {self.named[id(t)][0] for t in iter_defined(item) if id(t) in self.named}
            for owner in owners - set(self.stubbed) - needed:
                needed.add(owner)
                todo.append(owner)
        return [n for n in self.consumer.imports if n in needed]

    # -- type hooks ----------------------------------------------------------------------
    def _resource(self, res: Resource) -> int:
        owner = self.binder.get(res)
        if owner is None:
            raise CompositionError(f"cannot stub: resource `{res.name}` has no import that binds it")
        import_name, path = owner
        if import_name in self.stubbed:
            return self.builder.add_type(_RESOURCE_I32)
        return self._alias(import_name, path)

    def _named(self, t: Any) -> int | None:
        owner = self.named.get(id(t))
        if owner is None or owner[0] in self.stubbed:
            return None
        return self._alias(*owner)

    def _alias(self, import_name: str, path: tuple[str, ...]) -> int:
        if import_name not in self.import_index:
            raise CompositionError(f"stub needs `{import_name}` before it is imported")
        index = self.import_index[import_name]
        for step in path[:-1]:
            index = self.builder.add_alias_export(index, step, "instance")
        key = (index, path[-1])
        if key not in self.aliases:
            self.aliases[key] = self.builder.add_alias_export(index, path[-1], "type")
        return self.aliases[key]

    # -- encoding ------------------------------------------------------------------------
    def encode(self) -> Stub:
        for name in self.deps:
            item = self.consumer.imports[name]
            self.import_index[name] = self.builder.add_import(name, self.scope.extern_desc(item), "instance")
        funcs = [(name, export, item)
                 for name in self.stubbed
                 for export, item in self.consumer.imports[name].exports.items()  # type: ignore[union-attr]
                 if isinstance(item, FuncType)]
        module, memory, realloc = self._core(funcs)
        lifted: dict[tuple[str, str], int] = {}
        for number, (name, export, ft) in enumerate(funcs):
            core_func = self.builder.add_core_alias_export(module, f"f{number}", "func")
            lifted[(name, export)] = self.builder.add_canon_lift(
                core_func, self.scope.type_index(ft), memory=memory, realloc=realloc)
        for name in self.stubbed:
            iface = self.consumer.imports[name]
            assert isinstance(iface, InstanceType)
            shim = InterfaceShim(iface)
            args = []
            for arg_name, sort, what in shim.args:
                if sort == "func":
                    args.append((arg_name, "func", lifted[(name, what)]))
                else:
                    args.append((arg_name, "type", self.scope.type_index(what)))
            component = self.builder.add_component(shim.data)
            self.builder.add_export(name, "instance", self.builder.add_instantiation(component, args))
        return Stub(self.builder.finish(), list(self.stubbed), list(self.deps))

    def _core(self, funcs: list[tuple[str, str, FuncType]]) -> tuple[int, int, int]:
        """The trapping core module, instantiated; returns (instance, memory, realloc)."""
        core = CoreModule()
        core.export("memory", KIND_MEMORY, core.add_memory(Limits(1)))
        realloc_type = CoreFuncType((I32, I32, I32, I32), (I32,))
        core.export("realloc", KIND_FUNC, core.add_func(realloc_type, _UNREACHABLE))
        for number, (_, _, ft) in enumerate(funcs):
            params, results = lifted_core_signature(ft)
            sig = CoreFuncType(tuple(_CORE[p] for p in params), tuple(_CORE[r] for r in results))
            core.export(f"f{number}", KIND_FUNC, core.add_func(sig, _UNREACHABLE))
        parts, _ = core.encode_parts()
        module = self.builder.add_core_module(b"".join(bytes(p) for p in parts))
        instance = self.builder.add_core_instantiation(module)
        memory = self.builder.add_core_alias_export(instance, "memory", "memory")
        realloc = self.builder.add_core_alias_export(instance, "realloc", "func")
        return instance, memory, realloc
