"""A composition graph: components, their instantiations, and how imports are satisfied.

Build it incrementally (`add_component`, `instantiate`, `connect`, `export`), then
`encode()` resolves it: instances in topological order (a cycle is an error naming the
nodes), each import checked against what is plugged into it (binding resources the way
the validator will), unsatisfied imports merged into outer imports (semver-compatible
names collapse to the highest version), and the outer component written with the inner
components embedded byte for byte.

The resolution is kept until the graph changes, so one graph can be encoded several ways:
`encode(skeletons=[...])` writes the same composition with those packages replaced by
their type skeletons (`stub.skeleton`: same type, trapping bodies), which is what
`check.validate_composition` compiles instead of the whole output (as wac's
`EncodeOptions` choose how one graph is written).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from ..errors import (
    AlreadyConnected,
    CompositionError,
    DuplicateExport,
    ImportMismatch,
    InstantiationCycle,
    MergeConflict,
    NoSuchExport,
    NoSuchImport,
    UnsatisfiedImport,
)
from ..names import compat_key, highest, version_rank
from ._compare import Mismatch, check, equal
from ._encoder import ComponentBuilder, TypeScope
from ._reader import ComponentInfo
from ._stub import skeleton
from ._subst import Substitution
from ._walk import iter_resources, named_types, resource_paths, sub_bindings
from .types import (
    ComponentType,
    DefinedType,
    Extern,
    InstanceType,
    Resource,
    Term,
    TypeDef,
    TypeItem,
    extern_kind,
    type_name,
)


@dataclass(eq=False)
class Package:
    """A component added to the graph (embedded once however often it is instantiated)."""

    name: str
    info: ComponentInfo

    @property
    def type(self) -> ComponentType:
        return self.info.type


@dataclass(eq=False)
class InstanceNode:
    """One instantiation of a package; `args` maps its import names to sources."""

    name: str
    package: Package
    args: dict[str, Source] = field(default_factory=dict)
    # filled afresh by each `encode()`: what every import resolved to, and the types
    sources: dict[str, Source] = field(default_factory=dict)
    bindings: dict[Resource, Resource] = field(default_factory=dict)
    instance_type: InstanceType | None = None
    subst: Substitution = field(default_factory=lambda: Substitution({}))


@dataclass(frozen=True, eq=False)
class ExportRef:
    """An export of an instance node, usable as an argument or re-exported."""

    node: InstanceNode
    name: str


@dataclass(frozen=True, eq=False)
class ImportRef:
    """An outer import; its type is inferred from what it is passed to."""

    name: str


Source = ExportRef | ImportRef


@dataclass(eq=False)
class _Requirement:
    node: InstanceNode
    import_name: str
    type: Extern


class _ImportGroup:
    """One outer import, possibly feeding several inner imports of compatible names."""

    def __init__(self, key: str, explicit_name: str | None) -> None:
        self.key = key
        self.explicit_name = explicit_name
        self.requirements: list[_Requirement] = []
        self.resources: dict[tuple[str, ...], Resource] = {}
        self.type: Extern | None = None
        self.name = explicit_name or ""

    def merged_type(self) -> Extern:
        """The outer import's type, once `_finalize_group` chose it."""
        assert self.type is not None, f"outer import `{self.key}` was not finalized"
        return self.type

    def resource(self, path: tuple[str, ...]) -> Resource:
        if path not in self.resources:
            self.resources[path] = Resource(path[-1] if path else self.key, f"import `{self.key}`")
        return self.resources[path]


