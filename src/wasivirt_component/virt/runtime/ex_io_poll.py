"""`wasi:io/poll`: pollables of our streams (always ready) or wrapped host pollables."""

from __future__ import annotations

from wit_world.imports import host_io_poll


class Pollable:
    """A `pollable`: `host` is the host's pollable, or None for one that is always ready
    (in-memory file streams never block)."""

    def __init__(self, host: object | None = None) -> None:
        self.host = host

    def ready(self) -> bool:
        host = self.host
        return True if host is None else host.ready()

    def block(self) -> None:
        host = self.host
        if host is not None:
            host.block()


def poll(pollables: list) -> list:
    """Indices of ready pollables: ours at once, else the host's `poll` over the rest."""
    ready = [i for i, p in enumerate(pollables) if p.host is None]
    if ready or not pollables:
        return ready
    return list(host_io_poll.poll([p.host for p in pollables]))
