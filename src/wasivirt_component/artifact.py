"""What a composed artifact says about itself: the host mounts it needs, in a custom section.

A component built by `wasivirt compose` with host mounts carries a `wasivirt-mounts`
custom section at its top level: JSON `{"version": 1, "mounts": [{guest, host, path,
read_only, hide}]}`. Runtimes ignore it; `wasivirt inspect` shows it and `wasivirt run`
refuses to start, in one line, when a mount's preopen is not given. It sits at the ground
floor because the commands that read it (run, inspect) sit below the pipeline that writes it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .binary.encode import name, section
from .binary.reader import Reader
from .binary.sections import iter_sections
from .errors import BinaryFormatError

MOUNTS_SECTION = "wasivirt-mounts"
VERSION = 1


@dataclass(frozen=True, slots=True)
class MountRecord:
    """One host mount: the guest path, the runtime preopen it passes through, its policy."""

    guest: str
    host: str
    path: str
    read_only: bool
    hide: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "hide": list(self.hide)}


def mounts_section(mounts: list[MountRecord]) -> bytes:
    """The custom section recording `mounts` (append it to a component)."""
    payload = json.dumps({"version": VERSION, "mounts": [m.to_json() for m in mounts]},
                         sort_keys=True, separators=(",", ":")).encode()
    return section(0, name(MOUNTS_SECTION) + payload)


def read_mounts(data: bytes | memoryview, what: str = "component") -> list[MountRecord]:
    """The mounts a component records (none for components we did not compose, and none
    for malformed bytes: whoever validates them says what is wrong)."""
    view = memoryview(data)
    try:
        return _read_mounts(view, what)
    except BinaryFormatError:
        return []


def _read_mounts(view: memoryview, what: str) -> list[MountRecord]:
    for sec in iter_sections(view, 8, None, what):
        if sec.id != 0:
            continue
        r = Reader(view, sec.start, sec.end, what)
        if r.name() != MOUNTS_SECTION:
            continue
        try:
            doc = json.loads(bytes(view[r.pos:sec.end]))
            return [MountRecord(m["guest"], m["host"], m["path"], bool(m["read_only"]), tuple(m["hide"]))
                    for m in doc["mounts"]]
        except (ValueError, KeyError, TypeError):
            return []
    return []
