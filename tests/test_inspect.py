"""`inspect`: the component extern scanner, the report, its JSON schema and human table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.wat_samples import THREADS_WAT
from wasivirt_component.binary.component_externs import ComponentExtern, read_component_externs
from wasivirt_component.binary.encode import COMPONENT_PREAMBLE, name, section, uleb, vec
from wasivirt_component.errors import BinaryFormatError
from wasivirt_component.inspect import inspect_bytes, inspect_file

HELLO_IMPORTS = [
    "wasi:cli/environment@0.2.12", "wasi:cli/exit@0.2.12", "wasi:io/error@0.2.12",
    "wasi:io/streams@0.2.12", "wasi:cli/stdin@0.2.12", "wasi:cli/stdout@0.2.12",
    "wasi:cli/stderr@0.2.12", "wasi:cli/terminal-input@0.2.12",
    "wasi:cli/terminal-output@0.2.12", "wasi:cli/terminal-stdin@0.2.12",
    "wasi:cli/terminal-stdout@0.2.12", "wasi:cli/terminal-stderr@0.2.12",
    "wasi:clocks/wall-clock@0.2.12", "wasi:filesystem/types@0.2.12",
    "wasi:filesystem/preopens@0.2.12",
]
HELLO_PREVIEW1 = ["args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
                  "fd_fdstat_get", "fd_read", "fd_seek", "fd_write", "proc_exit", "fd_close"]



# -- a synthetic component exercising every encoding the scanner must read ---------------

def nested_component_with_imports() -> bytes:
    """A nested component whose own import must NOT be reported at the top level."""
    inner_import = b"\x00" + name("wasi:sockets/tcp@0.2.0") + b"\x05" + uleb(0)
    return COMPONENT_PREAMBLE + section(10, vec([inner_import]))


def synthetic_component() -> bytes:
    imports = vec([
        b"\x00" + name("wasi:filesystem/types@0.2.12") + b"\x05" + uleb(0),      # instance
        b"\x01" + name("wasi:cli/stdout@0.2.3") + b"\x05" + uleb(1),             # 0x01 tag
        b"\x02" + name("acme:x/y@1.2.0") + vec([b"\x01" + name("-rc.1"),         # attributes
                                                 b"\x00" + name("acme:x/z"),
                                                 b"\x02" + name("ext-id")]) + b"\x01" + uleb(2),
        b"\x00" + name("res") + b"\x03\x01",                                      # sub resource
        b"\x00" + name("t") + b"\x03\x00" + uleb(5),                              # eq type
        b"\x00" + name("m") + b"\x00\x11" + uleb(3),                              # core module
        b"\x00" + name("v") + b"\x02\x01\x7f",                                    # value: bool
        b"\x00" + name("c") + b"\x04" + uleb(300),                                # component
    ])
    exports = vec([
        b"\x00" + name("wasi:cli/run@0.2.12") + b"\x05" + uleb(0) + b"\x00",
        b"\x00" + name("f") + b"\x01" + uleb(3) + b"\x01" + b"\x01" + uleb(4),  # ascribed type
        b"\x00" + name("mod") + b"\x00\x11" + uleb(0) + b"\x00",
    ])
    return (COMPONENT_PREAMBLE
            + section(0, name("custom") + b"\xde\xad")
            + section(7, b"\xff\xff\xff garbage the scanner must skip")
            + section(4, nested_component_with_imports())
            + section(10, imports)
            + section(11, exports))


def test_scanner_reads_every_name_and_extern_form():
    externs = read_component_externs(synthetic_component())
    assert externs.imports == (
        ComponentExtern("wasi:filesystem/types@0.2.12", "instance", 0),
        ComponentExtern("wasi:cli/stdout@0.2.3", "instance", 1),
        ComponentExtern("acme:x/y@1.2.0", "func", 2),
        ComponentExtern("res", "type", -1),
        ComponentExtern("t", "type", 5),
        ComponentExtern("m", "module", 3),
        ComponentExtern("v", "value", -1),
        ComponentExtern("c", "component", 300),
    )
    assert externs.exports == (
        ComponentExtern("wasi:cli/run@0.2.12", "instance", 0),
        ComponentExtern("f", "func", 3),
        ComponentExtern("mod", "module", 0),
    )


def test_extern_name_parts():
    e = ComponentExtern("wasi:filesystem/types@0.2.12", "instance", 0)
    assert (e.package, e.interface, e.version, e.namespace, e.is_wasi) == \
        ("wasi:filesystem", "types", "0.2.12", "wasi", True)
    plain = ComponentExtern("run", "func", 0)
    assert (plain.package, plain.interface, plain.version, plain.is_wasi) == (None, None, None, False)
    unversioned = ComponentExtern("acme:pkg/api", "instance", 0)
    assert (unversioned.package, unversioned.interface, unversioned.version) == ("acme:pkg", "api", None)


def test_scanner_reads_a_real_component(hello):
    externs = read_component_externs(hello.read_bytes())
    assert [e.name for e in externs.imports] == HELLO_IMPORTS
    assert all(e.sort == "instance" for e in externs.imports)
    assert [(e.name, e.sort) for e in externs.exports] == [("wasi:cli/run@0.2.12", "instance")]


def test_scanner_refuses_modules(hello_module):
    with pytest.raises(BinaryFormatError, match="is a core wasm module, not a component"):
        read_component_externs(hello_module.read_bytes(), "x.wasm")


@pytest.mark.parametrize("payload, message", [
    (vec([b"\x07" + name("a") + b"\x05\x00"]), "unknown import/export name tag 0x7"),
    (vec([b"\x00" + name("a") + b"\x09\x00"]), "unknown extern type 0x9"),
    (vec([b"\x00" + name("a") + b"\x00\x10\x00"]), "core extern type 0x10 is not a module"),
    (vec([b"\x00" + name("a") + b"\x05\x00"]) + b"\x00", "section 10 has 1 trailing bytes"),
    (uleb(1000) + b"\x00", "vector of 1000 items cannot fit"),
])
def test_scanner_errors_are_ours(payload, message):
    with pytest.raises(BinaryFormatError, match=message):
        read_component_externs(COMPONENT_PREAMBLE + section(10, payload), "bad.wasm")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_binaries_raise_only_our_error(hello, data):
    blob = bytearray(hello.read_bytes())
    if data.draw(st.booleans()):
        blob = blob[:data.draw(st.integers(0, len(blob)))]
    for _ in range(data.draw(st.integers(0, 4))):
        if blob:
            blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    try:
        inspect_bytes(bytes(blob), "mutated.wasm")
    except BinaryFormatError as exc:
        assert exc.message.startswith("mutated.wasm: ") and "\n" not in exc.message


# -- reports -----------------------------------------------------------------------------

def test_module_report(hello_module):
    report = inspect_file(hello_module)
    assert report.kind == "module" and report.component is None
    m = report.module
    assert (m.role, m.wasi, m.threads) == ("command", "preview1", False)
    assert list(m.preview1_imports) == HELLO_PREVIEW1
    assert m.other_imports == () and ("_start", "func") in m.exports


def test_reactor_module_report(c_module):
    m = inspect_file(c_module("library.c", flags=("-mexec-model=reactor",))).module
    assert (m.role, m.wasi, m.preview1_imports) == ("reactor", None, ())
    assert ("add", "func") in m.exports


def test_threads_module_report(wat):
    m = inspect_file(wat(THREADS_WAT, "threads")).module
    assert (m.threads, m.shared_memory, m.thread_spawn) == (True, True, True)
    assert m.other_imports == (("wasi", "thread-spawn", "func"), ("env", "memory", "memory"))


def test_component_report(hello):
    c = inspect_file(hello).component
    assert c.world == "command"
    assert c.wasi_versions == ("0.2.12",)
    assert c.host_filesystem is True
    assert c.filesystem_imports == ("wasi:filesystem/types@0.2.12", "wasi:filesystem/preopens@0.2.12")


def test_component_without_filesystem_and_mixed_versions():
    c = inspect_bytes(synthetic_component()).component
    assert c.wasi_versions == ("0.2.3", "0.2.12")        # numeric, not lexicographic, order
    assert c.world == "command"
    assert c.host_filesystem is True
    c2 = inspect_bytes(COMPONENT_PREAMBLE).component
    assert (c2.world, c2.host_filesystem, c2.wasi_versions) == ("library", False, ())


def test_wasi_versions_rank_a_release_above_its_release_candidates():
    imports = vec([b"\x00" + name(n) + b"\x05" + uleb(0) for n in (
        "wasi:cli/stdout@0.2.0", "wasi:cli/stderr@0.2.0-rc-2023-12-05", "wasi:io/poll@0.2.0-rc-2023-11-10")])
    c = inspect_bytes(COMPONENT_PREAMBLE + section(10, imports)).component
    assert c.wasi_versions == ("0.2.0-rc-2023-11-10", "0.2.0-rc-2023-12-05", "0.2.0")


# -- JSON: the documented schema (docs/inspect-json.md) ---------------------------------

def test_json_for_a_module(cli, hello_module):
    result = cli("inspect", hello_module, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc == {
        "schema": 1,
        "file": str(hello_module),
        "size": hello_module.stat().st_size,
        "kind": "module",
        "module": {
            "role": "command",
            "wasi": "preview1",
            "threads": False,
            "shared_memory": False,
            "thread_spawn": False,
            "preview1_imports": HELLO_PREVIEW1,
            "other_imports": [],
            "exports": [{"name": "memory", "kind": "memory"}, {"name": "_start", "kind": "func"}],
        },
        "component": None,
    }


def test_json_for_a_component(cli, hello):
    result = cli("inspect", hello, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert list(doc) == ["schema", "file", "size", "kind", "module", "component"]
    assert (doc["schema"], doc["kind"], doc["module"]) == (1, "component", None)
    comp = doc["component"]
    assert list(comp) == ["world", "wasi_versions", "host_filesystem", "filesystem_imports",
                          "mounts", "link", "imports", "exports"]
    assert comp["world"] == "command" and comp["host_filesystem"] is True and comp["mounts"] == []
    assert comp["link"] is None  # not composed by wasivirt
    assert comp["wasi_versions"] == ["0.2.12"]
    assert comp["imports"][0] == {"name": "wasi:cli/environment@0.2.12", "sort": "instance",
                                  "package": "wasi:cli", "interface": "environment",
                                  "version": "0.2.12", "wasi": True}
    assert [i["name"] for i in comp["imports"]] == HELLO_IMPORTS
    assert comp["exports"] == [{"name": "wasi:cli/run@0.2.12", "sort": "instance",
                                "package": "wasi:cli", "interface": "run",
                                "version": "0.2.12", "wasi": True}]


def test_json_is_documented():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "inspect-json.md").read_text()
    for key in ("schema", "file", "size", "kind", "module", "component", "role", "wasi",
                "threads", "shared_memory", "thread_spawn", "preview1_imports", "other_imports",
                "exports", "world", "wasi_versions", "host_filesystem", "filesystem_imports",
                "mounts", "guest", "host", "path", "read_only", "hide", "link",
                "imports", "sort", "package", "interface", "version"):
        assert f"`{key}`" in doc, key


# -- human output ------------------------------------------------------------------------

def test_human_output_for_a_component(cli, hello):
    result = cli("inspect", hello, env={"COLUMNS": "120"})
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    assert f"component, {hello.stat().st_size / 1024:.1f} KiB" in out
    assert "command (exports wasi:cli/run@0.2.12)" in out
    assert re.search(r"\n  wasi versions +0\.2\.12 +\n", out)
    assert re.search(r"\n  host filesystem +yes: imports wasi:filesystem/types@0\.2\.12, "
                     r"wasi:filesystem/preopens@0\.2\.12 +\n", out)
    assert "imports (15)" in out and "exports (1)" in out
    for imported in HELLO_IMPORTS:
        assert imported in out


def test_human_output_for_a_module(cli, hello_module):
    result = cli("inspect", hello_module, env={"COLUMNS": "120"})
    assert result.exit_code == 0
    out = result.stdout
    assert "WASI preview 1 (wasi_snapshot_preview1)" in out
    assert "command (exports _start)" in out
    assert re.search(r"\n  threads +no +\n", out)
    assert f"\nnext step: wasivirt adapt {hello_module} -o app.wasm\n" in out
    assert "preview1 imports (10)" in out
    assert ", ".join(HELLO_PREVIEW1[:5]) in out     # the rest wraps inside the table cell


def test_human_output_for_a_threads_module(cli, wat):
    result = cli("inspect", wat(THREADS_WAT, "threads"), env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert ("yes: wasip1-threads (imports wasi/thread-spawn and shared memory); cannot become "
            "a component") in result.stdout
    assert "wasi::thread-spawn (func), env::memory (memory)" in result.stdout
    assert "next step" not in result.stdout


def test_human_output_for_a_component_without_filesystem(cli, tmp_path):
    path = tmp_path / "empty.wasm"
    path.write_bytes(COMPONENT_PREAMBLE)
    result = cli("inspect", path, env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert re.search(r"host filesystem +no: imports no wasi:filesystem", result.stdout)
    assert "library (no wasi:cli/run export)" in result.stdout


# -- --wit: the component's world in WIT (wasm-tools component wit) ---------------------

def test_wit_prints_the_components_world(wasivirt, hello):
    proc = wasivirt("inspect", hello, "--wit")
    assert (proc.returncode, proc.stderr) == (0, "")
    world = proc.stdout.split("world root {\n", 1)[1].split("\n}\n", 1)[0]
    assert world.split("\n") == [f"  import {name};" for name in HELLO_IMPORTS] + [
        "", "  export wasi:cli/run@0.2.12;"]
    assert "package wasi:filesystem@0.2.12 {" in proc.stdout  # the packages it uses follow


def test_wit_of_a_core_module_names_adapt(wasivirt, hello_module):
    proc = wasivirt("inspect", hello_module, "--wit")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"error: {hello_module}: is a core wasm module, not a component; run `wasivirt "
                           f"adapt {hello_module} -o app.wasm` first, then inspect app.wasm --wit\n")


def test_wit_of_garbage_and_with_json_are_one_line(wasivirt, tmp_path, hello):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(COMPONENT_PREAMBLE + b"\x0a\x05\x01")
    proc = wasivirt("inspect", bad, "--wit")
    assert proc.returncode == 2 and proc.stderr.startswith(f"error: {bad}: ") and proc.stderr.count("\n") == 1
    proc = wasivirt("inspect", hello, "--wit", "--json")
    assert (proc.returncode, proc.stderr) == (2, "error: --wit and --json: choose one (--json is the report, "
                                                 "--wit the WIT world)\n")
