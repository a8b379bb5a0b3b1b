"""Error types shared by every layer.

Every error a user can cause is a `WasivirtError`: the CLI prints its message on one line
and exits with its `exit_code`, never with a traceback.
"""

from __future__ import annotations


class WasivirtError(Exception):
    """A user-facing failure: one line of text that names the file and the fix."""

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class BinaryFormatError(WasivirtError):
    """The bytes are not a well-formed wasm module or component."""


class ToolchainError(WasivirtError):
    """A required external tool (node, jco, componentize-py) is missing or failed."""


class AdaptError(WasivirtError):
    """A core module cannot be turned into a component."""


class CompositionError(WasivirtError):
    """Components cannot be composed as asked (no match, type mismatch, cycle...)."""


class SpecError(WasivirtError):
    """The user's VFS spec file is invalid."""


class ValidationError(WasivirtError):
    """wasmtime rejected a component we produced or were given."""


class RegistryError(WasivirtError):
    """An OCI registry is unreachable, refused us, or served something that is not a
    single-layer wasm artifact (or whose bytes do not match their digest)."""
