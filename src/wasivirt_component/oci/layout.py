"""The CNCF "Wasm OCI Artifact layout": what a published component looks like.

    manifest  application/vnd.oci.image.manifest.v1+json   (annotations: org.opencontainers.image.*)
    config    application/vnd.wasm.config.v0+json
              {"created", "architecture": "wasm", "os": "wasip2", "layerDigests": [layer],
               "component": {"exports": [...], "imports": [...], "target"?}}
    layer     application/wasm                              (the component's bytes, exactly one)

This is what wasmCloud, SpinKube, runwasi, `wkg oci pull` and `oras pull` read. The
config's `component` lists the final component's top-level import and export names
(`wasi:cli/run@0.2.12`), read with `binary.component_externs`; `target` is the WASI world
it fits, when it fits one (`wasi:cli/command@V`, `wasi:http/proxy@V`).

Reproducible by construction: JSON is written with sorted keys and no whitespace, and
nothing depends on the clock at publish time (`created` is `$SOURCE_DATE_EPOCH`, else the
compose time a wasivirt composition records in itself, else the Unix epoch). The same
component, tag and annotations always give the same digests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import names
from ..artifact import read_artifact
from ..binary.component_externs import ComponentExterns, read_component_externs
from ..binary.sections import WasmKind, detect_kind
from ..errors import NotAComponentError, RegistryError, WasivirtError
from .reference import is_sha256_digest, sha256_digest

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.wasm.config.v0+json"
LAYER_MEDIA_TYPE = "application/wasm"
ARCHITECTURE = "wasm"
OS = "wasip2"

TITLE = "org.opencontainers.image.title"
VERSION = "org.opencontainers.image.version"
CREATED = "org.opencontainers.image.created"
DESCRIPTION = "org.opencontainers.image.description"
SOURCE = "org.opencontainers.image.source"
REVISION = "org.opencontainers.image.revision"

# The interfaces each world may import (package -> interfaces; None: any of the package).
_COMMAND_IMPORTS: dict[str, set[str] | None] = {
    "wasi:cli": None, "wasi:clocks": None, "wasi:filesystem": None, "wasi:io": None,
    "wasi:random": None, "wasi:sockets": None}
_PROXY_IMPORTS: dict[str, set[str] | None] = {
    "wasi:cli": {"stdin", "stdout", "stderr"}, "wasi:clocks": None, "wasi:io": None,
    "wasi:random": None, "wasi:http": {"types", "outgoing-handler"}}


@dataclass(frozen=True, slots=True)
class Artifact:
    """The three blobs of one published component, as the bytes that get their digests."""

    layer: bytes
    config: bytes
    manifest: bytes

    @property
    def layer_digest(self) -> str:
        return sha256_digest(self.layer)

    @property
    def config_digest(self) -> str:
        return sha256_digest(self.config)

    @property
    def manifest_digest(self) -> str:
        return sha256_digest(self.manifest)


@dataclass(frozen=True, slots=True)
class LayerRef:
    """The one layer (and the config) a pulled manifest points at, already checked."""

    digest: str
    size: int
    config_digest: str
    config_size: int
    config_media_type: str
    title: str | None


def canonical_json(value: Any) -> bytes:
    """The one JSON spelling we publish: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def created_time(environ: Mapping[str, str] | None = None, component: bytes | None = None) -> str:
    """RFC 3339 `created`: `$SOURCE_DATE_EPOCH`, else the time the component records it was
    composed (`artifact.py`), else 1970-01-01T00:00:00Z.

    Not the clock: a timestamp that changes on every publish would change every digest.
    Both fallbacks are derived from the content (the epoch as ko and rules_oci use it), so
    the digests are a function of the content alone.
    """
    env = os.environ if environ is None else environ
    text = env.get("SOURCE_DATE_EPOCH")
    record = read_artifact(component) if component is not None else None
    seconds = record.created if record else 0
    if text:
        try:
            seconds = int(text)
        except ValueError:
            raise WasivirtError(f"SOURCE_DATE_EPOCH={text!r} is not an integer number of seconds") from None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fits(imports: list[str], allowed: dict[str, set[str] | None]) -> bool:
    for name in imports:
        parsed = names.parse(name)
        if parsed is None or parsed.package not in allowed:
            return False
        interfaces = allowed[parsed.package]
        if interfaces is not None and parsed.interface not in interfaces:
            return False
    return True


