"""Telling modules from components and walking their sections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from ..errors import BinaryFormatError
from .reader import Reader

MAGIC = b"\x00asm"


class WasmKind(StrEnum):
    MODULE = "module"
    COMPONENT = "component"


def detect_kind(data: bytes | memoryview, what: str = "input") -> WasmKind:
    """Module or component, from the 8-byte preamble; anything else is an error."""
    head = bytes(data[:8])
    if len(head) < 8 or head[:4] != MAGIC:
        if len(head) >= 4 and head[:4] == MAGIC:
            raise BinaryFormatError(f"{what}: truncated wasm header ({len(data)} bytes)")
        raise BinaryFormatError(f"{what}: not a WebAssembly file (bad magic number)")
    version = int.from_bytes(head[4:6], "little")
    layer = int.from_bytes(head[6:8], "little")
    if layer == 0 and version == 1:
        return WasmKind.MODULE
    if layer == 1:
        if version != 0x0D:
            raise BinaryFormatError(
                f"{what}: component binary version {version:#x} is not supported (expected 0xd)")
        return WasmKind.COMPONENT
    raise BinaryFormatError(f"{what}: unknown wasm version {version:#x} / layer {layer}")


@dataclass(frozen=True, slots=True)
class Section:
    """A section's id and the byte range of its payload within the whole binary."""

    id: int
    start: int
    end: int

    def reader(self, data: memoryview, what: str) -> Reader:
        return Reader(data, self.start, self.end, what)


def iter_sections(data: memoryview, start: int = 8, end: int | None = None,
                  what: str = "wasm binary") -> Iterator[Section]:
    """Each top-level section of the binary in [start, end), without copying payloads."""
    r = Reader(data, start, end, what)
    while not r.at_end():
        section_id = r.u8()
        size = r.u32()
        if size > r.remaining():
            raise r.error(f"section {section_id} of {size} bytes runs past the end "
                          f"({r.remaining()} bytes left; the file is truncated)")
        yield Section(section_id, r.pos, r.pos + size)
        r.pos += size
