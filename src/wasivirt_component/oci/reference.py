"""Registry references: `REGISTRY/REPO[:TAG][@DIGEST]`, as docker, oras and wkg write them.

The grammar is distribution's (`reference/regexp.go`), with one deliberate difference:
the registry host is never implied. `acme/app:1.0` would mean Docker Hub to docker; here
it is refused, because a command that also accepts file names (`run`, `inspect`) must
not turn a mistyped path into a request to a public registry.

A first path component is a registry when it contains a `.` or a `:`, or is
`localhost` -- the rule docker uses to tell a host from a Docker Hub namespace.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ..errors import WasivirtError

DEFAULT_TAG = "latest"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_ANY_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_HOST = re.compile(
    r"^(?:\[[0-9a-fA-F:.]+\]"                                # [IPv6]
    r"|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"            # a DNS label ...
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)"     # ... and more labels
    r"(?::[0-9]{1,5})?$")                                    # optional port

# Docker Hub answers the distribution API on another host than the one users write.
_API_HOSTS = {"docker.io": "registry-1.docker.io", "index.docker.io": "registry-1.docker.io"}


@dataclass(frozen=True, slots=True)
class Reference:
    """A parsed reference. `digest`, when given, wins over `tag` (as in docker)."""

    registry: str            # host[:port] as written: what credentials are looked up by
    repository: str          # acme/app
    tag: str | None = None
    digest: str | None = None

    @property
    def api_host(self) -> str:
        """The host[:port] that serves the distribution API for `registry`."""
        return _API_HOSTS.get(self.registry, self.registry)

    @property
    def target(self) -> str:
        """What to ask the registry for: the digest, else the tag, else `latest`."""
        return self.digest or self.tag or DEFAULT_TAG

    def with_digest(self, digest: str) -> Reference:
        return Reference(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def is_sha256_digest(text: object) -> bool:
    """`sha256:` and 64 lowercase hex digits: the only digests wasivirt accepts (and the
    only ones safe to use as a cache file name)."""
    return isinstance(text, str) and bool(_DIGEST.match(text))


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _split_registry(text: str) -> tuple[str, str] | None:
    """(registry, rest) when the first component names a registry host, else None."""
    first, sep, rest = text.partition("/")
    if not sep or not rest:
        return None
    if "." not in first and ":" not in first and first != "localhost":
        return None
    return first, rest


def parse_reference(text: str) -> Reference:
    """Parse `REGISTRY/REPO[:TAG][@DIGEST]`; a malformed one is a one-line error."""
    split = _split_registry(text)
    if split is None:
        raise WasivirtError(f"{text}: not a registry reference; write REGISTRY/REPOSITORY[:TAG] "
                            "with the registry host first (e.g. localhost:5000/acme/app:1.0)")
    registry, rest = split
    if not _HOST.match(registry):
        raise WasivirtError(f"{text}: {registry!r} is not a registry host[:port]")
    name, at, digest = rest.partition("@")
    if at:
        if not _ANY_DIGEST.match(digest):
            raise WasivirtError(f"{text}: {digest!r} is not a digest (sha256:<64 hex digits>)")
        if not is_sha256_digest(digest):
            raise WasivirtError(f"{text}: only sha256 digests are supported, not {digest!r}")
    repository, tag = name, None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = name.rsplit(":", 1)
        if not _TAG.match(tag):
            raise WasivirtError(f"{text}: {tag!r} is not a valid tag (letters, digits, `_`, "
                                "`.`, `-`; at most 128; not starting with `.` or `-`)")
    if not _REPOSITORY.match(repository):
        raise WasivirtError(f"{text}: {repository!r} is not a valid repository name (lowercase "
                            "letters and digits, separated by `/`, `.`, `_` or `-`)")
    return Reference(registry, repository, tag, digest or None)


def looks_like_reference(text: str) -> bool:
    """Whether a command argument that is not an existing file means a registry reference.

    `run` and `inspect` take a file or a reference. A name that starts like a path or has
    no registry host is a file; so is `dir.d/app.wasm` without a tag or digest (the
    repository grammar would accept it, but nobody tags a repository `app.wasm`).
    """
    if text.startswith(("/", ".", "~")) or _split_registry(text) is None:
        return False
    rest = text.split("/", 1)[1]
    last = rest.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in rest and last.endswith(".wasm"):
        return False
    return True
