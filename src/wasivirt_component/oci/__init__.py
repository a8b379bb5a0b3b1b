"""Publishing and pulling composed components as CNCF wasm OCI artifacts.

    reference.py    REGISTRY/REPO[:TAG][@DIGEST]
    credentials.py  env variables, then ~/.docker/config.json
    auth.py         the 401 challenge: Basic, Bearer token (GET or refresh-token POST)
    client.py       the distribution HTTP API over httpx: blobs, chunked uploads, manifests
    layout.py       the artifact: manifest, wasm config, one application/wasm layer
    annotations.py  org.opencontainers.image.* (title, version, description, source...)
    cache.py        pulled layers by digest under the cache root
    publish.py      publish_file
    pull.py         pull, pull_file, cached_or_pulled
    source.py       wasm_input: a run/inspect argument, file or reference

Nothing here prints: progress goes to the `ProgressHook` the caller passes, failures are
one-line `RegistryError`s. Importing this package is cheap; httpx loads with the client.
"""

from __future__ import annotations

from collections.abc import Callable

# (label, bytes done, bytes total): called as a blob moves ("layer", "config"); the CLI
# draws a progress bar from it. The library itself never prints.
ProgressHook = Callable[[str, int, int], None]
