"""`wasi:cli/terminal-input`: the host's terminal-input resource, wrapped."""

from __future__ import annotations


class TerminalInput:
    """Holds the host's `terminal-input` (dropping ours drops it)."""

    def __init__(self, host: object) -> None:
        self.host = host
