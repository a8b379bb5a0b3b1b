"""Publishing and pulling against a real registry (Debian's docker-registry, distribution
2.8) on a random loopback port: anonymous, htpasswd basic auth, and distribution's own
bearer-token auth with a token server fixture. Library level; tests/test_oci_cli.py
drives the same through the command line."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from pathlib import Path

import httpx
import pytest

from support.registry import (  # noqa: F401 -- fixtures
    IDENTITY_TOKEN,
    PASSWORD,
    USER,
    Registry,
    basic_registry,
    clean_env,
    push_raw_artifact,
    registry,
    token_registry,
)
from wasivirt_component.binary.component_externs import read_component_externs
from wasivirt_component.errors import RegistryError
from wasivirt_component.oci.cache import ArtifactCache
from wasivirt_component.oci.client import CHUNK_SIZE
from wasivirt_component.oci.publish import publish_file
from wasivirt_component.oci.pull import cached_or_pulled, pull, pull_file

EPOCH = "1700000000"
CREATED = "2023-11-14T22:13:20Z"


@pytest.fixture
def cache(tmp_path: Path) -> ArtifactCache:
    return ArtifactCache(tmp_path / "oci-cache")


def _get(registry: Registry, path: str, **headers: str) -> httpx.Response:
    """A plain anonymous GET, independent of the client under test."""
    response = httpx.get(f"http://{registry.host}{path}", headers=headers, timeout=30)
    response.raise_for_status()
    return response


def _writes(accesses) -> list[str]:
    return [f"{a.method} {a.path}" for a in accesses if a.method in ("POST", "PUT", "PATCH", "DELETE")]


def with_custom_section(component: bytes, size: int) -> bytes:
    """`component` plus a custom section of `size` bytes: still a valid component, as big
    as a composed app, for the chunked-upload path."""
    name = b"wasivirt-test-padding"
    payload = bytes([len(name)]) + name + bytes(size)
    length, leb = len(payload), bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        leb.append(byte | (0x80 if length else 0))
        if not length:
            break
    return component + b"\x00" + bytes(leb) + payload


# -- round trip and layout ---------------------------------------------------------------

def test_round_trip_layout_field_by_field(registry, hello, cache, tmp_path):
    data = hello.read_bytes()
    hello = tmp_path / "hello.wasm"     # outside any git checkout: no source/revision
    hello.write_bytes(data)
    ref = registry.ref("acme/hello", "1.0")
    result = publish_file(hello, ref, plain_http=True, environ={"SOURCE_DATE_EPOCH": EPOCH},
                          annotations=[("org.opencontainers.image.authors", "acme")])
    assert result.uploaded == ("layer", "config", "manifest") and result.present == ()
    layer_digest = "sha256:" + hashlib.sha256(data).hexdigest()

    manifest_response = _get(registry, "/v2/acme/hello/manifests/1.0",
                             Accept="application/vnd.oci.image.manifest.v1+json")
    raw_manifest = manifest_response.content
    manifest_digest = "sha256:" + hashlib.sha256(raw_manifest).hexdigest()
    assert manifest_response.headers["Docker-Content-Digest"] == manifest_digest
    assert manifest_response.headers["Content-Type"] == "application/vnd.oci.image.manifest.v1+json"
    assert str(result.reference) == f"{ref}@{manifest_digest}"

    manifest = json.loads(raw_manifest)
    assert sorted(manifest) == ["annotations", "config", "layers", "mediaType", "schemaVersion"]
    assert manifest["schemaVersion"] == 2
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["annotations"] == {
        "org.opencontainers.image.created": CREATED,
        "org.opencontainers.image.title": hello.name,
        "org.opencontainers.image.version": "1.0",
        "org.opencontainers.image.authors": "acme",
    }
    assert len(manifest["layers"]) == 1
    layer = manifest["layers"][0]
    assert layer == {"mediaType": "application/wasm", "digest": layer_digest, "size": len(data),
                     "annotations": {"org.opencontainers.image.title": hello.name}}

    config_descriptor = manifest["config"]
    assert config_descriptor["mediaType"] == "application/vnd.wasm.config.v0+json"
    raw_config = _get(registry, f"/v2/acme/hello/blobs/{config_descriptor['digest']}").content
    assert config_descriptor["size"] == len(raw_config)
    assert config_descriptor["digest"] == "sha256:" + hashlib.sha256(raw_config).hexdigest()
    config = json.loads(raw_config)
    assert sorted(config) == ["architecture", "component", "created", "layerDigests", "os"]
    assert config["created"] == CREATED
    assert config["architecture"] == "wasm"
    assert config["os"] == "wasip2"
    assert config["layerDigests"] == [layer_digest]
    externs = read_component_externs(data)
    assert config["component"] == {"exports": ["wasi:cli/run@0.2.12"],
                                   "imports": [e.name for e in externs.imports],
                                   "target": "wasi:cli/command@0.2.12"}
    assert "wasi:cli/environment@0.2.12" in config["component"]["imports"]

    assert _get(registry, f"/v2/acme/hello/blobs/{layer_digest}").content == data

    out = tmp_path / "pulled.wasm"
    pulled = pull_file(ref, out, plain_http=True, cache=cache)
    assert out.read_bytes() == data
    assert pulled.reference.digest == manifest_digest and pulled.layer_digest == layer_digest
    assert pulled.title == hello.name and pulled.downloaded
    assert pull(f"{registry.host}/acme/hello@{manifest_digest}", plain_http=True,
                cache=cache).path.read_bytes() == data


def test_publishing_twice_gives_the_same_digest_and_uploads_nothing(registry, hello):
    ref = registry.ref("acme/twice", "v1")
    first = publish_file(hello, ref, plain_http=True)
    before = len(registry.requests())
    second = publish_file(hello, ref, plain_http=True)
    after = registry.requests()[before:]
    assert second.reference == first.reference
    assert second.uploaded == () and second.present == ("layer", "config", "manifest")
    assert after and _writes(after) == []     # only HEADs reached the registry
    assert {a.method for a in after} == {"HEAD"}


def test_same_input_same_digest_under_source_date_epoch(registry, hello):
    env = {"SOURCE_DATE_EPOCH": EPOCH}
    a = publish_file(hello, registry.ref("acme/repro", "x"), plain_http=True, environ=env)
    b = publish_file(hello, registry.ref("acme/repro-copy", "x"), plain_http=True, environ=env)
    assert a.reference.digest == b.reference.digest
    c = publish_file(hello, registry.ref("acme/repro", "y"), plain_http=True, environ=env)
    assert c.artifact.config_digest == a.artifact.config_digest      # the tag is only an annotation
    assert c.reference.digest != a.reference.digest


def test_a_large_layer_goes_up_in_chunks_with_progress(registry, hello, tmp_path, cache):
    big = tmp_path / "big.wasm"
    big.write_bytes(with_custom_section(hello.read_bytes(), 12 * 1024 * 1024))
    size = big.stat().st_size
    events: list[tuple[str, int, int]] = []
    before = len(registry.requests())
    publish_file(big, registry.ref("acme/big"), plain_http=True,
                 progress=lambda label, done, total: events.append((label, done, total)))
    writes = _writes(registry.requests()[before:])
    patches = [w for w in writes if w.startswith("PATCH ")]
    assert len(patches) == math.ceil(size / CHUNK_SIZE) == 3
    layer_events = [e for e in events if e[0] == "layer"]
    assert all(total == size for _, _, total in layer_events)
    done = [d for _, d, _ in layer_events]
    assert done == sorted(done) and done[0] == 0 and done[-1] == size and len(set(done)) == 4
    assert [e[0] for e in events if e[0] != "layer"] == ["config", "config"]   # one PUT
    events.clear()
    pulled = pull(registry.ref("acme/big"), plain_http=True, cache=cache,
                  progress=lambda label, done, total: events.append((label, done, total)))
    assert pulled.path.read_bytes() == big.read_bytes()
    assert events[0] == ("layer", 0, size) and events[-1] == ("layer", size, size)


def test_the_cache_serves_a_pulled_reference_without_the_registry(tmp_path_factory, hello, cache):
    registry = Registry.start(tmp_path_factory.mktemp("registry-short-lived"), None)
    try:
        publish_file(hello, registry.ref("acme/cached"), plain_http=True)
        first = cached_or_pulled(registry.ref("acme/cached"), plain_http=True, cache=cache)
        assert first.downloaded
        again = pull(registry.ref("acme/cached"), plain_http=True, cache=cache)
        assert not again.downloaded          # `pull` asks for the manifest, not the layer
    finally:
        registry.stop()
    hit = cached_or_pulled(registry.ref("acme/cached"), plain_http=True, cache=cache)
    assert hit.path.read_bytes() == hello.read_bytes() and hit.reference == first.reference
    by_digest = cached_or_pulled(str(first.reference), plain_http=True, cache=cache)
    assert by_digest.layer_digest == first.layer_digest
    with pytest.raises(RegistryError, match="cannot be reached"):
        cached_or_pulled(registry.ref("acme/cached", "other"), plain_http=True, cache=cache)


# -- authentication ----------------------------------------------------------------------

def _docker_login(clean_env: dict[str, str], host: str, entry: dict) -> None:
    config = Path(clean_env["DOCKER_CONFIG"]) / "config.json"
    config.write_text(json.dumps({"auths": {host: entry}}))


def test_basic_auth_with_env_credentials(basic_registry, hello, cache, monkeypatch):
    ref = basic_registry.ref("acme/basic")
    monkeypatch.setenv("WASIVIRT_REGISTRY_USER", USER)
    monkeypatch.setenv("WASIVIRT_REGISTRY_PASSWORD", PASSWORD)
    publish_file(hello, ref, plain_http=True)
    assert pull(ref, plain_http=True, cache=cache).path.read_bytes() == hello.read_bytes()


def test_basic_auth_with_docker_config(basic_registry, hello, cache, clean_env):
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    _docker_login(clean_env, f"http://{basic_registry.host}", {"auth": auth})
    ref = basic_registry.ref("acme/basic-config")
    publish_file(hello, ref, plain_http=True)
    assert pull(ref, plain_http=True, cache=cache).path.read_bytes() == hello.read_bytes()


def test_basic_auth_refusals(basic_registry, hello, monkeypatch):
    ref = basic_registry.ref("acme/basic-refused")
    with pytest.raises(RegistryError) as info:
        publish_file(hello, ref, plain_http=True)
    assert info.value.message == (
        f"{ref}: the registry wants credentials (401); log in with `docker login` or set "
        "WASIVIRT_REGISTRY_USER and WASIVIRT_REGISTRY_PASSWORD")
    monkeypatch.setenv("WASIVIRT_REGISTRY_USER", USER)
    monkeypatch.setenv("WASIVIRT_REGISTRY_PASSWORD", "wrong")
    with pytest.raises(RegistryError) as info:
        publish_file(hello, ref, plain_http=True)
    assert info.value.message.startswith(
        f"{ref}: the registry refused the credentials from $WASIVIRT_REGISTRY_USER (401")


def test_bearer_token_flow(token_registry, hello, cache, monkeypatch):
    """The registry challenges with `Bearer realm=...,scope=...`; the client fetches a token
    for that scope (Basic credentials to the token server), retries, and asks again when a
    push needs a wider scope than the pull token it holds."""
    ref = token_registry.ref("acme/token")
    monkeypatch.setenv("WASIVIRT_REGISTRY_USER", USER)
    monkeypatch.setenv("WASIVIRT_REGISTRY_PASSWORD", PASSWORD)
    log = token_registry.token_server.log
    log.clear()
    publish_file(hello, ref, plain_http=True)
    # distribution lists a scope's actions in map order: pull,push or push,pull
    asked = [(e["method"], e["user"], e["service"], [(s.rsplit(":", 1)[0], set(s.rsplit(":", 1)[1].split(",")))
                                                     for s in e["scopes"]]) for e in log]
    assert ("GET", USER, "wasivirt-test-registry", [("repository:acme/token", {"pull", "push"})]) in asked
    assert pull(ref, plain_http=True, cache=cache).path.read_bytes() == hello.read_bytes()
    statuses = {a.status for a in token_registry.requests()}
    assert 401 in statuses            # the challenges really happened


def test_bearer_identity_token_from_docker_config(token_registry, hello, cache, clean_env, monkeypatch):
    monkeypatch.setenv("WASIVIRT_REGISTRY_USER", USER)
    monkeypatch.setenv("WASIVIRT_REGISTRY_PASSWORD", PASSWORD)
    ref = token_registry.ref("acme/identity")
    publish_file(hello, ref, plain_http=True)
    monkeypatch.delenv("WASIVIRT_REGISTRY_USER")
    monkeypatch.delenv("WASIVIRT_REGISTRY_PASSWORD")
    _docker_login(clean_env, token_registry.host, {"auth": "", "identitytoken": IDENTITY_TOKEN})
    log = token_registry.token_server.log
    log.clear()
    assert pull(ref, plain_http=True, cache=cache).path.read_bytes() == hello.read_bytes()
    assert log and all(e["method"] == "POST" and e["grant_type"] == "refresh_token" for e in log)
    assert {"repository:acme/identity:pull"} <= {s for e in log for s in e["scopes"]}


def test_bearer_refusals(token_registry, hello, monkeypatch, cache):
    ref = token_registry.ref("acme/token-refused")
    with pytest.raises(RegistryError) as info:
        pull(ref, plain_http=True, cache=cache)     # anonymous tokens grant nothing here
    assert info.value.message.startswith(f"{ref}: the registry wants credentials (401)")
    monkeypatch.setenv("WASIVIRT_REGISTRY_USER", USER)
    monkeypatch.setenv("WASIVIRT_REGISTRY_PASSWORD", "wrong")
    with pytest.raises(RegistryError) as info:
        publish_file(hello, ref, plain_http=True)
    realm = token_registry.token_server.realm
    assert info.value.message == (
        f"{ref}: token server {realm} refused the credentials from $WASIVIRT_REGISTRY_USER "
        "(401); check the user name and password")


# -- what pull refuses -------------------------------------------------------------------

def test_pull_refuses_non_wasm_artifacts(registry, hello, tmp_path, cache):
    wasm = hello.read_bytes()
    push_raw_artifact(registry, "acme/image", "1", [("application/vnd.oci.image.layer.v1.tar+gzip", b"tar")])
    push_raw_artifact(registry, "acme/two", "1", [("application/wasm", wasm), ("application/wasm", b"x")])
    out = tmp_path / "out.wasm"
    with pytest.raises(RegistryError) as info:
        pull_file(registry.ref("acme/image", "1"), out, plain_http=True, cache=cache)
    assert info.value.message == (
        f"{registry.ref('acme/image', '1')}: its layer is "
        "'application/vnd.oci.image.layer.v1.tar+gzip', not application/wasm; not a wasm artifact")
    with pytest.raises(RegistryError) as info:
        pull_file(registry.ref("acme/two", "1"), out, plain_http=True, cache=cache)
    assert info.value.message == (f"{registry.ref('acme/two', '1')}: has 2 layers; a wasm "
                                  "artifact has exactly one (application/wasm)")
    assert not out.exists() and not list(tmp_path.glob(".out.wasm*"))


def test_pull_accepts_another_config_type_and_still_verifies_it(registry, hello, cache):
    push_raw_artifact(registry, "acme/oras-style", "1", [("application/wasm", hello.read_bytes())],
                      config=b"{}", config_type="application/vnd.oci.empty.v1+json")
    assert pull(registry.ref("acme/oras-style", "1"), plain_http=True,
                cache=cache).path.read_bytes() == hello.read_bytes()


def test_pull_refuses_a_truncated_or_altered_layer(tmp_path_factory, hello, tmp_path, cache):
    registry = Registry.start(tmp_path_factory.mktemp("registry-damaged"), None)
    try:
        result = publish_file(hello, registry.ref("acme/damaged"), plain_http=True)
        blob = registry.blob_file(result.artifact.layer_digest)
        data = hello.read_bytes()
        out = tmp_path / "out.wasm"
        blob.write_bytes(data[: len(data) // 2])
        with pytest.raises(RegistryError) as info:
            pull_file(registry.ref("acme/damaged"), out, plain_http=True, cache=cache)
        assert info.value.message == (
            f"{registry.ref('acme/damaged')}: layer {result.artifact.layer_digest}: truncated, "
            f"got {len(data) // 2} of the {len(data)} bytes the manifest says")
        assert not out.exists()
        blob.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        with pytest.raises(RegistryError, match=r"its bytes hash to sha256:[0-9a-f]{64}; refusing"):
            pull_file(registry.ref("acme/damaged"), out, plain_http=True, cache=cache)
        assert not out.exists()
        assert list(cache.blob_path(result.artifact.layer_digest).parent.iterdir()) == []
    finally:
        registry.stop()


def test_unknown_tag_and_repository(registry, cache):
    ref = registry.ref("acme/nothing-here", "nope")
    with pytest.raises(RegistryError) as info:
        pull(ref, plain_http=True, cache=cache)
    assert info.value.message.startswith(f"{ref}: tag 'nope' not found in the registry (")


def test_registry_down(cache):
    from support.registry import free_port

    ref = f"127.0.0.1:{free_port()}/acme/app:1"
    with pytest.raises(RegistryError) as info:
        pull(ref, plain_http=True, cache=cache)
    assert info.value.message == (f"{ref}: registry at http://{ref.split('/')[0]} cannot be "
                                  "reached (connection refused); is it running?")


def test_tls_to_a_plain_http_registry_names_the_flag(registry, cache):
    ref = registry.ref("acme/hello")
    with pytest.raises(RegistryError) as info:
        pull(ref, cache=cache)
    assert info.value.message.startswith(f"{ref}: registry at https://{registry.host}")
    assert info.value.message.endswith("add --plain-http")


def test_token_server_down_is_named(tmp_path_factory, cache, monkeypatch):
    registry = Registry.start(tmp_path_factory.mktemp("registry-no-token-server"), "token")
    try:
        realm = registry.token_server.realm
        registry.token_server.stop()
        ref = registry.ref("acme/app")
        with pytest.raises(RegistryError) as info:
            pull(ref, plain_http=True, cache=cache)
    finally:
        registry.stop()
    origin = realm.rsplit("/", 1)[0]
    assert info.value.message == (f"{ref}: {origin} (where the registry sent us) cannot be "
                                  "reached (connection refused); is it running?")
