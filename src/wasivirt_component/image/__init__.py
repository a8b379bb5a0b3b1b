"""The VFS image: the spec DSL, its tree and the blob format.

Public entry points (the `compose` command chains them): `load_spec(path) -> VFS`,
`encode_image(vfs, *, timestamp=None) -> bytes` (the virtualizer build splices the bytes
into its memory, `virt/splice.py`); `decode_image` reads them back for tests. They are
imported on first use, so a spec's `from wasivirt_component import VFS` does not load the
encoders.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs ~10 ms
if TYPE_CHECKING:
    from .format import decode_image, encode_image
    from .loader import load_spec
    from .spec import VFS, DirBuilder

_EXPORTS = {
    "VFS": "spec", "DirBuilder": "spec", "load_spec": "loader",
    "encode_image": "format", "decode_image": "format",
}
__all__ = ["VFS", "DirBuilder", "decode_image", "encode_image", "load_spec"]


def __getattr__(attr: str) -> object:
    module = _EXPORTS.get(attr)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
    return getattr(import_module(f".{module}", __name__), attr)
