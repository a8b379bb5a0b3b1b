"""Helpers for the virtualizer tests: VFS images built from nested dicts.

Images are encoded with the image package's encoder (the format's host side), so these
tests also check that the virtualizer's decoder agrees with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasivirt_component.image.format import encode_image
from wasivirt_component.image.tree import Directory, File, InlineSource, Node, Symlink

TIMESTAMP = 1_700_000_000


@dataclass
class Link:
    """A symlink in a test tree."""

    target: str


@dataclass
class RO:
    """A read-only file (bytes) or directory (dict) in a test tree."""

    content: bytes | dict


def build_tree(spec: dict, read_only: bool = False) -> Directory:
    """A tree.Directory from `{name: bytes | str | dict | Link | RO}`."""
    root = Directory(read_only=read_only)
    for name, value in spec.items():
        root.entries[name] = _node(value)
    return root


def _node(value: object, read_only: bool = False) -> Node:
    if isinstance(value, RO):
        return _node(value.content, read_only=True)
    if isinstance(value, dict):
        d = build_tree(value)
        d.read_only = read_only
        return d
    if isinstance(value, Link):
        return Symlink(target=value.target, read_only=read_only)
    if isinstance(value, str):
        value = value.encode()
    assert isinstance(value, bytes), value
    return File(source=InlineSource(value), read_only=read_only)


class _Source:
    def __init__(self, root: Directory, read_only: bool) -> None:
        self.root = root
        self.read_only = read_only
        self.origin = None


def make_image(spec: dict, *, read_only: bool = False, root_read_only: bool = False,
               timestamp: int = TIMESTAMP) -> bytes:
    """The encoded image of a nested-dict tree."""
    root = build_tree(spec)
    root.read_only = root_read_only
    return encode_image(_Source(root, read_only), timestamp=timestamp)


SAMPLE = {
    "f.txt": b"hello world\n",
    "empty": b"",
    "d": {"g.txt": b"g\n", "sub": {}, "deep": {"x": b"x"}},
    "ro.txt": RO(b"read only\n"),
    "rodir": RO({"inner.txt": b"inner"}),
    "lf": Link("f.txt"),
    "ld": Link("d"),
    "labs": Link("/etc/passwd"),
    "lesc": Link("../outside"),
    "lloop": Link("lloop"),
    "ldang": Link("nothing"),
    "big.bin": bytes(range(256)) * 1024,
}
