"""The VFS image: the tree encoded as numbered blobs (docs/image-format.md), and back.

`encode_image` returns the image exactly as it sits in the virtualizer's memory, from
its own start address (blob addresses are relative to it):

    [0, 40)            header (blob 0)
    [40, 40 + 8n)      blob table: n × (u32 address, u32 length), entry i for blob i
    [40 + 8n, ...)     the other blobs, in blob order (identical host files stored once)

so `virt/splice.py` only adds these bytes as a data segment, and `decode_image` (tests)
reads them without the component.
"""

from __future__ import annotations

import os
import struct
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..errors import ImageFormatError, SpecError
from .tree import Buffer, Directory, File, InlineSource, Mount, Node, Symlink, check_name, located

MAGIC = b"WVIM"
VERSION = 1
HEADER = struct.Struct("<4sIIIQIIQ")  # magic, version, flags, root, secs, nanos, blobs, reserved
TABLE_OFFSET = HEADER.size  # 40
TABLE_ENTRY = struct.Struct("<II")  # address, length
ENTRY = struct.Struct("<BBHIQ")  # kind, flags, name length, blob, size; then the name
COUNT = struct.Struct("<I")

FLAG_TREE_READ_ONLY = 0x1
FLAG_ROOT_READ_ONLY = 0x2  # the root has no entry to carry its own flag
FLAG_ROOT_MOUNT = 0x4  # the root blob is a mount descriptor (vfs.mount("/", ...)), not a listing
ENTRY_READ_ONLY = 0x1

KIND_DIRECTORY = 1
KIND_FILE = 2
KIND_SYMLINK = 3
KIND_MOUNT = 4  # a host mount: its blob is a mount descriptor (MOUNT_HEAD + strings)
KIND_TMP = 5  # reserved: a writable tmp directory with a quota
KIND_NAMES = {KIND_DIRECTORY: "directory", KIND_FILE: "file", KIND_SYMLINK: "symlink",
              KIND_MOUNT: "host mount", KIND_TMP: "tmp directory"}

MOUNT_VERSION = 1
MOUNT_HEAD = struct.Struct("<BBHHHH")  # version, flags, lengths of host, path, guest; pattern count
MOUNT_READ_ONLY = 0x1
PATTERN_LENGTH = struct.Struct("<H")

ROOT_BLOB = 1  # blob 0 is the header itself
# A wasm32 memory holds 4 GiB, and the virtualizer's own code, stack and heap share it.
MAX_IMAGE_BYTES = (1 << 32) - (1 << 20)


class ImageSource(Protocol):
    """What `encode_image` needs: a `VFS` (from the DSL) satisfies it (and may have a
    `root_mount`, a Mount replacing the whole tree)."""

    root: Directory
    read_only: bool


def mount_descriptor(mount: Mount) -> bytes:
    """A mount's blob: the policy the virtualizer enforces (docs/image-format.md)."""
    host, path, guest = (x.encode("utf-8") for x in (mount.host, mount.path, mount.guest))
    parts = [MOUNT_HEAD.pack(MOUNT_VERSION, MOUNT_READ_ONLY if mount.read_only else 0, len(host),
                             len(path), len(guest), len(mount.hide)), host, path, guest]
    for pattern in mount.hide:
        raw = pattern.encode("utf-8")
        parts += [PATTERN_LENGTH.pack(len(raw)), raw]
    return b"".join(parts)


def parse_mount_descriptor(data: bytes | memoryview, where: str = "VFS image") -> Mount:
    """The Mount a descriptor blob describes; ImageFormatError if malformed."""
    raw = bytes(data)
    if len(raw) < MOUNT_HEAD.size:
        raise ImageFormatError(f"{where}: mount descriptor of {len(raw)} bytes is too short")
    version, flags, host_len, path_len, guest_len, count = MOUNT_HEAD.unpack_from(raw, 0)
    if version != MOUNT_VERSION:
        raise ImageFormatError(f"{where}: mount descriptor version {version} is not supported")
    pos = MOUNT_HEAD.size
    try:
        host = raw[pos:pos + host_len].decode("utf-8")
        pos += host_len
        path = raw[pos:pos + path_len].decode("utf-8")
        pos += path_len
        guest = raw[pos:pos + guest_len].decode("utf-8")
        pos += guest_len
        hide = []
        for _ in range(count):
            (n,) = PATTERN_LENGTH.unpack_from(raw, pos)
            hide.append(raw[pos + 2:pos + 2 + n].decode("utf-8"))
            pos += 2 + n
    except (UnicodeDecodeError, struct.error):
        raise ImageFormatError(f"{where}: malformed mount descriptor") from None
    if pos != len(raw):
        raise ImageFormatError(f"{where}: mount descriptor has {len(raw) - pos} stray bytes")
    return Mount(read_only=bool(flags & MOUNT_READ_ONLY), host=host, path=path, hide=tuple(hide), guest=guest)


