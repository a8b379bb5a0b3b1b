"""The WIT directory the virtualizer is built against, generated from the installed WASI WIT.

Never hand-written or committed: the WASI 0.2.12 packages come from jco
(`toolchain.wasi_wit_dir()`), and the `wasivirt-host:*` packages are the same files with
the namespace renamed, so the runtime can import the host's WASI interfaces under a name
componentize-py's `--stub-wasi` leaves alone (it stubs every `wasi:*` import). Instance
types are matched structurally, so the composer can pass the host's `wasi:*` instances
for them.

Layout (componentize-py `-d DIR`): `DIR/virtualizer.wit` plus `DIR/deps/<pkg>/package.wit`.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .. import toolchain
from ..errors import ToolchainError
from .names import HOST_NAMESPACE, WASI_PACKAGES, WASI_VERSION

_WASI_REF = re.compile(r"\bwasi:")
# A resource declared without a body: `resource terminal-input;`.
_BARE_RESOURCE = re.compile(r"^([ \t]*)resource ([a-z][a-z0-9-]*);[ \t]*$", re.MULTILINE)
# componentize-py 0.25.1 emits an *exported* method-less resource as a class whose body is
# only its doc comment, which is a Python syntax error when the doc is empty (jco's WIT
# has no docs). A doc line makes the class body a docstring; docs do not change types.
_DOC_FOR_BARE_RESOURCE = r"\1/// A resource without methods (documented so componentize-py emits a class body).\n\1resource \2;"


def _our_wit(name: str) -> str:
    return resources.files("wasivirt_component").joinpath("wit", name).read_text(encoding="utf-8")


def wit_files(version: str = WASI_VERSION) -> dict[str, str]:
    """Relative path -> text of every file of the generated WIT directory."""
    source = toolchain.wasi_wit_dir(version)
    files: dict[str, str] = {"virtualizer.wit": _our_wit("virtualizer.wit"),
                             "deps/wasivirt-vfs/image.wit": _our_wit("image.wit")}
    for package in WASI_PACKAGES:
        path = Path(source) / f"wasi-{package}" / "package.wit"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ToolchainError(
                f"WASI WIT package wasi-{package} is missing at {path} ({exc.strerror}); "
                f"{toolchain.SETUP_HINT}") from None
        files[f"deps/wasi-{package}/package.wit"] = _BARE_RESOURCE.sub(_DOC_FOR_BARE_RESOURCE, text)
        files[f"deps/{HOST_NAMESPACE}-{package}/package.wit"] = _WASI_REF.sub(f"{HOST_NAMESPACE}:", text)
    return files


def write_wit_dir(dest: Path, files: dict[str, str] | None = None) -> Path:
    """Write the generated WIT directory under `dest` (which must exist); returns `dest`."""
    for rel, text in (files if files is not None else wit_files()).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return dest
