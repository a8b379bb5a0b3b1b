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
                       NOT_DIRECTORY, NOT_EMPTY, NOT_PERMITTED, READ_ONLY, UNSUPPORTED, FsError)
from wv_files import FileReader, FileWriter, read_at, set_size, write_at
from wv_paths import resolve, resolve_existing
from wv_image import KIND_SYMLINK
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
        items = self.items
        if i >= len(items):
            self.items = []  # componentize-py never frees exported resources: keep them small
            return None
        self.index = i + 1
        return items[i]


def stat_of(tree: Tree, node: Node) -> tuple:
    """(descriptor-type, link count, size, (atime, mtime, ctime))."""
    kind = type(node)
    if kind is File or kind is Symlink:
        size = node.size
    elif kind is Dir:
        size = node.size(tree)
    else:
        size = 0
    return node.dtype, node.links, size, node.times or tree.default_times


def _set_times(tree: Tree, node: Node, atime, mtime) -> None:
    if atime is None and mtime is None:
        return
    tree.check_writable(node)
    now = tree.default_times[1]  # no host clock call of our own: "now" is the image time
    old_a, old_m, _ = node.times or tree.default_times
    new_a = old_a if atime is None else now if atime == NOW else atime
    new_m = old_m if mtime is None else now if mtime == NOW else mtime
    node.times = (new_a, new_m, now)
    node.memo = None


def _new_name(tree: Tree, base: Dir, path: str):
    """Resolve where symlink-at / link-at create an entry: it must not exist yet."""
    r = resolve(tree, base, path, False, keep_last_link=True)
    node = r.node
    if r.name is None or (node is not None and (type(node) is Dir or not r.trailing_slash)):
        raise FsError(EXIST)
    if r.trailing_slash:
        raise FsError(NO_ENTRY if node is None else NOT_DIRECTORY)  # as wasmtime
    return r


