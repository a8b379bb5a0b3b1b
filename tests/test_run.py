"""`run`: command components in-process with wasmtime, exit codes, preopens, the cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import wasmtime

from support.wat_samples import EXIT_42_WAT
from wasivirt_component import engine as engine_mod
from wasivirt_component import run as run_mod
from wasivirt_component.engine import ComponentCache, load_component, make_engine
from wasivirt_component.errors import GuestTrap, ValidationError, WasivirtError
from wasivirt_component.paths import cache_dir
from wasivirt_component.run import (
    Preopen,
    RunOptions,
    parse_dir,
    parse_env,
    run_bytes,
    run_component,
    run_file,
)

# `run` returns `err` without calling exit: wasmtime's CLI exits 1 for that, and so do we.
RUN_ERR_WAT = """(component
  (core module $m (func (export "run") (result i32) (i32.const 1)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $inst)))
"""
# Uses the exception-handling proposal (LLVM's -fwasm-exceptions emits it): throws a tag
# and catches it, returning ok (0) only if the catch worked.
EXCEPTIONS_WAT = """(component
  (core module $m
    (tag $e (param i32))
    (func (export "run") (result i32)
      (block $h (result i32)
        (try_table (catch $e $h) (throw $e (i32.const 0)))
        (i32.const 1))))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $inst)))
"""
# Two `run` exports: the release returns ok, its release candidate err. The release ranks
# above its pre-releases (semver), so `run` must pick `@0.2.0` and exit 0.
RELEASE_AND_RC_WAT = """(component
  (core module $m
    (func (export "ok") (result i32) (i32.const 0))
    (func (export "err") (result i32) (i32.const 1)))
  (core instance $i (instantiate $m))
  (func $ok (result (result)) (canon lift (core func $i "ok")))
  (func $err (result (result)) (canon lift (core func $i "err")))
  (instance $release (export "run" (func $ok)))
  (instance $rc (export "run" (func $err)))
  (export "wasi:cli/run@0.2.0" (instance $release))
  (export "wasi:cli/run@0.2.0-rc-2023-12-05" (instance $rc)))
"""
UNKNOWN_IMPORT_WAT = """(component
  (import "acme:widgets/api@1.0.0" (instance $api (export "ping" (func))))
  (core module $m (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $inst)))
