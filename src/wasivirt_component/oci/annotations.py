"""The `org.opencontainers.image.*` annotations a published component carries.

- `title`: the file name; `version`: the tag; `created`: see `layout.created_time`.
- `description`: `publish --description TEXT`, else the docstring of `publish --spec
  SPEC.py`. A composed component does not carry its spec, so the user names it; the
  docstring is read with `ast`, never by running the spec (publishing must not execute
  code, and a spec may embed host directories that are gone by now).
- `source` / `revision`: the git checkout holding the spec (or else the component), when
  there is one: `remote.origin.url` (without any user:password in it) and `HEAD`.
- `--annotation K=V` sets any key, these included, last.
"""

from __future__ import annotations

import ast
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import ToolchainError, WasivirtError
from ..fsutil import read_input
from ..toolchain import run_tool
from .layout import DESCRIPTION, REVISION, SOURCE, TITLE, VERSION

GIT_TIMEOUT = 10.0


def parse_annotation(text: str) -> tuple[str, str]:
    """`--annotation KEY=VALUE` (the value may contain `=` and be empty)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise WasivirtError(f"--annotation {text}: expected KEY=VALUE "
                            "(e.g. org.opencontainers.image.authors=me)")
    return key.strip(), value


def spec_description(spec: str | os.PathLike[str]) -> str | None:
    """The spec module's docstring, cleaned (`inspect.cleandoc`), without running it."""
    source = read_input(spec, "spec")
    try:
        tree = ast.parse(source, filename=os.fspath(spec))
    except SyntaxError as exc:
        raise WasivirtError(f"{spec}:{exc.lineno}: SyntaxError: {exc.msg}") from None
    doc = ast.get_docstring(tree, clean=True)
    return (doc.strip() or None) if doc else None


def _without_userinfo(url: str) -> str:
    """`https://user:token@host/x.git` -> `https://host/x.git`: no secret goes public."""
    if "://" not in url:
        return url   # scp-like `git@host:x.git` names a user, never a password
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _git(directory: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        proc = run_tool([git, "-C", str(directory), *args], what="git", timeout=GIT_TIMEOUT,
                        check=False)
    except ToolchainError:  # provenance is best effort: no git, no annotations
        return None
    out = proc.stdout.strip()
    return out if proc.returncode == 0 and out else None


def git_provenance(path: str | os.PathLike[str]) -> dict[str, str]:
    """`source` and `revision` of the git checkout holding `path`; {} when there is none."""
    directory = Path(path).resolve().parent
    found: dict[str, str] = {}
    revision = _git(directory, "rev-parse", "--verify", "--quiet", "HEAD")
    if revision:
        found[REVISION] = revision
        url = _git(directory, "config", "--get", "remote.origin.url")
        if url:
            found[SOURCE] = _without_userinfo(url)
    return found


def manifest_annotations(app: str | os.PathLike[str], tag: str, *,
                         description: str | None = None, spec: str | os.PathLike[str] | None = None,
                         extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Every manifest annotation but `created` (the layout adds that), in priority order."""
    found: dict[str, str] = {TITLE: Path(app).name, VERSION: tag}
    found.update(git_provenance(spec if spec is not None else app))
    text = description if description is not None else spec_description(spec) if spec else None
    if text:
        found[DESCRIPTION] = text
    found.update(extra)
    return found
