"""Serving a wasi:http component for real: `wasmtime serve` on a loopback port.

The wasmtime CLI and its compile cache come from support.wasmtimecli. The server is bounded
in time and always stopped: `serving()` interrupts it (then kills it) however the block ends.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from support.wasmtimecli import cache_config, wasmtime_cli

STARTUP_TIMEOUT = 300.0  # compiling two componentize-py CPythons on a busy 2-core machine
STOP_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"wasmtime serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"wasmtime serve did not listen within {STARTUP_TIMEOUT:.0f} s:\n{log.read_text()}")


@contextmanager
def serving(app: Path, workdir: Path) -> Iterator[str]:
    """`wasmtime serve -Scli APP` on a free loopback port; yields its base URL.

    `-Scli` because componentize-py's CPython imports wasi:cli and friends beyond the
    proxy world. The server's output goes to `workdir/serve.log`.
    """
    port = _free_port()
    log = workdir / "serve.log"
    cmd = [str(wasmtime_cli()), "serve", "-Scli", "-C", f"cache-config={cache_config()}",
           "--addr", f"127.0.0.1:{port}", str(app)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(proc, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # wasmtime serve stops on ctrl-c
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
