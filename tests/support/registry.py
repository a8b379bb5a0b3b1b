"""A real OCI registry for the tests: Debian's `docker-registry` (distribution 2.8).

`Registry.start(workdir, auth=...)` runs `/usr/bin/docker-registry serve` on a random
loopback port with its own config, waits until `/v2/` answers, and `stop()` ends it (the
fixtures call it). Three auth modes, all the registry's own:

- `None`: anonymous.
- `"htpasswd"`: basic auth, the password file made with bcrypt (`$2b$`, which Go accepts).
- `"token"`: distribution's `token` auth -- the registry answers `401 Bearer realm=...`
  and verifies RS256 JWTs against a root certificate; `TokenServer` (http.server in a
  thread) is the token endpoint: `GET` with Basic credentials (or none), and `POST
  grant_type=refresh_token` for identity tokens. It records every request it serves.

The registry's access log (combined log format on stderr) goes to a file;
`requests()` parses it, so tests can assert what reached the registry.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

USER, PASSWORD = "alice", "s3cret-pass"
IDENTITY_TOKEN = "refresh-" + "0123456789abcdef" * 2
SERVICE, ISSUER = "wasivirt-test-registry", "wasivirt-test-issuer"
START_TIMEOUT = 20.0

_ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


def registry_binary() -> str:
    """docker-registry, or a clear failure: in CI it must be there (`make setup` installs
    it as root); elsewhere the registry tests are skipped with the reason."""
    found = os.environ.get("WASIVIRT_TEST_REGISTRY") or shutil.which("docker-registry")
    if not found and os.path.exists("/usr/bin/docker-registry"):
        found = "/usr/bin/docker-registry"
    if found:
        return found
    reason = ("docker-registry (Debian package, distribution 2.8) is not installed: run "
              "`make setup` as root, or `apt-get install -y docker-registry`")
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Access:
    method: str
    path: str
    status: int


@dataclass
class Registry:
    """One running registry process."""

    root: Path
    port: int
    process: subprocess.Popen
    log: Path
    token_server: TokenServer | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ref(self, repository: str, tag: str = "1.0") -> str:
        return f"{self.host}/{repository}:{tag}"

    @classmethod
    def start(cls, workdir: Path, auth: str | None = None) -> Registry:
        binary = registry_binary()
        workdir.mkdir(parents=True, exist_ok=True)
        token_server = TokenServer.start(workdir) if auth == "token" else None
        for _attempt in range(3):   # a free port can be taken between probe and bind
            port = free_port()
            config = workdir / "config.yml"
            config.write_text(_config(workdir, port, auth, token_server))
            log = workdir / "registry.log"
            with open(log, "wb") as out:
                process = subprocess.Popen([binary, "serve", str(config)], stdout=out,
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            registry = cls(workdir / "storage", port, process, log, token_server)
            if registry._wait_ready():
                return registry
            registry.stop()
        raise RuntimeError(f"docker-registry did not start; its log:\n{log.read_text()[-2000:]}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2)
                return True
            except urllib.error.HTTPError:
                return True   # 401: up, and wants credentials
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.token_server:
            self.token_server.stop()

    def requests(self) -> list[Access]:
        """Every request the registry served so far (from its access log)."""
        text = self.log.read_text(errors="replace")
        return [Access(m["method"], m["path"], int(m["status"])) for m in _ACCESS.finditer(text)]

    def blob_file(self, digest: str) -> Path:
        """Where the filesystem driver keeps a blob's bytes (to damage it on purpose)."""
        hexdigest = digest.split(":", 1)[1]
        return (self.root / "docker" / "registry" / "v2" / "blobs" / "sha256" / hexdigest[:2]
                / hexdigest / "data")


def _config(workdir: Path, port: int, auth: str | None, token_server: TokenServer | None) -> str:
    lines = [
        "version: 0.1",
        "log:",
        "  level: warn",           # keeps the log to the access lines (and errors)
        "  accesslog:",
        "    disabled: false",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {workdir / 'storage'}",
        "  maintenance:",
        "    uploadpurging:",
        "      enabled: false",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        f"  secret: {secrets.token_hex(16)}",
    ]
    if auth == "htpasswd":
        import bcrypt

        htpasswd = workdir / "htpasswd"
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        htpasswd.write_text(f"{USER}:{hashed}\n")
        lines += ["auth:", "  htpasswd:", "    realm: wasivirt-test", f"    path: {htpasswd}"]
    elif auth == "token":
        assert token_server is not None
        lines += ["auth:", "  token:", f"    realm: {token_server.realm}", f"    service: {SERVICE}",
                  f"    issuer: {ISSUER}", f"    rootcertbundle: {token_server.cert_path}"]
    elif auth is not None:
        raise ValueError(auth)
    return "\n".join(lines) + "\n"


