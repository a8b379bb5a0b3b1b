"""`wasi:cli/terminal-output`: the host's terminal-output resource, wrapped."""

from __future__ import annotations


class TerminalOutput:
    """Holds the host's `terminal-output` (dropping ours drops it)."""

    def __init__(self, host: object) -> None:
        self.host = host
