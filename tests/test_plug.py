"""`wasivirt plug` semantics on real components: C sockets, componentize-py plugs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.cbuild import CACHE
from support.cli import run_cli
from wasivirt_component import toolchain
from wasivirt_component.compose._plug import plug
from wasivirt_component.compose._reader import read_component
from wasivirt_component.errors import BinaryFormatError, CompositionError
from wasivirt_component.names import compat_key
from wasivirt_component.pipeline import plug_files


def _run(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`wasivirt run APP -- ARGS` with the session's shared compile cache."""
    return run_cli("run", app, "--", *args)


@pytest.fixture(autouse=True)
def _shared_compile_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # validation during plug compiles into the same cache `_run` reads from
    monkeypatch.setenv("WASIVIRT_CACHE_DIR", str(CACHE / "wasivirt-cache"))


@pytest.fixture(scope="module")
def env_plugged(tmp_path_factory: pytest.TempPathFactory, hello: Path, env_plug: Path) -> Path:
    os.environ.setdefault("WASIVIRT_CACHE_DIR", str(CACHE / "wasivirt-cache"))
    out = tmp_path_factory.mktemp("plug") / "hello-env.wasm"
    result = plug_files(hello, [env_plug], out)
    assert result.filled == {"wasi:cli/environment@0.2.12": (str(env_plug), "wasi:cli/environment@0.2.12")}
    return out


def test_socket_sees_the_plugs_environment_not_the_hosts(env_plugged: Path) -> None:
    proc = _run(env_plugged, "ignored", "host", "args")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "hello, plug!", "argc=3", "argv[0]=from-plug", "argv[1]=alpha", "argv[2]=beta", "MODE=plugged"]


def test_imports_are_merged_once_at_the_highest_version(env_plugged: Path, env_plug: Path) -> None:
    plug_imports = read_component(env_plug.read_bytes(), "plug").type.imports
    assert "wasi:io/streams@0.2.9" in plug_imports  # componentize-py's CPython: 0.2.9
    composed = read_component(env_plugged.read_bytes(), "composed").type
    keys = [compat_key(n) for n in composed.imports]
    assert len(keys) == len(set(keys)), "an interface is imported twice"
    # interfaces both sides import collapse to the socket's newer 0.2.12 ...
    for name in ("wasi:io/streams", "wasi:io/error", "wasi:cli/stdout", "wasi:filesystem/types"):
        assert f"{name}@0.2.12" in composed.imports
        assert f"{name}@0.2.9" not in composed.imports
    # ... the plugged interface is no longer imported from the socket's side, only the
    # plug's own 0.2.9 import of it remains (its CPython reads its own environment)
    assert "wasi:cli/environment@0.2.12" not in composed.imports
    assert "wasi:cli/environment@0.2.9" in composed.imports
    # only the plug uses sockets: they stay at 0.2.9
    assert "wasi:sockets/tcp@0.2.9" in composed.imports
    assert list(composed.exports) == ["wasi:cli/run@0.2.12"]


