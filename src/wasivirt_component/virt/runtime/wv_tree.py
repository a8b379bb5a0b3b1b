"""The virtual tree: nodes decoded lazily from the image, modified copy-on-write in memory.

A directory's listing is read the first time a path goes through it, and an entry becomes
a node object only when it is looked up (until then it stays the raw tuple the listing
gave), so opening one file in a directory of thousands costs one listing read and one
node. Writes to a file copy its image bytes into a private `bytearray` first; nothing is
ever written back to the image.
"""

from __future__ import annotations

from wv_errors import ACCESS, INSUFFICIENT_MEMORY, IO, NO_ENTRY, READ_ONLY, FsError
from wv_image import (HEADER, KIND_DIRECTORY, KIND_FILE, KIND_MOUNT, KIND_SYMLINK, KIND_TMP,
                      Header, parse_header, parse_listing, read_all)

# wasi:filesystem/types descriptor-type values.
TYPE_UNKNOWN = 0
TYPE_DIRECTORY = 3
TYPE_SYMLINK = 5
TYPE_REGULAR = 6
KIND_TYPES = {KIND_DIRECTORY: TYPE_DIRECTORY, KIND_FILE: TYPE_REGULAR,
              KIND_SYMLINK: TYPE_SYMLINK, KIND_MOUNT: TYPE_DIRECTORY, KIND_TMP: TYPE_DIRECTORY}

# Bytes per image read when copying a whole file for writing.
COPY_CHUNK = 1 << 20


class Node:
    """Common to every node: inode number, own read-only flag, timestamps (None = image's)
    and link count (1 in the image; hard links made at run time raise it).

    `memo` belongs to the binding layer (it caches the converted stat record there);
    the core resets it to None whenever anything `stat` reports changes (`Tree.changed`).
    """

    __slots__ = ("ino", "read_only", "times", "links", "memo")
    dtype = TYPE_UNKNOWN

    def __init__(self, ino: int, read_only: bool) -> None:
        self.ino = ino
        self.read_only = read_only
        self.times = None
        self.links = 1
        self.memo = None


class File(Node):
    """A regular file: image blob `blob` until first written, then `data`."""

    __slots__ = ("blob", "size", "data")
    dtype = TYPE_REGULAR

    def __init__(self, ino: int, read_only: bool, blob: int | None, size: int) -> None:
        super().__init__(ino, read_only)
        self.blob = blob
        self.size = size
        self.data = None if blob is not None else bytearray()


class Symlink(Node):
    """A symbolic link; its target is read from the image on first use."""

    __slots__ = ("blob", "size", "_target")
    dtype = TYPE_SYMLINK

    def __init__(self, ino: int, read_only: bool, blob: int | None, size: int,
                 target: str | None = None) -> None:
        super().__init__(ino, read_only)
        self.blob = blob
        self.size = size
        self._target = target


class Mount(Node):
    """A reserved kind (4 host mount, 5 tmp directory): listed as a directory, but
    traversing or opening it is `unsupported` until the format defines it."""

    __slots__ = ("blob",)
    dtype = TYPE_DIRECTORY

    def __init__(self, ino: int, read_only: bool, blob: int) -> None:
        super().__init__(ino, read_only)
        self.blob = blob


class Dir(Node):
    """A directory; `entries` maps names to nodes or to undecoded listing tuples."""

    __slots__ = ("blob", "parent", "count", "_entries", "gone")
    dtype = TYPE_DIRECTORY

    def __init__(self, ino: int, read_only: bool, blob: int | None, parent: Dir | None,
                 count: int | None = None) -> None:
        super().__init__(ino, read_only)
        self.blob = blob
        self.parent = parent
        self.count = count  # entry count from the parent's listing, until decoded
        self._entries = None if blob is not None else {}
        self.gone = False  # removed: still usable through open descriptors, but frozen empty

    def size(self, tree: Tree) -> int:
        """Number of entries (stat size), without decoding the listing when known."""
        entries = self._entries
        if entries is not None:
            return len(entries)
        if self.count is not None:
            return self.count
        return len(tree.entries(self))