class CompositionGraph:
    """Components, instances and connections; `encode()` produces the composed component."""

    def __init__(self) -> None:
        self.packages: list[Package] = []
        self.nodes: list[InstanceNode] = []
        self.exports: dict[str, Source] = {}
        self._explicit_imports: dict[str, ImportRef] = {}
        # id(named type) -> (where it is exported, export path, the type kept alive)
        self._provenance: dict[int, tuple[Source, tuple[str, ...], DefinedType]] = {}
        self._resolved: _Resolution | None = None  # until the graph changes

    # -- building --------------------------------------------------------------------------
    def add_component(self, info: ComponentInfo, name: str | None = None) -> Package:
        self._resolved = None
        pkg = Package(name or info.name, info)
        self.packages.append(pkg)
        return pkg

    def instantiate(self, package: Package, name: str | None = None) -> InstanceNode:
        self._resolved = None
        node = InstanceNode(name or package.name, package)
        if any(n.name == node.name for n in self.nodes):
            node.name = f"{node.name}#{len(self.nodes)}"
        self.nodes.append(node)
        return node

    def import_(self, name: str) -> ImportRef:
        """An outer import named `name` (compatible implicit imports merge into it)."""
        ref = self._explicit_imports.get(name)
        if ref is None:
            self._resolved = None
            ref = self._explicit_imports[name] = ImportRef(name)
        return ref

    def export_of(self, node: InstanceNode, name: str) -> ExportRef:
        if name not in node.package.type.exports:
            raise NoSuchExport(node.name, name, list(node.package.type.exports))
        return ExportRef(node, name)

    def connect(self, node: InstanceNode, import_name: str, source: Source) -> None:
        """Satisfy `node`'s import `import_name` with `source`."""
        if import_name not in node.package.type.imports:
            raise NoSuchImport(node.name, import_name)
        if import_name in node.args:
            raise AlreadyConnected(node.name, import_name)
        self._resolved = None
        node.args[import_name] = source

    def export(self, source: Source, name: str) -> None:
        if name in self.exports:
            raise DuplicateExport(name)
        self._resolved = None
        self.exports[name] = source

    # -- resolving and encoding ------------------------------------------------------------
    def encode(self, *, implicit_imports: bool = True, skeletons: Collection[Package] = ()) -> bytes:
        """The composed component. Unconnected imports become outer imports when
        `implicit_imports`, else they are an error. The packages in `skeletons` are
        embedded as their type skeletons instead of their own bytes."""
        resolved = self._resolve(implicit_imports)
        return _Emitter(self, resolved.order, resolved.groups, skeletons).emit()

    def _resolve(self, implicit_imports: bool) -> _Resolution:
        """Resolve the graph (see the module docstring), or reuse the last resolution."""
        if self._resolved is not None and self._resolved.implicit_imports == implicit_imports:
            return self._resolved
        self._resolved = None
        order = self._topological_order()
        self._provenance = {}
        for node in order:
            node.sources, node.bindings, node.instance_type = {}, {}, None
        groups: dict[str, _ImportGroup] = {}
        for ref in self._explicit_imports.values():
            key = compat_key(ref.name)
            if key in groups and groups[key].explicit_name != ref.name:
                raise CompositionError(f"outer imports `{groups[key].explicit_name}` and `{ref.name}` "
                                       "are semver-compatible: use one name", import_name=ref.name)
            groups[key] = _ImportGroup(key, ref.name)
        for node in order:
            self._resolve_node(node, groups, implicit_imports)
        for group in groups.values():
            self._finalize_group(group)
        self._resolved = _Resolution(implicit_imports, order, groups)
        return self._resolved

    def _topological_order(self) -> list[InstanceNode]:
        order: list[InstanceNode] = []
        state: dict[int, int] = {}  # 1 = visiting, 2 = done
        path: list[InstanceNode] = []

        def visit(node: InstanceNode) -> None:
            mark = state.get(id(node))
            if mark == 2:
                return
            if mark == 1:
                cycle = path[path.index(node):] + [node]
                raise InstantiationCycle([n.name for n in cycle])
            state[id(node)] = 1
            path.append(node)
            for source in node.args.values():
                if isinstance(source, ExportRef):
                    visit(source.node)
            path.pop()
            state[id(node)] = 2
            order.append(node)

        for node in self.nodes:
            visit(node)
        for source in self.exports.values():
            if isinstance(source, ExportRef) and source.node not in self.nodes:
                raise CompositionError(f"export source `{source.node.name}` is not in this graph",
                                       node=source.node.name, export=source.name)
        return order

    def _resolve_node(self, node: InstanceNode, groups: dict[str, _ImportGroup],
                      implicit_imports: bool) -> None:
        ctype = node.package.type
        for import_name, required in ctype.imports.items():
            source = node.args.get(import_name)
            if source is None:
                if not implicit_imports:
                    raise UnsatisfiedImport(node.name, import_name)
                source = ImportRef(import_name)
            node.sources[import_name] = source
            if isinstance(source, ExportRef):
                provided = source.node.instance_type.exports[source.name]  # type: ignore[union-attr]
                try:
                    check(provided, required, node.bindings)
                except Mismatch as exc:
                    raise ImportMismatch(node.name, import_name, source.node.name, source.name,
                                         str(exc)) from None
            else:
                key = compat_key(source.name)
                group = groups.get(key)
                if group is None:
                    group = groups[key] = _ImportGroup(key, None)
                group.requirements.append(_Requirement(node, import_name, required))
                for path, res in sub_bindings(required):
                    node.bindings[res] = group.resource(path)
        exports = InstanceType(dict(ctype.exports))
        keep = set(ctype.imported)
        fresh = {r: Resource(r.name, f"`{node.name}`") for r in iter_resources(exports) if r not in keep}
        node.instance_type = Substitution({**node.bindings, **fresh})(exports)
        node.subst = Substitution(node.bindings)
        self._register_named_types(node, node.subst)

    def _finalize_group(self, group: _ImportGroup) -> None:
        """Pick the outer import's name and type and check every inner import it feeds.

        The name is the highest version asked for. The type is the first requirement
        (highest version first) that satisfies all the others; when none does, the
        highest one is widened with the exports only the others have.
        """
        reqs = group.requirements
        if not reqs:
            raise CompositionError(f"outer import `{group.explicit_name}` is not used by any instance",
                                   import_name=group.explicit_name)
        group.name = group.explicit_name or highest([r.import_name for r in reqs])
        ranked = sorted(reqs, key=lambda r: version_rank(r.import_name), reverse=True)
        for candidate in ranked:
            merged = candidate.node.subst(candidate.type)
            if all(_satisfies(merged, req) for req in reqs):
                group.type = merged
                return
        merged = ranked[0].node.subst(ranked[0].type)
        for req in ranked[1:]:
            if isinstance(merged, InstanceType) and isinstance(req.type, InstanceType):
                merged = self._widen(merged, req)
        for req in reqs:
            try:
                check(merged, req.type, dict(req.node.bindings))
            except Mismatch as exc:
                raise MergeConflict(group.name, req.node.name, req.import_name, str(exc)) from None
        group.type = merged

    def _widen(self, merged: InstanceType, req: _Requirement) -> InstanceType:
        """`merged` plus the exports only `req` has.

        The added items are rewritten so that named types `merged` also exports (same
        name and structure) become `merged`'s, and named types of other imports can be
        aliased; a function using an unnamed record would not validate.
        """
        extra = req.type
        assert isinstance(extra, InstanceType)
        missing = [n for n in extra.exports if n not in merged.exports]
        if not missing:
            return merged
        node = req.node
        replace: dict[int, Term] = {}
        for name, item in extra.exports.items():
            mine = merged.exports.get(name)
            if (isinstance(item, TypeItem) and item.bound == "eq" and isinstance(item.type, DefinedType)
                    and isinstance(mine, TypeItem) and isinstance(mine.type, DefinedType)
                    and equal(mine.type, item.type, node.bindings)
                    # an alias (`type pt = point`) is the same type: keep the one under its own name
                    and (id(item.type) not in replace or name == type_name(item.type))):
                replace[id(item.type)] = mine.type
        rewrite = Substitution(node.bindings, replace)
        self._register_named_types(node, rewrite)
        widened = dict(merged.exports)
        for name in missing:
            widened[name] = rewrite(extra.exports[name])
        return InstanceType(widened, list(merged.bound))

    def _register_named_types(self, node: InstanceNode, view: Substitution) -> None:
        """Remember where each named type `node`'s imports export can be aliased from."""
        for import_name, required in node.package.type.imports.items():
            for path, named in named_types(required):
                image = view(named)
                self._provenance.setdefault(id(image), (node.sources[import_name], path, image))


