"""What a wasm file is and what it can reach: the data behind `wasivirt inspect`.

`component_wit` is the `--wit` view: the component's world in WIT, from wasm-tools.

The report is plain data (dataclasses + a stable JSON form, schema in
docs/inspect-json.md); `inspect_view.py` renders it for humans. Keeping them apart lets
the report grow without touching the rendering. It is read from the top-level import and
export sections only (`binary/component_externs.py`), so large components are inspected
at once; "host filesystem" means the same as compose's isolation check
(`names.is_filesystem`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from . import names, toolchain
from .artifact import MountRecord, read_artifact
from .binary.component_externs import ComponentExtern, read_component_externs
from .binary.module import PREVIEW1, read_module
from .binary.sections import WasmKind, detect_kind
from .errors import NotAComponentError
from .fsutil import read_input

JSON_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class ExternReport:
    """A component import or export, with its name split into package/interface/version."""

    name: str
    sort: str
    package: str | None
    interface: str | None
    version: str | None

    @property
    def is_wasi(self) -> bool:
        return bool(self.package and self.package.startswith("wasi:"))

    @classmethod
    def of(cls, extern: ComponentExtern) -> ExternReport:
        return cls(extern.name, extern.sort, extern.package, extern.interface, extern.version)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sort": self.sort, "package": self.package,
                "interface": self.interface, "version": self.version, "wasi": self.is_wasi}


@dataclass(frozen=True, slots=True)
class ModuleReport:
    """A core module: how it would be adapted."""

    role: Literal["command", "reactor"]
    wasi: Literal["preview1", "preview0"] | None
    preview1_imports: tuple[str, ...]
    other_imports: tuple[tuple[str, str, str], ...]   # (module, name, kind)
    exports: tuple[tuple[str, str], ...]              # (name, kind)
    shared_memory: bool
    thread_spawn: bool

    @property
    def threads(self) -> bool:
        """wasip1-threads: cannot become a component."""
        return self.shared_memory or self.thread_spawn

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "wasi": self.wasi,
            "threads": self.threads,
            "shared_memory": self.shared_memory,
            "thread_spawn": self.thread_spawn,
            "preview1_imports": list(self.preview1_imports),
            "other_imports": [{"module": m, "name": n, "kind": k} for m, n, k in self.other_imports],
            "exports": [{"name": n, "kind": k} for n, k in self.exports],
        }


@dataclass(frozen=True, slots=True)
class ComponentReport:
    """A component: its world and what it imports from the host."""

    world: Literal["command", "http-handler", "library"]
    imports: tuple[ExternReport, ...]
    exports: tuple[ExternReport, ...]
    mounts: tuple[MountRecord, ...] = ()  # host mounts a wasivirt composition records
    link: str | None = None               # how wasivirt linked its virtualizer (None: not ours)

    @property
    def wasi_versions(self) -> tuple[str, ...]:
        """Distinct WASI versions named by imports and exports, oldest first."""
        versions = {e.version for e in self.imports + self.exports if e.is_wasi and e.version}
        return tuple(names.version_order(versions))

    @property
    def filesystem_imports(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.imports if names.is_filesystem(e.name))

    @property
    def host_filesystem(self) -> bool:
        """Whether the host's filesystem is reachable: any `wasi:filesystem` import."""
        return bool(self.filesystem_imports)

    def to_json(self) -> dict[str, Any]:
        return {
            "world": self.world,
            "wasi_versions": list(self.wasi_versions),
            "host_filesystem": self.host_filesystem,
            "filesystem_imports": list(self.filesystem_imports),
            "mounts": [m.to_json() for m in self.mounts],
            "link": self.link,
            "imports": [e.to_json() for e in self.imports],
            "exports": [e.to_json() for e in self.exports],
        }


@dataclass(frozen=True, slots=True)
class InspectReport:
    """Everything `wasivirt inspect` says about one file."""

    file: str
    size: int
    kind: Literal["module", "component"]
    module: ModuleReport | None = None
    component: ComponentReport | None = None

    def to_json(self) -> dict[str, Any]:
        """The documented, stable JSON form (docs/inspect-json.md)."""
        return {
            "schema": JSON_SCHEMA_VERSION,
            "file": self.file,
            "size": self.size,
            "kind": self.kind,
            "module": self.module.to_json() if self.module else None,
            "component": self.component.to_json() if self.component else None,
        }


def inspect_module(data: bytes, what: str = "module") -> ModuleReport:
    info = read_module(data, what)
    modules = {i.module for i in info.imports}
    wasi: Literal["preview1", "preview0"] | None = (
        "preview1" if PREVIEW1 in modules else "preview0" if "wasi_unstable" in modules else None)
    return ModuleReport(
        role="command" if info.is_command else "reactor",
        wasi=wasi,
        preview1_imports=tuple(info.preview1_functions),
        other_imports=tuple((i.module, i.name, i.kind) for i in info.imports
                            if not (i.module == PREVIEW1 and i.kind == "func")),
        exports=tuple((e.name, e.kind) for e in info.exports),
        shared_memory=info.shared_memory,
        thread_spawn=info.imports_thread_spawn,
    )


def _world(exports: tuple[ExternReport, ...]) -> Literal["command", "http-handler", "library"]:
    if any(names.base_name(e.name) == names.RUN_INTERFACE for e in exports):
        return "command"
    if any(names.base_name(e.name) == names.HTTP_HANDLER_INTERFACE for e in exports):
        return "http-handler"
    return "library"


def inspect_component(data: bytes, what: str = "component") -> ComponentReport:
    externs = read_component_externs(data, what)
    imports = tuple(ExternReport.of(e) for e in externs.imports)
    exports = tuple(ExternReport.of(e) for e in externs.exports)
    record = read_artifact(data, what)
    return ComponentReport(world=_world(exports), imports=imports, exports=exports,
                           mounts=record.mounts if record else (), link=record.link if record else None)


def inspect_bytes(data: bytes, file: str = "input") -> InspectReport:
    """Report on wasm bytes; malformed input raises a one-line `BinaryFormatError`."""
    if detect_kind(data, file) is WasmKind.MODULE:
        return InspectReport(file, len(data), "module", module=inspect_module(data, file))
    return InspectReport(file, len(data), "component", component=inspect_component(data, file))


def component_wit(data: bytes, what: str = "component") -> str:
    """The component's WIT world (and the packages it uses), as `wasm-tools component wit`
    prints it: exactly what a composed app imports and exports, in WIT.

    A core module is refused naming `wasivirt adapt`; malformed bytes are the scanner's
    one-line `BinaryFormatError` before wasm-tools sees them.
    """
    if detect_kind(data, what) is WasmKind.MODULE:
        raise NotAComponentError(what, then="inspect app.wasm --wit")
    read_component_externs(data, what)  # the scanner's message for truncated or garbled bytes
    proc = toolchain.run_tool([toolchain.wasm_tools(), "component", "wit"], input=data,
                              what=f"{what}: printing its WIT with wasm-tools")
    return proc.stdout


def wit_file(path: str | os.PathLike[str], label: str | None = None) -> str:
    """`component_wit` of a file; `label` names it in messages (default: the path)."""
    return component_wit(read_input(path, "wasm"), label or os.fspath(path))


def inspect_file(path: str | os.PathLike[str], label: str | None = None) -> InspectReport:
    """Report on a file; `label` is the report's `file` (default: the path)."""
    return inspect_bytes(read_input(path, "wasm"), label or os.fspath(path))
