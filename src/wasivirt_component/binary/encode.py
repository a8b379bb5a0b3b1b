"""Encoding primitives shared by the module and component encoders."""

from __future__ import annotations

from collections.abc import Iterable

MODULE_PREAMBLE = b"\x00asm\x01\x00\x00\x00"
COMPONENT_PREAMBLE = b"\x00asm\x0d\x00\x01\x00"


def uleb(value: int) -> bytes:
    """Unsigned LEB128."""
    if value < 0:
        raise ValueError(f"uleb of negative value {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    """Signed LEB128."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def name(text: str) -> bytes:
    """A length-prefixed UTF-8 string."""
    raw = text.encode("utf-8")
    return uleb(len(raw)) + raw


def vec(items: Iterable[bytes]) -> bytes:
    """A length-prefixed vector of already-encoded items."""
    items = list(items)
    return uleb(len(items)) + b"".join(items)


def section(section_id: int, payload: bytes) -> bytes:
    """One section: id, size, payload."""
    return bytes([section_id]) + uleb(len(payload)) + payload


def section_header(section_id: int, payload_size: int) -> bytes:
    """The id and size of a section whose (large) payload is written separately."""
    return bytes([section_id]) + uleb(payload_size)
