"""The virtualizing component: its runtime (`runtime/`, Python that runs inside the
component) and the host-side build that compiles it once and caches it.

The host package never imports `runtime/`; it only copies those files into the build.
"""

from __future__ import annotations

from .build import virtualizer_component, virtualizer_path

__all__ = ["virtualizer_component", "virtualizer_path"]
