"""A minimal client for the OCI distribution API (the `/v2/` HTTP API), over httpx.

Only what publishing and pulling one wasm artifact needs: blob existence, chunked blob
upload, manifest get/head/put, and verified streaming blob download. Every failure --
no connection, TLS, timeouts, HTTP errors with distribution's JSON error body -- becomes
one `RegistryError` line naming the reference, so callers never see an httpx exception.

Why our own client and not `oras` (PyPI): publishing must send exact manifest bytes
(reproducible digests), skip blobs the registry has, upload in chunks with a progress
hook and verify each digest while streaming into an atomic file; oras-py 0.2.x writes
downloads straight to the destination without verifying them and reports through its own
logger. The API needed here is a dozen requests (OCI distribution-spec, "push" and "pull").
"""

from __future__ import annotations

import hashlib
import io
import ssl
from dataclasses import dataclass
from typing import BinaryIO

import httpx

from ..errors import RegistryError
from . import ProgressHook
from .auth import RegistryAuth
from .credentials import PASSWORD_VARIABLE, USER_VARIABLE, Credentials
from .reference import sha256_digest

# Chunks of 5 MiB: the smallest part distribution's S3 storage driver accepts, so a layer
# uploads through any distribution-based registry; big enough to keep requests few.
CHUNK_SIZE = 5 * 1024 * 1024
TIMEOUT = httpx.Timeout(30.0, read=120.0)
USER_AGENT = "wasivirt"


@dataclass(frozen=True, slots=True)
class FetchedManifest:
    """A manifest's exact bytes, the media type the registry served it as, and its digest."""

    data: bytes
    media_type: str
    digest: str