# -- encoding ----------------------------------------------------------------------------
def _timestamp(value: int | float | datetime | None) -> tuple[int, int]:
    """(seconds, nanoseconds) since the epoch; None means now, or $SOURCE_DATE_EPOCH."""
    if value is None:
        env = os.environ.get("SOURCE_DATE_EPOCH")
        if env:
            try:
                return _timestamp(int(env))
            except ValueError:
                raise SpecError(f"SOURCE_DATE_EPOCH={env!r} is not an integer number of seconds") from None
        ns = time.time_ns()
        return ns // 1_000_000_000, ns % 1_000_000_000
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise SpecError("the image timestamp must be a timezone-aware datetime")
        value = value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"the image timestamp must be seconds or a datetime, not {type(value).__name__}")
    if value < 0 or value >= 1 << 63:
        raise SpecError(f"the image timestamp {value} is out of range (before 1970?)")
    if isinstance(value, int):
        return value, 0
    secs = int(value)
    return secs, min(int(round((value - secs) * 1e9)), 999_999_999)


@dataclass(slots=True)
class _Numbered:
    """The tree in blob order: `nodes[n]` owns blob n (0, the header, has no node) and
    `entries[n]` lists directory n's (name, node, blob) in name order."""

    nodes: list[Node | None]
    entries: dict[int, list[tuple[bytes, Node, int]]]


def _number_nodes(root: Directory) -> _Numbered:
    """Blob numbers: pre-order, entries sorted by UTF-8 name (docs/image-format.md).

    Numbers belong to positions in the tree, so a node object placed twice gets two blobs;
    a directory inside itself is an error.
    """
    numbered = _Numbered([None, root], {1: []})
    stack = [(1, iter(_sorted_entries(root)), frozenset({id(root)}))]
    while stack:
        number, remaining, ancestors = stack[-1]
        item = next(remaining, None)
        if item is None:
            stack.pop()
            continue
        raw, node = item
        numbered.nodes.append(node)
        child = len(numbered.nodes) - 1
        numbered.entries[number].append((raw, node, child))
        if isinstance(node, Directory):
            if id(node) in ancestors:
                raise ValueError(f"directory {raw.decode()!r} contains itself")
            numbered.entries[child] = []
            stack.append((child, iter(_sorted_entries(node)), ancestors | {id(node)}))
    return numbered


def _sorted_entries(directory: Directory) -> list[tuple[bytes, Node]]:
    return sorted(((name.encode("utf-8"), node) for name, node in directory.entries.items()),
                  key=lambda item: item[0])


def _kind(node: Node) -> int:
    if isinstance(node, Directory):
        return KIND_DIRECTORY
    if isinstance(node, File):
        return KIND_FILE
    if isinstance(node, Symlink):
        return KIND_SYMLINK
    if isinstance(node, Mount):
        return KIND_MOUNT
    raise TypeError(f"unknown node type {type(node).__name__}")


def _listing(entries: list[tuple[bytes, Node, int]]) -> bytes:
    parts = [COUNT.pack(len(entries))]
    for raw, node, blob in entries:
        parts.append(ENTRY.pack(_kind(node), ENTRY_READ_ONLY if node.read_only else 0, len(raw),
                                blob, _node_size(node)))
        parts.append(raw)
    return b"".join(parts)


def _node_size(node: Node) -> int:
    if isinstance(node, Directory):
        return len(node.entries)
    if isinstance(node, File):
        return node.source.size
    if isinstance(node, Symlink):
        return len(node.target.encode("utf-8"))
    return 0


