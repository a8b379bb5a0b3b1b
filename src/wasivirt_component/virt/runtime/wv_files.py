"""File contents: positional reads and writes, and the stream objects built on them.

Reads of an unmodified file go straight to the image (one `read` import call, no
caching, no extra copy); a written file is served from its private bytearray. These are
the hot paths of the whole virtualizer, so they are kept flat.
"""

from __future__ import annotations

from wv_errors import FILE_TOO_LARGE, INSUFFICIENT_MEMORY, IO, FsError
from wv_tree import File, Tree

MAX_READ = 1 << 22        # bytes returned by one read call at most (a short read is legal)
MAX_FILE_SIZE = 1 << 31   # files live in a wasm32 memory: refuse to grow past 2 GiB


def read_at(tree: Tree, node: File, offset: int, length: int) -> bytes:
    """Up to `length` bytes at `offset`; empty at or past the end."""
    size = node.size
    if offset >= size or length <= 0:
        return b""
    if length > size - offset:
        length = size - offset
    if length > MAX_READ:
        length = MAX_READ
    data = node.data
    if data is None:
        chunk = tree.read(node.blob, offset, length)
        if not chunk:
            raise FsError(IO)  # the image is shorter than its listing says
        return chunk
    with memoryview(data) as view:
        return bytes(view[offset:offset + length])


def write_at(tree: Tree, node: File, offset: int, buf: bytes) -> int:
    """Write `buf` at `offset` (zero-filling a gap past the end); returns len(buf)."""
    end = offset + len(buf)
    if end > MAX_FILE_SIZE:
        raise FsError(FILE_TOO_LARGE)
    data = tree.contents(node)
    try:
        if offset > len(data):
            data.extend(bytes(offset - len(data)))
        data[offset:end] = buf
    except MemoryError:
        raise FsError(INSUFFICIENT_MEMORY) from None
    node.size = len(data)
    node.memo = None
    return len(buf)


def set_size(tree: Tree, node: File, size: int) -> None:
    """Truncate or zero-extend to `size` bytes."""
    if size > MAX_FILE_SIZE:
        raise FsError(FILE_TOO_LARGE)
    if size == 0:
        node.data = bytearray()  # no need to copy what is thrown away
    else:
        data = tree.contents(node)
        try:
            if size < len(data):
                del data[size:]
            else:
                data.extend(bytes(size - len(data)))
        except MemoryError:
            raise FsError(INSUFFICIENT_MEMORY) from None
    node.size = size
    node.memo = None


class FileReader:
    """An input stream over a file from an offset; `read` returns None at the end."""

    __slots__ = ("tree", "node", "pos")

    def __init__(self, tree: Tree, node: File, pos: int) -> None:
        self.tree = tree
        self.node = node
        self.pos = pos

    def read(self, length: int) -> bytes | None:
        node = self.node
        pos = self.pos
        size = node.size
        if pos >= size:
            return None
        if length > size - pos:
            length = size - pos
        if length > MAX_READ:
            length = MAX_READ
        if length <= 0:
            return b""
        data = node.data
        if data is None:
            chunk = self.tree.read(node.blob, pos, length)
            if not chunk:
                raise FsError(IO)
        else:
            with memoryview(data) as view:
                chunk = bytes(view[pos:pos + length])
        self.pos = pos + len(chunk)
        return chunk

    def skip(self, length: int) -> int | None:
        """Advance up to `length` bytes; None at the end."""
        size = self.node.size
        pos = self.pos
        if pos >= size:
            return None
        n = min(max(length, 0), size - pos)
        self.pos = pos + n
        return n


class FileWriter:
    """An output stream writing at a moving offset, or appending when `pos` is None."""

    __slots__ = ("tree", "node", "pos")

    def __init__(self, tree: Tree, node: File, pos: int | None) -> None:
        self.tree = tree
        self.node = node
        self.pos = pos

    def write(self, buf: bytes) -> None:
        if not buf:
            return
        pos = self.node.size if self.pos is None else self.pos
        write_at(self.tree, self.node, pos, buf)
        if self.pos is not None:
            self.pos = pos + len(buf)

    def write_zeroes(self, length: int) -> None:
        if length > MAX_FILE_SIZE:
            raise FsError(FILE_TOO_LARGE)
        self.write(bytes(length))
