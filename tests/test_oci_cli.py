"""`wasivirt publish`, `pull`, and `run`/`inspect` of a registry reference, end to end
through the real CLI (subprocess) against a real registry. Every option is driven here;
every failure is one stderr line, exit code 2, and no output file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support.cbuild import compile_c
from support.registry import PASSWORD, USER, Registry, basic_registry, clean_env, free_port, push_raw_artifact, registry  # noqa: F401 -- fixtures
from support.vfsapps import wasivirt as session_wasivirt

REPO = Path(__file__).resolve().parent.parent
EPOCH = "1700000000"


def _manifest(registry: Registry, repository: str, tag: str) -> dict:
    response = httpx.get(f"http://{registry.host}/v2/{repository}/manifests/{tag}", timeout=30,
                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    response.raise_for_status()
    return response.json()


def _one_error_line(proc: subprocess.CompletedProcess[str], *parts: str) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's demo: examples/vfs/app.c composed with examples/vfs/spec.py."""
    out = tmp_path_factory.mktemp("demo") / "app.wasm"
    child = compile_c(REPO / "examples" / "vfs" / "app.c")
    result = session_wasivirt("compose", str(child), "--vfs", str(REPO / "examples" / "vfs" / "spec.py"),
                              "-o", str(out), "-q")
    assert result.code == 0, result.stderr
    return out