def encode_image(vfs: ImageSource, *, timestamp: int | float | datetime | None = None) -> bytes:
    """The image of `vfs` (see the module docstring and docs/image-format.md).

    Deterministic: the same tree, host files and timestamp give identical bytes.
    `timestamp` (seconds since the epoch, or an aware datetime) becomes every node's
    mtime/atime/ctime; by default the compose time, or $SOURCE_DATE_EPOCH when set.
    Host files are read here, once each. Raises `SpecError` (naming the spec line that
    declared the node) for an image over 4 GiB or an embedded file that changed or
    vanished since the spec ran.
    """
    secs, nanos = _timestamp(timestamp)
    root_mount: Mount | None = getattr(vfs, "root_mount", None)
    numbered = _number_nodes(vfs.root) if root_mount is None else _Numbered([None, root_mount], {})
    nodes = numbered.nodes
    count = len(nodes)

    # Pass 1: sizes and addresses (no host file is read yet), so an image that cannot fit
    # fails before reading gigabytes.
    listings: dict[int, bytes] = {}
    sizes = [HEADER.size]
    for number, node in enumerate(nodes[1:], start=1):
        if isinstance(node, Directory):
            listings[number] = _listing(numbered.entries[number])
            sizes.append(len(listings[number]))
        elif isinstance(node, Mount):
            listings[number] = mount_descriptor(node)
            sizes.append(len(listings[number]))
        else:
            sizes.append(_node_size(node))  # type: ignore[arg-type]
    addresses = [0]
    address = TABLE_OFFSET + TABLE_ENTRY.size * count
    shared: dict[object, int] = {}
    stored: list[int] = []  # blob numbers whose bytes follow, in order
    for number in range(1, count):
        node = nodes[number]
        key = node.source.identity if isinstance(node, File) else None
        if key is not None and key in shared:
            addresses.append(shared[key])
        else:
            addresses.append(address)
            address += sizes[number]
            stored.append(number)
            if key is not None:
                shared[key] = addresses[-1]
    if address > MAX_IMAGE_BYTES:
        origin = getattr(vfs, "origin", None) or vfs.root.origin
        raise SpecError(located(origin, f"the VFS image needs {address} bytes "
                                        f"({address / (1 << 30):.2f} GiB) but the virtualizer's "
                                        "memory holds at most 4 GiB (wasm32)"))
    table = bytearray(TABLE_ENTRY.size * count)
    for number in range(count):
        TABLE_ENTRY.pack_into(table, TABLE_ENTRY.size * number, addresses[number], sizes[number])

    flags = ((FLAG_TREE_READ_ONLY if vfs.read_only else 0) | (FLAG_ROOT_READ_ONLY if vfs.root.read_only else 0)
             | (FLAG_ROOT_MOUNT if root_mount is not None else 0))
    header = HEADER.pack(MAGIC, VERSION, flags, ROOT_BLOB, secs, nanos, count, 0)
    parts: list[Buffer] = [header, table]
    with ExitStack() as stack:  # keeps borrowed file buffers (mappings) alive until joined
        for number in stored:
            node = nodes[number]
            if number in listings:
                parts.append(listings[number])
            elif isinstance(node, File):
                parts.append(_borrow(node, stack))
            elif isinstance(node, Symlink):
                parts.append(node.target.encode("utf-8"))
        image = b"".join(parts)
        del parts
    assert len(image) == address
    return image


def _borrow(node: File, stack: ExitStack) -> Buffer:
    try:
        return node.source.borrow(stack)
    except SpecError as exc:
        raise SpecError(located(node.origin, exc.message)) from None


# -- decoding ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Header:
    flags: int
    root: int
    seconds: int
    nanoseconds: int
    blob_count: int

    @property
    def read_only(self) -> bool:
        return bool(self.flags & FLAG_TREE_READ_ONLY)

    @property
    def root_read_only(self) -> bool:
        return bool(self.flags & FLAG_ROOT_READ_ONLY)

    @property
    def root_mount(self) -> bool:
        return bool(self.flags & FLAG_ROOT_MOUNT)


@dataclass(frozen=True, slots=True)
class Entry:
    """One directory listing entry, as stored."""

    name: str
    kind: int
    read_only: bool
    blob: int
    size: int


