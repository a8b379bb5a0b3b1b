"""Names shared by the virtualizer build, the composer's wiring and the tests."""

from __future__ import annotations

WASI_VERSION = "0.2.12"
WASI_PACKAGES = ("io", "clocks", "cli", "filesystem", "sockets", "random")
HOST_NAMESPACE = "wasivirt-host"
HOST_PACKAGE = HOST_NAMESPACE + ":"
WORLD = "virtualizer"
WORLD_PACKAGE = "wasivirt:virt@0.1.0"
