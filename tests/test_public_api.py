"""The public face: what `wasivirt_component` and `wasivirt_component.compose` export,
and two rules the layering relies on (checked over the source, like a linter would).

Modelled on httpx's `test_exported_members.py`: `__all__` lists exactly the public names,
so a new one is added on purpose.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

import wasivirt_component
import wasivirt_component.compose as compose

PACKAGE = Path(wasivirt_component.__file__).parent
# The composer submodules other layers may import directly: the type model and the
# canonical ABI layout (the virtualizer's glue generator builds on both).
PUBLIC_COMPOSE_MODULES = {"types", "abi"}


def _public_members(module: types.ModuleType) -> list[str]:
    return sorted((name for name, value in vars(module).items()
                   if not name.startswith("_") and not isinstance(value, types.ModuleType)
                   and name != "annotations"), key=str.casefold)


def test_compose_all_is_exactly_its_public_members() -> None:
    assert compose.__all__ == _public_members(compose)
    assert compose.__all__ == [
        "children", "ComponentInfo", "ComponentType", "CompositionGraph", "ExportRef", "extern_name",
        "import_dependencies", "ImportRef", "InstanceNode", "Package", "plug", "PlugResult", "read_component",
        "skeleton", "Source", "Stub", "STUB_MODULE_NAME", "trap_stub", "TypeScope"]


def test_package_exports_the_spec_dsl_and_version() -> None:
    assert wasivirt_component.__all__ == ["VFS", "__version__"]
    assert wasivirt_component.VFS.__module__ == "wasivirt_component.image.spec"


def _imports(path: Path) -> list[str]:
    """The absolute module names `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(("wasivirt_component", *path.relative_to(PACKAGE).parent.parts))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
            module = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
            found.append(module or "")
            found += [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def test_other_layers_import_the_composer_through_its_public_face() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "compose"):
            continue
        for module in _imports(path):
            parts = module.split(".")
            if parts[:2] == ["wasivirt_component", "compose"] and len(parts) > 2 \
                    and parts[2] not in PUBLIC_COMPOSE_MODULES and parts[2] not in compose.__all__:
                offenders.append(f"{path.relative_to(PACKAGE)}: {module}")
    assert offenders == []
    internal = {p.stem for p in (PACKAGE / "compose").glob("*.py")} - {"__init__", *PUBLIC_COMPOSE_MODULES}
    assert internal and all(name.startswith("_") for name in internal), internal


# The layers of the package, top to bottom (README "Layout"): a module may import its own
# layer and those below it, never one above.
LAYERS = [
    {"cli"},
    {"pipeline"},
    {"adapt", "run", "inspect", "inspect_view", "check", "oci"},
    {"fuse"},
    {"virt"},
    {"image"},
    {"compose"},
    {"engine"},
    {"toolchain", "artifact"},
    {"binary", "fsutil"},
    {"names", "errors", "paths"},
]


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "wasivirt_component" or len(parts) < 2:
        return None
    return next((i for i, layer in enumerate(LAYERS) if parts[1] in layer), None)


def test_no_import_runs_back_up() -> None:
    upward = []
    for path in PACKAGE.rglob("*.py"):
        own = _layer(".".join(("wasivirt_component", *path.relative_to(PACKAGE).with_suffix("").parts)))
        if own is None:
            continue
        for module in _imports(path):
            target = _layer(module)
            if target is not None and target < own:
                upward.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert upward == []
    every = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert every == set().union(*LAYERS)


def test_only_the_cli_prints() -> None:
    """The library returns data and raises one-line errors; `cli.py` alone writes to the
    terminal (print, typer.echo, sys.stdout/stderr, a rich Console)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "cli.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: print")
            elif isinstance(node, ast.Attribute) and (
                    (isinstance(node.value, ast.Name) and node.value.id in ("sys", "typer")
                     and node.attr in ("stdout", "stderr", "echo"))
                    or node.attr == "print"):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.attr}")
    assert offenders == []
