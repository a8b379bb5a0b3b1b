"""Interface names (`ns:pkg/iface@version`): parsing, version order, semver compatibility.

Every layer names imports and exports this way, so this is the one place that reads them
(it sits at the ground floor, next to `errors.py` and `paths.py`):

- `parse(name)`: namespace, package, interface and version of `wasi:io/streams@0.2.12`
  (None for a plain name such as `run` or `memory`);
- `Version`, with semver precedence: `0.2.3 < 0.2.12`, and a release ranks above its
  pre-releases (`0.2.0-rc-2023-12-05 < 0.2.0`);
- `compat_key` / `compatible`: Cargo's rules, as wasmtime and wac apply them: for 1.x and
  up the major version must match, for 0.y (y > 0) the minor, for 0.0.z and
  pre-releases the exact version; so `@0.2.9` and `@0.2.12` are compatible;
- `highest(names)`, `short(name)` (`io/streams`), `is_filesystem(name)`;
- `resource_function(name)`: what `[method]fields.get` says about its resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import total_ordering

WASI_NAMESPACE = "wasi"
WASI_VERSION = "0.2.12"  # the WASI release the adapters and the virtualizer target
FILESYSTEM_PACKAGE = "wasi:filesystem"
RUN_INTERFACE = "wasi:cli/run"                        # what a command exports
HTTP_HANDLER_INTERFACE = "wasi:http/incoming-handler"  # what an HTTP handler exports

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")
_INTERFACE = re.compile(
    r"^(?P<package>[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)+)"   # namespace:package (nested ok)
    r"/(?P<interface>[a-z][a-z0-9-]*(?:/[a-z][a-z0-9-]*)*)"  # interface (nested ok)
    r"(?:@(?P<version>[0-9A-Za-z.+-]+))?$")

PreKey = tuple[tuple[int, int | str], ...]


@total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    """A semantic version; ordered by semver precedence (build metadata is ignored)."""

    major: int
    minor: int
    patch: int
    pre: str = ""
    build: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """`0.2.0-rc-2023-12-05` -> Version(0, 2, 0, "rc-2023-12-05"); not semver -> None."""
        m = _VERSION.match(text)
        if not m:
            return None
        return cls(int(m[1]), int(m[2]), int(m[3]), m[4] or "", m[5] or "")

    def key(self) -> tuple[int, int, int, int, PreKey]:
        """Sorts like semver precedence: a release above its pre-releases; pre-release
        identifiers numeric (numerically) below alphanumeric (as text)."""
        ids: PreKey = tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.pre.split(".")) \
            if self.pre else ()
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, ids)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.key() < other.key()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        text += f"-{self.pre}" if self.pre else ""
        return text + (f"+{self.build}" if self.build else "")


@dataclass(frozen=True, slots=True)
class InterfaceName:
    """`wasi:filesystem/types@0.2.12`, taken apart."""

    package: str            # `wasi:filesystem` (nested namespaces kept: `a:b:c`)
    interface: str          # `types` (nested interfaces kept: `x/y`)
    version: str | None     # `0.2.12` as written, or None

    @property
    def namespace(self) -> str:
        """`wasi`."""
        return self.package.split(":", 1)[0]

    @property
    def base(self) -> str:
        """`wasi:filesystem/types`: the name without its version."""
        return f"{self.package}/{self.interface}"

    @property
    def semver(self) -> Version | None:
        return None if self.version is None else Version.parse(self.version)

    @property
    def is_wasi(self) -> bool:
        return self.namespace == WASI_NAMESPACE


def parse(name: str) -> InterfaceName | None:
    """`ns:pkg/iface@version` taken apart; None for a plain name (`run`, `memory`)."""
    m = _INTERFACE.match(name)
    if not m:
        return None
    return InterfaceName(m["package"], m["interface"], m["version"])


def split_name(name: str) -> tuple[str, Version | None]:
    """`ns:pkg/iface@1.2.3` -> (`ns:pkg/iface`, Version(1, 2, 3)); a name without a
    semver version (plain or not) is returned whole, with None."""
    base, sep, version = name.rpartition("@")
    if not sep or not base:
        return name, None
    parsed = Version.parse(version)
    return (base, parsed) if parsed is not None else (name, None)


def compat_key(name: str) -> str:
    """Names with equal keys are semver-compatible."""
    base, v = split_name(name)
    if v is None:
        return name
    if v.pre:
        return f"{base}@{v.major}.{v.minor}.{v.patch}-{v.pre}"
    if v.major:
        return f"{base}@{v.major}"
    if v.minor:
        return f"{base}@0.{v.minor}"
    return f"{base}@0.0.{v.patch}"


def compatible(a: str, b: str) -> bool:
    return compat_key(a) == compat_key(b)


def version_rank(name: str) -> tuple[int, tuple[int, int, int, int, PreKey]] | tuple[int]:
    """A sort key for names by version: unversioned first, then by semver precedence."""
    v = split_name(name)[1]
    return (0,) if v is None else (1, v.key())


def highest(names: Iterable[str]) -> str:
    """The name with the highest version (the first one when none is versioned)."""
    listed = list(names)
    if not listed:
        raise ValueError("highest() of no names")
    return max(listed, key=version_rank)  # max keeps the first of equals


def version_order(versions: Iterable[str]) -> list[str]:
    """Version strings oldest first: by semver precedence, anything that is not semver
    first (as text)."""
    def key(text: str) -> tuple[int, str, tuple[int, int, int, int, PreKey]]:
        v = Version.parse(text)
        return (0, text, (0, 0, 0, 0, ())) if v is None else (1, "", v.key())
    return sorted(versions, key=key)


def base_name(name: str) -> str:
    """`wasi:cli/run@0.2.12` -> `wasi:cli/run`: the name without its version (whatever
    the version says)."""
    parsed = parse(name)
    return parsed.base if parsed is not None else split_name(name)[0]


def short(name: str) -> str:
    """`wasi:io/streams@0.2.12` -> `io/streams`, for one-line summaries."""
    return name.split(":", 1)[-1].split("@", 1)[0]


def is_filesystem(name: str) -> bool:
    """Whether `name` is an interface of `wasi:filesystem` (what the isolation check and
    `inspect`'s host-filesystem report look for)."""
    parsed = parse(name)
    return parsed is not None and parsed.package == FILESYSTEM_PACKAGE


_RESOURCE_FUNCTION = re.compile(r"^\[(constructor|method|static)\]([^.]+)")


def resource_function(name: str) -> tuple[str, str] | None:
    """`[method]fields.get` → (`method`, `fields`); `[constructor]fields` →
    (`constructor`, `fields`); `[static]fields.from-list` → (`static`, `fields`); a plain
    name → None. The validator checks such functions against the resource named so."""
    m = _RESOURCE_FUNCTION.match(name)
    return (m[1], m[2]) if m else None
