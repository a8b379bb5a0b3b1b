"""The OCI pieces that need no registry: references, credentials, challenges, the
artifact layout, annotations and the pull cache. (tests/test_oci_registry.py and
tests/test_oci_cli.py drive a real registry.)"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from wasivirt_component.binary.component_externs import read_component_externs
from wasivirt_component.errors import RegistryError, WasivirtError
from wasivirt_component.oci.annotations import git_provenance, manifest_annotations, parse_annotation, spec_description
from wasivirt_component.oci.auth import parse_challenge
from wasivirt_component.oci.cache import ArtifactCache
from wasivirt_component.oci.credentials import find_credentials
from wasivirt_component.oci.layout import (
    CONFIG_MEDIA_TYPE,
    LAYER_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    build_artifact,
    canonical_json,
    component_target,
    created_time,
    wasm_layer,
)
from wasivirt_component.oci.reference import Reference, looks_like_reference, parse_reference, sha256_digest

DIGEST = "sha256:" + "ab" * 32


# -- references --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("localhost:5000/acme/app:1.0", Reference("localhost:5000", "acme/app", "1.0")),
    ("localhost/app", Reference("localhost", "app")),
    ("ghcr.io/acme/sub/app", Reference("ghcr.io", "acme/sub/app")),
    (f"127.0.0.1:5000/app@{DIGEST}", Reference("127.0.0.1:5000", "app", None, DIGEST)),
    (f"reg.example:443/a/b:v2@{DIGEST}", Reference("reg.example:443", "a/b", "v2", DIGEST)),
    ("[::1]:5000/my_app-x.y:latest", Reference("[::1]:5000", "my_app-x.y", "latest")),
])
def test_parse_reference(text, expected):
    ref = parse_reference(text)
    assert ref == expected
    assert str(ref) == text
    assert ref.target == (expected.digest or expected.tag or "latest")


@pytest.mark.parametrize("text, message", [
    ("acme/app:1.0", "not a registry reference; write REGISTRY/REPOSITORY[:TAG]"),
    ("localhost:5000/Acme/app", "'Acme/app' is not a valid repository name"),
    ("localhost:5000/app:-bad", "'-bad' is not a valid tag"),
    ("localhost:5000/app@sha512:" + "a" * 128, "only sha256 digests are supported"),
    ("localhost:5000/app@latest", "'latest' is not a digest"),
    ("local_host.x/app", "'local_host.x' is not a registry host[:port]"),
])
def test_parse_reference_errors(text, message):
    with pytest.raises(WasivirtError) as info:
        parse_reference(text)
    assert info.value.message.startswith(f"{text}: ")
    assert message in info.value.message


def test_docker_hub_is_served_by_its_api_host():
    assert parse_reference("docker.io/acme/app:1").api_host == "registry-1.docker.io"
    assert parse_reference("localhost:5000/app").api_host == "localhost:5000"


@pytest.mark.parametrize("text, is_ref", [
    ("localhost:5000/acme/app:1.0", True),
    ("ghcr.io/acme/app", True),
    (f"ghcr.io/acme/app@{DIGEST}", True),
    ("build.d/app.wasm:1", True),
    ("app.wasm", False),
    ("out/app.wasm", False),          # no registry host
    ("build.d/app.wasm", False),      # a path that happens to contain a dot
    ("./localhost:5000/app", False),
    ("/tmp/x.y/app", False),
])
def test_looks_like_reference(text, is_ref):
    assert looks_like_reference(text) is is_ref


# -- credentials -------------------------------------------------------------------------

def _docker_config(tmp_path: Path, config: dict) -> dict[str, str]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    return {"DOCKER_CONFIG": str(tmp_path)}


def test_credentials_from_docker_config_auth_and_key_forms(tmp_path):
    auth = base64.b64encode(b"bob:pa:ss").decode()
    env = _docker_config(tmp_path, {"auths": {"https://reg.example:5000/v1/": {"auth": auth}}})
    creds = find_credentials("reg.example:5000", env)
    assert (creds.username, creds.password, creds.identity_token) == ("bob", "pa:ss", None)
    assert creds.source == f"{tmp_path / 'config.json'} (auths.https://reg.example:5000/v1/)"
    assert find_credentials("other.example", env) is None


def test_credentials_identity_token(tmp_path):
    env = _docker_config(tmp_path, {"auths": {"reg.example": {"identitytoken": "tok", "auth": ""}}})
    creds = find_credentials("reg.example", env)
    assert creds.identity_token == "tok" and creds.usable


def test_docker_hub_entry_is_found_under_its_index_url(tmp_path):
    auth = base64.b64encode(b"hub:pw").decode()
    env = _docker_config(tmp_path, {"auths": {"https://index.docker.io/v1/": {"auth": auth}}})
    assert find_credentials("docker.io", env).username == "hub"


def test_environment_wins_over_the_docker_config(tmp_path):
    auth = base64.b64encode(b"bob:pw").decode()
    env = {**_docker_config(tmp_path, {"auths": {"reg.example": {"auth": auth}}}),
           "WASIVIRT_REGISTRY_USER": "ci", "WASIVIRT_REGISTRY_PASSWORD": "token"}
    creds = find_credentials("reg.example", env)
    assert (creds.username, creds.password, creds.source) == ("ci", "token", "$WASIVIRT_REGISTRY_USER")
    with pytest.raises(WasivirtError, match="WASIVIRT_REGISTRY_USER is set but WASIVIRT_REGISTRY_PASSWORD is not"):
        find_credentials("reg.example", {"WASIVIRT_REGISTRY_USER": "ci", "DOCKER_CONFIG": str(tmp_path)})


def test_credential_helpers_are_named_not_run(tmp_path):
    env = _docker_config(tmp_path, {"auths": {"reg.example": {}}, "credsStore": "desktop"})
    creds = find_credentials("reg.example", env)
    assert creds.helper == "desktop" and not creds.usable


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON (line 1"),
    ('{"auths": {"reg.example": {"auth": "!!"}}}', "`auth` is not base64 of user:password"),
    ('{"auths": {"reg.example": {"auth": "' + base64.b64encode(b"nocolon").decode() + '"}}}',
     "`auth` is not base64 of user:password"),
])
def test_bad_docker_config_is_one_line(tmp_path, text, message):
    (tmp_path / "config.json").write_text(text)
    with pytest.raises(WasivirtError) as info:
        find_credentials("reg.example", {"DOCKER_CONFIG": str(tmp_path)})
    assert message in info.value.message and "\n" not in info.value.message


# -- challenges --------------------------------------------------------------------------

def test_parse_bearer_challenge_with_commas_in_scope():
    challenge = parse_challenge('Bearer realm="https://auth.example/token",service="reg",'
                                'scope="repository:acme/app:pull,push",error="insufficient_scope"')
    assert challenge.scheme == "bearer"
    assert challenge.params == {"realm": "https://auth.example/token", "service": "reg",
                                "scope": "repository:acme/app:pull,push",
                                "error": "insufficient_scope"}


def test_parse_basic_challenge():
    assert parse_challenge('Basic realm="Registry Realm"').params == {"realm": "Registry Realm"}
    assert parse_challenge(None) is None


# -- the layout --------------------------------------------------------------------------

def test_created_time(monkeypatch, hello):
    from wasivirt_component.artifact import ArtifactRecord, artifact_section

    assert created_time({}) == "1970-01-01T00:00:00Z"
    assert created_time({"SOURCE_DATE_EPOCH": "1700000000"}) == "2023-11-14T22:13:20Z"
    with pytest.raises(WasivirtError, match="SOURCE_DATE_EPOCH='soon' is not an integer"):
        created_time({"SOURCE_DATE_EPOCH": "soon"})
    # a composition records when it was composed: derived from the content, not the clock
    composed = hello.read_bytes() + artifact_section(ArtifactRecord(1_600_000_000))
    assert created_time({}, composed) == "2020-09-13T12:26:40Z"
    assert created_time({"SOURCE_DATE_EPOCH": "1700000000"}, composed) == "2023-11-14T22:13:20Z"
    assert created_time({}, hello.read_bytes()) == "1970-01-01T00:00:00Z"  # not composed by us


def test_build_artifact_field_by_field(hello):
    data = hello.read_bytes()
    artifact = build_artifact(data, what="hello.wasm", created="2023-11-14T22:13:20Z",
                              annotations={"org.opencontainers.image.title": "hello.wasm"},
                              title="hello.wasm")
    externs = read_component_externs(data)
    config = json.loads(artifact.config)
    assert config == {
        "created": "2023-11-14T22:13:20Z",
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [sha256_digest(data)],
        "component": {"exports": ["wasi:cli/run@0.2.12"],
                      "imports": [e.name for e in externs.imports],
                      "target": "wasi:cli/command@0.2.12"},
    }
    assert "wasi:filesystem/preopens@0.2.12" in config["component"]["imports"]
    manifest = json.loads(artifact.manifest)
    assert manifest == {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": sha256_digest(artifact.config),
                   "size": len(artifact.config)},
        "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": sha256_digest(data), "size": len(data),
                    "annotations": {"org.opencontainers.image.title": "hello.wasm"}}],
        "annotations": {"org.opencontainers.image.created": "2023-11-14T22:13:20Z",
                        "org.opencontainers.image.title": "hello.wasm"},
    }
    # the bytes are the canonical spelling, so equal inputs give equal digests
    assert artifact.manifest == canonical_json(manifest) and artifact.config == canonical_json(config)
    again = build_artifact(data, what="hello.wasm", created="2023-11-14T22:13:20Z",
                           annotations={"org.opencontainers.image.title": "hello.wasm"},
                           title="hello.wasm")
    assert again.manifest_digest == artifact.manifest_digest


def test_build_artifact_refuses_a_core_module(hello_module):
    with pytest.raises(WasivirtError, match=r"is a core wasm module, not a component; run `wasivirt adapt "
                                            r".*, then publish app.wasm"):
        build_artifact(hello_module.read_bytes(), what="m.wasm", created="x", annotations={},
                       title=None)


@pytest.mark.parametrize("imports, exports, target", [
    (["wasi:cli/environment@0.2.12", "wasi:filesystem/types@0.2.12"], ["wasi:cli/run@0.2.12"],
     "wasi:cli/command@0.2.12"),
    (["wasi:http/types@0.2.3", "wasi:io/streams@0.2.3", "wasi:cli/stdout@0.2.3"],
     ["wasi:http/incoming-handler@0.2.3"], "wasi:http/proxy@0.2.3"),
    (["wasi:filesystem/types@0.2.3"], ["wasi:http/incoming-handler@0.2.3"], None),  # not in proxy
    (["acme:db/query@1.0.0"], ["wasi:cli/run@0.2.12"], None),     # a non-WASI import
    ([], ["wasi:cli/run@0.2.12", "acme:x/y"], None),               # exports more than run
    ([], ["acme:lib/api@1.0.0"], None),
])
def test_component_target(imports, exports, target):
    assert component_target(imports, exports) == target


def _manifest(**changes) -> bytes:
    doc = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
           "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": DIGEST, "size": 10},
           "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": DIGEST, "size": 5}]}
    doc.update(changes)
    return json.dumps(doc).encode()


def test_wasm_layer_accepts_the_layout():
    layer = wasm_layer(_manifest(), MANIFEST_MEDIA_TYPE, "r")
    assert (layer.digest, layer.size, layer.config_digest, layer.config_size) == (DIGEST, 5, DIGEST, 10)


@pytest.mark.parametrize("manifest, message", [
    (_manifest(mediaType="application/vnd.oci.image.index.v1+json"),
     "r: is a application/vnd.oci.image.index.v1+json, not a wasm artifact"),
    (_manifest(layers=[]), "r: has 0 layers; a wasm artifact has exactly one (application/wasm)"),
    (_manifest(layers=[{"mediaType": LAYER_MEDIA_TYPE, "digest": DIGEST, "size": 5}] * 2),
     "r: has 2 layers; a wasm artifact has exactly one"),
    (_manifest(layers=[{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": DIGEST, "size": 5}]),
     "r: its layer is 'application/vnd.oci.image.layer.v1.tar+gzip', not application/wasm"),
    (_manifest(layers=[{"mediaType": LAYER_MEDIA_TYPE, "digest": "sha256:../../etc", "size": 5}]),
     "r: the layer has no sha256 digest"),
    (b"[]", "r: the manifest is not a JSON object"),
])
def test_wasm_layer_refusals(manifest, message):
    with pytest.raises(RegistryError) as info:
        wasm_layer(manifest, MANIFEST_MEDIA_TYPE, "r")
    assert info.value.message.startswith(message)


# -- annotations -------------------------------------------------------------------------

def test_spec_description_reads_the_docstring_without_running_the_spec(tmp_path):
    spec = tmp_path / "spec.py"
    marker = tmp_path / "ran"
    spec.write_text(f'"""The demo\'s filesystem.\n\n    Second paragraph.\n"""\n'
                    f'open({str(marker)!r}, "w").close()\nraise SystemExit(3)\n')
    assert spec_description(spec) == "The demo's filesystem.\n\nSecond paragraph."
    assert not marker.exists()
    spec.write_text("x = 1\n")
    assert spec_description(spec) is None
    spec.write_text('"""doc"""\nif x\n')
    with pytest.raises(WasivirtError, match=r"spec.py:2: SyntaxError: "):
        spec_description(spec)


