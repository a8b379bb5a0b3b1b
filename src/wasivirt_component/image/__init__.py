"""The VFS image: the spec DSL, its tree, the blob format and the image component.

Public entry points (the `compose` command chains them):
`load_spec(path) -> VFS`, `encode_image(vfs, *, timestamp=None) -> bytes`,
`build_image_component(image) -> bytes`; `decode_image` and `image_from_component`
read them back for tests and `wasivirt inspect`.
"""

from __future__ import annotations

from .component import build_image_component, image_from_component
from .format import decode_image, encode_image
from .loader import load_spec
from .spec import VFS, DirBuilder

__all__ = ["VFS", "DirBuilder", "load_spec", "encode_image", "decode_image",
           "build_image_component", "image_from_component"]
