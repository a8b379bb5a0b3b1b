"""Human rendering of an `InspectReport` with rich: a summary table, then imports/exports.

`render` returns what to print; `cli.py` prints it (as everything else wasivirt shows)."""

from __future__ import annotations

import json

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from . import names
from .inspect import ComponentReport, ExternReport, InspectReport, ModuleReport


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _summary(report: InspectReport) -> Table:
    table = Table(box=box.SIMPLE, show_header=False, title=f"{report.file}",
                  title_justify="left", title_style="bold")
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    return table


def _module_rows(table: Table, report: InspectReport, m: ModuleReport) -> None:
    wasi = {"preview1": "WASI preview 1 (wasi_snapshot_preview1)",
            "preview0": "legacy WASI preview 0 (wasi_unstable)"}.get(m.wasi or "", "no WASI imports")
    table.add_row("kind", f"core module, {_size(report.size)}")
    table.add_row("wasi", wasi)
    table.add_row("role", "command (exports _start)" if m.role == "command"
                  else "reactor (library: no _start export)")
    if m.threads:
        why = " and ".join(w for w, on in (("imports wasi/thread-spawn", m.thread_spawn),
                                            ("shared memory", m.shared_memory)) if on)
        table.add_row("threads", Text(f"yes: wasip1-threads ({why}); cannot become a component",
                                      style="red"))
    else:
        table.add_row("threads", "no")
    table.add_row(f"preview1 imports ({len(m.preview1_imports)})",
                  ", ".join(m.preview1_imports) or "none")
    if m.other_imports:
        table.add_row(f"other imports ({len(m.other_imports)})",
                      ", ".join(f"{mod}::{name} ({kind})" for mod, name, kind in m.other_imports))


def _component_rows(table: Table, report: InspectReport, c: ComponentReport) -> None:
    table.add_row("kind", f"component, {_size(report.size)}")
    run = next((e.name for e in c.exports if names.base_name(e.name) == names.RUN_INTERFACE), None)
    world = {"command": f"command (exports {run})",
             "http-handler": "HTTP handler (exports wasi:http/incoming-handler)",
             "library": "library (no wasi:cli/run export)"}[c.world]
    table.add_row("world", world)
    table.add_row("wasi versions", ", ".join(c.wasi_versions) or "none")
    if c.host_filesystem and c.mounts:
        table.add_row("host filesystem", Text(
            f"only through {len(c.mounts)} mount(s): imports " + ", ".join(c.filesystem_imports), style="yellow"))
    elif c.host_filesystem:
        table.add_row("host filesystem", Text(
            "yes: imports " + ", ".join(c.filesystem_imports), style="yellow"))
    else:
        table.add_row("host filesystem", Text("no: imports no wasi:filesystem", style="green"))
    if c.link == "fused":
        table.add_row("link", "fused: the virtualizer inside the program's component (two memories: runs "
                              "on wasmtime; jco and Node 20 cannot load it, compose with --link composed)")
    elif c.link == "composed":
        table.add_row("link", "composed: the virtualizer as a component of its own (any runtime)")
    for m in c.mounts:
        policy = ["read-only" if m.read_only else "read-write"] + ([f"hides {' '.join(m.hide)}"] if m.hide else [])
        inside = "" if m.path == "." else f", path {m.path}"
        table.add_row(f"mount {m.guest}", f"host preopen {m.host!r}{inside} ({', '.join(policy)}); "
                                          f"run with --dir HOST_DIR::{m.host}")


def _externs(title: str, items: tuple[ExternReport, ...]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=f"{title} ({len(items)})", title_justify="left",
                  title_style="bold")
    table.add_column("name", overflow="fold")
    table.add_column("sort", no_wrap=True)
    table.add_column("version", no_wrap=True)
    for e in items:
        table.add_row(e.name, e.sort, e.version or "-")
    return table


def render(report: InspectReport) -> list[RenderableType]:
    """The human form of `report`, in the order to print it (the CLI prints; this module
    only builds tables)."""
    table = _summary(report)
    if report.module is not None:
        _module_rows(table, report, report.module)
        parts: list[RenderableType] = [table]
        if not report.module.threads:  # one unwrapped line, so it can be copied
            parts.append(Text(f"next step: wasivirt adapt {report.file} -o app.wasm",
                              no_wrap=True, overflow="ignore"))
        return parts
    if report.component is not None:
        _component_rows(table, report, report.component)
        return [table, _externs("imports", report.component.imports),
                _externs("exports", report.component.exports)]
    return [table]


def to_json_text(report: InspectReport) -> str:
    """The `--json` output: stable key order, one document, trailing newline."""
    return json.dumps(report.to_json(), indent=2) + "\n"
