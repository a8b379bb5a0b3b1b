"""Answering a registry's `401 WWW-Authenticate` challenge: anonymous, Basic, Bearer.

The distribution API authenticates by challenge. A request goes out without
credentials; a registry that wants some answers 401 with `WWW-Authenticate`:

- `Basic realm="..."`: resend with `Authorization: Basic base64(user:password)`.
- `Bearer realm="URL",service="S",scope="repository:acme/app:pull,push"`: ask the token
  server at URL for a token for that service and scope -- `GET URL?service=S&scope=...`,
  with Basic credentials when we have them (anonymous otherwise), or, for an identity
  token from `docker login`, `POST URL` with `grant_type=refresh_token` (OAuth2) -- then
  resend with `Authorization: Bearer TOKEN`.

`RegistryAuth` is an `httpx.Auth` (synchronous clients only), so the dance runs inside
httpx's own request loop and every call site stays a plain request. The last answer is reused pre-emptively on later
requests to the same registry; a 401 on a new scope (a push after a pull) starts a fresh
dance for that scope. A second 401 after answering means the credentials are wrong: the
response goes back to the client, which turns it into one error line.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Generator
from dataclasses import dataclass

import httpx

from ..errors import RegistryError
from .credentials import Credentials

_PARAM = re.compile(r'\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')
CLIENT_ID = "wasivirt"


@dataclass(frozen=True, slots=True)
class Challenge:
    """A parsed `WWW-Authenticate` header (`scheme` lowercased)."""

    scheme: str
    params: dict[str, str]


def parse_challenge(header: str | None) -> Challenge | None:
    """`Bearer realm="x",service="y"` -> Challenge("bearer", {...}); None if absent/garbled."""
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            break
        quoted, bare = m.group(2), m.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
        params[m.group(1).lower()] = value
        pos = m.end()
    return Challenge(scheme.lower(), params)


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class RegistryAuth(httpx.Auth):
    """Anonymous / Basic / Bearer-token authentication for one registry client."""

    def __init__(self, what: str, credentials: Credentials | None) -> None:
        self.what = what   # the reference, to begin every error line with
        self.credentials = credentials
        self._authorization: str | None = None   # the last header that worked

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """httpx's hook for flows that do I/O. Only the token server's answer is read here:
        `requires_response_body` would make httpx read every response, large blobs too."""
        if self._authorization:
            request.headers["Authorization"] = self._authorization
        response = yield request
        if response.status_code != 401:
            return
        challenge = parse_challenge(response.headers.get("WWW-Authenticate"))
        if challenge is None:
            return
        creds = self.credentials if self.credentials and self.credentials.usable else None
        if challenge.scheme == "basic":
            if creds is None or creds.username is None or creds.password is None:
                return   # the 401 goes back: "needs credentials"
            authorization = basic_header(creds.username, creds.password)
        elif challenge.scheme == "bearer":
            token_response = yield self._token_request(challenge, creds)
            token_response.read()
            authorization = "Bearer " + self._token_from(token_response, challenge, creds)
        else:
            raise RegistryError(f"{self.what}: asks for {challenge.scheme!r} authentication, "
                                "which wasivirt does not speak (only Basic and Bearer tokens)")
        self._authorization = authorization
        request.headers["Authorization"] = authorization
        yield request

    def _token_request(self, challenge: Challenge, creds: Credentials | None) -> httpx.Request:
        realm = challenge.params.get("realm")
        if not realm or not realm.startswith(("http://", "https://")):
            raise RegistryError(f"{self.what}: its Bearer challenge names no token server "
                                f"(realm {realm!r})")
        service = challenge.params.get("service")
        scopes = challenge.params.get("scope", "").split()
        if creds is not None and creds.identity_token is not None:
            form = {"grant_type": "refresh_token", "refresh_token": creds.identity_token,
                    "client_id": CLIENT_ID, **({"service": service} if service else {})}
            if scopes:
                form["scope"] = " ".join(scopes)
            return httpx.Request("POST", realm, data=form)
        query: list[tuple[str, str | int | float | bool | None]] = [("service", service)] if service else []
        query += [("scope", s) for s in scopes]
        headers = {}
        if creds is not None and creds.username is not None and creds.password is not None:
            headers["Authorization"] = basic_header(creds.username, creds.password)
            query.append(("account", creds.username))
        return httpx.Request("GET", realm, params=query, headers=headers)

    def _token_from(self, response: httpx.Response, challenge: Challenge,
                    creds: Credentials | None) -> str:
        realm = challenge.params.get("realm")
        if response.status_code in (401, 403):
            who = f"the credentials from {creds.source}" if creds else "anonymous access"
            raise RegistryError(f"{self.what}: token server {realm} refused {who} "
                                f"({response.status_code}); check the user name and password")
        if response.status_code != 200:
            raise RegistryError(f"{self.what}: token server {realm} answered "
                                f"{response.status_code} {response.reason_phrase}")
        try:
            body = response.json()
        except ValueError:
            body = None
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{self.what}: token server {realm} sent no token")
        return token
