"""The `wasivirt` CLI end to end: every command and option, every bad input.

Guest output goes to the real stdout/stderr file descriptors, so everything involving
`run` is driven through the installed console script in a subprocess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from support.wat_samples import EXIT_42_WAT, FOREIGN_IMPORT_WAT, THREADS_WAT

# Every command, as `wasivirt --help` lists them.
COMMANDS = {
    "adapt": "Turn a wasip1 core module into a component (preview1 adapter).",
    "run": "Run a command component; exit with the guest's exit code.",
    "compose": "Give a WASI program a virtual filesystem by composition.",
    "plug": "Fill a socket's imports with plugs' exports (wac plug semantics).",
    "inspect": "Show imports, exports, WASI versions and host filesystem access.",
    "publish": "Publish a component to an OCI registry (CNCF wasm artifact layout).",
    "pull": "Pull a wasm component from an OCI registry (every digest verified).",
    "setup": "Install the pinned node tools (jco) and check every tool.",
}



def one_error_line(stderr: str) -> str:
    """Assert stderr is exactly one `error: ...` line (no traceback) and return it."""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


# -- help and version --------------------------------------------------------------------

def test_help_lists_every_command_on_one_line(wasivirt):
    proc = wasivirt("--help", env={"COLUMNS": "80"})
    assert proc.returncode == 0
    for name, description in COMMANDS.items():
        assert re.search(rf"│ {name} +{re.escape(description)} +│", proc.stdout), name
    from wasivirt_component.cli import app
    assert sorted(c.name or c.callback.__name__ for c in app.registered_commands) == sorted(COMMANDS)


def test_no_arguments_shows_help(wasivirt):
    proc = wasivirt()
    assert proc.returncode == 2
    assert "Usage: wasivirt [OPTIONS] COMMAND [ARGS]..." in proc.stdout + proc.stderr


def test_version(cli):
    result = cli("--version")
    assert (result.exit_code, result.stdout) == (0, "wasivirt 0.1.0\n")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_command_help(cli, command):
    result = cli(command, "--help", env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert COMMANDS[command] in result.stdout


def test_unknown_command(cli):
    result = cli("frobnicate")
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


# -- adapt -------------------------------------------------------------------------------

def test_adapt_subprocess_end_to_end(wasivirt, hello_module, tmp_path):
    out = tmp_path / "hello.wasm"
    proc = wasivirt("adapt", hello_module, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{out}: command component (detected), {out.stat().st_size} bytes\n"
    assert proc.stderr == ""
    assert out.read_bytes()[:8] == b"\0asm\x0d\x00\x01\x00"


def test_adapt_reactor_flag(cli, hello_module, tmp_path):
    out = tmp_path / "r.wasm"
    result = cli("adapt", hello_module, "--output", out, "--reactor")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{out}: reactor component (forced), ")


def test_adapt_command_flag_on_a_reactor(cli, c_module, tmp_path):
    module = c_module("library.c", flags=("-mexec-model=reactor",))
    result = cli("adapt", module, "-o", tmp_path / "x.wasm", "--command")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        f"error: {module}: --command needs a `_start` export, which this module lacks; drop "
        "--command to adapt it as a reactor (library)")
    assert list(tmp_path.iterdir()) == []


def test_adapt_reactor_notes_dropped_exports(cli, c_module, tmp_path):
    module = c_module("library.c", flags=("-mexec-model=reactor",))
    result = cli("adapt", module, "-o", tmp_path / "lib.wasm")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{tmp_path / 'lib.wasm'}: reactor component (detected), ")
    assert result.stderr == (f"note: {module} exports add without a WIT world (no component-type "
                             "section), so the component does not export them\n")


def test_adapt_component_is_copied_with_a_note(cli, hello, tmp_path):
    out = tmp_path / "copy.wasm"
    result = cli("adapt", hello, "-o", out)
    assert result.exit_code == 0
    assert result.stderr == f"note: {hello} is already a component; copied it unchanged to {out}\n"
    assert result.stdout == ""
    assert out.read_bytes() == hello.read_bytes()


def test_adapt_threads_subprocess(wasivirt, wat, tmp_path):
    module = wat(THREADS_WAT, "threads")
    out = tmp_path / "t.wasm"
    proc = wasivirt("adapt", module, "-o", out)
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == (
        f"error: {module}: is a wasip1-threads module (imports wasi/thread-spawn and has a shared "
        "memory); the component model has no shared-memory threads, so this module cannot become "
        "a component -- rebuild it for wasm32-wasip1 without threads")
    assert proc.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content, reason", [
    (b"", "not a WebAssembly file (bad magic number)"),
    (b"MZ\x90\x00 this is an exe", "not a WebAssembly file (bad magic number)"),
    (b"\x00asm", "truncated wasm header (4 bytes)"),
    (b"\x00asm\x0e\x00\x01\x00", "component binary version 0xe is not supported (expected 0xd)"),
])
def test_adapt_bad_input(wasivirt, tmp_path, content, reason):
    src = tmp_path / "in.wasm"
    src.write_bytes(content)
    proc = wasivirt("adapt", src, "-o", tmp_path / "out.wasm")
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == f"error: {src}: {reason}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wasm"]


def test_adapt_truncated_module(cli, hello_module, tmp_path):
    src = tmp_path / "cut.wasm"
    src.write_bytes(hello_module.read_bytes()[:-10])
    result = cli("adapt", src, "-o", tmp_path / "out.wasm")
    assert result.exit_code == 2
    assert re.fullmatch(rf"error: {re.escape(str(src))}: section \d+ of \d+ bytes runs past the end "
                        r"\(\d+ bytes left; the file is truncated\) at byte offset \d+",
                        one_error_line(result.stderr))
    assert not (tmp_path / "out.wasm").exists()


def test_adapt_foreign_import(cli, wat, tmp_path):
    module = wat(FOREIGN_IMPORT_WAT, "foreign")
    result = cli("adapt", module, "-o", tmp_path / "out.wasm")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        f"error: {module}: imports host::call, which no WASI adapter provides; only "
        "wasi_snapshot_preview1 imports can be adapted (was it built for a different host?)")


def test_adapt_missing_input(cli, tmp_path):
    result = cli("adapt", tmp_path / "nope.wasm", "-o", tmp_path / "out.wasm")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"error: {tmp_path / 'nope.wasm'}: no such file"


def test_adapt_input_is_a_directory(cli, tmp_path):
    result = cli("adapt", tmp_path, "-o", tmp_path / "out.wasm")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"error: {tmp_path}: is a directory, expected a wasm file"


def test_adapt_output_dir_missing(cli, hello_module, tmp_path):
    result = cli("adapt", hello_module, "-o", tmp_path / "missing" / "out.wasm")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        f"error: {tmp_path / 'missing' / 'out.wasm'}: directory {tmp_path / 'missing'} does not "
        "exist; create it first")


def test_adapt_requires_output(cli, hello_module):
    result = cli("adapt", hello_module)
    assert result.exit_code == 2
    assert "Missing option '--output' / '-o'" in result.output


def test_adapt_without_jco_names_setup(wasivirt, hello_module, tmp_path):
    out = tmp_path / "out.wasm"
    proc = wasivirt("adapt", hello_module, "-o", out,
                    env={"WASIVIRT_NODE_MODULES": str(tmp_path / "nothing")})
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == ("error: jco is not installed; run `wasivirt setup` "
                                           "(installs @bytecodealliance/jco@1.35.0 with npm)")
    assert not out.exists()


# -- run ---------------------------------------------------------------------------------

def test_run_subprocess_args_env_dir(wasivirt, hello, tmp_path):
    proc = wasivirt("run", hello, "--env", "NAME=cli", "--env", "MODE=fast", "--", "a", "--b", "-c")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == ("hello, cli!\nargc=4\n"
                           f"argv[0]={hello.name}\nargv[1]=a\nargv[2]=--b\nargv[3]=-c\nMODE=fast\n")


def test_run_options_after_positional_args(wasivirt, hello):
    proc = wasivirt("run", hello, "x", "--env", "NAME=late", "--argv0", "prog")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("hello, late!\nargc=2\nargv[0]=prog\nargv[1]=x\n")


def test_run_env_passthrough(wasivirt, hello):
    proc = wasivirt("run", hello, "--env", "NAME", env={"NAME": "from-host"})
    assert proc.stdout.startswith("hello, from-host!\n")


def test_run_env_passthrough_of_unset_variable(wasivirt, hello):
    proc = wasivirt("run", hello, "--env", "WASIVIRT_SURELY_UNSET")
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == (
        "error: --env WASIVIRT_SURELY_UNSET: WASIVIRT_SURELY_UNSET is not set here; write "
        "--env WASIVIRT_SURELY_UNSET=VALUE")


def test_run_stdin_is_inherited(wasivirt, hello):
    proc = wasivirt("run", hello, "--", "stdin", input="from the pipe\n")
    assert proc.stdout.endswith("argv[1]=stdin\nfrom the pipe\n")


def test_run_stderr_is_inherited(wasivirt, hello):
    proc = wasivirt("run", hello, "--", "stderr", "to stderr")
    assert (proc.returncode, proc.stderr) == (0, "to stderr\n")


def test_run_dir_host_guest_and_plain(wasivirt, files, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "msg.txt").write_text("from the host\n")
    proc = wasivirt("run", files, "--dir", f"{data}::/data", "--", "cat", "/data/msg.txt")
    assert (proc.returncode, proc.stdout) == (0, "from the host\n")
    proc = wasivirt("run", files, "--dir", "data", "--", "cat", "data/msg.txt", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "from the host\n")
    proc = wasivirt("run", files, "--dir", f"{data}::/data", "--", "write", "/data/out.txt", "hi")
    assert proc.returncode == 0 and (data / "out.txt").read_text() == "hi"


def test_run_two_dirs(wasivirt, files, tmp_path):
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.txt").write_text(f"{name}\n")
    proc = wasivirt("run", files, "--dir", f"{tmp_path / 'one'}::/one",
                    "--dir", f"{tmp_path / 'two'}::/two", "--", "cat", "/one/f.txt", "/two/f.txt")
    assert (proc.returncode, proc.stdout) == (0, "one\ntwo\n")


def test_run_without_dir_sees_nothing(wasivirt, files):
    proc = wasivirt("run", files, "--", "cat", "/etc/hostname")
    assert proc.returncode == 1
    assert proc.stdout.startswith("/etc/hostname: error: ")


def test_run_missing_dir(wasivirt, hello, tmp_path):
    proc = wasivirt("run", hello, "--dir", f"{tmp_path / 'nope'}::/x")
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == (
        f"error: --dir {tmp_path / 'nope'}::/x: host directory {tmp_path / 'nope'} does not exist")
    assert proc.stdout == ""


def test_run_exit_codes(wasivirt, hello, wat):
    assert wasivirt("run", hello, "--", "exit", "0").returncode == 0
    # preview1 proc_exit(5) -> the adapter's WASI 0.2 exit(err) -> 1 (see test_run.py)
    assert wasivirt("run", hello, "--", "exit", "5").returncode == 1
    proc = wasivirt("run", wat(EXIT_42_WAT, "exit42"))
    assert (proc.returncode, proc.stdout, proc.stderr) == (42, "", "")


def test_run_trap(wasivirt, hello):
    proc = wasivirt("run", hello, "--", "trap")
    assert proc.returncode == 134
    assert proc.stdout.startswith("hello, world!\n")
    assert one_error_line(proc.stderr) == (
        f"error: {hello}: trapped: wasm `unreachable` instruction executed "
        "(add --backtrace for the wasm backtrace)")


def test_run_trap_with_backtrace(wasivirt, hello):
    proc = wasivirt("run", hello, "--backtrace", "--", "trap")
    assert proc.returncode == 134
    lines = proc.stderr.splitlines()
    assert lines[0] == "error while executing at wasm backtrace:"
    assert any(re.search(r"^ +0: +0x[0-9a-f]+ - .*wasm function", ln) for ln in lines[1:-1])
    assert "Caused by:" in lines
    assert lines[-1] == f"error: {hello}: trapped: wasm `unreachable` instruction executed"


def test_run_a_core_module(wasivirt, hello_module):
    proc = wasivirt("run", hello_module)
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == (
        f"error: {hello_module}: is a core wasm module, not a component; run `wasivirt adapt "
        f"{hello_module} -o app.wasm` first, then run app.wasm")


def test_run_not_wasm(cli, tmp_path):
    src = tmp_path / "x.wasm"
    src.write_text("#!/bin/sh\n")
    result = cli("run", src)
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"error: {src}: not a WebAssembly file (bad magic number)"


def test_run_missing_file(cli, tmp_path):
    result = cli("run", tmp_path / "gone.wasm")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"error: {tmp_path / 'gone.wasm'}: no such file"


def test_run_uses_the_cache_across_processes(wasivirt, hello, wat, tmp_path):
    from wasivirt_component.engine import ComponentCache, make_engine

    cache = tmp_path / "cache"
    env = {"WASIVIRT_CACHE_DIR": str(cache)}
    assert wasivirt("run", hello, env=env).returncode == 0
    entries = list(cache.glob("compiled/*/*.cwasm"))
    assert len(entries) == 1
    before = entries[0].stat().st_mtime_ns
    assert wasivirt("run", hello, env=env).returncode == 0
    assert entries[0].stat().st_mtime_ns == before     # reused, not rewritten

    # Poison hello's entry with a *different* valid compiled component: the next run
    # loads it from the cache, so it behaves like that component (exit 42, no output).
    engine = make_engine()
    other = ComponentCache(root=cache / "compiled")
    exit42 = wat(EXIT_42_WAT, "exit42").read_bytes()
    other.load(engine, exit42)
    entries[0].write_bytes(other.path_for(exit42, engine).read_bytes())
    proc = wasivirt("run", hello, env=env)
    assert (proc.returncode, proc.stdout) == (42, "")


def test_run_no_cache(wasivirt, hello, tmp_path):
    cache = tmp_path / "cache"
    proc = wasivirt("run", hello, "--no-cache", env={"WASIVIRT_CACHE_DIR": str(cache)})
    assert proc.returncode == 0
    assert not cache.exists()


# -- inspect -----------------------------------------------------------------------------

def test_inspect_subprocess_json(wasivirt, hello):
    proc = wasivirt("inspect", hello, "--json")
    assert proc.returncode == 0 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert (doc["kind"], doc["component"]["world"], doc["component"]["host_filesystem"]) == \
        ("component", "command", True)


def test_inspect_subprocess_human(wasivirt, hello_module):
    proc = wasivirt("inspect", hello_module, env={"COLUMNS": "100"})
    assert proc.returncode == 0
    assert "core module" in proc.stdout and "command (exports _start)" in proc.stdout


def test_inspect_bad_input(wasivirt, tmp_path):
    src = tmp_path / "bad.wasm"
    src.write_bytes(b"\x00asm\x01\x00\x00\x00\x01\xff\x01")
    proc = wasivirt("inspect", src, "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_error_line(proc.stderr) == (
        f"error: {src}: section 1 of 255 bytes runs past the end (0 bytes left; the file is "
        "truncated) at byte offset 11")


def test_inspect_missing_file(cli, tmp_path):
    result = cli("inspect", tmp_path / "nope.wasm")
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"error: {tmp_path / 'nope.wasm'}: no such file"


# -- setup -------------------------------------------------------------------------------

def test_setup_check_subprocess(wasivirt):
    proc = wasivirt("setup", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = [ln.split()[1] for ln in proc.stdout.splitlines()]
    assert names == ["node", "jco", "preview1", "WASI", "zig", "wasm-tools", "wasmtime"]
    assert proc.stderr == ""


# -- the README's demo -------------------------------------------------------------------

def test_demo_script(tmp_path):
    """`make demo` runs examples/hello/demo.sh: compile, inspect, adapt, inspect, run; then
    the main job: compose a program with examples/vfs/spec.py, inspect, run."""
    import os
    import subprocess
    import sys

    from support.cli import SESSION_CACHE

    root = Path(__file__).resolve().parent.parent
    # the session cache: the virtualizer and compiled code are shared with other tests
    env = {**os.environ, "OUT": str(tmp_path / "demo"), "VENV": str(Path(sys.executable).parent.parent),
           "WASIVIRT_CACHE_DIR": str(SESSION_CACHE), "COLUMNS": "100"}
    proc = subprocess.run([str(root / "examples" / "hello" / "demo.sh")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "command (exports _start)" in out
    assert "command component (detected)" in out
    assert "command (exports wasi:cli/run@0.2.12)" in out
    assert "hello, wasivirt! (hello.wasm, 2 arguments)\n/data/ (2 entries)\n  config.toml\n" in out
    assert "  | The guest sees it only because `--dir` preopened that directory.\n" in out
    assert "host filesystem   no: imports no wasi:filesystem" in out
    assert "  /: assets/ etc/ work/\n" in out
    assert "  /etc/app.toml         : debug = false | name = \"demo\"\n" in out
    assert "  /etc/passwd            -> No such file or directory\n" in out
    assert "  write /etc/app.toml    -> Permission denied\n" in out
    assert "demo finished" in out
    assert (tmp_path / "demo" / "hello.wasm").is_file()
    assert (tmp_path / "demo" / "app.wasm").is_file()
    # the host mount part: /work is a host directory, the notes stay on the host
    assert "host mount: /work <- the runtime's preopen 'work', read-write, hides *.secret" in out
    assert (tmp_path / "demo" / "work" / "notes.txt").read_text() == "remember the milk\n"


LOOP_FOREVER_WAT = """(component
  (core module $m (func (export "run") (result i32) (loop $l (br $l)) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $inst)))
"""


def test_run_ctrl_c_stops_a_looping_guest(wasivirt_exe, wat, tmp_path):
    """The guest runs inside one native call, where Python's SIGINT flag is never checked;
    `run` restores the default disposition so Ctrl-C still ends the process."""
    import os
    import signal
    import subprocess
    import time

    looping = wat(LOOP_FOREVER_WAT, "loop")
    proc = subprocess.Popen([str(wasivirt_exe), "run", str(looping)],
                            env={**os.environ, "WASIVIRT_CACHE_DIR": str(tmp_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)
        assert proc.poll() is None, "the looping guest ended by itself"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGINT
