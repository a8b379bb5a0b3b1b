"""Putting a VFS image into a built virtualizer: the image lives in the virtualizer's memory.

No compiler runs per spec. The virtualizer's main core module gets two more active data
segments: the image itself, and at `__heap_base` a 32-byte record (`WVSP`, version, image
address, image size, first heap byte) that `c/image.c` reads. Its memory's minimum grows to
hold both; the heap starts after the image. Everything else in the component is kept byte
for byte. wasmtime maps the data segments copy-on-write, so a fresh instance costs no copy
of the image, and a file read hands the child a pointer into it (one component boundary).
A fused virtualizer's memory is a module of its own instead (`image_memory_module`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..binary.core_encoder import KIND_MEMORY, CoreModule, Limits, op
from ..binary.encode import COMPONENT_PREAMBLE, MODULE_PREAMBLE, section_header, uleb
from ..binary.module import read_module
from ..binary.reader import Reader
from ..binary.sections import iter_sections
from ..errors import BinaryFormatError, ToolchainError
from .names import FUSED_MEMORY_IMPORT

SPLICE_RECORD = struct.Struct("<IIIIIIII")  # magic, version, image addr, size, heap start, 3 reserved
SPLICE_MAGIC = 0x50535657  # "WVSP"
SPLICE_VERSION = 1
PAGE = 65536
MAX_MEMORY = 1 << 32
HEAP_BASE = "__heap_base"

_SEC_MEMORY, _SEC_GLOBAL, _SEC_EXPORT, _SEC_DATA, _SEC_DATACOUNT = 5, 6, 7, 11, 12
_CORE_MODULE_SECTION = 1


@dataclass(frozen=True)
class Layout:
    """Where the splice puts things in the virtualizer's memory."""

    record: int       # address of the splice record (= __heap_base)
    image: int        # address of the image
    heap: int         # first byte the allocator may use
    pages: int        # the memory's new minimum


