"""Path resolution with wasmtime's (cap-std's) sandbox rules, over the virtual tree.

A path is resolved relative to a directory descriptor and may never leave it: an
absolute path, a `..` above the starting directory, or a symlink whose target is
absolute or climbs out, is `not-permitted` (what wasmtime's native host returns).
Intermediate symlinks are always followed, the last one only when asked (or when a
trailing slash demands a directory); more than 40 expansions is `loop`.
"""

from __future__ import annotations

from wv_errors import INVALID, LOOP, NAME_TOO_LONG, NO_ENTRY, NOT_DIRECTORY, NOT_PERMITTED, UNSUPPORTED, FsError
from wv_tree import Dir, Mount, Node, Symlink, Tree

MAX_SYMLINK_EXPANSIONS = 40
NAME_MAX = 255  # bytes, like Linux


class Resolved:
    """Where a path leads: `node` (None if the last component is missing) and, unless the
    path ends in `.`/`..` (then it names the directory itself), its parent and name."""

    __slots__ = ("parent", "name", "node", "trailing_slash")

    def __init__(self, parent: Dir | None, name: str | None, node: Node | None,
                 trailing_slash: bool) -> None:
        self.parent = parent
        self.name = name
        self.node = node
        self.trailing_slash = trailing_slash


def _check_name(name: str) -> None:
    if len(name) > 63 and len(name.encode("utf-8", "surrogatepass")) > NAME_MAX:
        raise FsError(NAME_TOO_LONG)


def resolve(tree: Tree, base: Dir, path: str, follow: bool, *, keep_last_link: bool = False) -> Resolved:
    """Resolve `path` from directory `base`; `follow`: follow a symlink in last position.

    A trailing slash makes a last symlink be followed too, except with `keep_last_link`
    (mkdir, rename, symlink, link name the link itself, as rename(2) and mkdir(2) do).
    """
    # Fast path: plain names through real directories (the common case); anything else
    # (`.`, `..`, `//`, symlinks on the way, missing or non-directory parents, errors)
    # starts over in the full resolver, which gives the exact error.
    parts = path.split("/")
    last = parts.pop()
    if last and last != "." and last != ".." and path[0] != "/" and "\0" not in path:
        current = base
        child = tree.child
        for part in parts:
            if not part or part == "." or part == "..":
                return _resolve(tree, base, path, follow, keep_last_link)
            node = child(current, part)
            if type(node) is not Dir:
                return _resolve(tree, base, path, follow, keep_last_link)
            current = node
        if len(last) > 63:
            _check_name(last)
        node = child(current, last)
        if not (follow and type(node) is Symlink):
            return Resolved(current, last, node, False)
    return _resolve(tree, base, path, follow, keep_last_link)


def _resolve(tree: Tree, base: Dir, path: str, follow: bool, keep_last_link: bool) -> Resolved:
    if not path:
        raise FsError(NO_ENTRY)
    if path[0] == "/":
        raise FsError(NOT_PERMITTED)
    if "\0" in path:
        raise FsError(INVALID)
    trailing = path[-1] == "/"
    todo = [part for part in path.split("/") if part]
    todo.reverse()  # a stack: the next component is todo[-1]
    dirs = [base]   # the directories walked from base; `..` pops
    expansions = 0
    while todo:
        part = todo.pop()
        if part == ".":
            continue
        if part == "..":
            if len(dirs) == 1:
                raise FsError(NOT_PERMITTED)
            dirs.pop()
            continue
        _check_name(part)
        current = dirs[-1]
        node = tree.child(current, part)
        last = not todo
        if node is None:
            if last:
                return Resolved(current, part, None, trailing)
            raise FsError(NO_ENTRY)
        kind = type(node)
        if kind is Symlink and (not last or follow or (trailing and not keep_last_link)):
            expansions += 1
            if expansions > MAX_SYMLINK_EXPANSIONS:
                raise FsError(LOOP)
            target = tree.target(node)
            if not target:
                raise FsError(NO_ENTRY)
            if target[0] == "/":
                raise FsError(NOT_PERMITTED)
            if last and target[-1] == "/":
                trailing = True
            todo.extend(reversed([p for p in target.split("/") if p]))
            continue
        if last:
            return Resolved(current, part, node, trailing)
        if kind is Dir:
            dirs.append(node)
        elif kind is Mount:
            raise FsError(UNSUPPORTED)
        else:
            raise FsError(NOT_DIRECTORY)
    # The path ended in `.` or `..` (or was only those): it names a directory itself.
    return Resolved(None, None, dirs[-1], trailing)


def resolve_existing(tree: Tree, base: Dir, path: str, follow: bool) -> Node:
    """The node `path` names; `no-entry` if missing, `not-directory` for `file/`.

    The last successful lookup is remembered until the tree's entries change: preview1
    asks `stat-at` and then `metadata-hash-at` for the same path on every stat().
    """
    last = tree.last_lookup
    if (last is not None and last[1] == path and last[0] is base and last[2] == follow
            and last[3] == tree.generation):
        return last[4]
    r = resolve(tree, base, path, follow)
    node = r.node
    if node is None:
        raise FsError(NO_ENTRY)
    if r.trailing_slash and type(node) is not Dir and type(node) is not Mount:
        raise FsError(NOT_DIRECTORY)
    tree.last_lookup = (base, path, follow, tree.generation, node)
    return node
