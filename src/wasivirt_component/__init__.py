"""wasivirt: give any WASI program a virtual filesystem by component composition."""

from __future__ import annotations

__version__ = "0.1.0"

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs ~10 ms
if TYPE_CHECKING:
    from .image.spec import VFS

__all__ = ["VFS", "__version__"]


def __getattr__(attr: str) -> object:
    """`VFS` is imported on first use, so `import wasivirt_component` stays cheap."""
    if attr == "VFS":
        from .image.spec import VFS

        return VFS
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