def component_target(imports: list[str], exports: list[str]) -> str | None:
    """The WASI world the component fits: exporting `run` (command) or `incoming-handler`
    (proxy) at version V, and importing only what that world offers. Else None."""
    for export, world, allowed in ((names.RUN_INTERFACE, "wasi:cli/command", _COMMAND_IMPORTS),
                                   (names.HTTP_HANDLER_INTERFACE, "wasi:http/proxy", _PROXY_IMPORTS)):
        parsed = [names.parse(e) for e in exports]
        versions = [p.version for p in parsed if p is not None and p.base == export and p.version]
        if len(versions) == 1 and len(exports) == 1 and _fits(imports, allowed):
            return f"{world}@{versions[0]}"
    return None


def component_section(externs: ComponentExterns) -> dict[str, Any]:
    """The config's `component`: names in binary order, each once; `target` when known."""
    imports = list(dict.fromkeys(e.name for e in externs.imports))
    exports = list(dict.fromkeys(e.name for e in externs.exports))
    section: dict[str, Any] = {"exports": exports, "imports": imports}
    target = component_target(imports, exports)
    if target:
        section["target"] = target
    return section


def build_artifact(component: bytes, *, what: str, created: str,
                   annotations: Mapping[str, str], title: str | None) -> Artifact:
    """The config and manifest for `component` (a WASI 0.2 component, not a core module).

    `annotations` go on the manifest (`created` is added unless given); `title` (the file
    name) also goes on the layer, where `oras pull` looks for a file name.
    """
    if detect_kind(component, what) is WasmKind.MODULE:
        raise NotAComponentError(what, then="publish app.wasm")
    externs = read_component_externs(component, what)
    layer_digest = sha256_digest(component)
    config = canonical_json({
        "created": created,
        "architecture": ARCHITECTURE,
        "os": OS,
        "layerDigests": [layer_digest],
        "component": component_section(externs),
    })
    layer: dict[str, Any] = {"mediaType": LAYER_MEDIA_TYPE, "digest": layer_digest,
                             "size": len(component)}
    if title:
        layer["annotations"] = {TITLE: title}
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": sha256_digest(config),
                   "size": len(config)},
        "layers": [layer],
        "annotations": {CREATED: created, **annotations},
    }
    return Artifact(component, config, canonical_json(manifest))


def wasm_layer(manifest: bytes, media_type: str, what: str) -> LayerRef:
    """Check a pulled manifest is a single-layer wasm artifact; where its layer is.

    Refused, one line each: an index or any non-OCI-manifest media type, more (or fewer)
    than one layer, a layer that is not `application/wasm`. The config may be of any type
    (it is still fetched and verified); the layer is what runs.
    """
    try:
        doc = json.loads(manifest)
    except ValueError:
        raise RegistryError(f"{what}: the manifest is not JSON") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{what}: the manifest is not a JSON object")
    kind = doc.get("mediaType") or media_type
    if kind != MANIFEST_MEDIA_TYPE:
        raise RegistryError(f"{what}: is a {kind or 'manifest without a media type'}, not a wasm "
                            f"artifact ({MANIFEST_MEDIA_TYPE} with one {LAYER_MEDIA_TYPE} layer)")
    layers, config = doc.get("layers"), doc.get("config")
    if not isinstance(layers, list) or not isinstance(config, dict):
        raise RegistryError(f"{what}: the manifest has no `layers` list or no `config`")
    if len(layers) != 1:
        raise RegistryError(f"{what}: has {len(layers)} layers; a wasm artifact has exactly one "
                            f"({LAYER_MEDIA_TYPE})")
    layer = layers[0]
    if not isinstance(layer, dict):
        raise RegistryError(f"{what}: the manifest's layer is not an object")
    if layer.get("mediaType") != LAYER_MEDIA_TYPE:
        raise RegistryError(f"{what}: its layer is {layer.get('mediaType')!r}, not "
                            f"{LAYER_MEDIA_TYPE}; not a wasm artifact")
    for name, descriptor in (("layer", layer), ("config", config)):
        digest, size = descriptor.get("digest"), descriptor.get("size")
        if not is_sha256_digest(digest):
            raise RegistryError(f"{what}: the {name} has no sha256 digest ({digest!r})")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise RegistryError(f"{what}: the {name} has no valid size ({size!r})")
    title = (layer.get("annotations") or {}).get(TITLE)
    return LayerRef(layer["digest"], layer["size"], config["digest"], config["size"],
                    str(config.get("mediaType") or ""), title if isinstance(title, str) else None)
