"""The image component: a VFS image served by `wasivirt:vfs/image@0.1.0`.`read`.

Generated directly (no compiler): a core module whose memory is initialised by active data
segments holding the image (wasmtime turns them into a copy-on-write memory image, so an
instance costs no copy), plus a `read` function that clamps a request to the blob's bounds
and returns a pointer to a static (ptr, len) return area, lifted with `canon lift`:

    (component
      (core module ...)                                  ;; memory + "read"
      (core instance $i (instantiate 0))
      (alias core export $i "memory" (core memory))
      (alias core export $i "read" (core func))
      (type (list u8))
      (type (func (param "blob" u32) (param "offset" u64) (param "len" u32) (result 0)))
      (canon lift (core func 0) (memory 0) (func (type 1)))
      (instance (export "read" (func 0)))
      (export "wasivirt:vfs/image@0.1.0" (instance 0)))
"""

from __future__ import annotations

from typing import Literal

from ..binary.core_encoder import I32, I64, KIND_FUNC, KIND_MEMORY, CoreModule, FuncType, Limits, op
from ..binary.encode import COMPONENT_PREAMBLE, name, section, section_header, uleb, vec
from ..binary.reader import Reader
from ..binary.sections import WasmKind, detect_kind, iter_sections
from ..errors import BinaryFormatError
from .format import HEADER, MAX_IMAGE_BYTES, TABLE_ENTRY, TABLE_OFFSET, ImageFormatError, decode_image

INTERFACE = "wasivirt:vfs/image@0.1.0"
PAGE = 65536
MAX_PAGES = 65536  # 4 GiB, the wasm32 limit
_HEADER_COUNT_OFFSET = 28  # u32 blob count inside the header (docs/image-format.md)

Segments = Literal["single", "per-blob"]


def _read_body(ret: int) -> bytes:
    """`read(blob i32, offset i64, len i32) -> i32`: locals 3 = table entry, 4 = size, 5 = avail.

    Returns `ret`, the address of (ptr, len): an empty list for an unknown blob or an
    offset at/after the end, else min(len, size - offset) bytes at blob + offset.
    """
    empty = (op.i32_const(ret) + op.i64_const(0) + op.i64_store()  # (ptr, len) = (0, 0)
             + op.i32_const(ret) + op.RETURN)
    return b"".join([
        # blob >= count: empty
        op.local_get(0), op.i32_const(0), op.i32_load(_HEADER_COUNT_OFFSET), op.I32_GE_U,
        op.if_(), empty, op.END,
        # entry = TABLE_OFFSET + blob * 8; size = entry.len
        op.local_get(0), op.i32_const(3), op.I32_SHL, op.i32_const(TABLE_OFFSET), op.I32_ADD,
        op.local_set(3),
        op.local_get(3), op.i32_load(4), op.local_set(4),
        # offset >= size (as u64): empty
        op.local_get(1), op.local_get(4), op.I64_EXTEND_I32_U, op.I64_GE_U,
        op.if_(), empty, op.END,
        # ret.ptr = entry.addr + offset   (offset < size < 2**32 here)
        op.i32_const(ret),
        op.local_get(3), op.i32_load(0), op.local_get(1), op.I32_WRAP_I64, op.I32_ADD,
        op.i32_store(0),
        # ret.len = min(len, size - offset)
        op.i32_const(ret),
        op.local_get(2),
        op.local_get(4), op.local_get(1), op.I32_WRAP_I64, op.I32_SUB, op.local_tee(5),
        op.local_get(2), op.local_get(5), op.I32_LT_U, op.SELECT,
        op.i32_store(4),
        op.i32_const(ret),
    ])


