"""`wasivirt plug` on a wasi:http/proxy app (issue 12), and the result served for real.

The app and its plug are componentize-py components built during the run; the app
imports the host's `wasi:http/types`, whose `type headers = fields` and `type trailers =
headers` aliases the composer once encoded wrongly. The composed app is served by
`wasmtime serve` on a loopback port and must answer with what the plug says.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from support.cli import run_cli
from support.httpserve import serving
from wasivirt_component.compose._reader import read_component
from wasivirt_component.names import compat_key

REQUESTS = 5
REQUEST_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def http_plugged(tmp_path_factory: pytest.TempPathFactory, http_child: Path, greeter_plug: Path) -> Path:
    out = tmp_path_factory.mktemp("http-plug") / "app.wasm"
    proc = run_cli("plug", http_child, "--plug", greeter_plug, "-o", out, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"test:http-app/greeting <- {greeter_plug}",
        f"{out}: {out.stat().st_size} bytes, validated by wasmtime"]
    return out


def test_the_plugged_app_imports_the_host_http_types_once(http_plugged: Path, http_child: Path) -> None:
    composed = read_component(http_plugged.read_bytes(), "composed").type
    assert "test:http-app/greeting" not in composed.imports
    keys = [compat_key(n) for n in composed.imports]
    assert len(keys) == len(set(keys)), "an interface is imported twice"
    assert "wasi:http/types@0.2.12" in composed.imports
    assert list(composed.exports) == list(read_component(http_child.read_bytes(), "child").type.exports)
    types = composed.imports["wasi:http/types@0.2.12"]
    fields = types.exports["fields"].type
    assert types.exports["headers"].type is fields and types.exports["trailers"].type is fields


def test_the_plugged_app_answers_requests_under_wasmtime_serve(http_plugged: Path, tmp_path: Path) -> None:
    with serving(http_plugged, tmp_path) as base:
        for i in range(REQUESTS):
            path = f"/item/{i}?q={i}"
            with urllib.request.urlopen(base + path, timeout=REQUEST_TIMEOUT) as response:
                assert response.status == 200
                assert response.headers["x-plug"] == "greeter"  # a `fields` the plug made
                assert response.headers["content-type"] == "text/plain"
                assert response.read() == f"hello from the plug, {path}\n".encode()
    with pytest.raises(OSError):  # stopped with the block
        socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5).close()