def _satisfies(merged: Extern, req: _Requirement) -> bool:
    try:
        check(merged, req.type, dict(req.node.bindings))
    except Mismatch:
        return False
    return True


@dataclass(frozen=True)
class _Resolution:
    """A resolved graph: instances in order and the outer imports, with their types."""

    implicit_imports: bool
    order: list[InstanceNode]
    groups: dict[str, _ImportGroup]


class _Emitter:
    """Writes the resolved graph: outer imports, embedded components, instances, exports."""

    def __init__(self, graph: CompositionGraph, order: list[InstanceNode],
                 groups: dict[str, _ImportGroup], skeletons: Collection[Package] = ()) -> None:
        self.graph = graph
        self.order = order
        self.groups = groups
        self.skeletons = {id(pkg) for pkg in skeletons}
        self.builder = ComponentBuilder()
        self.scope = TypeScope(self.builder.add_type, self._resource_index, self._named_index)
        self.scope.name_resources({group.name: group.merged_type() for group in groups.values()})
        self.group_index: dict[str, tuple[str, int]] = {}
        self.node_index: dict[int, int] = {}
        self.package_index: dict[int, int] = {}
        # where each resource can be aliased from: an outer import or an instance, and the path
        self.providers: dict[Resource, tuple[_ImportGroup | InstanceNode, tuple[str, ...]]] = {}
        self._emitting: set[int] = set()
        self._import_being_typed: _ImportGroup | None = None
        for group in groups.values():
            for path, res in group.resources.items():
                self.providers[res] = (group, path)
        for node in order:
            for export_name, item in node.instance_type.exports.items():  # type: ignore[union-attr]
                for path, res in resource_paths(item, (export_name,)):
                    self.providers.setdefault(res, (node, path))

    def emit(self) -> bytes:
        for group in self.groups.values():
            self._emit_group(group)
        for node in self.order:
            self._emit_node(node)
        for name, source in self.graph.exports.items():
            sort, index = self._source(source)
            self.builder.add_export(name, sort, index)
        return self.builder.finish()

    # -- resources -------------------------------------------------------------------------
    def _resource_index(self, res: Resource) -> int:
        provider = self.providers.get(res)
        if provider is None:
            raise CompositionError(f"resource `{res.name}` ({res.origin}) cannot be named in the "
                                   "composed component: it is neither imported nor exported by an instance",
                                   import_name=self._import_being_typed.name if self._import_being_typed else None)
        owner, path = provider
        typing = self._import_being_typed
        if isinstance(owner, InstanceNode) and typing is not None:
            raise CompositionError(
                f"outer import `{typing.name}` cannot be declared: its type uses resource "
                f"`{res.name}`, which `{owner.name}` defines (an import may only use imported "
                f"types); connect `{typing.name}` to an instance as well, or leave "
                f"`{path[0]}` to the host too", node=owner.name, import_name=typing.name, export=path[0])
        if isinstance(owner, _ImportGroup):
            _, index = self._emit_group(owner)
            if not path:
                return index
        else:
            index = self._emit_node(owner)
        return self.builder.alias_type_path(index, path)

    def _named_index(self, t: TypeDef) -> int | None:
        """A named type exported by an import or instance is aliased, not redefined."""
        found = self.graph._provenance.get(id(t))
        if found is None:
            return None
        source, path, _ = found
        if isinstance(source, ExportRef) and self._import_being_typed is not None:
            return None  # import types may only alias imported types: define it locally
        if isinstance(source, ImportRef):
            _, index = self._emit_group(self.groups[compat_key(source.name)])
        else:
            _, index = self._source(source)
        return self.builder.alias_type_path(index, path)

    # -- definitions -----------------------------------------------------------------------
    def _emit_group(self, group: _ImportGroup) -> tuple[str, int]:
        if group.key in self.group_index:
            return self.group_index[group.key]
        self._guard(group, group.name)
        item = group.merged_type()
        outer, self._import_being_typed = self._import_being_typed, group
        try:
            desc = self.scope.extern_desc(item)
        except CompositionError as exc:
            if exc.import_name is not None:
                raise
            raise exc.prefixed(f"outer import `{group.name}`: ", import_name=group.name) from None
        finally:
            self._import_being_typed = outer
        sort = extern_kind(item)
        index = self.builder.add_import(group.name, desc, sort)
        if isinstance(item, TypeItem):
            self.scope.remember(item.type, index, group.name)
        self.group_index[group.key] = (sort, index)
        self._emitting.discard(id(group))
        return sort, index

    def _emit_node(self, node: InstanceNode) -> int:
        if id(node) in self.node_index:
            return self.node_index[id(node)]
        self._guard(node, node.name)
        args = []
        for import_name in node.package.type.imports:
            sort, index = self._source(node.sources[import_name])
            args.append((import_name, sort, index))
        pkg = node.package
        if id(pkg) not in self.package_index:
            data = skeleton(pkg.type) if id(pkg) in self.skeletons else pkg.info.data
            self.package_index[id(pkg)] = self.builder.add_component(data)
        index = self.builder.add_instantiation(self.package_index[id(pkg)], args)
        self.node_index[id(node)] = index
        self._emitting.discard(id(node))
        return index

    def _guard(self, obj: _ImportGroup | InstanceNode, name: str) -> None:
        if id(obj) in self._emitting:
            what = {"node": name} if isinstance(obj, InstanceNode) else {"import_name": name}
            raise CompositionError(f"`{name}` depends on itself through the types of its imports", **what)
        self._emitting.add(id(obj))

    def _source(self, source: Source) -> tuple[str, int]:
        if isinstance(source, ImportRef):
            return self._emit_group(self.groups[compat_key(source.name)])
        node_index = self._emit_node(source.node)
        item = source.node.instance_type.exports[source.name]  # type: ignore[union-attr]
        sort = extern_kind(item)
        return sort, self.builder.alias_export(node_index, source.name, sort)
