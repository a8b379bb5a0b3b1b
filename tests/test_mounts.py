"""Host mounts (`vfs.mount`): a host directory passed through at run time, with a policy.

Every test runs with the virtualizer fused into the program's component and composed as
its own (`link`). Differential first: the C probe runs natively on a host directory and
through a read-write mount of a copy of it; the output and the host directories afterwards must be
identical. Then the policy (read-only, hidden names, no escape through `..` or symlinks),
where mounts can sit (`/`, a single file, under an embedded read-only tree), and what
happens without the host directory (`wasivirt run` refuses; another runtime gets
`no-entry` and one line on stderr).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.cbuild import compile_c
from support.probes import PROBES, make_tree
from support.vfsapps import Outcome, compose, run_native, wasivirt
from support.wasmtimecli import wasmtime_cli


def snapshot(root: Path) -> dict:
    """Every entry under `root`: file bytes, link targets, nested dicts for directories."""
    out: dict = {}
    for entry in sorted(root.iterdir()):
        if entry.is_symlink():
            out[entry.name] = ("link", str(entry.readlink()))
        elif entry.is_dir():
            out[entry.name] = snapshot(entry)
        else:
            out[entry.name] = entry.read_bytes()
    return out


def run_mounted(app: Path, host_dir: Path, *args: str, name: str = "data") -> Outcome:
    return wasivirt("run", str(app), "--dir", f"{host_dir}::{name}", "--", *args)


@pytest.fixture(scope="module")
def probe(adapted) -> Path:
    return adapted(compile_c("fsprobe.c"))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mounttree") / "tree"
    root.mkdir()
    make_tree(root)
    (root / "scratch").mkdir()
    return root


@pytest.fixture(scope="module")
def root_mount(tmp_path_factory: pytest.TempPathFactory, probe: Path, link: str) -> Path:
    spec = 'from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount("/", host="data")\n'
    return compose(probe, spec, tmp_path_factory.mktemp("rootmount"), link=link)


# -- differential: a read-write mount at / behaves like wasmtime's own preopen ----------------------

@pytest.mark.parametrize("probe_name", sorted(PROBES))
def test_a_mount_at_root_matches_native(probe, root_mount, tree, tmp_path, probe_name):
    native_dir, mounted_dir = tmp_path / "native", tmp_path / "mounted"
    shutil.copytree(tree, native_dir)
    shutil.copytree(tree, mounted_dir)
    native = run_native(probe, native_dir, *PROBES[probe_name])
    ours = run_mounted(root_mount, mounted_dir, *PROBES[probe_name])
    assert (native.stderr, ours.stderr) == ("", "")
    assert ours.stdout.splitlines() == native.stdout.splitlines()
    assert (ours.code, native.code) == (0, 0)
    assert snapshot(mounted_dir) == snapshot(native_dir)  # the host holds the same bytes


def test_composed_output_imports_the_host_filesystem_and_records_the_mount(root_mount, wasivirt_exe, link):
    proc = subprocess.run([str(wasivirt_exe), "inspect", str(root_mount), "--json"], capture_output=True,
                          text=True, check=True)
    component = json.loads(proc.stdout)["component"]
    assert component["host_filesystem"] is True
    assert component["mounts"] == [{"guest": "/", "host": "data", "path": ".", "read_only": False, "hide": []}]
    assert component["link"] == link
    assert set(component["filesystem_imports"]) == {"wasi:filesystem/types@0.2.12", "wasi:filesystem/preopens@0.2.12"}
    human = subprocess.run([str(wasivirt_exe), "inspect", str(root_mount)], capture_output=True, text=True,
                           check=True, env={**os.environ, "COLUMNS": "200"}).stdout
    assert "mount /" in human and "host preopen 'data' (read-write); run with --dir HOST_DIR::data" in human


# -- policy -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def policy_app(tmp_path_factory: pytest.TempPathFactory, probe: Path, link: str) -> Path:
    spec = """
