"""The VFS tree a spec builds: directories, files, symlinks and mounts.

The DSL (`spec.py`) builds it, the image encoder (`format.py`) serialises it. Nodes carry
the spec location that created them so errors found later (at encode time) still name
the spec file and line.

How later features map onto it, so they need no new model:
- overlays (`embed(..., writable=True)`): the same nodes with `read_only=False`;
- zip archives: `File` nodes whose `FileSource` reads a member of the archive;
- writable tmp dirs with a quota: a node of their own (the format reserves kind 5, whose
  blob will hold the quota), since their writability ignores `VFS(read_only=True)`;
- host mounts with a policy: `Mount` (image kind 4, a descriptor blob with the policy);
- symlinks: `Symlink` (already encoded by the format);
- stdio/env/clock settings: not nodes; the header reserves a settings blob for them.
"""

from __future__ import annotations

import mmap
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError

MAX_NAME_BYTES = 0xFFFF  # the format stores name lengths as u16


@dataclass(frozen=True, slots=True)
class Origin:
    """Where in a spec file a node was declared."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def located(origin: Origin | None, message: str) -> str:
    """`message` prefixed with `file:line: ` when the origin is known."""
    return f"{origin}: {message}" if origin else message


# -- file contents -----------------------------------------------------------------------
Buffer = bytes | bytearray | memoryview | mmap.mmap


class FileSource(ABC):
    """Where a file's bytes come from; read once, at encode time."""

    @property
    @abstractmethod
    def size(self) -> int:
        """The content length, known before reading (the image layout needs it first)."""

    @abstractmethod
    def read(self) -> bytes:
        """The content; exactly `size` bytes or a SpecError."""

    def borrow(self, stack: ExitStack) -> Buffer:
        """The content as a buffer valid until `stack` closes.

        The encoder copies it once into the image, so a source may hand out a view of
        data it already holds (or a mapping of a file) instead of a fresh copy.
        """
        return self.read()

    @property
    def identity(self) -> object | None:
        """A key shared by sources with the same bytes (so the image stores them once)."""
        return None


@dataclass(frozen=True, slots=True)
class InlineSource(FileSource):
    """Bytes given in the spec itself."""

    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self) -> bytes:
        return self.data


# Files at least this large are mapped rather than read: reading then joining would copy
# them twice (each copy of 64 MiB into fresh memory costs ~40 ms).
MMAP_THRESHOLD = 1 << 20


@dataclass(frozen=True, slots=True)
class HostFileSource(FileSource):
    """A regular host file copied into the image at compose time."""

    path: Path  # absolute, symlinks resolved
    expected_size: int  # from stat when the spec ran

    @property
    def size(self) -> int:
        return self.expected_size

    @property
    def identity(self) -> object:
        return ("host", str(self.path))

    def _changed(self) -> SpecError:
        return SpecError(f"embedded file {self.path} changed while composing "
                         f"(it had {self.expected_size} bytes when the spec ran)")

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise SpecError(f"cannot read embedded file {self.path}: {exc.strerror or exc}") from None

    def read(self) -> bytes:
        fd = self._open()
        try:
            chunks = []
            remaining = self.expected_size + 1  # one more, to notice a file that grew
            while remaining > 0:
                chunk = os.read(fd, remaining)
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
        except OSError as exc:
            raise SpecError(f"cannot read embedded file {self.path}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if len(data) != self.expected_size:
            raise self._changed()
        return data

    def borrow(self, stack: ExitStack) -> Buffer:
        """Large files are memory-mapped: the encoder's join is then their only copy.

        (A file truncated by another process while it is being copied would fault; the
        same race with read() gives torn contents instead. Both need a concurrent writer.)
        """
        if self.expected_size < MMAP_THRESHOLD:
            return self.read()
        fd = self._open()
        try:
            if os.fstat(fd).st_size != self.expected_size:
                raise self._changed()
            mapped = mmap.mmap(fd, self.expected_size, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise SpecError(f"cannot read embedded file {self.path}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        stack.callback(mapped.close)
        return mapped


# -- nodes -------------------------------------------------------------------------------
@dataclass(eq=False, slots=True)
class Node:
    """Common to every node: its own read-only flag and where it was declared."""

    read_only: bool = False
    origin: Origin | None = None


@dataclass(eq=False, slots=True)
class File(Node):
    source: FileSource = field(default_factory=lambda: InlineSource(b""))


@dataclass(eq=False, slots=True)
class Symlink(Node):
    """A symbolic link; the target is stored verbatim (resolved by the guest runtime)."""

    target: str = ""


@dataclass(eq=False, slots=True)
class Mount(Node):
    """A runtime passthrough of the host preopen named `host`: `path` inside it (a
    directory or a single file), `read_only` and the `hide` name patterns enforced by the
    virtualizer. `read_only` (from Node) is the mount's policy."""

    host: str = ""
    path: str = "."
    hide: tuple[str, ...] = ()
    guest: str = "/"  # where it is mounted (for the messages the virtualizer prints)


@dataclass(eq=False, slots=True)
class Directory(Node):
    """A directory; entries keep insertion order here, the encoder sorts them."""

    entries: dict[str, Node] = field(default_factory=dict)

    def add(self, name: str, node: Node, where: str) -> Node:
        """Add `node` as `name`; a name already present is a duplicate (an error)."""
        existing = self.entries.get(name)
        if existing is not None:
            first = f" (first declared at {existing.origin})" if existing.origin else ""
            raise SpecError(f"duplicate name {name!r} in {where}{first}")
        self.entries[name] = node
        return node


def child_path(parent: str, name: str) -> str:
    """The guest path of `name` inside the directory at guest path `parent`."""
    return f"/{name}" if parent == "/" else f"{parent}/{name}"


def check_name(name: object, where: str) -> str:
    """A single path component, or a SpecError saying what is wrong with it."""
    if not isinstance(name, str):
        raise SpecError(f"a name in {where} must be a str, not {type(name).__name__}")
    problem = None
    if name == "":
        problem = "a name cannot be empty"
    elif "/" in name:
        problem = 'a name cannot contain "/" (use .dir() for subdirectories)'
    elif "\0" in name:
        problem = "a name cannot contain NUL"
    elif name in (".", ".."):
        problem = '"." and ".." are not allowed'
    else:
        try:
            size = len(name.encode("utf-8"))
        except UnicodeEncodeError:
            problem = "a name must be valid UTF-8"
        else:
            if size > MAX_NAME_BYTES:
                problem = f"a name is at most {MAX_NAME_BYTES} bytes, this one has {size}"
    if problem:
        raise SpecError(f"invalid name {name!r} in {where}: {problem}")
    return name


def split_guest_path(path: object) -> list[str]:
    """The components of an absolute guest path ("/a//b/" → ["a", "b"]), validated."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise SpecError(f"a guest path must be a str, not {type(path).__name__}")
    if not path.startswith("/"):
        raise SpecError(f"guest path {path!r} must be absolute (start with \"/\")")
    parts = [p for p in path.split("/") if p]
    for part in parts:
        if part in (".", "..") or "\0" in part:
            raise SpecError(f"guest path {path!r} must not contain \".\", \"..\" or NUL")
        check_name(part, path)
    return parts


def iter_tree(root: Directory, path: str = "/") -> Iterator[tuple[str, Node]]:
    """Every (guest path, node) below `root`, depth first, names sorted (for tests/tools)."""
    for name in sorted(root.entries, key=lambda n: n.encode("utf-8")):
        node = root.entries[name]
        sub = child_path(path, name)
        yield sub, node
        if isinstance(node, Directory):
            yield from iter_tree(node, sub)