@pytest.fixture
def checkout(tmp_path: Path, hello: Path) -> Path:
    """A git checkout with a spec and a component, and an origin remote."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://git.example/acme/app.git"], check=True)
    (repo / "spec.py").write_text('"""Hello, with a config file.\n\nNothing else."""\n'
                                  "raise SystemExit('publish must not run the spec')\n")
    subprocess.run([*git, "add", "spec.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "spec"], check=True)
    (repo / "app.wasm").write_bytes(hello.read_bytes())
    return repo


def test_publish_with_spec_and_annotations(registry, wasivirt, checkout):
    ref = registry.ref("acme/cli-app", "1.0")
    proc = wasivirt("publish", checkout / "app.wasm", ref, "--spec", checkout / "spec.py",
                    "--annotation", "org.opencontainers.image.authors=acme",
                    "-a", "org.opencontainers.image.version=1.0.0", "--plain-http",
                    env={"SOURCE_DATE_EPOCH": EPOCH})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "uploaded: layer, config, manifest; already in the registry: nothing"
    assert lines[1].startswith(f"{ref}@sha256:") and len(lines) == 2
    assert "upload layer" in proc.stderr and "upload config" in proc.stderr   # the bar, finished
    head = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert _manifest(registry, "acme/cli-app", "1.0")["annotations"] == {
        "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
        "org.opencontainers.image.title": "app.wasm",
        "org.opencontainers.image.version": "1.0.0",
        "org.opencontainers.image.description": "Hello, with a config file.\n\nNothing else.",
        "org.opencontainers.image.source": "https://git.example/acme/app.git",
        "org.opencontainers.image.revision": head,
        "org.opencontainers.image.authors": "acme",
    }
    again = wasivirt("publish", checkout / "app.wasm", ref, "--spec", checkout / "spec.py",
                     "--annotation", "org.opencontainers.image.authors=acme",
                     "-a", "org.opencontainers.image.version=1.0.0", "--plain-http",
                     env={"SOURCE_DATE_EPOCH": EPOCH})
    assert again.stdout.splitlines() == [
        "uploaded: nothing; already in the registry: layer, config, manifest", lines[1]]
    assert again.stderr == ""       # nothing moved: no bar


def test_publish_description_and_quiet(registry, wasivirt, checkout):
    ref = registry.ref("acme/cli-quiet", "2")
    proc = wasivirt("publish", checkout / "app.wasm", ref, "--description", "Given text.",
                    "--spec", checkout / "spec.py", "-q", "--plain-http")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert len(proc.stdout.splitlines()) == 1 and proc.stdout.startswith(f"{ref}@sha256:")
    annotations = _manifest(registry, "acme/cli-quiet", "2")["annotations"]
    assert annotations["org.opencontainers.image.description"] == "Given text."
    assert annotations["org.opencontainers.image.created"] == "1970-01-01T00:00:00Z"  # not composed by us
    assert annotations["org.opencontainers.image.version"] == "2"


def test_pull_writes_the_same_bytes(registry, wasivirt, hello, tmp_path):
    ref = registry.ref("acme/cli-pull", "1")
    assert wasivirt("publish", hello, ref, "-q", "--plain-http").returncode == 0
    out = tmp_path / "pulled.wasm"
    proc = wasivirt("pull", ref, "-o", out, "--plain-http")
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == hello.read_bytes()
    assert proc.stdout.startswith(f"{out}: {out.stat().st_size} bytes from {ref}@sha256:")
    assert "download layer" in proc.stderr
    again = wasivirt("pull", ref, "--output", tmp_path / "again.wasm", "--plain-http")
    assert again.stdout.rstrip().endswith("(layer already in the cache)") and again.stderr == ""
    quiet = wasivirt("pull", ref, "-o", tmp_path / "quiet.wasm", "-q", "--plain-http")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert (tmp_path / "quiet.wasm").read_bytes() == hello.read_bytes()


def test_pull_with_basic_auth_from_the_environment(basic_registry, wasivirt, hello, tmp_path):
    ref = basic_registry.ref("acme/cli-basic", "1")
    creds = {"WASIVIRT_REGISTRY_USER": USER, "WASIVIRT_REGISTRY_PASSWORD": PASSWORD}
    assert wasivirt("publish", hello, ref, "-q", "--plain-http", env=creds).returncode == 0
    out = tmp_path / "out.wasm"
    assert wasivirt("pull", ref, "-o", out, "-q", "--plain-http", env=creds).returncode == 0
    assert out.read_bytes() == hello.read_bytes()
    wrong = wasivirt("pull", ref, "-o", out.with_name("wrong.wasm"), "--plain-http",
                     env={**creds, "WASIVIRT_REGISTRY_PASSWORD": "nope"})
    _one_error_line(wrong, f"{ref}: the registry refused the credentials from $WASIVIRT_REGISTRY_USER (401")
    assert not out.with_name("wrong.wasm").exists()


def test_run_and_inspect_the_demo_app_from_the_registry(tmp_path_factory, wasivirt, demo_app, tmp_path):
    """`wasivirt run REF` pulls the composed demo app into the cache by digest and runs it;
    with the registry gone, a second run still works: it never touches the network."""
    registry = Registry.start(tmp_path_factory.mktemp("registry-demo"), None)
    ref = registry.ref("acme/demo", "1.0")
    try:
        proc = wasivirt("publish", demo_app, ref, "-q", "--plain-http")
        assert proc.returncode == 0, proc.stderr
        first = wasivirt("run", ref, "--plain-http")
        assert first.returncode == 0, first.stderr
        served = len(registry.requests())
        report = json.loads(wasivirt("inspect", ref, "--json").stdout)
        assert len(registry.requests()) == served          # inspect used the cache
    finally:
        registry.stop()
    assert "  /: assets/ etc/ work/\n" in first.stdout
    assert "  /etc/app.toml         : debug = false | name = \"demo\"\n" in first.stdout
    assert "  /etc/passwd            -> No such file or directory\n" in first.stdout
    assert report["file"] == ref and report["kind"] == "component"
    assert report["component"]["world"] == "command"
    assert report["component"]["host_filesystem"] is False
    second = wasivirt("run", ref)       # registry stopped: from the cache, no --plain-http needed
    assert (second.returncode, second.stdout) == (0, first.stdout), second.stderr


def test_a_composed_app_is_published_with_the_time_it_was_composed(registry, wasivirt, tmp_path):
    """`created` without SOURCE_DATE_EPOCH at publish: the compose time the app records."""
    spec = tmp_path / "spec.py"
    spec.write_text("from wasivirt_component import VFS\nvfs = VFS()\nvfs.dir('/etc').file('a', 'x')\n")
    app = tmp_path / "app.wasm"
    child = compile_c(REPO / "examples" / "vfs" / "app.c")
    composed = wasivirt("compose", child, "--vfs", spec, "-o", app, "-q", env={"SOURCE_DATE_EPOCH": "1600000000"})
    assert composed.returncode == 0, composed.stderr
    ref = registry.ref("acme/composed", "1")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    published = subprocess.run([str(Path(sys.executable).parent / "wasivirt"), "publish", str(app), ref, "-q",
                                "--plain-http"], capture_output=True, text=True, env=env, timeout=300)
    assert published.returncode == 0, published.stderr
    assert _manifest(registry, "acme/composed", "1")["annotations"][
        "org.opencontainers.image.created"] == "2020-09-13T12:26:40Z"


def test_run_a_reference_with_arguments(registry, wasivirt, hello):
    ref = registry.ref("acme/hello-args", "1")
    assert wasivirt("publish", hello, ref, "-q", "--plain-http").returncode == 0
    proc = wasivirt("run", ref, "--plain-http", "--", "a", "b")
    assert proc.returncode == 0, proc.stderr
    assert "argv[0]=hello-args\nargv[1]=a\nargv[2]=b\n" in proc.stdout
    named = wasivirt("run", ref, "--argv0", "x", "--", "a")
    assert "argv[0]=x\n" in named.stdout


def test_inspect_a_reference_renders_the_report(registry, wasivirt, hello):
    ref = registry.ref("acme/hello-inspect", "1")
    assert wasivirt("publish", hello, ref, "-q", "--plain-http").returncode == 0
    proc = wasivirt("inspect", ref, "--plain-http", env={"COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].strip() == ref
    assert "command (exports wasi:cli/run@0.2.12)" in proc.stdout


# -- failures: one line, exit 2, no file -------------------------------------------------

@pytest.fixture(scope="module")
def bad_artifacts(registry, hello) -> Registry:
    push_raw_artifact(registry, "acme/container-image", "1",
                      [("application/vnd.oci.image.layer.v1.tar+gzip", b"not wasm")])
    push_raw_artifact(registry, "acme/two-layers", "1",
                      [("application/wasm", hello.read_bytes()), ("application/wasm", b"\0asm")])
    return registry


@pytest.mark.parametrize("case", ["down", "unknown-tag", "non-wasm", "two-layers", "no-tls",
                                  "bad-reference"])
def test_pull_failures(case, bad_artifacts, wasivirt, tmp_path):
    registry = bad_artifacts
    out = tmp_path / "out.wasm"
    down = f"127.0.0.1:{free_port()}"
    args, parts = {
        "down": ([f"{down}/acme/app:1", "--plain-http"],
                 [f"{down}/acme/app:1: registry at http://{down} cannot be reached "
                  "(connection refused); is it running?"]),
        "unknown-tag": ([registry.ref("acme/container-image", "nope"), "--plain-http"],
                        [f"{registry.ref('acme/container-image', 'nope')}: tag 'nope' not found "
                         "in the registry (MANIFEST_UNKNOWN: manifest unknown)"]),
        "non-wasm": ([registry.ref("acme/container-image", "1"), "--plain-http"],
                     ["its layer is 'application/vnd.oci.image.layer.v1.tar+gzip', not "
                      "application/wasm"]),
        "two-layers": ([registry.ref("acme/two-layers", "1"), "--plain-http"],
                       ["has 2 layers; a wasm artifact has exactly one (application/wasm)"]),
        "no-tls": ([registry.ref("acme/two-layers", "1")],
                   [f"registry at https://{registry.host}: TLS failed (", "add --plain-http"]),
        "bad-reference": (["acme/app:1"], ["acme/app:1: not a registry reference"]),
    }[case]
    proc = wasivirt("pull", *args, "-o", out)
    _one_error_line(proc, *parts)
    assert not out.exists() and not list(tmp_path.glob(".out.wasm*"))


def test_pull_of_a_truncated_blob_fails_without_a_file(tmp_path_factory, wasivirt, hello, tmp_path):
    registry = Registry.start(tmp_path_factory.mktemp("registry-truncated"), None)
    try:
        ref = registry.ref("acme/truncated", "1")
        digest = wasivirt("publish", hello, ref, "-q", "--plain-http").stdout.strip().split("@")[1]
        layer = _manifest(registry, "acme/truncated", "1")["layers"][0]["digest"]
        assert digest != layer
        registry.blob_file(layer).write_bytes(hello.read_bytes()[:1000])
        out = tmp_path / "out.wasm"
        proc = wasivirt("pull", ref, "-o", out, "--plain-http")
        _one_error_line(proc, f"{ref}: layer {layer}: truncated, got 1000 of the "
                              f"{hello.stat().st_size} bytes the manifest says")
        assert not out.exists() and not list(tmp_path.glob(".out.wasm*"))
        run = wasivirt("run", ref, "--plain-http")
        _one_error_line(run, "truncated")
    finally:
        registry.stop()


def test_publish_failures(registry, wasivirt, hello, hello_module, tmp_path):
    down = f"127.0.0.1:{free_port()}"
    _one_error_line(wasivirt("publish", hello, f"{down}/acme/app:1", "--plain-http"),
                    f"{down}/acme/app:1: registry at http://{down} cannot be reached")
    _one_error_line(wasivirt("publish", hello_module, registry.ref("acme/core"), "--plain-http"),
                    "is a core wasm module, not a component; run `wasivirt adapt")
    _one_error_line(wasivirt("publish", hello, registry.ref("acme/x"), "-a", "novalue", "--plain-http"),
                    "--annotation novalue: expected KEY=VALUE")
    digest_ref = f"{registry.host}/acme/x@sha256:{'0' * 64}"
    _one_error_line(wasivirt("publish", hello, digest_ref, "--plain-http"),
                    "publish to a tag (REGISTRY/REPO:TAG), not a digest")
    _one_error_line(wasivirt("publish", tmp_path / "missing.wasm", registry.ref("acme/x"), "--plain-http"),
                    "missing.wasm: no such file")


def test_run_and_inspect_failures(registry, wasivirt, tmp_path):
    ref = registry.ref("acme/never-published", "1")
    _one_error_line(wasivirt("run", ref, "--plain-http"), f"{ref}: tag '1' not found in the registry")
    _one_error_line(wasivirt("inspect", ref, "--plain-http"), f"{ref}: tag '1' not found")
    # a path-like argument that does not exist stays a file name
    _one_error_line(wasivirt("run", tmp_path / "nope.wasm"), "nope.wasm: no such file")
    _one_error_line(wasivirt("inspect", "build.d/app.wasm"), "build.d/app.wasm: no such file")
