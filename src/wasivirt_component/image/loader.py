"""Running a user's `spec.py` and turning every failure into one `file:line: message`.

The spec is ordinary Python executed on the host at compose time. It runs as a fresh
module with its own directory first on `sys.path` (so it can import helpers next to it);
afterwards `sys.path` is restored and modules imported from the spec's directory are
forgotten, so two specs with a `helpers.py` each never see each other's. Other modules the
spec imported (stdlib, installed packages) stay loaded, as in any Python process: evicting
them would break libraries that cannot be imported twice.
"""

from __future__ import annotations

import ast
import os
import sys
import traceback
import types
from pathlib import Path

from ..errors import SpecError
from . import context
from .spec import VFS

SPEC_MODULE_NAME = "__wasivirt_spec__"


def load_spec(path: str | os.PathLike[str]) -> VFS:
    """Execute the spec file at `path` and return its module-level `vfs`.

    Raises `SpecError` (exit code 2) whose one-line message starts with `path:line: `
    for a syntax error, an exception raised while the spec runs (DSL misuse included),
    a missing `vfs` variable or one that is not a `VFS`.
    """
    shown = os.fspath(path)
    spec_file = Path(shown).absolute()
    try:
        source = spec_file.read_bytes()
    except OSError as exc:
        raise SpecError(f"{shown}: cannot read the spec file: {exc.strerror or exc}") from None
    try:
        tree = ast.parse(source, filename=shown)
        code = compile(tree, shown, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise SpecError(f"{shown}:{exc.lineno or 1}: {type(exc).__name__}: {exc.msg}") from None
    except ValueError as exc:  # e.g. NUL bytes in the source
        raise SpecError(f"{shown}:1: {type(exc).__name__}: {exc}") from None

    module = types.ModuleType(SPEC_MODULE_NAME)
    module.__file__ = str(spec_file)
    ctx = context.SpecContext(code_filename=shown, display=shown, base_dir=spec_file.parent)
    _execute(code, module, ctx)

    vfs = module.__dict__.get("vfs", _MISSING)
    if vfs is _MISSING:
        raise SpecError(f"{shown}:1: the spec defines no module-level `vfs`; add "
                        "`vfs = VFS()` (from wasivirt_component import VFS)")
    if not isinstance(vfs, VFS):
        line = _last_binding_line(tree, "vfs")
        raise SpecError(f"{shown}:{line}: `vfs` must be a wasivirt_component.VFS, "
                        f"not {type(vfs).__name__}")
    return vfs


_MISSING = object()


def _execute(code: types.CodeType, module: types.ModuleType, ctx: context.SpecContext) -> None:
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    saved_bytecode = sys.dont_write_bytecode
    spec_dir = str(ctx.base_dir)
    sys.path.insert(0, spec_dir)
    sys.modules[SPEC_MODULE_NAME] = module
    sys.dont_write_bytecode = True  # do not litter the user's directory with __pycache__
    try:
        with context.running_spec(ctx):
            exec(code, module.__dict__)
    except (Exception, SystemExit) as exc:
        raise SpecError(_describe(exc, ctx)) from None
    finally:
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_bytecode
        for name in set(sys.modules) - saved_modules:
            if name == SPEC_MODULE_NAME or _imported_from(sys.modules[name], name, spec_dir):
                del sys.modules[name]
        sys.modules.pop(SPEC_MODULE_NAME, None)


def _describe(exc: BaseException, ctx: context.SpecContext) -> str:
    """`spec.py:LINE: message` for an exception raised while the spec ran."""
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == ctx.code_filename and frame.lineno:
            line = frame.lineno  # the innermost spec line wins
    if isinstance(exc, SpecError):
        message = exc.message
    else:
        text = str(exc)
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"{ctx.display}:{line}: {' '.join(message.splitlines())}"


def _imported_from(module: types.ModuleType | None, name: str, spec_dir: str) -> bool:
    """True for a module found through the spec's directory (a helper next to the spec)."""
    top = name.partition(".")[0]
    locations = [getattr(module, "__file__", None), *(getattr(module, "__path__", None) or [])]
    for loc in locations:
        if not loc:
            continue
        rel = os.path.relpath(os.path.abspath(loc), spec_dir)
        first = rel.split(os.sep, 1)[0]
        if first == top or first.partition(".")[0] == top:
            return True
    return False


def _last_binding_line(tree: ast.Module, name: str) -> int:
    """The line of the last statement binding `name` at module level (1 if none is found).

    Function and class bodies are skipped: they bind local names.
    """
    line = 1
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                line = max(line, node.lineno)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            line = max(line, node.lineno)
        elif isinstance(node, ast.alias) and (node.asname or node.name) == name:
            line = max(line, node.lineno)
        pending.extend(ast.iter_child_nodes(node))
    return line
