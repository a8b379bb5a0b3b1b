"""The virtualizer's filesystem as a small Python API over the real component.

The core tests (`test_virt_core.py`) were written against the first, Python runtime's
`Vfs`/`Descriptor` objects; this module keeps that API (ints for flags and types, tuples
for stat records, `FsError(code)` for failures, None for a closed stream) and answers every
call by calling the compiled virtualizer component in wasmtime-py. So the same expectations
now check the C runtime through its canonical-ABI binding.
"""

from __future__ import annotations

from wasmtime.component import Variant

from support.virtharness import FS, STREAMS, Failed, Virt

# error-code cases, in order (wasi:filesystem/types)
NAMES = (
    "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota",
    "exist", "file-too-large", "illegal-byte-sequence", "in-progress", "interrupted",
    "invalid", "io", "is-directory", "loop", "too-many-links", "message-size",
    "name-too-long", "no-device", "no-entry", "no-lock", "insufficient-memory",
    "insufficient-space", "not-directory", "not-empty", "not-recoverable", "unsupported",
    "no-tty", "no-such-device", "overflow", "not-permitted", "pipe", "read-only",
    "invalid-seek", "text-file-busy", "cross-device",
)
IO = NAMES.index("io")

TYPE_UNKNOWN, TYPE_DIRECTORY, TYPE_SYMLINK, TYPE_REGULAR = 0, 3, 5, 6
_TYPES = {"unknown": 0, "block-device": 1, "character-device": 2, "directory": 3, "fifo": 4,
          "symbolic-link": 5, "regular-file": 6, "socket": 7}

READ, WRITE, FILE_INTEGRITY_SYNC, DATA_INTEGRITY_SYNC, REQUESTED_WRITE_SYNC, MUTATE_DIRECTORY = 1, 2, 4, 8, 16, 32
OPEN_CREATE, OPEN_DIRECTORY, OPEN_EXCLUSIVE, OPEN_TRUNCATE = 1, 2, 4, 8
SYMLINK_FOLLOW = 1
NOW = "now"

_DESCRIPTOR_FLAGS = ("read", "write", "file-integrity-sync", "data-integrity-sync",
                     "requested-write-sync", "mutate-directory")
_OPEN_FLAGS = ("create", "directory", "exclusive", "truncate")


