"""How `run` and `inspect` take either a file or a registry reference.

An argument naming an existing file is that file. Otherwise, one that reads as
`HOST/REPO[:TAG|@DIGEST]` (`reference.looks_like_reference`) is resolved from the cache
when it was pulled before -- no network -- else pulled into the cache. The pull
machinery (and httpx) is imported only then, so running a local file costs nothing extra.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import ProgressHook
from .reference import looks_like_reference

if TYPE_CHECKING:
    from .pull import PulledComponent


@dataclass(frozen=True, slots=True)
class WasmInput:
    """A `run`/`inspect` argument made concrete: a file to read and names to show."""

    path: Path
    label: str     # for messages and reports: what the user typed
    argv0: str     # the guest's default argv[0]: the file name, or the repository's last part
    pulled: PulledComponent | None = None


def wasm_input(argument: str, *, plain_http: bool = False,
               progress: ProgressHook | None = None) -> WasmInput:
    """A file path, or a registry reference resolved through the cache."""
    if os.path.exists(argument) or not looks_like_reference(argument):
        return WasmInput(Path(argument), argument, Path(argument).name)
    from .pull import cached_or_pulled

    pulled = cached_or_pulled(argument, plain_http=plain_http, progress=progress)
    return WasmInput(pulled.path, argument, pulled.reference.repository.rsplit("/", 1)[-1], pulled)
