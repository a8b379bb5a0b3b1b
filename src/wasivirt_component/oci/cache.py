"""Pulled components on disk, by digest, so running one again needs no network.

    <cache root>/oci/blobs/sha256/<hex>          a layer's bytes (verified on every use)
    <cache root>/oci/refs/<sha256 of ref>.json   {"reference", "manifest", "layer"}

Layers are content-addressed, so two tags of one component share a file. The refs index
maps what the user typed (`host/repo:tag`, `host/repo@sha256:...`) to the layer it last
pulled: `run`/`inspect` of a reference they have pulled before use it without asking the
registry (docker's `run` behaves the same); `wasivirt pull` always asks and refreshes it.
Files are written atomically (`fsutil`), and a blob whose bytes no longer match its name
is deleted and pulled again, never run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..errors import WasivirtError
from ..fsutil import atomic_path, atomic_write_bytes
from ..paths import cache_dir
from .reference import Reference, is_sha256_digest


def _file_digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            hasher.update(chunk)
    return "sha256:" + hasher.hexdigest()


def _ref_key(reference: Reference) -> str:
    """Tag references without a tag mean `latest`; a digest makes the tag irrelevant."""
    if reference.digest:
        text = f"{reference.registry}/{reference.repository}@{reference.digest}"
    else:
        text = f"{reference.registry}/{reference.repository}:{reference.target}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedRef:
    manifest_digest: str
    layer_digest: str
    path: Path


@dataclass(slots=True)
class ArtifactCache:
    root: Path = field(default_factory=lambda: cache_dir() / "oci")

    def blob_path(self, digest: str) -> Path:
        if not is_sha256_digest(digest):
            raise ValueError(f"not a sha256 digest: {digest!r}")
        return self.root / "blobs" / "sha256" / digest.split(":", 1)[1]

    def verified_blob(self, digest: str) -> Path | None:
        """The cached blob if its bytes still hash to `digest`; a damaged one is removed."""
        path = self.blob_path(digest)
        if not path.is_file():
            return None
        if _file_digest(path) == digest:
            return path
        with contextlib.suppress(OSError):
            path.unlink()
        return None

    @contextlib.contextmanager
    def writing_blob(self, digest: str) -> Iterator[BinaryIO]:
        """A file to stream `digest`'s bytes into; it becomes the cached blob only if the
        block succeeds (the caller verifies while writing)."""
        path = self.blob_path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            yield fh

    def lookup(self, reference: Reference) -> CachedRef | None:
        """What `reference` resolved to when it was last pulled, if its layer is intact."""
        index = self.root / "refs" / f"{_ref_key(reference)}.json"
        try:
            entry = json.loads(index.read_text())
            manifest, layer = entry["manifest"], entry["layer"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not is_sha256_digest(manifest) or not is_sha256_digest(layer):
            return None
        path = self.verified_blob(layer)
        return CachedRef(manifest, layer, path) if path else None

    def remember(self, reference: Reference, manifest_digest: str, layer_digest: str) -> None:
        """Record `reference` (and its digest form) -> layer. Best effort: a cache that
        cannot be written only costs the next run a pull."""
        refs = self.root / "refs"
        for ref in {reference, reference.with_digest(manifest_digest)}:
            entry = {"reference": str(ref), "manifest": manifest_digest, "layer": layer_digest}
            with contextlib.suppress(OSError, WasivirtError):
                refs.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(refs / f"{_ref_key(ref)}.json", json.dumps(entry).encode())
