"""Pulling a wasm OCI artifact into the cache, and from there to a file or a command.

`pull` asks the registry for the manifest (checking its digest), refuses anything but
one `application/wasm` layer, fetches and verifies the config, then streams the layer
into the cache (`cache.py`) verifying size and sha256 -- unless the cache already holds
that digest. `pull_file` copies the cached layer to `-o` atomically: on any failure the
output does not exist, not even half.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..fsutil import atomic_path
from . import ProgressHook
from .cache import ArtifactCache
from .client import RegistryClient
from .credentials import find_credentials
from .layout import MANIFEST_MEDIA_TYPE, wasm_layer
from .reference import Reference, parse_reference

# What we ask for: the OCI manifest; an index is named in the refusal if that is what
# the registry has (rather than a 404 for a media type we did not accept).
ACCEPT = [MANIFEST_MEDIA_TYPE, "application/vnd.oci.image.index.v1+json",
          "application/vnd.docker.distribution.manifest.v2+json",
          "application/vnd.docker.distribution.manifest.list.v2+json"]


@dataclass(frozen=True, slots=True)
class PulledComponent:
    """A component in the cache and where it came from."""

    reference: Reference      # as asked, plus the manifest digest
    path: Path                # the cached layer: the component's bytes
    layer_digest: str
    size: int
    title: str | None         # the layer's org.opencontainers.image.title, if any
    downloaded: bool          # False: the layer was in the cache already


def pull(reference: str | Reference, *, plain_http: bool = False,
         progress: ProgressHook | None = None, cache: ArtifactCache | None = None,
         environ: Mapping[str, str] | None = None) -> PulledComponent:
    """Resolve `reference` at the registry and make sure its layer is in the cache."""
    ref = parse_reference(reference) if isinstance(reference, str) else reference
    cache = cache or ArtifactCache()
    what = str(ref)
    with RegistryClient(ref.api_host, what=what, plain_http=plain_http,
                        credentials=find_credentials(ref.registry, environ)) as client:
        manifest = client.get_manifest(ref.repository, ref.target, ACCEPT)
        layer = wasm_layer(manifest.data, manifest.media_type, what)
        client.fetch_small_blob(ref.repository, layer.config_digest, layer.config_size,
                                label="config")
        path = cache.verified_blob(layer.digest)
        downloaded = path is None
        if path is None:
            with cache.writing_blob(layer.digest) as sink:
                client.fetch_blob(ref.repository, layer.digest, layer.size, sink, label="layer",
                                  progress=progress)
            path = cache.blob_path(layer.digest)
    cache.remember(ref, manifest.digest, layer.digest)
    return PulledComponent(ref.with_digest(manifest.digest), path, layer.digest, layer.size,
                           layer.title, downloaded)


def pull_file(reference: str, output: str | os.PathLike[str], *, plain_http: bool = False,
              progress: ProgressHook | None = None, cache: ArtifactCache | None = None,
              environ: Mapping[str, str] | None = None) -> PulledComponent:
    """`wasivirt pull REF -o OUT`: pull (through the cache), then write OUT atomically."""
    pulled = pull(reference, plain_http=plain_http, progress=progress, cache=cache,
                  environ=environ)
    with atomic_path(output) as tmp:
        shutil.copyfile(pulled.path, tmp)
    return pulled


def cached_or_pulled(reference: str, *, plain_http: bool = False,
                     progress: ProgressHook | None = None,
                     cache: ArtifactCache | None = None) -> PulledComponent:
    """The cached component for `reference` if it was pulled before, else `pull` it."""
    ref = parse_reference(reference)
    cache = cache or ArtifactCache()
    hit = cache.lookup(ref)
    if hit is not None:
        return PulledComponent(ref.with_digest(hit.manifest_digest), hit.path, hit.layer_digest,
                               hit.path.stat().st_size, None, downloaded=False)
    return pull(ref, plain_http=plain_http, progress=progress, cache=cache)
