"""Which spec file is running, so DSL calls know their line and their base directory.

The loader sets the context while it executes a spec; the DSL reads it. Outside a spec
(the DSL used as a library) relative host paths are relative to the working directory and
origins name the calling file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from .tree import Origin

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


@dataclass(frozen=True, slots=True)
class SpecContext:
    code_filename: str  # the spec's code objects carry this filename
    display: str  # the spec path as the user wrote it (used in messages)
    base_dir: Path  # relative host paths start here


_current: ContextVar[SpecContext | None] = ContextVar("wasivirt_spec", default=None)


@contextmanager
def running_spec(ctx: SpecContext) -> Iterator[None]:
    token = _current.set(ctx)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> SpecContext | None:
    return _current.get()


def base_dir() -> Path:
    """Where relative host paths in the running spec are resolved from."""
    ctx = _current.get()
    return ctx.base_dir if ctx else Path.cwd()


def caller_origin() -> Origin | None:
    """The spec line that called into the DSL.

    The innermost frame of the running spec file if there is one on the stack (a helper
    module called from the spec reports the spec's calling line), else the first frame
    outside this package.
    """
    ctx = _current.get()
    frame: FrameType | None = sys._getframe(1)
    outside = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if ctx and filename == ctx.code_filename:
            return Origin(ctx.display, frame.f_lineno)
        if outside is None and not filename.startswith(_PACKAGE_DIR):
            outside = Origin(filename, frame.f_lineno)
            if ctx is None:
                return outside
        frame = frame.f_back
    return outside
