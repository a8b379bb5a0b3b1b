"""The spec DSL: what a user's `spec.py` calls to describe the guest's filesystem.

```python
from wasivirt_component import VFS

vfs = VFS()                       # VFS(read_only=True): nothing in the tree can change
with vfs.dir("/etc") as etc:
    etc.file("app.toml", "debug = false\\n", read_only=True)
    with etc.dir("conf.d") as conf:
        conf.file("empty")
vfs.embed("/assets", "./assets")  # relative to the spec file's directory
vfs.mount("/data", host="data", read_only=True, hide=["*.key"])  # `run --dir ./d::data`
```

Every method checks its arguments at once and raises `SpecError` with a plain message;
the loader prefixes it with the spec file and line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TypedDict

from ..errors import SpecError
from . import context
from .embed import embed_host_dir, host_directory
from .tree import Directory, File, InlineSource, Mount, Node, check_name, child_path, iter_tree, split_guest_path


class DirBuilder:
    """A directory of the tree being built; returned by `VFS.dir` and `DirBuilder.dir`.

    Usable as a context manager (`with vfs.dir("/etc") as etc:`) or directly.
    """

    __slots__ = ("_node", "path")

    def __init__(self, node: Directory, path: str) -> None:
        self._node = node
        self.path = path  # the guest path, for messages

    def __enter__(self) -> DirBuilder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def __repr__(self) -> str:
        return f"<wasivirt directory {self.path}>"

    def dir(self, name: str) -> DirBuilder:
        """The subdirectory `name`, created if missing (calling again reopens it)."""
        check_name(name, self.path)
        return DirBuilder(_subdir(self._node, name, self.path), child_path(self.path, name))

    def file(self, name: str, content: bytes | str = b"", read_only: bool = False) -> None:
        """A regular file with `content` (a str is stored as UTF-8)."""
        check_name(name, self.path)
        data = _content_bytes(content, child_path(self.path, name))
        node = File(read_only=bool(read_only), origin=context.caller_origin(), source=InlineSource(data))
        self._node.add(name, node, self.path)


class VFS:
    """The filesystem a spec describes; the spec must bind one to the name `vfs`.

    `read_only=True` marks the whole tree read-only: the guest can read it but never
    create, change or delete anything in it.
    """

    def __init__(self, read_only: bool = False) -> None:
        self.read_only = bool(read_only)
        self.origin = context.caller_origin()
        self.root = Directory(origin=self.origin)
        self.root_mount: Mount | None = None  # vfs.mount("/", ...)

    def __repr__(self) -> str:
        return f"<wasivirt VFS{' read-only' if self.read_only else ''} with {len(self.root.entries)} top-level entries>"

    def dir(self, path: str) -> DirBuilder:
        """The directory at absolute guest `path`, creating it and its parents if missing.

        Opening the same path twice returns the same directory (entries accumulate).
        """
        parts = split_guest_path(path)
        self._outside_root_mount(path)
        node, guest = self.root, "/"
        for part in parts:
            node = _subdir(node, part, guest)
            guest = child_path(guest, part)
        return DirBuilder(node, guest)

    def embed(self, guest_path: str, host_dir: str | os.PathLike[str]) -> None:
        """Copy host directory `host_dir` into the guest at `guest_path`, at compose time.

        A relative `host_dir` is relative to the spec file's directory. Entries are walked
        in sorted order, so the image depends only on the directory's contents. Embedded
        files and the directories created for them are read-only. Embedding into a
        directory that already exists adds to it; a name present on both sides is a
        duplicate. Symlinks are followed when they stay inside `host_dir` (the guest sees
        a plain file or directory); one pointing outside it, a broken one or a loop is an
        error, and so are fifos, sockets and devices (details in `image/embed.py`).
        """
        if not isinstance(host_dir, (str, os.PathLike)):
            raise SpecError(f"embed: the host directory must be a str or path, not {type(host_dir).__name__}")
        given = Path(host_dir)
        resolved = given if given.is_absolute() else context.base_dir() / given
        shown = repr(str(host_dir)) if given.is_absolute() else f"{str(host_dir)!r} (resolved to {resolved})"
        root = host_directory(resolved, shown=shown)  # before the tree changes
        existed = self._lookup(guest_path) is not None
        target = self.dir(guest_path)
        if not existed:
            target._node.read_only = True
        embed_host_dir(target._node, target.path, root, read_only=True, origin=context.caller_origin())

    def mount(self, guest_path: str, host: str, path: str = ".", read_only: bool = False,
              hide: Iterable[str] = ()) -> None:
        """Pass the host preopen named `host` through at `guest_path`, at run time.

        `host` is the guest name of a preopen the runtime gives (`wasivirt run --dir
        ./data::data`, `wasmtime run --dir ./data::data`); `path` picks a directory or a
        single file inside it. The virtualizer enforces the policy: `read_only` makes every
        change fail with `read-only`; a name matching a `hide` pattern (shell-style, e.g.
        "*.key", ".git"; matched against each name, so no "/") is absent from listings and
        answers `no-entry`. Paths never leave the mount through `..` or symlinks. A mount may
        replace a directory declared or embedded before it (it shadows it, like a real
        mount); `guest_path` "/" makes the whole filesystem the host's.
        """
        policy = _mount_policy(host, path, read_only, hide)
        parts = split_guest_path(guest_path)
        self._outside_root_mount(guest_path)
        node = Mount(origin=context.caller_origin(), guest="/" + "/".join(parts), **policy)
        if not parts:
            if self.root.entries or self.root_mount is not None:
                raise SpecError("a mount at / must be the only thing in the spec: it replaces "
                                "the whole tree (mount subdirectories instead)")
            self.root_mount = node
            return
        parent, guest = self.root, "/"
        for part in parts[:-1]:
            parent = _subdir(parent, part, guest)
            guest = child_path(guest, part)
        name = parts[-1]
        existing = parent.entries.get(name)
        if existing is not None and not isinstance(existing, Directory):
            first = f" (declared at {existing.origin})" if existing.origin else ""
            raise SpecError(f"cannot mount over {child_path(guest, name)}: it is not a directory{first}")
        parent.entries[name] = node  # shadows a directory, as a real mount does

    def _outside_root_mount(self, path: str) -> None:
        if self.root_mount is not None:
            first = f" (declared at {self.root_mount.origin})" if self.root_mount.origin else ""
            raise SpecError(f"cannot add {path}: / is a host mount{first}, its contents come "
                            "from the host at run time")

    def mounts(self) -> list[tuple[str, Mount]]:
        """(guest path, mount) of every host mount, in path order."""
        if self.root_mount is not None:
            return [("/", self.root_mount)]
        return [(path, node) for path, node in iter_tree(self.root) if isinstance(node, Mount)]

    def _lookup(self, path: str) -> Node | None:
        node: Node | None = self.root
        for part in split_guest_path(path):
            node = node.entries.get(part) if isinstance(node, Directory) else None
        return node


def _subdir(parent: Directory, name: str, where: str) -> Directory:
    existing: Node | None = parent.entries.get(name)
    if existing is None:
        return parent.add(name, Directory(origin=context.caller_origin()), where)  # type: ignore[return-value]
    if not isinstance(existing, Directory):
        first = f" (declared at {existing.origin})" if existing.origin else ""
        what = "is a host mount (its contents come from the host at run time)" \
            if isinstance(existing, Mount) else "is not a directory"
        raise SpecError(f"{child_path(where, name)} {what}{first}")
    return existing


MAX_FIELD_BYTES = 0xFFFF  # the image stores these lengths as u16


class _MountPolicy(TypedDict):
    host: str
    path: str
    read_only: bool
    hide: tuple[str, ...]


def _mount_policy(host: object, path: object, read_only: object, hide: object) -> _MountPolicy:
    """Checked mount arguments, as Mount fields (a SpecError says what is wrong)."""
    if not isinstance(host, str) or not host or "\0" in host:
        raise SpecError(f"mount: host must be the non-empty name of a runtime preopen "
                        f"(as in `--dir ./dir::NAME`), not {host!r}")
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str) or "\0" in path:
        raise SpecError(f"mount: path must be a str inside the preopen, not {path!r}")
    parts = [p for p in path.split("/") if p and p != "."]
    if path.startswith("/") or ".." in parts:
        raise SpecError(f"mount: path {path!r} must stay inside the preopen (relative, no \"..\")")
    if isinstance(hide, str) or not isinstance(hide, Iterable):
        raise SpecError(f"mount: hide must be a list of name patterns, not {type(hide).__name__}")
    patterns: tuple[str, ...] = ()
    for pattern in hide:
        if not isinstance(pattern, str) or not pattern or "/" in pattern or "\0" in pattern:
            raise SpecError(f"mount: hide pattern {pattern!r} must be a non-empty name pattern "
                            "without \"/\" (it is matched against each name)")
        patterns += (pattern,)
    normalized = "/".join(parts) or "."
    for field, value in (("host", host), ("path", normalized), *(("hide pattern", p) for p in patterns)):
        if len(value.encode("utf-8", "surrogatepass")) > MAX_FIELD_BYTES:
            raise SpecError(f"mount: the {field} {value[:20]!r}... is longer than {MAX_FIELD_BYTES} bytes")
    if len(patterns) > MAX_FIELD_BYTES:
        raise SpecError(f"mount: at most {MAX_FIELD_BYTES} hide patterns")
    return {"host": host, "path": normalized, "read_only": bool(read_only), "hide": patterns}


def _content_bytes(content: object, where: str) -> bytes:
    if isinstance(content, str):
        try:
            return content.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SpecError(f"content of {where} is not valid UTF-8 text ({exc.reason})") from None
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    raise SpecError(f"content of {where} must be bytes or str, not {type(content).__name__}")
