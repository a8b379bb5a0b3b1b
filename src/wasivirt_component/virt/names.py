"""Names shared by the virtualizer build, the composer's wiring and the tests."""

from __future__ import annotations

from ..names import WASI_VERSION

__all__ = ["HOST_FILESYSTEM_WORLD", "HOST_NAMESPACE", "HOST_PACKAGE", "WASI_PACKAGES", "WASI_VERSION", "WORLD",
           "WORLD_PACKAGE"]
WASI_PACKAGES = ("io", "clocks", "cli", "filesystem", "sockets", "random")
HOST_NAMESPACE = "wasivirt-host"
HOST_PACKAGE = HOST_NAMESPACE + ":"
WORLD = "virtualizer"
WORLD_PACKAGE = "wasivirt:virt@0.1.0"
# The world importing the whole wasi:filesystem/types (build.host_filesystem_types_path).
HOST_FILESYSTEM_WORLD = "host-filesystem"

# Fused linking (build.fused_core_module, bridge.py, splice.image_memory_module): how the
# virtualizer's core modules import each other. The code module imports its memory under
# wasm-ld's `--import-memory` name, and the bridge's functions from BRIDGE_MODULE; the
# bridge imports our memory and the caller's under the BRIDGE_*_MEMORY names.
FUSED_MEMORY_IMPORT = ("env", "memory")
BRIDGE_MODULE = "wasivirt:bridge"
BRIDGE_OUR_MEMORY = ("virtualizer", "memory")
BRIDGE_CALLER_MEMORY = ("caller", "memory")
BRIDGE_REALLOC_TABLE = "realloc-table"
