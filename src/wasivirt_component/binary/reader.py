"""A bounds-checked cursor over wasm bytes.

Every read either succeeds or raises `BinaryFormatError`; nothing here can raise
IndexError, UnicodeDecodeError or struct.error, so readers built on it only ever fail
with our own error type (a property the tests check with mutated binaries).
"""

from __future__ import annotations

from ..errors import BinaryFormatError


class Reader:
    """Sequential reader of LEB128 integers, bytes and names over a byte range."""

    __slots__ = ("data", "pos", "end", "what")

    def __init__(self, data: bytes | memoryview, pos: int = 0, end: int | None = None,
                 what: str = "wasm binary") -> None:
        self.data = data if isinstance(data, memoryview) else memoryview(data)
        self.pos = pos
        self.end = len(self.data) if end is None else end
        self.what = what

    # -- basics ---------------------------------------------------------------------------
    def error(self, message: str) -> BinaryFormatError:
        """The one-line error; names read from the bytes may hold control characters, which
        are escaped so the message stays one line."""
        return BinaryFormatError(f"{self.what}: {_printable(message)} at byte offset {self.pos}")

    def at_end(self) -> bool:
        return self.pos >= self.end

    def remaining(self) -> int:
        return self.end - self.pos

    def u8(self) -> int:
        if self.pos >= self.end:
            raise self.error("unexpected end of data")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def peek(self) -> int:
        if self.pos >= self.end:
            raise self.error("unexpected end of data")
        return self.data[self.pos]

    def take(self, n: int) -> memoryview:
        """The next `n` bytes as a view (no copy)."""
        if n < 0 or self.pos + n > self.end:
            raise self.error(f"length {n} runs past the end of the data")
        view = self.data[self.pos:self.pos + n]
        self.pos += n
        return view

    def sub(self, n: int, what: str | None = None) -> Reader:
        """A reader limited to the next `n` bytes; this reader skips past them."""
        if n < 0 or self.pos + n > self.end:
            raise self.error(f"length {n} runs past the end of the data")
        child = Reader(self.data, self.pos, self.pos + n, what or self.what)
        self.pos += n
        return child

    # -- LEB128 ---------------------------------------------------------------------------
    def _uleb(self, bits: int) -> int:
        result = 0
        shift = 0
        while True:
            byte = self.u8()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
            if shift >= bits + 7:
                raise self.error(f"LEB128 integer too long for u{bits}")
        if result >> bits:
            raise self.error(f"LEB128 integer out of range for u{bits}")
        return result

    def _sleb(self, bits: int) -> int:
        result = 0
        shift = 0
        while True:
            byte = self.u8()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
            if shift >= bits + 7:
                raise self.error(f"LEB128 integer too long for s{bits}")
        if byte & 0x40:
            result -= 1 << shift
        if not -(1 << (bits - 1)) <= result < (1 << (bits - 1)):
            raise self.error(f"LEB128 integer out of range for s{bits}")
        return result

    def u32(self) -> int:
        return self._uleb(32)

    def u64(self) -> int:
        return self._uleb(64)

    def s32(self) -> int:
        return self._sleb(32)

    def s33(self) -> int:
        return self._sleb(33)

    def s64(self) -> int:
        return self._sleb(64)

    def count(self, min_item_size: int = 1) -> int:
        """A vector length, rejected early when it cannot fit in the remaining bytes."""
        n = self.u32()
        if n * min_item_size > self.remaining():
            raise self.error(f"vector of {n} items cannot fit in {self.remaining()} bytes")
        return n

    def name(self) -> str:
        n = self.u32()
        raw = self.take(n)
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise self.error("name is not valid UTF-8") from None


def _printable(text: str) -> str:
    """`text` with control characters written as escapes (`\\n`, `\\x01`)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
