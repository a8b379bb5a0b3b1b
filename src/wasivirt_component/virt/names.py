"""Names shared by the virtualizer build, the composer's wiring and the tests."""

from __future__ import annotations

from ..names import WASI_VERSION

__all__ = ["HOST_NAMESPACE", "HOST_PACKAGE", "WASI_PACKAGES", "WASI_VERSION", "WORLD", "WORLD_PACKAGE"]
WASI_PACKAGES = ("io", "clocks", "cli", "filesystem", "sockets", "random")
HOST_NAMESPACE = "wasivirt-host"
HOST_PACKAGE = HOST_NAMESPACE + ":"
WORLD = "virtualizer"
WORLD_PACKAGE = "wasivirt:virt@0.1.0"