"""


@pytest.fixture(scope="module")
def engine() -> wasmtime.Engine:
    return make_engine()


def run_capture(path: Path, tmp_path: Path, **kw) -> tuple[int, str, str]:
    """Run through the library with stdout/stderr redirected to files."""
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    options = RunOptions(stdout=out, stderr=err, **kw)
    code = run_file(path, options, use_cache=False)
    return code, out.read_text(), err.read_text()


# -- args, env, stdio --------------------------------------------------------------------

def test_args_env_and_argv0(hello, tmp_path):
    code, out, err = run_capture(hello, tmp_path, args=["one", "two words"],
                                 env=[("NAME", "wasi"), ("MODE", "test")])
    assert code == 0 and err == ""
    assert out == ("hello, wasi!\nargc=3\n"
                   f"argv[0]={hello.name}\nargv[1]=one\nargv[2]=two words\nMODE=test\n")


def test_explicit_argv0_and_no_env_leaks(hello, tmp_path, monkeypatch):
    monkeypatch.setenv("NAME", "host-value")   # the guest must not see the host's env
    code, out, _ = run_capture(hello, tmp_path, argv0="greeter")
    assert out == "hello, world!\nargc=1\nargv[0]=greeter\n"


def test_stderr_and_stdin(hello, tmp_path):
    code, out, err = run_capture(hello, tmp_path, args=["stderr", "oops"])
    assert (code, err) == (0, "oops\n")
    stdin = tmp_path / "in.txt"
    stdin.write_text("piped text\n")
    code, out, _ = run_capture(hello, tmp_path, args=["stdin"], stdin=stdin)
    assert out.endswith("argv[1]=stdin\npiped text\n")


# -- exit codes --------------------------------------------------------------------------

def test_exit_zero(hello, tmp_path):
    assert run_capture(hello, tmp_path, args=["exit", "0"])[0] == 0


@pytest.mark.parametrize("status", ["1", "7", "255"])
def test_nonzero_exit_becomes_1_through_the_preview1_adapter(hello, tmp_path, status):
    """C `exit(7)` is preview1 `proc_exit(7)`; the adapter maps it to WASI 0.2
    `exit(err)` because 0.2's stable `exit` only carries ok/err, so the host sees 1.
    This is the adapter's documented limit (TOOLCHAIN.md), not ours: a guest that calls
    `exit-with-code` directly keeps its code (next test)."""
    code, out, _ = run_capture(hello, tmp_path, args=["exit", status])
    assert code == 1
    assert f"argv[2]={status}" in out


def test_exit_with_code_is_passed_through(wat, engine):
    component = load_component(engine, wat(EXIT_42_WAT, "exit42").read_bytes(), use_cache=False)
    assert run_component(engine, component) == 42


def test_run_returning_err_exits_1(wat, engine):
    component = load_component(engine, wat(RUN_ERR_WAT, "runerr").read_bytes(), use_cache=False)
    assert run_component(engine, component) == 1


def test_run_picks_the_release_over_its_release_candidate(wat, engine):
    component = load_component(engine, wat(RELEASE_AND_RC_WAT, "release-rc").read_bytes(),
                               use_cache=False)
    assert run_mod.find_run_export(engine, component) == "wasi:cli/run@0.2.0"
    assert run_component(engine, component) == 0


def test_trap_is_a_one_line_error_with_backtrace_kept(hello, tmp_path):
    with pytest.raises(GuestTrap) as info:
        run_capture(hello, tmp_path, args=["trap"])
    trap = info.value
    assert trap.exit_code == 134
    assert trap.message == f"{hello}: trapped: wasm `unreachable` instruction executed"
    assert "wasm backtrace" in trap.details and "\n" in trap.details
    assert (tmp_path / "stdout.txt").read_text().startswith("hello, world!")


# -- proposals ---------------------------------------------------------------------------

def test_exception_handling_is_enabled(wat, engine):
    data = wat(EXCEPTIONS_WAT, "exceptions").read_bytes()
    assert run_component(engine, load_component(engine, data, use_cache=False)) == 0


def test_exception_handling_needs_the_config(wat):
    """Proves the previous test depends on our Config: a default engine rejects it."""
    config = wasmtime.Config()
    config.wasm_exceptions = False
    data = wat(EXCEPTIONS_WAT, "exceptions").read_bytes()
    with pytest.raises(ValidationError, match="wasmtime rejected this component"):
        load_component(wasmtime.Engine(config), data, use_cache=False)


# -- preopened directories ---------------------------------------------------------------

@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("alpha\n")
    (d / "b.txt").write_text("beta\n")
    return d


def test_dir_host_guest_read_and_list(files, data_dir, tmp_path):
    code, out, _ = run_capture(files, tmp_path, args=["cat", "/data/a.txt", "/data/b.txt"],
                               dirs=[parse_dir(f"{data_dir}::/data")])
    assert (code, out) == (0, "alpha\nbeta\n")
    code, out, _ = run_capture(files, tmp_path, args=["ls", "/data"],
                               dirs=[parse_dir(f"{data_dir}::/data")])
    assert (code, out) == (0, "a.txt\nb.txt\nsub\n")


def test_dir_is_writable(files, data_dir, tmp_path):
    code, out, _ = run_capture(files, tmp_path, args=["write", "/data/new.txt", "written"],
                               dirs=[parse_dir(f"{data_dir}::/data")])
    assert (code, out) == (0, "")
    assert (data_dir / "new.txt").read_text() == "written"


def test_read_only_preopen(files, data_dir, tmp_path):
    code, out, _ = run_capture(files, tmp_path, args=["write", "/data/new.txt", "x"],
                               dirs=[Preopen(str(data_dir), "/data", read_only=True)])
    assert code == 1 and out.startswith("/data/new.txt: error: ")
    assert not (data_dir / "new.txt").exists()


def test_without_dir_nothing_is_visible(files, data_dir, tmp_path):
    code, out, _ = run_capture(files, tmp_path, args=["cat", "/data/a.txt"])
    assert code == 1
    assert out.startswith("/data/a.txt: error: ")


def test_dir_cannot_escape_its_root(files, data_dir, tmp_path):
    (tmp_path / "secret.txt").write_text("secret\n")
    code, out, _ = run_capture(files, tmp_path, args=["cat", "/data/../secret.txt"],
                               dirs=[parse_dir(f"{data_dir}::/data")])
    assert code == 1 and "secret\n" not in out


# -- option parsing ----------------------------------------------------------------------

def test_parse_dir_forms(tmp_path):
    assert parse_dir(f"{tmp_path}::/guest") == Preopen(str(tmp_path), "/guest")
    assert parse_dir(str(tmp_path)) == Preopen(str(tmp_path), str(tmp_path))


@pytest.mark.parametrize("spec, message", [
    ("::/guest", "--dir ::/guest: expected HOST::GUEST or DIR"),
    ("/nonexistent-dir::/g", "--dir /nonexistent-dir::/g: host directory /nonexistent-dir does not exist"),
])
def test_parse_dir_errors(spec, message):
    with pytest.raises(WasivirtError) as info:
        parse_dir(spec)
    assert info.value.message == message


def test_parse_env_forms():
    assert parse_env("K=V") == ("K", "V")
    assert parse_env("K=a=b") == ("K", "a=b")
    assert parse_env("K=") == ("K", "")
    assert parse_env("HOME", {"HOME": "/home/x"}) == ("HOME", "/home/x")
    with pytest.raises(WasivirtError, match=r"--env MISSING: MISSING is not set here; write --env MISSING=VALUE"):
        parse_env("MISSING", {})
    with pytest.raises(WasivirtError, match=r"--env =V: expected NAME=VALUE or NAME"):
        parse_env("=V")


# -- refusals ----------------------------------------------------------------------------

def test_core_module_is_refused_with_the_fix(c_module):
    module = c_module("hello.c")
    with pytest.raises(WasivirtError) as info:
        run_file(module, use_cache=False)
    assert info.value.message == (f"{module}: is a core wasm module, not a component; run "
                                  f"`wasivirt adapt {module} -o app.wasm` first, then run app.wasm")


def test_reactor_component_is_refused(c_module, adapted):
    reactor = adapted(c_module("library.c", flags=("-mexec-model=reactor",)))
    with pytest.raises(WasivirtError) as info:
        run_file(reactor, use_cache=False)
    assert info.value.message == (f"{reactor}: is not a command component (it exports nothing, "
                                  "not wasi:cli/run@0.2.x); only command components can be run")


def test_unsatisfiable_import_is_one_line(wat):
    path = wat(UNKNOWN_IMPORT_WAT, "unknown-import")
    with pytest.raises(WasivirtError) as info:
        run_file(path, use_cache=False)
    assert info.value.message.startswith(f"{path}: cannot instantiate: ")
    assert info.value.message == (
        f"{path}: cannot instantiate: component imports instance `acme:widgets/api@1.0.0`, but a "
        "matching implementation was not found in the linker: function implementation is missing")
    assert "\n" not in info.value.message


def test_truncated_component_is_a_validation_error(hello, tmp_path):
    data = hello.read_bytes()[:len(hello.read_bytes()) // 2]
    with pytest.raises(ValidationError) as info:
        run_bytes(data, what="bad.wasm", use_cache=False)
    assert info.value.message.startswith("bad.wasm: wasmtime rejected this component: ")
    assert "\n" not in info.value.message


# -- the compiled-code cache -------------------------------------------------------------

def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("WASIVIRT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "wasivirt"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "wasivirt"
    monkeypatch.setenv("WASIVIRT_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == tmp_path / "explicit"


def test_second_load_deserializes_from_the_cache(hello, engine, isolated_cache, monkeypatch):
    data = hello.read_bytes()
    cache = ComponentCache()
    entry = cache.path_for(data, engine)
    assert entry.parent.parent == isolated_cache / "compiled"
    assert wasmtime.__name__ and engine_mod.wasmtime_version() in entry.parent.name

    cache.load(engine, data)
    assert cache.last_hit is False and entry.is_file()
    assert list(entry.parent.iterdir()) == [entry]   # no temp file left beside it

    compiled: list[bytes] = []
    monkeypatch.setattr(engine_mod, "compile_component",
                        lambda *a, **k: compiled.append(b"x") or pytest.fail("recompiled"))
    component = cache.load(engine, data)
    assert cache.last_hit is True and compiled == []
    assert run_component(engine, component, RunOptions(stdout=os.devnull)) == 0


def test_cache_entry_is_what_gets_run(hello, wat, engine, isolated_cache, tmp_path):
    """Plant hello's compiled code under the key of another component: running that
    other component then prints hello's greeting, so the cached file is truly used."""
    cache = ComponentCache()
    other = wat(RUN_ERR_WAT, "runerr").read_bytes()
    hello_entry = cache.path_for(hello.read_bytes(), engine)
    cache.load(engine, hello.read_bytes())
    other_entry = cache.path_for(other, engine)
    other_entry.write_bytes(hello_entry.read_bytes())

    out = tmp_path / "out.txt"
    code = run_bytes(other, RunOptions(stdout=out), engine=engine, cache=cache)
    assert cache.last_hit is True
    assert (code, out.read_text().splitlines()[0]) == (0, "hello, world!")


def test_corrupt_cache_entry_is_recompiled_and_replaced(hello, engine, isolated_cache):
    data = hello.read_bytes()
    cache = ComponentCache()
    entry = cache.path_for(data, engine)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"not a compiled component")
    cache.load(engine, data)
    assert cache.last_hit is False
    assert entry.read_bytes() != b"not a compiled component"
    cache.load(engine, data)
    assert cache.last_hit is True


def test_unwritable_cache_still_runs(hello, engine, tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("WASIVIRT_CACHE_DIR", str(blocker / "cache"))
    cache = ComponentCache()
    assert run_bytes(hello.read_bytes(), RunOptions(stdout=os.devnull), engine=engine, cache=cache) == 0
    assert cache.last_hit is False


def test_use_cache_false_writes_nothing(hello, engine, isolated_cache):
    load_component(engine, hello.read_bytes(), use_cache=False)
    assert not isolated_cache.exists()


def test_engines_with_other_settings_do_not_share_entries(hello, engine, isolated_cache):
    cache = ComponentCache()
    other = wasmtime.Engine()
    assert cache.path_for(hello.read_bytes(), other) != cache.path_for(hello.read_bytes(), engine)
