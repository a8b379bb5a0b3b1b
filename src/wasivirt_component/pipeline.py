"""The steps behind the composing commands, in order, each a call into a feature package.

`plug_files`: read socket and plugs → compose (`compose.plug`) → validate → write.
"""

from __future__ import annotations

import os
from pathlib import Path

from .check import validate_component
from .compose.plug import PlugResult, plug
from .compose.reader import ComponentInfo, read_component
from .fsutil import atomic_write_bytes, read_input


def read_component_file(path: str | os.PathLike[str]) -> ComponentInfo:
    """A component from disk; errors name the file."""
    return read_component(read_input(path, "component"), str(path))


def plug_files(socket: str | os.PathLike[str], plugs: list[str | os.PathLike[str]],
               output: str | os.PathLike[str]) -> PlugResult:
    """`wasivirt plug`: compose, validate with wasmtime, then write `output` atomically."""
    socket_info = read_component_file(socket)
    plug_infos = [read_component_file(p) for p in plugs]
    result = plug(socket_info, plug_infos)
    validate_component(result.data, f"composition of {Path(socket).name}")
    atomic_write_bytes(output, result.data)
    return result
