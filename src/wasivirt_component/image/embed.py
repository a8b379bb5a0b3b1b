"""Copying a host directory into the tree (`vfs.embed`).

The walk happens when the spec calls `embed`, so every problem is reported at that spec
line; file bytes are read later, at encode time, straight into the image.

Rules, chosen so the result depends only on the directory's contents:
- entries are visited sorted by their UTF-8 bytes; every name must be valid UTF-8;
- a symlink is followed when its target stays inside the embedded directory (the guest
  sees an ordinary file or directory; a file reached twice is stored once in the image);
  a symlink pointing outside it, a broken one, or one that loops back to a directory
  being walked is an error: embedding never reaches beyond the directory the spec named;
- anything but regular files, directories and such symlinks (fifos, sockets, devices)
  is an error;
- embedded files and directories are read-only unless asked otherwise.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import SpecError
from .tree import Directory, File, HostFileSource, Origin, check_name, child_path


def _oserror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class _Walker:
    def __init__(self, root: str, read_only: bool, origin: Origin | None) -> None:
        self.root = root  # real path of the embedded directory
        self.read_only = read_only
        self.origin = origin

    def fill(self, target: Directory, real_dir: str, guest: str, walking: tuple[str, ...]) -> None:
        """Add the contents of host directory `real_dir` to `target` (guest path `guest`)."""
        try:
            with os.scandir(real_dir) as it:
                entries = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as exc:
            raise SpecError(f"embed: cannot list {real_dir}: {_oserror(exc)}") from None
        for entry in entries:
            name = entry.name
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                raise SpecError(f"embed: the name of {entry.path!r} is not valid UTF-8") from None
            check_name(name, guest)
            real, st = self._resolve(entry.path)
            if stat.S_ISDIR(st.st_mode):
                if real in walking:
                    raise SpecError(f"embed: symlink {entry.path} loops back to {real}")
                sub = Directory(read_only=self.read_only, origin=self.origin)
                target.add(name, sub, guest)
                self.fill(sub, real, child_path(guest, name), walking + (real,))
            elif stat.S_ISREG(st.st_mode):
                source = HostFileSource(Path(real), st.st_size)
                target.add(name, File(read_only=self.read_only, origin=self.origin, source=source), guest)
            else:
                raise SpecError(f"embed: {entry.path} is not a regular file, directory or symlink")

    def _resolve(self, path: str) -> tuple[str, os.stat_result]:
        """The real path and stat of `path`, following a symlink only within the root."""
        try:
            st = os.lstat(path)
        except OSError as exc:
            raise SpecError(f"embed: cannot stat {path}: {_oserror(exc)}") from None
        if not stat.S_ISLNK(st.st_mode):
            return path, st
        real = os.path.realpath(path)
        if not _inside(real, self.root):
            raise SpecError(f"embed: symlink {path} points outside the embedded directory "
                            f"(to {real}); copy the file in or embed it separately")
        try:
            return real, os.stat(real)
        except OSError as exc:
            raise SpecError(f"embed: symlink {path} is broken ({real}: {_oserror(exc)})") from None


def host_directory(host_dir: Path, *, shown: str) -> str:
    """The real path of `host_dir` once it is known to be a readable directory; else a
    SpecError. `shown` is how messages name it (the user's spelling, resolved)."""
    try:
        st = os.stat(host_dir)
    except FileNotFoundError:
        raise SpecError(f"embed: host directory {shown} does not exist") from None
    except OSError as exc:
        raise SpecError(f"embed: cannot access host directory {shown}: {_oserror(exc)}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise SpecError(f"embed: host path {shown} is not a directory")
    return os.path.realpath(host_dir)


def embed_host_dir(target: Directory, guest: str, root: str, *, read_only: bool,
                   origin: Origin | None) -> None:
    """Copy the tree under `root` (from `host_directory`) into `target`, the guest
    directory at `guest`."""
    _Walker(root, read_only, origin).fill(target, root, guest, (root,))