# -- the token server --------------------------------------------------------------------

def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenServer:
    """distribution's token endpoint: JWTs signed by a self-signed RSA certificate."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    cert_path: Path
    key: object
    cert_der: bytes
    log: list[dict] = field(default_factory=list)

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/token"

    @classmethod
    def start(cls, workdir: Path) -> TokenServer:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wasivirt test token issuer")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        cert_path = workdir / "token-root.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        self = cls(server, thread, cert_path, key, cert.public_bytes(serialization.Encoding.DER))
        server.token_server = self  # type: ignore[attr-defined]
        thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def issue(self, subject: str, scopes: list[str]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "iat": now, "nbf": now - 10,
                  "exp": now + 300, "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


class _TokenHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        owner: TokenServer = self.server.token_server  # type: ignore[attr-defined]
        query = parse_qs(urlsplit(self.path).query)
        scopes = query.get("scope", [])
        auth = self.headers.get("Authorization", "")
        subject = ""
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            owner.log.append({"method": "GET", "user": user, "scopes": scopes,
                              "service": query.get("service", [""])[0]})
            if (user, password) != (USER, PASSWORD):
                self._answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad password"}]})
                return
            subject = user
        else:
            owner.log.append({"method": "GET", "user": None, "scopes": scopes,
                              "service": query.get("service", [""])[0]})
            scopes = []   # anonymous callers get a token that grants nothing
        self._answer(200, {"token": owner.issue(subject, scopes), "expires_in": 300})

    def do_POST(self) -> None:
        owner: TokenServer = self.server.token_server  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        scopes = " ".join(form.get("scope", [])).split()
        owner.log.append({"method": "POST", "grant_type": form.get("grant_type", [""])[0],
                          "scopes": scopes, "service": form.get("service", [""])[0]})
        if form.get("grant_type") != ["refresh_token"] or form.get("refresh_token") != [IDENTITY_TOKEN]:
            self._answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad refresh token"}]})
            return
        self._answer(200, {"access_token": owner.issue(USER, scopes), "expires_in": 300})


# -- fixtures (import the ones a test module needs) --------------------------------------

@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No real ~/.docker/config.json, no credentials or SOURCE_DATE_EPOCH from the caller."""
    docker = tmp_path / "docker-config"
    docker.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    for name in ("WASIVIRT_REGISTRY_USER", "WASIVIRT_REGISTRY_PASSWORD", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    return {"DOCKER_CONFIG": str(docker)}


def _running(tmp_path_factory: pytest.TempPathFactory, auth: str | None) -> Iterator[Registry]:
    registry = Registry.start(tmp_path_factory.mktemp(f"registry-{auth or 'anon'}"), auth)
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Iterator[Registry]:
    yield from _running(tmp_path_factory, None)


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory) -> Iterator[Registry]:
    yield from _running(tmp_path_factory, "htpasswd")


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory) -> Iterator[Registry]:
    yield from _running(tmp_path_factory, "token")


def push_raw_artifact(registry: Registry, repository: str, tag: str, layers: list[tuple[str, bytes]],
                      config: bytes = b"{}",
                      config_type: str = "application/vnd.oci.image.config.v1+json") -> None:
    """An arbitrary manifest (any layers, any config), pushed with the client's low-level
    calls: what another tool might have published."""
    from wasivirt_component.oci.client import RegistryClient

    def descriptor(media_type: str, blob: bytes) -> dict:
        return {"mediaType": media_type, "size": len(blob),
                "digest": "sha256:" + hashlib.sha256(blob).hexdigest()}

    with RegistryClient(registry.host, what="test", plain_http=True) as client:
        for _, blob in [("config", config), *layers]:
            client.push_blob(repository, blob, descriptor("x", blob)["digest"], label="blob")
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": descriptor(config_type, config),
                    "layers": [descriptor(t, b) for t, b in layers]}
        client.put_manifest(repository, tag, json.dumps(manifest).encode(),
                            "application/vnd.oci.image.manifest.v1+json")