def test_a_resource_type_is_shared_across_instances(tmp_path: Path, counter_consumer: Path,
                                                    counter_provider: Path) -> None:
    out = tmp_path / "counter.wasm"
    result = plug_files(counter_consumer, [counter_provider], out)
    assert list(result.filled) == ["test:counter/counting@0.1.0"]
    composed = read_component(out.read_bytes(), "composed").type
    assert "test:counter/counting@0.1.0" not in composed.imports
    proc = _run(out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["a.incr(2) = 7", "b.incr(1) = 101", "a.get() = 7", "total = 108"]


def test_jco_transpile_accepts_compositions(tmp_path: Path, env_plugged: Path, counter_consumer: Path,
                                            counter_provider: Path) -> None:
    counter = tmp_path / "counter.wasm"
    plug_files(counter_consumer, [counter_provider], counter)
    for app in (env_plugged, counter):
        outdir = tmp_path / f"js-{app.stem}"
        toolchain.run_jco(["transpile", str(app), "-o", str(outdir), "--name", "app"])
        assert (outdir / "app.js").is_file()


def _info(path: Path, name: str | None = None):
    return read_component(path.read_bytes(), name or path.name)


def test_type_mismatch_names_import_export_and_difference(hello: Path, wrong_env_plug: Path) -> None:
    with pytest.raises(CompositionError) as err:
        plug(_info(hello, "hello.wasm"), [_info(wrong_env_plug, "wrong.wasm")])
    assert str(err.value) == (
        "`socket hello.wasm` import `wasi:cli/environment@0.2.12` cannot be satisfied by "
        "`plug wrong.wasm` export `wasi:cli/environment@0.2.12`: "
        "`get-arguments`: result is list<u8>, expected list<string>")


def test_no_match_is_an_error(hello: Path, counter_provider: Path) -> None:
    with pytest.raises(CompositionError, match=r"^no plug export matched any socket import: the socket imports "
                                               r"wasi:cli/environment@0\.2\.12, .*; the plugs export "
                                               r"exports, test:counter/counting@0\.1\.0$"):
        plug(_info(hello), [_info(counter_provider)])


def test_two_plugs_exporting_the_same_interface_is_an_error(tmp_path: Path, hello: Path,
                                                           env_plug: Path) -> None:
    twin = tmp_path / "twin.wasm"
    shutil.copyfile(env_plug, twin)
    with pytest.raises(CompositionError, match=r"socket import `wasi:cli/environment@0\.2\.12` is exported by "
                                               r"several plugs \(env\.wasm, twin\.wasm\); keep one of them"):
        plug(_info(hello), [_info(env_plug, "env.wasm"), _info(twin, "twin.wasm")])


def test_a_plug_that_fills_nothing_is_an_error(hello: Path, env_plug: Path,
                                               counter_provider: Path) -> None:
    with pytest.raises(CompositionError, match=r"^plug counter\.wasm matched no socket import"):
        plug(_info(hello), [_info(env_plug, "env.wasm"), _info(counter_provider, "counter.wasm")])


def test_core_module_socket_suggests_adapt(tmp_path: Path, c_module, env_plug: Path) -> None:
    out = tmp_path / "out.wasm"
    with pytest.raises(BinaryFormatError, match=r"core wasm module.*`wasivirt adapt"):
        plug_files(c_module("hello.c"), [env_plug], out)
    assert not out.exists()


def test_failed_plug_leaves_no_output(tmp_path: Path, hello: Path, wrong_env_plug: Path) -> None:
    out = tmp_path / "out.wasm"
    with pytest.raises(CompositionError):
        plug_files(hello, [wrong_env_plug], out)
    assert list(tmp_path.iterdir()) == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_cli_plug_end_to_end(tmp_path: Path, hello: Path, env_plug: Path) -> None:
    out = tmp_path / "app.wasm"
    proc = _cli("plug", str(hello), "--plug", str(env_plug), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"wasi:cli/environment@0.2.12 <- {env_plug}",
        f"{out}: {out.stat().st_size} bytes, validated by wasmtime",
    ]
    run = _run(out, "x")
    assert run.returncode == 0 and run.stdout.startswith("hello, plug!\nargc=3\n")


def test_cli_plug_mismatch_is_one_line_exit_2_and_no_output(tmp_path: Path, hello: Path,
                                                            wrong_env_plug: Path) -> None:
    out = tmp_path / "app.wasm"
    proc = _cli("plug", str(hello), "-p", str(wrong_env_plug), "-o", str(out))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("error: `socket ") and "`get-arguments`: result is list<u8>, expected list<string>" in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make_args, message", [
    (lambda h, e, t: ["plug", str(h), "-o", str(t / "o.wasm")], "Missing option '--plug'"),
    (lambda h, e, t: ["plug", str(t / "nope.wasm"), "-p", str(e), "-o", str(t / "o.wasm")], "nope.wasm: no such file"),
    (lambda h, e, t: ["plug", str(h), "-p", str(h), "-o", str(t / "o.wasm")], "no plug export matched any socket import"),
])
def test_cli_plug_bad_input(tmp_path: Path, hello: Path, env_plug: Path, make_args, message) -> None:
    proc = _cli(*make_args(hello, env_plug, tmp_path))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "o.wasm").exists()