class Image:
    """A decoded image: random access to blobs and listings, checked as it is read."""

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = memoryview(data)
        if len(self.data) < HEADER.size:
            raise ImageFormatError(f"VFS image: {len(self.data)} bytes is too short for a header")
        magic, version, flags, root, secs, nanos, count, _ = HEADER.unpack_from(self.data, 0)
        if magic != MAGIC:
            raise ImageFormatError(f"VFS image: bad magic {bytes(magic)!r} (expected {MAGIC!r})")
        if version != VERSION:
            raise ImageFormatError(f"VFS image: format version {version} is not supported (expected {VERSION})")
        if count < 2 or not 0 < root < count:
            raise ImageFormatError(f"VFS image: root blob {root} is not among its {count} blobs")
        if TABLE_OFFSET + TABLE_ENTRY.size * count > len(self.data):
            raise ImageFormatError(f"VFS image: a table of {count} blobs does not fit in {len(self.data)} bytes")
        self.header = Header(flags, root, secs, nanos, count)
        self._table = [TABLE_ENTRY.unpack_from(self.data, TABLE_OFFSET + TABLE_ENTRY.size * i)
                       for i in range(count)]
        for number, (address, length) in enumerate(self._table):
            if address + length > len(self.data):
                raise ImageFormatError(f"VFS image: blob {number} ({length} bytes at {address}) "
                                       f"runs past the end ({len(self.data)} bytes)")
        if self._table[0] != (0, HEADER.size):
            raise ImageFormatError("VFS image: blob 0 is not the header")

    def blob(self, number: int) -> memoryview:
        """The bytes of blob `number` (no copy)."""
        if not 0 <= number < len(self._table):
            raise ImageFormatError(f"VFS image: no blob {number} (the image has {len(self._table)})")
        address, length = self._table[number]
        return self.data[address:address + length]

    def read(self, blob: int, offset: int, length: int) -> bytes:
        """What the image component's `read` returns for the same arguments."""
        if not 0 <= blob < len(self._table):
            return b""
        view = self.blob(blob)
        return bytes(view[offset:offset + length]) if offset < len(view) else b""

    def listing(self, number: int) -> list[Entry]:
        """The entries of the directory listing in blob `number`, validated."""
        raw = self.blob(number)
        where = f"VFS image: listing blob {number}"
        if len(raw) < COUNT.size:
            raise ImageFormatError(f"{where} is too short")
        (count,) = COUNT.unpack_from(raw, 0)
        pos = COUNT.size
        entries: list[Entry] = []
        previous: bytes | None = None
        for _ in range(count):
            if pos + ENTRY.size > len(raw):
                raise ImageFormatError(f"{where}: entry {len(entries)} runs past the end")
            kind, flags, name_len, blob, size = ENTRY.unpack_from(raw, pos)
            pos += ENTRY.size
            if pos + name_len > len(raw):
                raise ImageFormatError(f"{where}: a name runs past the end")
            name_raw = bytes(raw[pos:pos + name_len])
            pos += name_len
            try:
                name = check_name(name_raw.decode("utf-8"), f"blob {number}")
            except (UnicodeDecodeError, SpecError):
                raise ImageFormatError(f"{where}: invalid name {name_raw!r}") from None
            if previous is not None and name_raw <= previous:
                raise ImageFormatError(f"{where}: names are not sorted and unique at {name!r}")
            previous = name_raw
            if kind not in KIND_NAMES:
                raise ImageFormatError(f"{where}: unknown kind {kind} for {name!r}")
            if not 0 < blob < len(self._table):
                raise ImageFormatError(f"{where}: {name!r} refers to missing blob {blob}")
            entries.append(Entry(name, kind, bool(flags & ENTRY_READ_ONLY), blob, size))
        if pos != len(raw):
            raise ImageFormatError(f"{where} has {len(raw) - pos} trailing bytes")
        return entries

    def mount(self, number: int) -> Mount:
        """The mount whose descriptor is blob `number`."""
        return parse_mount_descriptor(self.blob(number), f"VFS image: blob {number}")

    def to_tree(self) -> Directory | Mount:
        """The whole image as tree nodes (file contents copied out), for tests and tools."""
        if self.header.root_mount:
            return self.mount(self.header.root)
        root = Directory(read_only=self.header.root_read_only)
        stack: list[tuple[int, Directory, frozenset[int]]] = [(self.header.root, root, frozenset({self.header.root}))]
        while stack:
            number, directory, ancestors = stack.pop()
            for entry in self.listing(number):
                data = self.blob(entry.blob)
                if entry.kind == KIND_DIRECTORY:
                    if entry.blob in ancestors:
                        raise ImageFormatError(f"VFS image: directory {entry.name!r} contains itself")
                    subdirectory = Directory(read_only=entry.read_only)
                    stack.append((entry.blob, subdirectory, ancestors | {entry.blob}))
                    node: Node = subdirectory
                elif entry.kind == KIND_FILE:
                    node = File(read_only=entry.read_only, source=InlineSource(bytes(data)))
                elif entry.kind == KIND_SYMLINK:
                    try:
                        target = bytes(data).decode("utf-8")
                    except UnicodeDecodeError:
                        raise ImageFormatError(f"VFS image: symlink {entry.name!r} target is not UTF-8") from None
                    node = Symlink(read_only=entry.read_only, target=target)
                elif entry.kind == KIND_MOUNT:
                    node = self.mount(entry.blob)
                else:
                    raise ImageFormatError(f"VFS image: {KIND_NAMES[entry.kind]} entries are not supported")
                actual = (len(self.listing(entry.blob)) if entry.kind == KIND_DIRECTORY
                          else 0 if entry.kind == KIND_MOUNT else len(data))
                if entry.size != actual:
                    raise ImageFormatError(f"VFS image: entry {entry.name!r} gives size {entry.size}, "
                                           f"its blob says {actual}")
                directory.entries[entry.name] = node
        return root


def decode_image(data: bytes | bytearray | memoryview) -> Image:
    """Parse an image made by `encode_image`; raises `ImageFormatError` if malformed."""
    return Image(data)
