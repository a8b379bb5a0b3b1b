"""The WIT directory the virtualizer is built against, generated from the installed WASI WIT.

Never hand-written or committed: the WASI 0.2.12 packages come from jco
(`toolchain.wasi_wit_dir()`), and the `wasivirt-host:*` packages are the same files with
the namespace renamed, so the virtualizer can import the host's WASI interfaces while it
exports its own `wasi:*` ones. Instance types are matched structurally, so the composer
passes the host's `wasi:*` instances for them.

Layout: `DIR/virtualizer.wit` plus `DIR/deps/<pkg>/package.wit`.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .. import toolchain
from ..errors import ToolchainError
from .names import HOST_NAMESPACE, WASI_PACKAGES, WASI_VERSION

_WASI_REF = re.compile(r"\bwasi:")


def _our_wit(name: str) -> str:
    return resources.files("wasivirt_component").joinpath("wit", name).read_text(encoding="utf-8")


def wit_files(version: str = WASI_VERSION) -> dict[str, str]:
    """Relative path -> text of every file of the generated WIT directory."""
    source = toolchain.wasi_wit_dir(version)
    files: dict[str, str] = {"virtualizer.wit": _our_wit("virtualizer.wit")}
    for package in WASI_PACKAGES:
        path = Path(source) / f"wasi-{package}" / "package.wit"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ToolchainError(
                f"WASI WIT package wasi-{package} is missing at {path} ({exc.strerror}); "
                f"{toolchain.SETUP_HINT}") from None
        files[f"deps/wasi-{package}/package.wit"] = text
        files[f"deps/{HOST_NAMESPACE}-{package}/package.wit"] = _WASI_REF.sub(f"{HOST_NAMESPACE}:", text)
    return files


def write_wit_dir(dest: Path, files: dict[str, str] | None = None) -> Path:
    """Write the generated WIT directory under `dest` (created if missing); returns `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel, text in (files if files is not None else wit_files()).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return dest