def build_image_module(image: bytes | memoryview, *, segments: Segments = "single") -> CoreModule:
    """The core module holding `image` (from `encode_image`) at address 0 and exporting
    `memory` and `read`. `segments="per-blob"` writes one data segment per stored blob
    instead of one for the whole image (same memory contents; kept for measurement)."""
    view = memoryview(image)
    if len(view) > MAX_IMAGE_BYTES:
        raise ImageFormatError(f"VFS image of {len(view)} bytes does not fit in a 4 GiB wasm32 memory")
    ret = (len(view) + 7) & ~7
    pages = max(1, -(-(ret + 8) // PAGE))
    module = CoreModule()
    memory = module.add_memory(Limits(pages, pages))
    read = module.add_func(FuncType((I32, I64, I32), (I32,)), _read_body(ret), locals=[(3, I32)])
    module.export("memory", KIND_MEMORY, memory)
    module.export("read", KIND_FUNC, read)
    if segments == "single":
        module.add_data(view, offset=0)
    elif segments == "per-blob":
        for address, data in _blob_segments(view):
            module.add_data(data, offset=address)
    else:
        raise ValueError(f"segments must be 'single' or 'per-blob', not {segments!r}")
    return module


def _blob_segments(view: memoryview) -> list[tuple[int, memoryview]]:
    """(address, bytes) per distinct non-empty blob, the header and table first."""
    decoded = decode_image(view)
    table_end = TABLE_OFFSET + TABLE_ENTRY.size * decoded.header.blob_count
    out = [(0, view[:table_end])]
    seen = set()
    for number in range(1, decoded.header.blob_count):
        address, length = TABLE_ENTRY.unpack_from(view, TABLE_OFFSET + TABLE_ENTRY.size * number)
        if length and address not in seen:
            seen.add(address)
            out.append((address, view[address:address + length]))
    return out


def _component_type_section() -> bytes:
    list_u8 = b"\x70\x7d"
    params = vec([name("blob") + b"\x79", name("offset") + b"\x77", name("len") + b"\x79"])
    func = b"\x40" + params + b"\x00" + uleb(0)  # result: type 0, the list
    return section(7, vec([list_u8, func]))


def build_image_component(image: bytes | memoryview, *, segments: Segments = "single") -> bytes:
    """The image component for `image` (the bytes `encode_image` returns).

    Exports `wasivirt:vfs/image@0.1.0` with `read(blob, offset, len) -> list<u8>`. The
    image bytes are copied once, into the returned binary. Raises `ImageFormatError` for
    an image too large for a 4 GiB memory.
    """
    module_parts, module_size = build_image_module(image, segments=segments).encode_parts()
    core_instance = section(2, vec([b"\x00" + uleb(0) + vec([])]))  # instantiate module 0
    aliases = section(6, vec([
        b"\x00\x02" + b"\x01" + uleb(0) + name("memory"),  # core memory 0
        b"\x00\x00" + b"\x01" + uleb(0) + name("read"),  # core func 0
    ]))
    canon = section(8, vec([b"\x00\x00" + uleb(0) + vec([b"\x03" + uleb(0)]) + uleb(1)]))
    instance = section(5, vec([b"\x01" + vec([b"\x00" + name("read") + b"\x01" + uleb(0)])]))
    export = section(11, vec([b"\x00" + name(INTERFACE) + b"\x05" + uleb(0) + b"\x00"]))
    return b"".join([COMPONENT_PREAMBLE, section_header(1, module_size), *module_parts,
                     core_instance, aliases, _component_type_section(), canon, instance, export])


def image_from_component(component: bytes | memoryview) -> bytes:
    """The image inside an image component we built (its memory's initial contents)."""
    view = memoryview(component)
    what = "image component"
    if detect_kind(view, what) is not WasmKind.COMPONENT:
        raise BinaryFormatError(f"{what}: is a core module, not a component")
    module = next((s for s in iter_sections(view, 8, None, what) if s.id == 1), None)
    if module is None:
        raise BinaryFormatError(f"{what}: has no core module")
    memory = bytearray()
    for sec in iter_sections(view, module.start + 8, module.end, what):
        if sec.id != 11:
            continue
        r = Reader(view, sec.start, sec.end, what)
        for _ in range(r.count(3)):
            if r.u8() != 0x00 or r.u8() != 0x41:
                raise r.error("expected an active data segment at an i32.const address")
            address = r.s32() & 0xFFFFFFFF
            if r.u8() != 0x0B:
                raise r.error("expected the end of a data segment offset")
            data = r.take(r.u32())
            if len(memory) < address + len(data):
                memory.extend(bytes(address + len(data) - len(memory)))
            memory[address:address + len(data)] = data
    if len(memory) < HEADER.size:
        raise BinaryFormatError(f"{what}: holds no VFS image")
    count = int.from_bytes(memory[_HEADER_COUNT_OFFSET:_HEADER_COUNT_OFFSET + 4], "little")
    table_end = TABLE_OFFSET + TABLE_ENTRY.size * count
    if table_end > len(memory):
        raise BinaryFormatError(f"{what}: its blob table runs past its data")
    end = max([table_end] + [sum(e) for e in TABLE_ENTRY.iter_unpack(memory[TABLE_OFFSET:table_end])])
    return bytes(memory[:end])
