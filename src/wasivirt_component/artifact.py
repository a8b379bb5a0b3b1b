"""What a composed artifact says about itself, in a custom section at its top level.

Every component `wasivirt compose` writes carries a `wasivirt-artifact` custom section:
JSON `{"version": 1, "created": SECONDS, "link": "fused"|"composed", "mounts": [{guest,
host, path, read_only, hide}]}`. `created` is the time the tree was composed (its files'
timestamps: `$SOURCE_DATE_EPOCH`, else the compose time), so a registry artifact can carry
a creation time derived from its content; `link` says how the virtualizer is linked (a
record without it predates fused linking: composed); `mounts` lists the host mounts it
needs. Runtimes ignore the section;
`wasivirt inspect` shows it, `wasivirt run` refuses to start, in one line, when a mount's
preopen is not given, and `wasivirt publish` uses `created`. It sits at the ground floor
because the commands that read it (run, inspect, publish) sit below the pipeline that
writes it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from .binary.encode import name, section
from .binary.reader import Reader
from .binary.sections import iter_sections
from .errors import BinaryFormatError

SECTION = "wasivirt-artifact"
VERSION = 1
LINKS = ("composed", "fused")


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


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    """The section's contents."""

    created: int                       # seconds since the epoch
    mounts: tuple[MountRecord, ...] = field(default_factory=tuple)
    link: str = "composed"             # "composed": its own component; "fused": inside the child's


def artifact_section(record: ArtifactRecord) -> bytes:
    """The custom section recording `record` (append it to a component)."""
    payload = json.dumps({"version": VERSION, "created": record.created, "link": record.link,
                          "mounts": [m.to_json() for m in record.mounts]},
                         sort_keys=True, separators=(",", ":")).encode()
    return section(0, name(SECTION) + payload)


def read_artifact(data: bytes | memoryview, what: str = "component") -> ArtifactRecord | None:
    """The record of a component we composed; None for others, and for malformed bytes
    (whoever validates them says what is wrong)."""
    view = memoryview(data)
    try:
        for sec in iter_sections(view, 8, None, what):
            if sec.id != 0:
                continue
            r = Reader(view, sec.start, sec.end, what)
            if r.name() == SECTION:
                return _parse(bytes(view[r.pos:sec.end]))
    except BinaryFormatError:
        return None
    return None


def _parse(payload: bytes) -> ArtifactRecord | None:
    try:
        doc = json.loads(payload)
        mounts = tuple(MountRecord(m["guest"], m["host"], m["path"], bool(m["read_only"]), tuple(m["hide"]))
                       for m in doc["mounts"])
        link = doc.get("link", "composed")
        if link not in LINKS:
            return None
        return ArtifactRecord(int(doc["created"]), mounts, link)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def read_mounts(data: bytes | memoryview, what: str = "component") -> list[MountRecord]:
    """The host mounts a component needs (none for components we did not compose)."""
    record = read_artifact(data, what)
    return list(record.mounts) if record else []
