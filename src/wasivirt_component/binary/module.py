"""Reading what matters about a core wasm module: imports, exports, memories.

Enough to decide how a module becomes a component (command or reactor, wasip1 or
wasip1-threads) and to describe it in `wasivirt inspect`; function bodies are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import BinaryFormatError
from .reader import Reader
from .sections import WasmKind, detect_kind, iter_sections

EXTERN_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
PREVIEW1 = "wasi_snapshot_preview1"


@dataclass(frozen=True, slots=True)
class Limits:
    minimum: int
    maximum: int | None
    shared: bool
    memory64: bool


@dataclass(frozen=True, slots=True)
class ModuleImport:
    module: str
    name: str
    kind: str
    memory: Limits | None = None
    type_index: int | None = None               # a function's type
    global_type: tuple[int, bool] | None = None  # a global's (value type code, mutable)


@dataclass(frozen=True, slots=True)
class ModuleExport:
    name: str
    kind: str
    index: int


@dataclass(slots=True)
class ModuleInfo:
    """The interface of a core module."""

    imports: list[ModuleImport] = field(default_factory=list)
    exports: list[ModuleExport] = field(default_factory=list)
    memories: list[Limits] = field(default_factory=list)
    has_start: bool = False
    custom_sections: list[str] = field(default_factory=list)

    @property
    def export_names(self) -> set[str]:
        return {e.name for e in self.exports}

    @property
    def is_command(self) -> bool:
        """A command exports `_start`; anything else is a reactor (library)."""
        return "_start" in self.export_names

    @property
    def preview1_functions(self) -> list[str]:
        return [i.name for i in self.imports if i.module == PREVIEW1 and i.kind == "func"]

    @property
    def shared_memory(self) -> bool:
        imported = [i.memory for i in self.imports if i.memory is not None]
        return any(m.shared for m in imported + self.memories)

    @property
    def imports_thread_spawn(self) -> bool:
        return any(i.module == "wasi" and i.name == "thread-spawn" for i in self.imports)


def read_limits(r: Reader) -> Limits:
    flags = r.u8()
    if flags & ~0x0F:
        raise r.error(f"unknown memory limits flags {flags:#x}")
    is64 = bool(flags & 0x04)
    minimum = r.u64() if is64 else r.u32()
    maximum = (r.u64() if is64 else r.u32()) if flags & 0x01 else None
    if flags & 0x08:
        r.u32()  # custom page size (log2)
    return Limits(minimum, maximum, bool(flags & 0x02), is64)


def read_reftype(r: Reader) -> None:
    code = r.u8()
    if code in (0x63, 0x64):
        r.s33()  # heap type
    elif code not in (0x70, 0x6F, 0x69, 0x6E, 0x6D, 0x6C, 0x6B, 0x6A, 0x71, 0x72, 0x73, 0x74):
        raise r.error(f"unknown reference type {code:#x}")


def read_core_valtype(r: Reader) -> None:
    code = r.peek()
    if code in (0x7F, 0x7E, 0x7D, 0x7C, 0x7B):
        r.u8()
    else:
        read_reftype(r)


def read_import_desc(r: Reader, module: str, name: str) -> ModuleImport:
    kind = r.u8()
    if kind == 0x00:
        return ModuleImport(module, name, "func", type_index=r.u32())
    if kind == 0x01:
        read_reftype(r)
        read_limits(r)
        return ModuleImport(module, name, "table")
    if kind == 0x02:
        return ModuleImport(module, name, "memory", read_limits(r))
    if kind == 0x03:
        valtype = r.peek()
        read_core_valtype(r)
        return ModuleImport(module, name, "global", global_type=(valtype, bool(r.u8())))
    if kind == 0x04:
        r.u8()
        r.u32()
        return ModuleImport(module, name, "tag")
    raise r.error(f"unknown import kind {kind:#x}")


def read_module(data: bytes | memoryview, what: str = "module") -> ModuleInfo:
    """Parse a core module's imports, exports, memories and start function."""
    view = data if isinstance(data, memoryview) else memoryview(data)
    if detect_kind(view, what) is not WasmKind.MODULE:
        raise BinaryFormatError(f"{what}: is a component, not a core module")
    info = ModuleInfo()
    for sec in iter_sections(view, 8, None, what):
        r = sec.reader(view, what)
        if sec.id == 0:
            info.custom_sections.append(r.name())
        elif sec.id == 2:
            for _ in range(r.count(3)):
                module = r.name()
                field_name = r.name()
                info.imports.append(read_import_desc(r, module, field_name))
        elif sec.id == 5:
            for _ in range(r.count(2)):
                info.memories.append(read_limits(r))
        elif sec.id == 7:
            for _ in range(r.count(3)):
                export_name = r.name()
                kind = r.u8()
                if kind not in EXTERN_KINDS:
                    raise r.error(f"unknown export kind {kind:#x}")
                info.exports.append(ModuleExport(export_name, EXTERN_KINDS[kind], r.u32()))
        elif sec.id == 8:
            r.u32()
            info.has_start = True
        elif sec.id > 13:
            raise r.error(f"unknown section id {sec.id}")
        if sec.id != 0 and sec.id in (2, 5, 7, 8) and not r.at_end():
            raise r.error(f"section {sec.id} has {r.remaining()} trailing bytes")
    return info
