"""`wasi:io/error`: errors of our streams (a filesystem code) or of wrapped host streams."""

from __future__ import annotations

from wv_errors import NAMES


class Error:
    """An `error` resource: `code` is a filesystem error code; `host` the host's error, if any."""

    def __init__(self, code: int, host: object | None = None) -> None:
        self.code = code
        self.host = host

    def to_debug_string(self) -> str:
        if self.host is not None:
            try:
                return self.host.to_debug_string()
            except Exception:  # noqa: BLE001 - never let an exception reach the caller
                return "host error"
        return NAMES[self.code] if 0 <= self.code < len(NAMES) else "error"