class FsError(Exception):
    """A call answered `err(code)`."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return NAMES[self.code]


def _bits(value: int, names: tuple[str, ...]) -> set[str]:
    return {n for i, n in enumerate(names) if value >> i & 1}


def _int(flags: set[str], names: tuple[str, ...]) -> int:
    return sum(1 << names.index(n) for n in flags)


def _check(result: object) -> object:
    if isinstance(result, Failed):
        raise FsError(NAMES.index(str(result)))
    return result


class _Datetime:
    def __init__(self, seconds: int, nanoseconds: int) -> None:
        self.seconds, self.nanoseconds = seconds, nanoseconds


def _timestamp(value: object) -> Variant:
    if value is None:
        return Variant("no-change")
    if value == NOW:
        return Variant("now")
    seconds, nanoseconds = value  # type: ignore[misc]
    return Variant("timestamp", _Datetime(seconds, nanoseconds))


def _stat(record: object) -> tuple:
    times = tuple((t.seconds, t.nanoseconds) for t in (
        getattr(record, "data-access-timestamp"), getattr(record, "data-modification-timestamp"),
        getattr(record, "status-change-timestamp")))
    return _TYPES[record.type], getattr(record, "link-count"), record.size, times


class Vfs:
    """One fresh virtualizer instance serving `image`."""

    def __init__(self, image: bytes, memory_limit: int | None = None) -> None:
        self.v = Virt(image, memory_limit=memory_limit)

    def preopens(self) -> list:
        return [(Descriptor(self.v, d), name)
                for d, name in self.v.call("wasi:filesystem/preopens@0.2.12", "get-directories")]


class Reader:
    def __init__(self, v: Virt, handle: object) -> None:
        self.v, self.h = v, handle

    def read(self, length: int) -> bytes | None:
        result = self.v.call(STREAMS, "[method]input-stream.read", self.h, length)
        return self._value(result)

    def skip(self, length: int) -> int | None:
        return self._value(self.v.call(STREAMS, "[method]input-stream.skip", self.h, length))

    @staticmethod
    def _value(result: object) -> object:
        if result is None:
            return None  # err(closed)
        if isinstance(result, Variant):  # err(last-operation-failed)
            raise FsError(IO)
        return bytes(result) if isinstance(result, (bytes, list)) else result


class Writer:
    def __init__(self, v: Virt, handle: object) -> None:
        self.v, self.h = v, handle

    def _call(self, name: str, *args: object) -> None:
        result = self.v.call(STREAMS, f"[method]output-stream.{name}", self.h, *args)
        if isinstance(result, Variant) and result.tag == "err":
            code = self.v.call(FS, "filesystem-error-code", result.payload) if result.payload else None
            raise FsError(NAMES.index(code) if code else IO)

    def write(self, data: bytes) -> None:
        self._call("write", data)

    def write_zeroes(self, length: int) -> None:
        self._call("write-zeroes", length)


class DirStream:
    def __init__(self, v: Virt, handle: object) -> None:
        self.v, self.h = v, handle

    def next(self) -> tuple | None:
        entry = _check(self.v.result(FS, "[method]directory-entry-stream.read-directory-entry", self.h))
        return None if entry is None else (entry.name, _TYPES[entry.type])


class Descriptor:
    """A `descriptor` handle, with the first runtime's method names and value shapes."""

    def __init__(self, v: Virt, handle: object) -> None:
        self.v, self.h = v, handle

    def _d(self, method: str, *args: object) -> object:
        return _check(self.v.desc(method, self.h, *args))

    def _wrap(self, handle: object) -> Descriptor:
        return Descriptor(self.v, handle)

    # data
    def read_via_stream(self, offset: int) -> Reader:
        return Reader(self.v, self._d("read-via-stream", offset))

    def write_via_stream(self, offset: int) -> Writer:
        return Writer(self.v, self._d("write-via-stream", offset))

    def append_via_stream(self) -> Writer:
        return Writer(self.v, self._d("append-via-stream"))

    def read(self, length: int, offset: int) -> tuple:
        data, eof = self._d("read", length, offset)  # type: ignore[misc]
        return bytes(data), eof

    def write(self, buf: bytes, offset: int) -> int:
        return self._d("write", buf, offset)  # type: ignore[return-value]

    def set_size(self, size: int) -> None:
        self._d("set-size", size)

    def advise(self, offset: int, length: int, advice: int) -> None:
        names = ("normal", "sequential", "random", "will-need", "dont-need", "no-reuse")
        self._d("advise", offset, length, names[advice])

    def sync(self) -> None:
        self._d("sync")

    def sync_data(self) -> None:
        self._d("sync-data")

    # metadata
    def get_flags(self) -> int:
        return _int(self._d("get-flags"), _DESCRIPTOR_FLAGS)  # type: ignore[arg-type]

    def get_type(self) -> int:
        return _TYPES[self._d("get-type")]  # type: ignore[index]

    def stat(self) -> tuple:
        return _stat(self._d("stat"))

    def stat_at(self, path_flags: int, path: str) -> tuple:
        return _stat(self._d("stat-at", _bits(path_flags, ("symlink-follow",)), path))

    def set_times(self, atime: object, mtime: object) -> None:
        self._d("set-times", _timestamp(atime), _timestamp(mtime))

    def set_times_at(self, path_flags: int, path: str, atime: object, mtime: object) -> None:
        self._d("set-times-at", _bits(path_flags, ("symlink-follow",)), path, _timestamp(atime),
                _timestamp(mtime))

    def is_same_object(self, other: Descriptor) -> bool:
        return self.v.desc("is-same-object", self.h, other.h)  # type: ignore[return-value]

    def metadata_hash(self) -> tuple:
        h = self._d("metadata-hash")
        return h.lower, h.upper  # type: ignore[attr-defined]

    def metadata_hash_at(self, path_flags: int, path: str) -> tuple:
        h = self._d("metadata-hash-at", _bits(path_flags, ("symlink-follow",)), path)
        return h.lower, h.upper  # type: ignore[attr-defined]

    # directories
    def read_directory(self) -> DirStream:
        return DirStream(self.v, self._d("read-directory"))

    def readlink_at(self, path: str) -> str:
        return self._d("readlink-at", path)  # type: ignore[return-value]

    def open_at(self, path_flags: int, path: str, open_flags: int, flags: int) -> Descriptor:
        return self._wrap(self._d("open-at", _bits(path_flags, ("symlink-follow",)), path,
                                  _bits(open_flags, _OPEN_FLAGS), _bits(flags, _DESCRIPTOR_FLAGS)))

    def create_directory_at(self, path: str) -> None:
        self._d("create-directory-at", path)

    def symlink_at(self, target: str, path: str) -> None:
        self._d("symlink-at", target, path)

    def link_at(self, old_path_flags: int, old_path: str, new_dir: Descriptor, new_path: str) -> None:
        self._d("link-at", _bits(old_path_flags, ("symlink-follow",)), old_path, new_dir.h, new_path)

    def unlink_file_at(self, path: str) -> None:
        self._d("unlink-file-at", path)

    def remove_directory_at(self, path: str) -> None:
        self._d("remove-directory-at", path)

    def rename_at(self, old_path: str, new_dir: Descriptor, new_path: str) -> None:
        self._d("rename-at", old_path, new_dir.h, new_path)