class RegistryClient:
    """One registry host (`what` names the reference in every error line)."""

    def __init__(self, api_host: str, *, what: str, credentials: Credentials | None = None,
                 plain_http: bool = False, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.what = what
        self.credentials = credentials
        self.plain_http = plain_http
        self.base_url = f"{'http' if plain_http else 'https'}://{api_host}"
        self._http = httpx.Client(base_url=self.base_url, auth=RegistryAuth(what, credentials),
                                  timeout=timeout, follow_redirects=True,
                                  headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests and their errors -------------------------------------------------------

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return self._http.send(request, stream=stream)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None

    def _request(self, method: str, url: str | httpx.URL, *, ok: tuple[int, ...],
                 subject: str, stream: bool = False, headers: dict[str, str] | None = None,
                 content: bytes | None = None) -> httpx.Response:
        request = self._http.build_request(method, url, headers=headers, content=content)
        response = self._send(request, stream=stream)
        if response.status_code not in ok:
            if stream:
                response.read()
                response.close()
            raise self._status_error(response, subject)
        return response

    def _transport_error(self, exc: httpx.HTTPError) -> RegistryError:
        """No answer: say who did not answer (the registry, or the token server or storage
        it sent us to), and point at --plain-http when TLS is what failed."""
        try:
            url = exc.request.url
            origin = f"{url.scheme}://{url.netloc.decode()}"
        except RuntimeError:   # an error raised before any request
            origin = self.base_url
        where = f"{self.what}: registry at {origin}" if origin == self.base_url else \
            f"{self.what}: {origin} (where the registry sent us)"
        text = _last_clause(str(exc) or type(exc).__name__)
        if isinstance(exc, httpx.TimeoutException):
            return RegistryError(f"{where} did not answer in time ({type(exc).__name__})")
        if _caused_by(exc, ssl.SSLError):
            hint = "" if self.plain_http else "; for a registry without TLS add --plain-http"
            return RegistryError(f"{where}: TLS failed ({text}){hint}")
        if isinstance(exc, httpx.ConnectError):
            return RegistryError(f"{where} cannot be reached ({text}); is it running?")
        return RegistryError(f"{where}: {text}")

    def _status_error(self, response: httpx.Response, subject: str) -> RegistryError:
        """The one line for an HTTP error status; `subject` says what was asked for."""
        status = response.status_code
        detail = _error_detail(response)
        if status == 401:
            creds = self.credentials
            if creds is None or not creds.usable:
                helper = (f"; {creds.source} leaves them to docker-credential-{creds.helper}, "
                          "which wasivirt does not run" if creds and creds.helper else "")
                return RegistryError(
                    f"{self.what}: the registry wants credentials (401){helper}; log in with "
                    f"`docker login` or set {USER_VARIABLE} and {PASSWORD_VARIABLE}")
            return RegistryError(f"{self.what}: the registry refused the credentials from "
                                 f"{creds.source} (401{', ' + detail if detail else ''})")
        if status == 403:
            return RegistryError(f"{self.what}: access denied (403{', ' + detail if detail else ''})")
        if status == 404:
            return RegistryError(f"{self.what}: {subject} not found in the registry"
                                 f"{' (' + detail + ')' if detail else ''}")
        return RegistryError(f"{self.what}: {subject}: the registry answered {status} "
                             f"{response.reason_phrase}{' (' + detail + ')' if detail else ''}")

    # -- blobs ---------------------------------------------------------------------------

    def blob_exists(self, repository: str, digest: str) -> bool:
        response = self._request("HEAD", f"/v2/{repository}/blobs/{digest}", ok=(200, 404),
                                 subject=f"blob {digest}")
        return response.status_code == 200

    def push_blob(self, repository: str, data: bytes, digest: str, *, label: str,
                  progress: ProgressHook | None = None, chunk_size: int = CHUNK_SIZE) -> bool:
        """Upload `data` unless the registry has `digest` already; True if it was uploaded.

        A blob that fits one chunk goes up in one PUT; a larger one in PATCHes of
        `chunk_size` bytes (`Content-Range: start-end`), then a closing PUT with the digest.
        """
        total = len(data)
        if self.blob_exists(repository, digest):
            return False
        subject = f"upload of {label} {digest}"
        response = self._request("POST", f"/v2/{repository}/blobs/uploads/", ok=(202,),
                                 subject=subject, headers={"Content-Length": "0"})
        location = self._location(response, subject)
        if progress:
            progress(label, 0, total)
        if total <= chunk_size:
            self._request("PUT", location.copy_merge_params({"digest": digest}), ok=(201,),
                          subject=subject, content=data,
                          headers={"Content-Type": "application/octet-stream"})
        else:
            for start in range(0, total, chunk_size):
                chunk = data[start:start + chunk_size]
                response = self._request(
                    "PATCH", location, ok=(202,), subject=subject, content=chunk,
                    headers={"Content-Type": "application/octet-stream",
                             "Content-Range": f"{start}-{start + len(chunk) - 1}"})
                location = self._location(response, subject)
                if progress:
                    progress(label, start + len(chunk), total)
            self._request("PUT", location.copy_merge_params({"digest": digest}), ok=(201,),
                          subject=subject, headers={"Content-Length": "0"})
        if progress:
            progress(label, total, total)
        return True

    def _location(self, response: httpx.Response, subject: str) -> httpx.URL:
        location = response.headers.get("Location")
        if not location:
            raise RegistryError(f"{self.what}: {subject}: the registry gave no upload location")
        return response.request.url.join(location)

    def fetch_blob(self, repository: str, digest: str, size: int, sink: BinaryIO, *,
                   label: str, progress: ProgressHook | None = None) -> None:
        """Stream blob `digest` into `sink`, refusing it unless it is exactly `size` bytes
        with that sha256 (a truncated or altered blob is an error, never a file)."""
        hasher = hashlib.sha256()
        done = 0
        response = self._request("GET", f"/v2/{repository}/blobs/{digest}", ok=(200,),
                                 subject=f"{label} {digest}", stream=True)
        try:
            if progress:
                progress(label, 0, size)
            for chunk in response.iter_bytes(1 << 20):
                done += len(chunk)
                if done > size:
                    break
                hasher.update(chunk)
                sink.write(chunk)
                if progress:
                    progress(label, done, size)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        finally:
            response.close()
        if done < size:
            raise RegistryError(f"{self.what}: {label} {digest}: truncated, got {done} of the "
                                f"{size} bytes the manifest says")
        if done > size:
            raise RegistryError(f"{self.what}: {label} {digest}: longer than the {size} bytes "
                                "the manifest says")
        actual = "sha256:" + hasher.hexdigest()
        if actual != digest:
            raise RegistryError(f"{self.what}: {label} {digest}: its bytes hash to {actual}; "
                                "refusing a corrupted blob")

    def fetch_small_blob(self, repository: str, digest: str, size: int, *, label: str,
                         limit: int = 4 << 20) -> bytes:
        """A config-sized blob in memory, verified like `fetch_blob`."""
        if size > limit:
            raise RegistryError(f"{self.what}: {label} {digest} is {size} bytes; refusing more "
                                f"than {limit} for a config")
        buffer = io.BytesIO()
        self.fetch_blob(repository, digest, size, buffer, label=label)
        return buffer.getvalue()

    # -- manifests -----------------------------------------------------------------------

    def manifest_digest(self, repository: str, tag: str, media_type: str) -> str | None:
        """The digest `tag` points at now (HEAD), or None if the tag does not exist."""
        response = self._request("HEAD", f"/v2/{repository}/manifests/{tag}", ok=(200, 404),
                                 subject=f"tag {tag}", headers={"Accept": media_type})
        if response.status_code == 404:
            return None
        digest: str | None = response.headers.get("Docker-Content-Digest")
        return digest

    def put_manifest(self, repository: str, tag: str, data: bytes, media_type: str) -> str:
        digest = sha256_digest(data)
        response = self._request("PUT", f"/v2/{repository}/manifests/{tag}", ok=(201,),
                                 subject=f"manifest for tag {tag}", content=data,
                                 headers={"Content-Type": media_type})
        served = response.headers.get("Docker-Content-Digest")
        if served and served != digest:
            raise RegistryError(f"{self.what}: the registry stored the manifest as {served}, "
                                f"but its bytes hash to {digest}")
        return digest

    def get_manifest(self, repository: str, target: str, accept: list[str],
                     limit: int = 4 << 20) -> FetchedManifest:
        """The manifest for a tag or digest; its digest is checked against a digest
        reference or the registry's `Docker-Content-Digest`."""
        subject = f"manifest {target}" if target.startswith("sha256:") else f"tag {target!r}"
        response = self._request("GET", f"/v2/{repository}/manifests/{target}", ok=(200,),
                                 subject=subject, headers={"Accept": ", ".join(accept)})
        data = response.content
        if len(data) > limit:
            raise RegistryError(f"{self.what}: the manifest is {len(data)} bytes; refusing more "
                                f"than {limit}")
        digest = sha256_digest(data)
        expected = target if target.startswith("sha256:") else response.headers.get("Docker-Content-Digest")
        if expected and expected != digest:
            raise RegistryError(f"{self.what}: the manifest's bytes hash to {digest}, not "
                                f"{expected}; refusing it")
        media_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
        return FetchedManifest(data, media_type, digest)


def _error_detail(response: httpx.Response) -> str:
    """distribution's `{"errors": [{"code", "message", "detail"}]}` as `CODE: message`."""
    try:
        body = response.json() if response.content else None
    except ValueError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ""
    first = errors[0]
    message, code = str(first.get("message") or "").strip(), str(first.get("code") or "").strip()
    return f"{code}: {message}" if message and code else message or code


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is in the chain httpx raised from (httpx <- httpcore <- ssl)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _last_clause(text: str) -> str:
    """httpx/OS error text, one short line: `[Errno 111] Connection refused` -> `connection refused`."""
    line = " ".join(text.split())
    line = line.rsplit("] ", 1)[-1] if line.startswith("[") else line
    return line[:1].lower() + line[1:] if line else line