def test_git_provenance_strips_credentials_from_the_remote(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://bob:hunter2@git.example/acme/app.git"],
                   check=True)
    (repo / "spec.py").write_text('"""doc"""\n')
    subprocess.run([*git, "add", "spec.py"], check=True)
    subprocess.run([*git, "commit", "-qm", "spec"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert git_provenance(repo / "spec.py") == {
        "org.opencontainers.image.revision": head,
        "org.opencontainers.image.source": "https://git.example/acme/app.git"}
    assert git_provenance(tmp_path / "elsewhere.wasm") == {}


def test_manifest_annotations_priority(tmp_path):
    spec = tmp_path / "spec.py"
    spec.write_text('"""From the spec."""\n')
    assert manifest_annotations(tmp_path / "app.wasm", "1.0", spec=spec) == {
        "org.opencontainers.image.title": "app.wasm", "org.opencontainers.image.version": "1.0",
        "org.opencontainers.image.description": "From the spec."}
    found = manifest_annotations(tmp_path / "app.wasm", "1.0", spec=spec, description="Given.",
                                 extra=[("org.opencontainers.image.version", "one"), ("k", "")])
    assert found["org.opencontainers.image.description"] == "Given."
    assert found["org.opencontainers.image.version"] == "one" and found["k"] == ""


def test_parse_annotation():
    assert parse_annotation("a.b=c=d") == ("a.b", "c=d")
    assert parse_annotation("k=") == ("k", "")
    with pytest.raises(WasivirtError, match="--annotation novalue: expected KEY=VALUE"):
        parse_annotation("novalue")


# -- the cache ---------------------------------------------------------------------------

def test_cache_lookup_and_damaged_blobs(tmp_path):
    cache = ArtifactCache(tmp_path)
    data = b"\0asm component bytes"
    digest = sha256_digest(data)
    ref = parse_reference("localhost:5000/acme/app")
    assert cache.lookup(ref) is None
    with cache.writing_blob(digest) as fh:
        fh.write(data)
    cache.remember(ref, DIGEST, digest)
    hit = cache.lookup(parse_reference("localhost:5000/acme/app:latest"))  # same key: latest
    assert hit.layer_digest == digest and hit.path.read_bytes() == data
    assert cache.lookup(ref.with_digest(DIGEST)).layer_digest == digest    # and by digest
    assert cache.lookup(parse_reference("localhost:5000/acme/app:2")) is None
    hit.path.write_bytes(b"tampered")
    assert cache.lookup(ref) is None and not hit.path.exists()


def test_cache_writing_blob_leaves_nothing_on_failure(tmp_path):
    cache = ArtifactCache(tmp_path)
    with pytest.raises(RuntimeError):
        with cache.writing_blob(DIGEST) as fh:
            fh.write(b"half")
            raise RuntimeError("connection lost")
    assert list(cache.blob_path(DIGEST).parent.iterdir()) == []
