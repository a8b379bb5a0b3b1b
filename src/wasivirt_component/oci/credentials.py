"""Registry credentials: environment variables first, then docker's config file.

`docker login`, `oras login` and `wkg` all write `~/.docker/config.json` (or
`$DOCKER_CONFIG/config.json`), so reading it means a user logs in once with any of them.
An `auths` entry holds `auth` (base64 `user:password`) or an `identitytoken` (an OAuth2
refresh token that the registry's token server exchanges for access tokens). Entries kept
by a credential helper (`credsStore`, `credHelpers`) are not read: running helper
programs is out of scope, and the authentication error says so and names the variables.

`WASIVIRT_REGISTRY_USER` + `WASIVIRT_REGISTRY_PASSWORD` (for CI, where writing a docker
config is a chore) apply to every registry this process contacts, and win over the file.
Credentials are only ever sent in answer to a registry's challenge (see `auth.py`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import WasivirtError

USER_VARIABLE = "WASIVIRT_REGISTRY_USER"
PASSWORD_VARIABLE = "WASIVIRT_REGISTRY_PASSWORD"

# docker writes Docker Hub's entry under its v1 index URL
_ALIASES = {"docker.io": "index.docker.io", "registry-1.docker.io": "index.docker.io"}


@dataclass(frozen=True, slots=True)
class Credentials:
    """What we can answer a challenge with, and where it came from (for error lines)."""

    source: str
    username: str | None = None
    password: str | None = None
    identity_token: str | None = None
    helper: str | None = None   # a credential helper holds them: we cannot use them

    @property
    def usable(self) -> bool:
        return self.identity_token is not None or self.username is not None


def docker_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (docker's own rule)."""
    env = os.environ if environ is None else environ
    root = env.get("DOCKER_CONFIG")
    return (Path(root) if root else Path.home() / ".docker") / "config.json"


def _host_key(key: str) -> str:
    """`https://host:5000/v1/` -> `host:5000`: how docker normalises `auths` keys."""
    if "://" in key:
        key = urlsplit(key).netloc
    host = key.split("/", 1)[0]
    return _ALIASES.get(host, host)


def _from_entry(entry: object, where: str) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    token = entry.get("identitytoken")
    if isinstance(token, str) and token:
        username = entry.get("username")
        return Credentials(where, username=username if isinstance(username, str) and username else None,
                           identity_token=token)
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            user, sep, password = base64.b64decode(auth, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise WasivirtError(f"{where}: `auth` is not base64 of user:password") from None
        if not sep:
            raise WasivirtError(f"{where}: `auth` is not base64 of user:password")
        return Credentials(where, username=user, password=password)
    plain_user, plain_password = entry.get("username"), entry.get("password")
    if isinstance(plain_user, str) and isinstance(plain_password, str) and plain_user:
        return Credentials(where, username=plain_user, password=plain_password)
    return None


def _read_config(path: Path) -> dict[str, object]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise WasivirtError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        config = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise WasivirtError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(config, dict):
        raise WasivirtError(f"{path}: expected a JSON object")
    return config


def find_credentials(registry: str, environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials for `registry` (host[:port]), or None for anonymous access."""
    env = os.environ if environ is None else environ
    user = env.get(USER_VARIABLE)
    if user:
        if PASSWORD_VARIABLE not in env:
            raise WasivirtError(f"{USER_VARIABLE} is set but {PASSWORD_VARIABLE} is not; set both")
        return Credentials(f"${USER_VARIABLE}", username=user, password=env[PASSWORD_VARIABLE])
    path = docker_config_path(env)
    config = _read_config(path)
    wanted = _host_key(registry)
    auths = config.get("auths")
    if isinstance(auths, dict):
        for key, entry in auths.items():
            if _host_key(key) == wanted:
                found = _from_entry(entry, f"{path} (auths.{key})")
                if found:
                    return found
    helpers = config.get("credHelpers")
    helper = helpers.get(registry) if isinstance(helpers, dict) else None
    helper = helper or config.get("credsStore")
    if isinstance(helper, str) and helper:
        return Credentials(str(path), helper=helper)
    return None