def _is_ancestor(d: Dir, node: Dir | None) -> bool:
    """Whether directory `d` is `node` or one of its ancestors."""
    while node is not None:
        if node is d:
            return True
        node = node.parent
    return False


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
        return data, not data  # like wasmtime: end-of-file only when nothing was read

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
        return stat_of(self.tree, self.lookup(path_flags, path))

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
        ino = self.entry_ino(path_flags, path)
        return ino, ino ^ HASH_MIX

    def lookup(self, path_flags: int, path: str) -> Node:
        """The node `path` names (what stat-at describes)."""
        return resolve_existing(self.tree, self._dir(), path, bool(path_flags & SYMLINK_FOLLOW))

    def entry_ino(self, path_flags: int, path: str) -> int:
        """The inode `path` names; a plain entry name needs no node (readdir asks this for
        every entry, through `metadata-hash-at`)."""
        base = self.node
        if type(base) is Dir:
            raw = self.tree.entries(base).get(path)
            if type(raw) is tuple and (raw[0] != KIND_SYMLINK or not path_flags & SYMLINK_FOLLOW):
                return raw[2]
        return self.lookup(path_flags, path).ino

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
        # As wasmtime: create and truncate imply opening for writing, and a tree that
        # cannot change refuses them before looking at the path.
        write = flags & WRITE or create or truncate
        if write and tree.read_only:
            raise FsError(READ_ONLY)
        read_mode = READ if flags & READ or not flags & WRITE else 0
        r = resolve(tree, base, path, bool(path_flags & SYMLINK_FOLLOW))
        node = r.node
        if node is None:
            if not create:
                raise FsError(NO_ENTRY)
            if r.trailing_slash:
                raise FsError(IS_DIRECTORY)
            parent = r.parent
            tree.check_writable(parent)
            node = File(tree.new_ino(), False, None, 0)
            tree.add_entry(parent, r.name, node)
            return Descriptor(tree, node, read_mode | WRITE)
        if create and open_flags & OPEN_EXCLUSIVE:
            raise FsError(EXIST)
        kind = type(node)
        if kind is Dir:
            if write:
                raise FsError(IS_DIRECTORY)
            return Descriptor(tree, node, READ)  # as wasmtime: no mutate-directory here
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
        r = resolve(tree, self._dir(), path, False, keep_last_link=True)
        if r.node is not None:
            raise FsError(EXIST)
        tree.check_writable(r.parent)
        tree.add_entry(r.parent, r.name, Dir(tree.new_ino(), False, None, r.parent))

    def symlink_at(self, target: str, path: str) -> None:
        tree = self.tree
        r = _new_name(tree, self._dir(), path)
        if target.startswith("/"):
            raise FsError(NOT_PERMITTED)  # it could never be followed inside the sandbox
        tree.check_writable(r.parent)
        size = len(target.encode("utf-8", "surrogatepass"))
        tree.add_entry(r.parent, r.name, Symlink(tree.new_ino(), False, None, size, target))

    def link_at(self, old_path_flags: int, old_path: str, new_dir: Descriptor, new_path: str) -> None:
        """A hard link to a file or symlink (directories: `not-permitted`, as Linux)."""
        tree = self.tree
        base, new_base = self._dir(), new_dir._dir()
        if old_path_flags & SYMLINK_FOLLOW:
            raise FsError(INVALID)  # as wasmtime
        src = resolve_existing(tree, base, old_path, False)
        r = _new_name(tree, new_base, new_path)
        if type(src) is Dir or type(src) is Mount:
            raise FsError(NOT_PERMITTED)
        tree.check_writable(r.parent)
        tree.add_entry(r.parent, r.name, src)
        src.links += 1
        src.memo = None

    def unlink_file_at(self, path: str) -> None:
        tree = self.tree
        r = resolve(tree, self._dir(), path, False)
        node = r.node
        if r.name is None:
            raise FsError(IS_DIRECTORY)
        if node is None:
            if r.trailing_slash and resolve(tree, self._dir(), path, False, keep_last_link=True).node:
                raise FsError(NOT_DIRECTORY)  # `link/` to nothing: the link is no directory
            raise FsError(NO_ENTRY)
        kind = type(node)
        if kind is Dir:
            raise FsError(IS_DIRECTORY)
        if kind is Mount:
            raise FsError(BUSY)
        if r.trailing_slash:
            raise FsError(NOT_DIRECTORY)
        tree.check_writable(r.parent)
        tree.remove_entry(r.parent, r.name)
        node.links -= 1
        node.memo = None

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
        tree.remove_entry(r.parent, r.name)
        node.gone = True

    def rename_at(self, old_path: str, new_dir: Descriptor, new_path: str) -> None:
        tree = self.tree
        base, new_base = self._dir(), new_dir._dir()
        # Both parents are resolved before either last component is looked at (rename(2)).
        old = resolve(tree, base, old_path, False, keep_last_link=True)
        new = resolve(tree, new_base, new_path, False, keep_last_link=True)
        if old.name is None or new.name is None:
            raise FsError(BUSY)
        src = old.node
        if src is None:
            raise FsError(NO_ENTRY)
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
        if src_is_dir and _is_ancestor(src, new.parent):
            raise FsError(INVALID)  # a directory cannot move into itself
        if type(dst) is Dir and _is_ancestor(dst, old.parent):
            raise FsError(NOT_EMPTY)  # replacing a directory that contains the source
        if src_is_dir:
            if dst is not None:
                if type(dst) is not Dir:
                    raise FsError(NOT_DIRECTORY)
                if tree.entries(dst):
                    raise FsError(NOT_EMPTY)
        elif type(dst) is Dir:
            raise FsError(IS_DIRECTORY)
        tree.remove_entry(old.parent, old.name)
        tree.add_entry(new.parent, new.name, src)
        if dst is not None:
            dst.links -= 1
            dst.memo = None
            if type(dst) is Dir:
                dst.gone = True
        if src_is_dir:
            src.parent = new.parent
