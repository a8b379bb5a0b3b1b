"""Atomic file output: a reader sees the old file or the complete new one, never half.

Every artifact wasivirt writes (adapted components, composed apps, cache entries) goes
through here, so a crash, a full disk or Ctrl-C never leaves a truncated `.wasm` that a
later step would trust. The temporary file lives in the destination directory (so the
final `os.replace` is a rename on one filesystem) and is removed on any exception.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import WasivirtError

_DEFAULT_MODE = 0o666


def _umask() -> int:
    """The process umask (reading it requires setting it; restored at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_destination(path: Path) -> None:
    if path.is_dir():
        raise WasivirtError(f"{path}: is a directory; give a file name for the output")
    parent = path.parent
    if not parent.is_dir():
        raise WasivirtError(f"{path}: directory {parent} does not exist; create it first")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, mode: int = _DEFAULT_MODE) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success it replaces `path`.

    For tools that write their output themselves (`jco ... -o TMP`): the temporary file
    already exists (empty) when the block starts. If the block raises, it is removed and
    `path` is untouched.
    """
    dest = Path(path)
    _check_destination(dest)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    except OSError as exc:
        raise WasivirtError(f"{dest}: cannot write here ({exc.strerror})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, mode & ~_umask())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview,
                       *, mode: int = _DEFAULT_MODE, fsync: bool = False) -> Path:
    """Write `data` to `path` atomically; returns the path.

    Raises `WasivirtError` (one line naming the file) if the destination cannot be
    written; on any failure no temporary file is left behind.
    """
    dest = Path(path)
    try:
        with atomic_path(dest, mode=mode) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
    except OSError as exc:
        raise WasivirtError(f"{dest}: cannot write ({exc.strerror or exc})") from None
    return dest


def read_input(path: str | os.PathLike[str], what: str = "input") -> bytes:
    """Read a user-supplied file, turning OS errors into one-line `WasivirtError`s."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise WasivirtError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise WasivirtError(f"{p}: is a directory, expected a {what} file") from None
    except OSError as exc:
        raise WasivirtError(f"{p}: cannot read ({exc.strerror or exc})") from None
