"""A fast scan of a component's top-level imports and exports (names and sorts).

Only the import (id 10) and export (id 11) sections of the outermost component are
decoded; every other section, nested modules and components included, is skipped by its
size, so an 18 MB componentize-py output is scanned in microseconds. This is what
`inspect` and the OCI config need (compose's isolation check reads the full type, with
the reader in `compose/`).

Format (component-model `design/mvp/Binary.md`):

    import         ::= nameattributes externtype
    export         ::= nameattributes sortidx externtype?
    nameattributes ::= 0x00 len name | 0x01 len name | 0x02 len name vec(attribute)
    attribute      ::= 0x00 len interfacename | 0x01 len semversuffix | 0x02 name
    externtype     ::= 0x00 0x11 u32 | 0x01 u32 | 0x02 valuebound | 0x03 typebound
                     | 0x04 u32 | 0x05 u32
    sortidx        ::= sort u32,  sort ::= 0x00 core:sort | 0x01..0x05
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import names
from ..errors import NotAComponentError
from .reader import Reader
from .sections import WasmKind, detect_kind, iter_sections

IMPORT_SECTION = 10
EXPORT_SECTION = 11

# externtype / sort discriminants -> the names the text format uses
EXTERN_SORTS = {0x00: "module", 0x01: "func", 0x02: "value", 0x03: "type",
                0x04: "component", 0x05: "instance"}
CORE_SORTS = {0x00: "core func", 0x01: "core table", 0x02: "core memory",
              0x03: "core global", 0x04: "core tag", 0x10: "core type",
              0x11: "module", 0x12: "core instance"}


@dataclass(frozen=True, slots=True)
class ComponentExtern:
    """One top-level import or export of a component."""

    name: str
    sort: str            # "instance", "func", "type", "component", "module", "value", ...
    index: int           # type index (imports) or the exported item's index (exports)

    @property
    def parsed(self) -> names.InterfaceName | None:
        """The name taken apart (`names.parse`); None for a plain name."""
        return names.parse(self.name)

    @property
    def package(self) -> str | None:
        """`wasi:filesystem` for `wasi:filesystem/types@0.2.12`; None for a plain name."""
        parsed = self.parsed
        return parsed.package if parsed else None

    @property
    def interface(self) -> str | None:
        parsed = self.parsed
        return parsed.interface if parsed else None

    @property
    def version(self) -> str | None:
        parsed = self.parsed
        return parsed.version if parsed else None

    @property
    def namespace(self) -> str | None:
        parsed = self.parsed
        return parsed.namespace if parsed else None

    @property
    def is_wasi(self) -> bool:
        parsed = self.parsed
        return parsed is not None and parsed.is_wasi


@dataclass(frozen=True, slots=True)
class ComponentExterns:
    """The outermost component's imports and exports, in binary order."""

    imports: tuple[ComponentExtern, ...]
    exports: tuple[ComponentExtern, ...]


def _name_attributes(r: Reader) -> str:
    tag = r.u8()
    if tag not in (0x00, 0x01, 0x02):
        raise r.error(f"unknown import/export name tag {tag:#x}")
    name = r.name()
    if tag == 0x02:
        for _ in range(r.count(2)):
            kind = r.u8()
            if kind not in (0x00, 0x01, 0x02):
                raise r.error(f"unknown name attribute {kind:#x}")
            r.name()
    return name


def _extern_type(r: Reader) -> tuple[str, int]:
    """(sort, type index) of an externtype; bounds without an index give -1."""
    tag = r.u8()
    if tag == 0x00:
        core = r.u8()
        if core != 0x11:
            raise r.error(f"core extern type {core:#x} is not a module")
        return "module", r.u32()
    if tag in (0x01, 0x04, 0x05):
        return EXTERN_SORTS[tag], r.u32()
    if tag == 0x02:  # valuebound: eq valueidx | valtype
        bound = r.u8()
        if bound == 0x00:
            return "value", r.u32()
        if bound == 0x01:
            valtype = r.s33()  # negative: a primitive type, which has no index
            return "value", valtype if valtype >= 0 else -1
        raise r.error(f"unknown value bound {bound:#x}")
    if tag == 0x03:  # typebound: eq typeidx | sub resource
        bound = r.u8()
        if bound == 0x00:
            return "type", r.u32()
        if bound == 0x01:
            return "type", -1
        raise r.error(f"unknown type bound {bound:#x}")
    raise r.error(f"unknown extern type {tag:#x}")


def _sort_idx(r: Reader) -> tuple[str, int]:
    sort = r.u8()
    if sort == 0x00:
        core = r.u8()
        if core not in CORE_SORTS:
            raise r.error(f"unknown core sort {core:#x}")
        return CORE_SORTS[core], r.u32()
    if sort in EXTERN_SORTS:
        return EXTERN_SORTS[sort], r.u32()
    raise r.error(f"unknown sort {sort:#x}")


def read_component_externs(data: bytes | memoryview, what: str = "component") -> ComponentExterns:
    """Scan the top-level import and export sections of a component binary.

    Raises `BinaryFormatError` (never IndexError & co.) on anything malformed that the
    scan touches; the contents of other sections are not validated.
    """
    view = data if isinstance(data, memoryview) else memoryview(data)
    if detect_kind(view, what) is not WasmKind.COMPONENT:
        raise NotAComponentError(what)
    imports: list[ComponentExtern] = []
    exports: list[ComponentExtern] = []
    for sec in iter_sections(view, 8, None, what):
        if sec.id == IMPORT_SECTION:
            r = sec.reader(view, what)
            for _ in range(r.count(3)):
                name = _name_attributes(r)
                sort, index = _extern_type(r)
                imports.append(ComponentExtern(name, sort, index))
        elif sec.id == EXPORT_SECTION:
            r = sec.reader(view, what)
            for _ in range(r.count(4)):
                name = _name_attributes(r)
                sort, index = _sort_idx(r)
                ascribed = r.u8()
                if ascribed == 0x01:
                    _extern_type(r)  # the optional ascribed type: same sort, no new info
                elif ascribed != 0x00:
                    raise r.error(f"bad optional export type flag {ascribed:#x}")
                exports.append(ComponentExtern(name, sort, index))
        else:
            continue
        if not r.at_end():
            raise r.error(f"section {sec.id} has {r.remaining()} trailing bytes")
    return ComponentExterns(tuple(imports), tuple(exports))
