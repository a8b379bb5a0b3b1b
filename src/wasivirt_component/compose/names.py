"""Semver-aware interface names: `wasi:io/streams@0.2.9` and `@0.2.12` are compatible.

Compatibility follows Cargo's rules, as wasmtime and wac do: for 1.x and up the major
version must match; for 0.y (y > 0) the minor; for 0.0.z and pre-releases the exact
version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: str = ""

    def sort_key(self) -> tuple[int, int, int, int, str]:
        # A release sorts above its pre-releases.
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, self.pre)


def split_name(name: str) -> tuple[str, Version | None]:
    """`ns:pkg/iface@1.2.3` → (`ns:pkg/iface`, Version(1, 2, 3)); no version → None."""
    base, sep, version = name.rpartition("@")
    if not sep or not base:
        return name, None
    m = _VERSION.match(version)
    if not m:
        return name, None
    return base, Version(int(m[1]), int(m[2]), int(m[3]), m[4] or "")


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


def highest(names: list[str]) -> str:
    """The name with the highest version (the first one when none is versioned)."""
    best = names[0]
    best_v = split_name(best)[1]
    for name in names[1:]:
        v = split_name(name)[1]
        if v is not None and (best_v is None or v.sort_key() > best_v.sort_key()):
            best, best_v = name, v
    return best


_RESOURCE_FUNCTION = re.compile(r"^\[(constructor|method|static)\]([^.]+)")


def resource_function(name: str) -> tuple[str, str] | None:
    """`[method]fields.get` → (`method`, `fields`); `[constructor]fields` →
    (`constructor`, `fields`); `[static]fields.from-list` → (`static`, `fields`); a plain
    name → None. The validator checks such functions against the resource named so."""
    m = _RESOURCE_FUNCTION.match(name)
    return (m[1], m[2]) if m else None