def layout(heap_base: int, image_size: int) -> Layout:
    image = (heap_base + SPLICE_RECORD.size + 15) & ~15
    heap = (image + image_size + 15) & ~15
    if heap + PAGE > MAX_MEMORY:
        raise BinaryFormatError(f"a VFS image of {image_size} bytes does not fit in a 4 GiB "
                                "wasm32 memory next to the virtualizer")
    return Layout(heap_base, image, heap, -(-(heap + PAGE) // PAGE))


def splice_image(virtualizer: bytes | memoryview, image: bytes | memoryview) -> bytes:
    """The virtualizer component with `image` (from `encode_image`) in its memory."""
    view = memoryview(virtualizer)
    what = "virtualizer"
    parts: list[bytes | memoryview] = [view[:8]]
    spliced = False
    for sec in iter_sections(view, 8, None, what):
        body = view[sec.start:sec.end]
        if sec.id == _CORE_MODULE_SECTION and not spliced and _is_main_module(body):
            module_parts = _splice_module(body, memoryview(image))
            size = sum(len(p) for p in module_parts)
            parts += [section_header(_CORE_MODULE_SECTION, size), *module_parts]
            spliced = True
        else:
            parts += [section_header(sec.id, len(body)), body]
    if bytes(view[:8]) != COMPONENT_PREAMBLE or not spliced:
        raise ToolchainError("the built virtualizer has no module exporting memory and "
                             f"{HEAP_BASE}; delete the virtualizer cache and retry")
    return b"".join(parts)


def image_memory_module(code: bytes | memoryview, image: bytes | memoryview | None = None) -> bytes:
    """The image memory module's bytes (see `image_memory_parts`)."""
    return b"".join(image_memory_parts(code, image))


def image_memory_parts(code: bytes | memoryview, image: bytes | memoryview | None = None,
                       ) -> list[bytes | memoryview]:
    """The memory of a fused virtualizer, as the pieces of its binary: a core module
    defining and exporting `memory`,
    with `image` and its splice record (at `__heap_base` of `code`, the fused core module
    from `build.fused_core_module`, which imports this memory) as data segments.

    Why a module of its own: wasmtime initialises a memory copy-on-write only from the
    segments of the module that defines it; the code module imports its memory, so segments
    of its own would be copied at every instantiation (its few KiB of static data are)."""
    view = memoryview(code)
    limits = next((i.memory for i in read_module(view, "fused virtualizer").imports
                   if (i.module, i.name) == FUSED_MEMORY_IMPORT and i.memory is not None), None)
    if limits is None or HEAP_BASE not in _exports(view):
        raise ToolchainError("the fused virtualizer core module imports no memory or exports no "
                             f"{HEAP_BASE}; delete the virtualizer cache and retry")
    m = CoreModule()
    pages = limits.minimum
    if image is not None:
        where = layout(_heap_base(view, _exports(view)[HEAP_BASE][1]), len(image))
        pages = max(pages, where.pages)
        m.add_data(_record(where, len(image)), offset=where.record)
        m.add_data(image, offset=where.image)
    m.export("memory", KIND_MEMORY, m.add_memory(Limits(pages, limits.maximum)))
    parts = m.encode_parts()[0]  # the image itself stays a view: joined once, by the container
    return [memoryview(p) if isinstance(p, bytearray) else p for p in parts]


def _exports(module: memoryview) -> dict[str, tuple[int, int]]:
    """name -> (kind, index) of a core module's exports."""
    out: dict[str, tuple[int, int]] = {}
    for sec in iter_sections(module, 8, None, "virtualizer core module"):
        if sec.id == _SEC_EXPORT:
            r = Reader(module, sec.start, sec.end, "virtualizer exports")
            for _ in range(r.count(3)):
                name = r.name()
                kind = r.u8()
                out[name] = (kind, r.u32())
    return out


def _is_main_module(module: memoryview) -> bool:
    if bytes(module[:8]) != MODULE_PREAMBLE:
        return False
    exports = _exports(module)
    return exports.get("memory", (None,))[0] == 2 and exports.get(HEAP_BASE, (None,))[0] == 3


def _heap_base(module: memoryview, global_index: int) -> int:
    for sec in iter_sections(module, 8, None, "virtualizer core module"):
        if sec.id == _SEC_GLOBAL:
            r = Reader(module, sec.start, sec.end, "virtualizer globals")
            for i in range(r.count(3)):
                r.u8()  # value type
                r.u8()  # mutability
                opcode = r.u8()
                value = r.s32() if opcode == 0x41 else None
                if r.u8() != 0x0B:
                    raise r.error("expected a constant global initializer")
                if i == global_index:
                    if value is None:
                        raise r.error(f"{HEAP_BASE} is not an i32.const")
                    return value & 0xFFFFFFFF
    raise BinaryFormatError(f"virtualizer core module: global {global_index} ({HEAP_BASE}) not found")


def _record(where: Layout, image_size: int) -> bytes:
    """The splice record `c/image.c` looks for at `__heap_base`."""
    return SPLICE_RECORD.pack(SPLICE_MAGIC, SPLICE_VERSION, where.image, image_size, where.heap, 0, 0, 0)


def _active_segment(address: int, data: bytes | memoryview) -> list[bytes | memoryview]:
    """An active data segment of memory 0 at a constant address."""
    return [b"\x00" + op.i32_const(address) + op.END + uleb(len(data)), data]


def _splice_module(module: memoryview, image: memoryview) -> list[bytes | memoryview]:
    """The module's bytes with the image and its record added (as parts, not joined)."""
    kind, index = _exports(module)[HEAP_BASE]
    where = layout(_heap_base(module, index), len(image))
    segments = [_active_segment(where.record, _record(where, len(image))), _active_segment(where.image, image)]
    parts: list[bytes | memoryview] = [module[:8]]
    wrote_data = False
    for sec in iter_sections(module, 8, None, "virtualizer core module"):
        body: bytes | memoryview = module[sec.start:sec.end]
        if sec.id == _SEC_MEMORY:
            body = _memory_section(body, where.pages)
        elif sec.id == _SEC_DATACOUNT:
            r = Reader(body, 0, None, "virtualizer data count")
            body = uleb(r.u32() + len(segments))
        elif sec.id == _SEC_DATA:
            r = Reader(body, 0, None, "virtualizer data")
            count = r.u32()
            payload = [uleb(count + len(segments)), body[r.pos:], *[p for s in segments for p in s]]
            parts += [section_header(_SEC_DATA, sum(len(p) for p in payload)), *payload]
            wrote_data = True
            continue
        parts += [section_header(sec.id, len(body)), body]
    if not wrote_data:
        raise ToolchainError("the built virtualizer has no data section; delete the virtualizer "
                             "cache and retry")
    return parts


def _memory_section(body: bytes | memoryview, pages: int) -> bytes:
    r = Reader(body, 0, None, "virtualizer memory")
    if r.u32() != 1:
        raise r.error("expected exactly one memory")
    flags = r.u8()
    minimum = r.u32()
    maximum = r.u32() if flags & 1 else None
    if flags & ~1:
        raise r.error(f"unsupported memory flags {flags:#x}")
    pages = max(pages, minimum)
    if maximum is not None and pages > maximum:
        raise BinaryFormatError(f"the VFS image needs {pages} pages, the virtualizer allows {maximum}")
    limits = (b"\x01" + uleb(pages) + uleb(maximum)) if maximum is not None else (b"\x00" + uleb(pages))
    return uleb(1) + limits