from wasivirt_component import VFS
vfs = VFS()
vfs.dir("/etc").file("app.toml", "name = 'virtual'\\n", read_only=True)
vfs.mount("/rw", host="data", hide=["*.key", "secret"])
vfs.mount("/ro", host="data", read_only=True)
vfs.mount("/sub", host="data", path="inner")
"""
    return compose(probe, spec, tmp_path_factory.mktemp("policy"), link=link)


@pytest.fixture
def host(tmp_path: Path) -> Path:
    """A host directory with files to hide, and symlinks that try to get out."""
    d = tmp_path / "host"
    (d / "inner" / "deeper").mkdir(parents=True)
    (d / "a.txt").write_text("plain\n")
    (d / "id.key").write_text("KEY\n")
    (d / "secret").write_text("s3cret\n")
    (d / "inner" / "i.txt").write_text("inner\n")
    (d / "inner" / "deeper" / "d.txt").write_text("deep\n")
    links = {"to-a": "a.txt", "to-key": "id.key", "to-secret": "secret", "abs": "/etc/passwd",
             "up": "../../../../etc/passwd", "loop1": "loop2", "loop2": "loop1"}
    for name, target in links.items():
        (d / name).symlink_to(target)
    (d / "inner" / "out").symlink_to("../a.txt")          # inside the preopen, outside `inner`
    (d / "inner" / "deeper" / "up2").symlink_to("../../a.txt")
    return d


def test_read_only_mount_refuses_every_change_and_leaves_the_host_untouched(policy_app, host):
    before = snapshot(host)
    out = run_mounted(policy_app, host, "cat /ro/a.txt", "write /ro/a.txt x", "write /ro/new x",
                      "append /ro/a.txt x", "mkdir /ro/d", "unlink /ro/a.txt", "rmdir /ro/inner",
                      "rename /ro/a.txt /ro/b.txt", "open /ro/a.txt w", "open /ro/z creat", "ls /ro/inner")
    assert out.code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "/ro/a.txt: plain\\n"
    assert all(line.endswith("EROFS") for line in lines[1:10]), lines
    assert snapshot(host) == before


def test_hidden_names_are_absent_by_name_listing_and_symlink(policy_app, host):
    out = run_mounted(policy_app, host, "cat /rw/id.key", "cat /rw/secret", "stat /rw/id.key", "ls /rw",
                      "cat /rw/to-key", "cat /rw/to-secret", "cat /rw/to-a", "write /rw/new.key x",
                      "rename /rw/a.txt /rw/a.key", "cat /ro/id.key")
    assert out.code == 0, out.stderr
    text = out.stdout
    assert "/rw/id.key: ENOENT" in text and "/rw/secret: ENOENT" in text
    listing = [ln.split()[0] for ln in text.split("/rw: ", 1)[1].split("/rw/to-key", 1)[0].splitlines()[1:]]
    assert "a.txt" in listing and "id.key" not in listing and "secret" not in listing
    assert "/rw/to-key: ENOENT" in text and "/rw/to-secret: ENOENT" in text
    assert "/rw/to-a: plain\\n" in text
    assert "/rw/new.key: EACCES" in text and "rename /rw/a.txt: EACCES" in text
    assert "/ro/id.key: KEY\\n" in text  # the other mount hides nothing
    assert not (host / "new.key").exists() and (host / "a.txt").exists()


def test_symlinks_and_dot_dot_never_leave_the_mount(policy_app, host):
    out = run_mounted(policy_app, host, "cat /rw/abs", "cat /rw/up", "cat /rw/loop1", "cat /sub/out",
                      "cat /sub/deeper/up2", "cat /sub/../etc/app.toml", "cat /sub/i.txt",
                      "cat /sub/deeper/../i.txt", "cat /rw/inner/../../../etc/passwd", "ls /sub")
    assert out.code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "/rw/abs: EPERM" and lines[1] == "/rw/up: EPERM" and lines[2] == "/rw/loop1: ELOOP"
    assert lines[3] == "/sub/out: EPERM" and lines[4] == "/sub/deeper/up2: EPERM"  # outside `inner`
    assert lines[5] == "/sub/../etc/app.toml: name = 'virtual'\\n"  # `..` leads back to the virtual tree
    assert lines[6] == "/sub/i.txt: inner\\n" and lines[7] == "/sub/deeper/../i.txt: inner\\n"
    assert "root:x:0:0" not in out.stdout


# -- where mounts can sit -----------------------------------------------------------------------------

def test_a_single_file_mount(probe, tmp_path, link):
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "config.json").write_text('{"mode": "host"}\n')
    spec = 'from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount("/etc/config.json", host="cfg", path="config.json")\n'
    app = compose(probe, spec, tmp_path, link=link)
    out = run_mounted(app, tmp_path / "host", "cat /etc/config.json", "stat /etc/config.json", "ls /etc",
                      "append /etc/config.json more", "cat /etc/config.json/x", name="cfg")
    assert out.code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == '/etc/config.json: {"mode": "host"}\\n'
    assert lines[1].startswith("/etc/config.json: f size=17")
    assert "  config.json f" in out.stdout
    assert (tmp_path / "host" / "config.json").read_text() == '{"mode": "host"}\nmore'
    assert lines[-1] == "/etc/config.json/x: ENOTDIR"


def test_a_mount_under_an_embedded_read_only_tree(probe, tmp_path, link):
    (tmp_path / "app" / "data").mkdir(parents=True)
    (tmp_path / "app" / "code.py").write_text("print('embedded')\n")
    (tmp_path / "app" / "data" / "shadowed.txt").write_text("embedded data\n")
    (tmp_path / "host").mkdir()
    spec = ('from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed("/app", "app")\n'
            'vfs.mount("/app/data", host="out")\n')
    app = compose(probe, spec, tmp_path, link=link)
    out = run_mounted(app, tmp_path / "host", "write /app/data/report.txt done", "ls /app/data",
                      "write /app/new.txt no", "cat /app/code.py", name="out")
    assert out.code == 0, out.stderr
    assert "/app/data/report.txt: wrote 4" in out.stdout
    assert "shadowed.txt" not in out.stdout  # the mount shadows the embedded directory
    assert "/app/new.txt: EACCES" in out.stdout  # the embedded tree stays read-only
    assert (tmp_path / "host" / "report.txt").read_text() == "done"


# -- without the host directory ------------------------------------------------------------------------

def test_wasivirt_run_refuses_to_start_without_the_dir(policy_app, tmp_path):
    out = wasivirt("run", str(policy_app), "--", "ls /")
    assert out.code == 2 and out.stdout == ""
    assert out.stderr == (f"error: {policy_app}: its mounts /ro, /rw, /sub need the host directory named "
                          "'data', which was not given; add --dir HOST_DIR::data\n")


def test_other_runtimes_get_no_entry_and_one_line_on_stderr(policy_app, tmp_path):
    proc = subprocess.run([str(wasmtime_cli()), "run", "-Scli", str(policy_app), "cat /rw/a.txt", "ls /ro",
                           "cat /etc/app.toml", "ls /"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "/rw/a.txt: ENOENT" and lines[1] == "/ro: ENOENT"
    assert lines[2] == "/etc/app.toml: name = 'virtual'\\n"
    assert "rw" not in proc.stdout.split("/: ", 1)[1]  # a missing mount is not listed
    # one line per mount, the first time it is used (`ls /` reaches /sub)
    assert proc.stderr.splitlines() == [
        f'wasivirt: mount {guest}: the runtime gave no preopened directory named "data" '
        '(run with --dir HOST_DIR::data); it answers no-entry' for guest in ("/rw", "/ro", "/sub")]
