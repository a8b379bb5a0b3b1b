"""`wasivirt publish APP.wasm REGISTRY/REPO:TAG`: push a component as a wasm OCI artifact.

Steps: build the artifact (layout.py) -> push the layer, then the config, each only if
the registry lacks its digest -> put the manifest unless the tag already points at the
same digest. Publishing the same bytes twice therefore uploads nothing the second time
and prints the same digest.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import WasivirtError
from ..fsutil import read_input
from . import ProgressHook
from .annotations import manifest_annotations
from .client import RegistryClient
from .credentials import find_credentials
from .layout import MANIFEST_MEDIA_TYPE, Artifact, build_artifact, created_time
from .reference import DEFAULT_TAG, Reference, parse_reference


@dataclass(frozen=True, slots=True)
class PublishResult:
    """Where the artifact now is, and which of its parts had to be uploaded."""

    reference: Reference          # with the tag and the manifest digest
    artifact: Artifact
    uploaded: tuple[str, ...]     # of "layer", "config", "manifest"
    present: tuple[str, ...]      # the parts the registry already had


def publish_file(app: str | os.PathLike[str], reference: str, *,
                 annotations: Iterable[tuple[str, str]] = (), description: str | None = None,
                 spec: str | os.PathLike[str] | None = None, plain_http: bool = False,
                 progress: ProgressHook | None = None,
                 environ: Mapping[str, str] | None = None) -> PublishResult:
    """Publish the component file `app` as `reference` (a tag; `latest` if none)."""
    ref = parse_reference(reference)
    if ref.digest:
        raise WasivirtError(f"{reference}: publish to a tag (REGISTRY/REPO:TAG), not a digest; "
                            "the digest is computed from the artifact")
    tag = ref.tag or DEFAULT_TAG
    ref = Reference(ref.registry, ref.repository, tag)
    data = read_input(app, "component")
    found = manifest_annotations(app, tag, description=description, spec=spec, extra=annotations)
    artifact = build_artifact(data, what=str(app), created=created_time(environ, data),
                              annotations=found, title=Path(app).name)
    uploaded: list[str] = []
    present: list[str] = []
    with RegistryClient(ref.api_host, what=str(ref), plain_http=plain_http,
                        credentials=find_credentials(ref.registry, environ)) as client:
        for label, blob, digest in (("layer", artifact.layer, artifact.layer_digest),
                                    ("config", artifact.config, artifact.config_digest)):
            went_up = client.push_blob(ref.repository, blob, digest, label=label, progress=progress)
            (uploaded if went_up else present).append(label)
        digest = artifact.manifest_digest
        if client.manifest_digest(ref.repository, tag, MANIFEST_MEDIA_TYPE) == digest:
            present.append("manifest")
        else:
            client.put_manifest(ref.repository, tag, artifact.manifest, MANIFEST_MEDIA_TYPE)
            uploaded.append("manifest")
    return PublishResult(ref.with_digest(digest), artifact, tuple(uploaded), tuple(present))
