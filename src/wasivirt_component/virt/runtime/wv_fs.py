"""Descriptors: the `wasi:filesystem/types` operations over the virtual tree.

Semantics follow wasmtime's native host (the reference the differential tests compare
against), with the image's permission model on top: changing a read-only node is
`access`, changing anything in a tree whose header says read-only is `read-only`.
Descriptor flags record the open mode; like wasmtime, `mutate-directory` is reported but
not required for mutations (the preview1 adapter never sets it).
Every failure is an `FsError(code)`; the binding layer never lets an exception escape.
"""

from __future__ import annotations

from wv_errors import (BAD_DESCRIPTOR, BUSY, EXIST, INVALID, IS_DIRECTORY, LOOP, NO_ENTRY,
                       NOT_DIRECTORY, NOT_EMPTY, NOT_PERMITTED, UNSUPPORTED, FsError)
from wv_files import FileReader, FileWriter, read_at, set_size, write_at
from wv_paths import resolve, resolve_existing
from wv_tree import Dir, File, Mount, Node, Symlink, Tree

# descriptor-flags bits
READ = 1
WRITE = 2
FILE_INTEGRITY_SYNC = 4
DATA_INTEGRITY_SYNC = 8
REQUESTED_WRITE_SYNC = 16
MUTATE_DIRECTORY = 32
SYNC_FLAGS = FILE_INTEGRITY_SYNC | DATA_INTEGRITY_SYNC | REQUESTED_WRITE_SYNC
# open-flags bits
OPEN_CREATE = 1
OPEN_DIRECTORY = 2
OPEN_EXCLUSIVE = 4
OPEN_TRUNCATE = 8
# path-flags bits
SYMLINK_FOLLOW = 1

# metadata-hash upper half: the inode mixed with a constant ("WVIMWVIM"), so the two
# halves differ; preview1 uses the lower half (the inode) as st_ino.
HASH_MIX = 0x5756494D5756494D

# set-times arguments: None = no-change, NOW, or (seconds, nanoseconds)
NOW = "now"


class Vfs:
    """The filesystem of one component instance."""

    def __init__(self, read) -> None:
        self.tree = Tree(read)

    def preopens(self) -> list:
        """[(root descriptor, "/")]: the image root is the single preopen."""
        tree = self.tree
        flags = READ if tree.read_only else READ | MUTATE_DIRECTORY
        return [(Descriptor(tree, tree.root, flags), "/")]


class DirStream:
    """A `directory-entry-stream`: a snapshot of the listing taken at `read-directory`."""

    __slots__ = ("items", "index")

    def __init__(self, items: list) -> None:
        self.items = items
        self.index = 0

    def next(self) -> tuple | None:
        """(name, descriptor-type) of the next entry, or None at the end."""
        i = self.index
        if i >= len(self.items):
            return None
        self.index = i + 1
        return self.items[i]


def stat_of(tree: Tree, node: Node) -> tuple:
    """(descriptor-type, size, (atime, mtime, ctime)); link count is always 1."""
    kind = type(node)
    if kind is File or kind is Symlink:
        size = node.size
    elif kind is Dir:
        size = node.size(tree)
    else:
        size = 0
    return node.dtype, size, node.times or tree.default_times


def _set_times(tree: Tree, node: Node, atime, mtime) -> None:
    if atime is None and mtime is None:
        return
    tree.check_writable(node)
    now = tree.default_times[1]  # no host clock call: "now" is the image time (see README)
    old_a, old_m, _ = node.times or tree.default_times
    new_a = old_a if atime is None else now if atime == NOW else atime
    new_m = old_m if mtime is None else now if mtime == NOW else mtime
    node.times = (new_a, new_m, now)


