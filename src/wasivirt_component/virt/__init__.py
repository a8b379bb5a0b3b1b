"""The virtualizing component: its C runtime (`c/`, runs inside the component), the glue
generator (`glue/`), the build that compiles it once and caches it (`build.py`), the
per-spec image splice (`splice.py`) and how it is wired between child and host
(`wiring.py`).
"""

from __future__ import annotations

from .build import virtualizer_component, virtualizer_path

__all__ = ["virtualizer_component", "virtualizer_path"]
