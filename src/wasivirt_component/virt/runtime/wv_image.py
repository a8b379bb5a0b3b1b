"""Decoding the VFS image (docs/image-format.md): the header and directory listings.

The image is read through a `read(blob, offset, len) -> bytes` callable (the
`wasivirt:vfs/image` import inside the component, a fake in host tests). Nothing is
decoded until asked: the tree calls `read_listing` only for a directory a path goes
through. A malformed image is an `io` error for the call that touched it, never a crash.
"""

import struct

from wv_errors import IO, FsError

MAGIC = b"WVIM"
VERSION = 1
HEADER = struct.Struct("<4sIIIQIIII")  # magic, version, flags, root, secs, nanos, blobs, settings, reserved
ENTRY = struct.Struct("<BBHIQ")  # kind, flags, name length, blob, size; then the name
COUNT = struct.Struct("<I")
FLAG_TREE_READ_ONLY = 0x1
FLAG_ROOT_READ_ONLY = 0x2
ENTRY_READ_ONLY = 0x1

KIND_DIRECTORY = 1
KIND_FILE = 2
KIND_SYMLINK = 3
KIND_MOUNT = 4     # reserved: host mount
KIND_TMP = 5       # reserved: tmp directory

# Listings are read in chunks this big; almost every directory fits in one call.
LISTING_CHUNK = 1 << 16


class Header:
    """The fields of blob 0 the runtime uses."""

    __slots__ = ("flags", "root", "seconds", "nanoseconds", "blob_count")

    def __init__(self, flags: int, root: int, seconds: int, nanoseconds: int, blob_count: int) -> None:
        self.flags = flags
        self.root = root
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.blob_count = blob_count

    @property
    def read_only(self) -> bool:
        return bool(self.flags & FLAG_TREE_READ_ONLY)

    @property
    def root_read_only(self) -> bool:
        return bool(self.flags & FLAG_ROOT_READ_ONLY)


def parse_header(data: bytes) -> Header:
    """Decode blob 0; a wrong magic, unknown version or short header is an `io` error."""
    if len(data) < HEADER.size:
        raise FsError(IO)
    magic, version, flags, root, secs, nanos, count, _settings, _ = HEADER.unpack_from(data, 0)
    if magic != MAGIC or version != VERSION or not 0 < root < count or nanos > 999_999_999:
        raise FsError(IO)
    return Header(flags, root, secs, nanos, count)


def read_all(read, blob: int) -> bytes:
    """Every byte of `blob`, in LISTING_CHUNK reads (a short read marks its end)."""
    first = read(blob, 0, LISTING_CHUNK)
    if len(first) < LISTING_CHUNK:
        return first
    parts = [first]
    offset = len(first)
    while True:
        chunk = read(blob, offset, LISTING_CHUNK)
        parts.append(chunk)
        offset += len(chunk)
        if len(chunk) < LISTING_CHUNK:
            return b"".join(parts)


def parse_listing(data: bytes) -> dict:
    """Decode a listing blob into `{name: (kind, read_only, blob, size)}` in stored order."""
    if len(data) < COUNT.size:
        raise FsError(IO)
    (count,) = COUNT.unpack_from(data, 0)
    pos = COUNT.size
    end = len(data)
    unpack = ENTRY.unpack_from
    entry_size = ENTRY.size
    entries = {}
    try:
        for _ in range(count):
            kind, flags, name_len, blob, size = unpack(data, pos)
            pos += entry_size
            if pos + name_len > end or name_len == 0:
                raise FsError(IO)
            name = data[pos:pos + name_len].decode("utf-8")
            pos += name_len
            entries[name] = (kind, bool(flags & ENTRY_READ_ONLY), blob, size)
    except (struct.error, UnicodeDecodeError):
        raise FsError(IO) from None
    return entries