class Descriptor:
    """An open file or directory: the node and the mode it was opened with."""

    __slots__ = ("tree", "node", "flags")

    def __init__(self, tree: Tree, node: Node, flags: int) -> None:
        self.tree = tree
        self.node = node
        self.flags = flags

    def _file(self) -> File:
        node = self.node
        if type(node) is not File:
            raise FsError(BAD_DESCRIPTOR)
        return node

    def _dir(self) -> Dir:
        node = self.node
        if type(node) is not Dir:
            raise FsError(NOT_DIRECTORY)
        return node

    # -- file data -----------------------------------------------------------------------
    def read_via_stream(self, offset: int) -> FileReader:
        node = self.node
        if type(node) is Dir:
            raise FsError(IS_DIRECTORY)
        if not self.flags & READ:
            raise FsError(BAD_DESCRIPTOR)
        return FileReader(self.tree, node, offset)

    def write_via_stream(self, offset: int) -> FileWriter:
        node = self._file()
        if not self.flags & WRITE:
            raise FsError(BAD_DESCRIPTOR)
        return FileWriter(self.tree, node, offset)

    def append_via_stream(self) -> FileWriter:
        node = self._file()
        if not self.flags & WRITE:
            raise FsError(BAD_DESCRIPTOR)
        return FileWriter(self.tree, node, None)

    def read(self, length: int, offset: int) -> tuple:
        """(bytes, end-of-file reached)."""
        node = self.node
        if type(node) is not File or not self.flags & READ:
            raise FsError(BAD_DESCRIPTOR)
        data = read_at(self.tree, node, offset, length)
        return data, not data or offset + len(data) >= node.size

    def write(self, buf: bytes, offset: int) -> int:
        node = self._file()
        if not self.flags & WRITE:
            raise FsError(BAD_DESCRIPTOR)
        return write_at(self.tree, node, offset, buf)

    def set_size(self, size: int) -> None:
        node = self._file()
        if not self.flags & WRITE:
            raise FsError(INVALID)  # ftruncate on a descriptor not open for writing
        set_size(self.tree, node, size)

    def advise(self, offset: int, length: int, advice: int) -> None:
        self._file()

    def sync_data(self) -> None:
        """Nothing to flush: the tree lives in memory."""

    def sync(self) -> None:
        """Nothing to flush: the tree lives in memory."""

    # -- metadata ------------------------------------------------------------------------
    def get_flags(self) -> int:
        return self.flags

    def get_type(self) -> int:
        return self.node.dtype

    def stat(self) -> tuple:
        return stat_of(self.tree, self.node)

    def stat_at(self, path_flags: int, path: str) -> tuple:
        tree = self.tree
        return stat_of(tree, resolve_existing(tree, self._dir(), path, bool(path_flags & SYMLINK_FOLLOW)))

    def set_times(self, atime, mtime) -> None:
        _set_times(self.tree, self.node, atime, mtime)

    def set_times_at(self, path_flags: int, path: str, atime, mtime) -> None:
        tree = self.tree
        node = resolve_existing(tree, self._dir(), path, bool(path_flags & SYMLINK_FOLLOW))
        _set_times(tree, node, atime, mtime)

    def is_same_object(self, other: Descriptor) -> bool:
        return self.node is other.node

    def metadata_hash(self) -> tuple:
        ino = self.node.ino
        return ino, ino ^ HASH_MIX

    def metadata_hash_at(self, path_flags: int, path: str) -> tuple:
        tree = self.tree
        ino = resolve_existing(tree, self._dir(), path, bool(path_flags & SYMLINK_FOLLOW)).ino
        return ino, ino ^ HASH_MIX

    # -- directories ---------------------------------------------------------------------
    def read_directory(self) -> DirStream:
        return DirStream(self.tree.listing(self._dir()))

    def readlink_at(self, path: str) -> str:
        tree = self.tree
        node = resolve_existing(tree, self._dir(), path, False)
        if type(node) is not Symlink:
            raise FsError(INVALID)
        return tree.target(node)

    def open_at(self, path_flags: int, path: str, open_flags: int, flags: int) -> Descriptor:
        base = self._dir()
        tree = self.tree
        if flags & SYNC_FLAGS:
            raise FsError(UNSUPPORTED)  # as wasmtime: synchronized I/O flags are not supported
        create = open_flags & OPEN_CREATE
        truncate = open_flags & OPEN_TRUNCATE
        if open_flags & OPEN_DIRECTORY and open_flags & (OPEN_CREATE | OPEN_EXCLUSIVE | OPEN_TRUNCATE):
            raise FsError(INVALID)
        r = resolve(tree, base, path, bool(path_flags & SYMLINK_FOLLOW))
        node = r.node
        read_mode = READ if flags & READ or not flags & WRITE else 0
        if node is None:
            if not create:
                raise FsError(NO_ENTRY)
            if r.trailing_slash:
                raise FsError(IS_DIRECTORY)
            parent = r.parent
            tree.check_writable(parent)
            node = File(tree.new_ino(), False, None, 0)
            tree.entries(parent)[r.name] = node
            return Descriptor(tree, node, read_mode | WRITE)
        if create and open_flags & OPEN_EXCLUSIVE:
            raise FsError(EXIST)
        kind = type(node)
        write = flags & WRITE or truncate
        if kind is Dir:
            if write or create:
                raise FsError(IS_DIRECTORY)
            mutate = 0 if tree.read_only else flags & MUTATE_DIRECTORY
            return Descriptor(tree, node, READ | mutate)
        if kind is Symlink:
            raise FsError(LOOP)  # the last component is a link and following was not asked
        if kind is Mount:
            raise FsError(UNSUPPORTED)
        if open_flags & OPEN_DIRECTORY or r.trailing_slash:
            raise FsError(NOT_DIRECTORY)
        if write:
            tree.check_writable(node)
            if truncate:
                set_size(tree, node, 0)
        return Descriptor(tree, node, read_mode | (WRITE if write else 0))

    def create_directory_at(self, path: str) -> None:
        tree = self.tree
        r = resolve(tree, self._dir(), path, False)
        if r.node is not None:
            raise FsError(EXIST)
        tree.check_writable(r.parent)
        tree.entries(r.parent)[r.name] = Dir(tree.new_ino(), False, None, r.parent)

    def symlink_at(self, target: str, path: str) -> None:
        tree = self.tree
        r = resolve(tree, self._dir(), path, False)
        if r.node is not None or r.name is None:
            raise FsError(EXIST)
        if r.trailing_slash:
            raise FsError(NO_ENTRY)
        if target.startswith("/"):
            raise FsError(NOT_PERMITTED)  # it could never be followed inside the sandbox
        tree.check_writable(r.parent)
        size = len(target.encode("utf-8", "surrogatepass"))
        tree.entries(r.parent)[r.name] = Symlink(tree.new_ino(), False, None, size, target)

    def link_at(self, old_path_flags: int, old_path: str, new_dir: Descriptor, new_path: str) -> None:
        """Hard links do not exist in the VFS (every node has one link): `not-permitted`."""
        tree = self.tree
        base, new_base = self._dir(), new_dir._dir()
        if old_path_flags & SYMLINK_FOLLOW:
            raise FsError(INVALID)
        resolve_existing(tree, base, old_path, False)
        r = resolve(tree, new_base, new_path, False)
        if r.node is not None:
            raise FsError(EXIST)
        tree.check_writable(r.parent)
        raise FsError(NOT_PERMITTED)

    def unlink_file_at(self, path: str) -> None:
        tree = self.tree
        r = resolve(tree, self._dir(), path, False)
        node = r.node
        if r.name is None:
            raise FsError(IS_DIRECTORY)
        if node is None:
            raise FsError(NO_ENTRY)
        kind = type(node)
        if kind is Dir:
            raise FsError(IS_DIRECTORY)
        if kind is Mount:
            raise FsError(BUSY)
        if r.trailing_slash:
            raise FsError(NOT_DIRECTORY)
        tree.check_writable(r.parent)
        del tree.entries(r.parent)[r.name]

    def remove_directory_at(self, path: str) -> None:
        tree = self.tree
        r = resolve(tree, self._dir(), path, False)
        node = r.node
        if r.name is None:
            raise FsError(INVALID)  # `.`, `..`: as rmdir(2)
        if node is None:
            raise FsError(NO_ENTRY)
        if type(node) is Mount:
            raise FsError(BUSY)
        if type(node) is not Dir:
            raise FsError(NOT_DIRECTORY)
        if r.trailing_slash:
            raise FsError(INVALID)  # wasmtime resolves `d/` as `d/.`
        tree.check_writable(r.parent)
        if tree.entries(node):
            raise FsError(NOT_EMPTY)
        del tree.entries(r.parent)[r.name]

    def rename_at(self, old_path: str, new_dir: Descriptor, new_path: str) -> None:
        tree = self.tree
        base, new_base = self._dir(), new_dir._dir()
        old = resolve(tree, base, old_path, False)
        if old.name is None:
            raise FsError(BUSY)
        src = old.node
        if src is None:
            raise FsError(NO_ENTRY)
        new = resolve(tree, new_base, new_path, False)
        if new.name is None:
            raise FsError(BUSY)
        dst = new.node
        src_is_dir = type(src) is Dir
        if (old.trailing_slash or new.trailing_slash) and not src_is_dir:
            raise FsError(NOT_DIRECTORY)
        if type(src) is Mount or type(dst) is Mount:
            raise FsError(BUSY)
        if src is dst:
            return
        tree.check_writable(old.parent)
        tree.check_writable(new.parent)
        if src_is_dir:
            ancestor = new.parent
            while ancestor is not None:
                if ancestor is src:
                    raise FsError(INVALID)  # a directory cannot move into itself
                ancestor = ancestor.parent
            if dst is not None:
                if type(dst) is not Dir:
                    raise FsError(NOT_DIRECTORY)
                if tree.entries(dst):
                    raise FsError(NOT_EMPTY)
        elif type(dst) is Dir:
            raise FsError(IS_DIRECTORY)
        del tree.entries(old.parent)[old.name]
        tree.entries(new.parent)[new.name] = src
        if src_is_dir:
            src.parent = new.parent