class Tree:
    """One instance's view of the image: lazy decoding plus in-memory changes."""

    def __init__(self, read) -> None:
        """`read(blob, offset, len) -> bytes` serves the image (the component import)."""
        self.read = read
        self._header: Header | None = None
        self._root: Dir | None = None
        self._next_ino = 0
        self.default_times: tuple = ()  # set with the header; every node exists after it
        # Bumped by every change to any directory's entries: cached lookups compare it.
        self.generation = 0
        self.last_lookup: tuple | None = None  # (base, path, follow, generation, node)

    # -- header-derived state ----------------------------------------------------------
    @property
    def header(self) -> Header:
        header = self._header
        if header is None:
            header = self._header = parse_header(self.read(0, 0, HEADER.size))
            self._next_ino = header.blob_count
            stamp = (header.seconds, header.nanoseconds)
            self.default_times = (stamp, stamp, stamp)
        return header

    @property
    def read_only(self) -> bool:
        return self.header.read_only

    @property
    def root(self) -> Dir:
        root = self._root
        if root is None:
            header = self.header
            root = self._root = Dir(header.root, header.root_read_only, header.root, None)
        return root

    def new_ino(self) -> int:
        """An inode number for a node created at run time (past every image blob)."""
        self.header
        ino = self._next_ino
        self._next_ino = ino + 1
        return ino

    def times(self, node: Node) -> tuple:
        """(atime, mtime, ctime), each (seconds, nanoseconds)."""
        return node.times or self.default_times

    # -- permission checks ---------------------------------------------------------------
    def check_writable(self, node: Node) -> None:
        """Raise unless `node` may change: `read-only` for a read-only tree, else `access`."""
        if self.header.read_only:
            raise FsError(READ_ONLY)
        if node.read_only:
            raise FsError(ACCESS)

    # -- changes -------------------------------------------------------------------------
    @staticmethod
    def changed(node: Node) -> None:
        """Something `stat` reports about `node` changed (size, times, links)."""
        node.memo = None

    def add_entry(self, d: Dir, name: str, node: Node) -> None:
        """Bind `name` in `d` to `node` (replacing any entry of that name)."""
        if d.gone:
            raise FsError(NO_ENTRY)  # as Linux: nothing can be created in a removed directory
        self.entries(d)[name] = node
        self.generation += 1
        d.memo = None

    def remove_entry(self, d: Dir, name: str) -> None:
        del self.entries(d)[name]
        self.generation += 1
        d.memo = None

    # -- directories ---------------------------------------------------------------------
    def entries(self, d: Dir) -> dict:
        """The directory's entry dict (decoding its listing on first use)."""
        entries = d._entries
        if entries is None:
            entries = d._entries = parse_listing(read_all(self.read, d.blob))
        return entries

    def child(self, d: Dir, name: str) -> Node | None:
        """The node called `name` in `d`, or None."""
        entries = d._entries
        if entries is None:
            entries = self.entries(d)
        node = entries.get(name)
        if node is None or not isinstance(node, tuple):
            return node
        node = self._make(node, d)
        entries[name] = node
        return node

    def _make(self, raw: tuple, parent: Dir) -> Node:
        kind, read_only, blob, size = raw
        if kind == KIND_FILE:
            return File(blob, read_only, blob, size)
        if kind == KIND_DIRECTORY:
            return Dir(blob, read_only, blob, parent, size)
        if kind == KIND_SYMLINK:
            return Symlink(blob, read_only, blob, size)
        if kind == KIND_MOUNT or kind == KIND_TMP:
            return Mount(blob, read_only, blob)
        raise FsError(IO)

    def listing(self, d: Dir) -> list:
        """[(name, descriptor-type)] of `d`, in order (image order, then creation order)."""
        out = []
        for name, node in self.entries(d).items():
            dtype = KIND_TYPES.get(node[0], TYPE_UNKNOWN) if isinstance(node, tuple) else node.dtype
            out.append((name, dtype))
        return out

    def target(self, link: Symlink) -> str:
        """A symlink's target text."""
        target = link._target
        if target is None:
            try:
                target = read_all(self.read, link.blob).decode("utf-8")
            except UnicodeDecodeError:
                raise FsError(IO) from None
            link._target = target
        return target

    # -- file contents -------------------------------------------------------------------
    def contents(self, f: File) -> bytearray:
        """The file's private, writable bytes (copied from the image on first call)."""
        data = f.data
        if data is None:
            try:
                data = bytearray()
                while len(data) < f.size:
                    chunk = self.read(f.blob, len(data), min(COPY_CHUNK, f.size - len(data)))
                    if not chunk:
                        raise FsError(IO)
                    data += chunk
            except MemoryError:
                raise FsError(INSUFFICIENT_MEMORY) from None
            f.data = data
        return data
