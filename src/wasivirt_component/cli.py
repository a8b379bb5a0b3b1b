"""The `wasivirt` command line: parses options, calls the library, prints.

Each command's logic lives in its own module (adapt.py, run.py, inspect.py,
toolchain.py, oci/); add a command by writing its module and a thin function here. Every
`WasivirtError` raised by any command becomes one line on stderr (`error: ...`) and the
error's exit code -- see `_Group.invoke` -- so commands never catch them themselves.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import WasivirtError

if TYPE_CHECKING:
    from rich.progress import TaskID

    from .oci import ProgressHook


def error_line(exc: WasivirtError) -> str:
    """The one stderr line for a user error."""
    text = " ".join(exc.message.split("\n")).strip()
    return f"error: {text}"


def note(text: str) -> None:
    """A one-line remark on stderr that does not change the outcome."""
    typer.echo(f"note: {text}", err=True)


@contextlib.contextmanager
def progress_bar(verb: str, *, enabled: bool = True) -> Iterator[ProgressHook | None]:
    """A rich progress bar on stderr for the library's `(label, done, total)` hook.

    It appears with the first byte moved (nothing moved: nothing shown). On a terminal it
    animates; elsewhere rich prints each bar once, finished. If the command fails, the bar
    is cleared, so the error stays the one line on stderr.
    """
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TransferSpeedColumn(), console=Console(stderr=True))
    tasks: dict[str, TaskID] = {}

    def hook(label: str, done: int, total: int) -> None:
        if not tasks:
            bar.start()
        if label not in tasks:
            tasks[label] = bar.add_task(f"{verb} {label}", total=total)
        bar.update(tasks[label], completed=done)

    try:
        yield hook
    except BaseException:
        if tasks:   # clear it; Progress.stop() would also print a blank line off-terminal
            bar.live.transient = True
            bar.live.stop()
        raise
    if tasks:
        bar.stop()


def _pull_progress() -> contextlib.AbstractContextManager[ProgressHook | None]:
    """`run`/`inspect` of a reference: a bar only on a terminal (stderr is the guest's too)."""
    return progress_bar("download", enabled=sys.stderr.isatty())


PlainHttp = Annotated[bool, typer.Option(
    "--plain-http", help="Talk to the registry over plain HTTP (no TLS), e.g. a local test "
                         "registry.")]


class _Group(TyperGroup):
    """Turns every `WasivirtError` into one stderr line and its exit code."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except WasivirtError as exc:
            typer.echo(error_line(exc), err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("error: interrupted", err=True)
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=_Group,
    name="wasivirt",
    help="Give any WASI program a virtual filesystem by WebAssembly component composition.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals can hold megabytes of wasm
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wasivirt {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Give any WASI program a virtual filesystem by WebAssembly component composition."""


@app.command()
def adapt(
    module: Annotated[Path, typer.Argument(metavar="CORE.wasm", show_default=False,
                                           help="A wasip1 core module (a component is copied).")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="OUT.wasm", show_default=False,
                                         help="Where to write the component.")],
    command: Annotated[bool | None, typer.Option(
        "--command/--reactor", show_default=False,
        help="Force the command or reactor adapter (default: command if it exports _start).")] = None,
) -> None:
    """Turn a wasip1 core module into a component (preview1 adapter)."""
    from .adapt import adapt_file

    kind = None if command is None else ("command" if command else "reactor")
    result = adapt_file(module, output, kind)
    if result.already_component:
        note(f"{module} is already a component; copied it unchanged to {output}")
    else:
        how = "detected" if result.detected else "forced"
        typer.echo(f"{output}: {result.kind} component ({how}), {len(result.data)} bytes")
        if result.unexported:
            names = ", ".join(result.unexported[:5]) + (" ..." if len(result.unexported) > 5 else "")
            note(f"{module} exports {names} without a WIT world (no component-type section), "
                 "so the component does not export them")


@app.command(context_settings={"allow_interspersed_args": True})
def run(
    component: Annotated[str, typer.Argument(
        metavar="APP.wasm|REF", show_default=False,
        help="A command component (exports wasi:cli/run): a file, or a registry reference "
             "REGISTRY/REPO[:TAG|@DIGEST] (pulled into the cache once).")],
    args: Annotated[list[str] | None, typer.Argument(
        metavar="[-- ARGS...]", show_default=False,
        help="Arguments for the guest; put them after `--`.")] = None,
    dirs: Annotated[list[str] | None, typer.Option(
        "--dir", metavar="HOST::GUEST", show_default=False,
        help="Preopen host directory HOST as GUEST (`--dir DIR` means DIR::DIR). Repeatable.")] = None,
    envs: Annotated[list[str] | None, typer.Option(
        "--env", metavar="NAME[=VALUE]", show_default=False,
        help="Set a guest environment variable; without =VALUE, pass the host's. Repeatable.")] = None,
    argv0: Annotated[str | None, typer.Option(
        "--argv0", show_default=False, help="argv[0] for the guest (default: the file name).")] = None,
    backtrace: Annotated[bool, typer.Option(
        "--backtrace", help="On a trap, also print wasmtime's wasm backtrace.")] = False,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Compile without reading or writing the compiled-code cache.")] = False,
    plain_http: PlainHttp = False,
) -> None:
    """Run a command component; exit with the guest's exit code."""
    from .errors import GuestTrap
    from .oci.source import wasm_input
    from .run import RunOptions, parse_dir, parse_env, run_file

    options = RunOptions(
        args=list(args or []),
        argv0=argv0,
        env=[parse_env(e) for e in envs or []],
        dirs=[parse_dir(d) for d in dirs or []],
    )
    with _pull_progress() as progress:
        source = wasm_input(component, plain_http=plain_http, progress=progress)
    options.argv0 = options.argv0 or source.argv0
    try:
        code = run_file(source.path, options, use_cache=not no_cache, interruptible=True,
                        what=source.label)
    except GuestTrap as trap:
        if backtrace:
            typer.echo(trap.details.rstrip(), err=True)
        hint = "" if backtrace else " (add --backtrace for the wasm backtrace)"
        raise WasivirtError(trap.message + hint, exit_code=trap.exit_code) from None
    raise typer.Exit(code)


@app.command()
def compose(
    child: Annotated[Path, typer.Argument(metavar="CHILD.wasm", show_default=False,
                                          help="A wasip1 core module or a WASI 0.2 component.")],
    vfs: Annotated[Path, typer.Option("--vfs", metavar="SPEC.py", show_default=False,
                                      help="Python file defining `vfs = VFS()`: the filesystem the child sees.")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="OUT.wasm", show_default=False,
                                         help="Where to write the composed component.")],
    precompile: Annotated[bool, typer.Option(
        "--precompile", help="Also compile the whole output now (slow once), so `wasivirt run` "
                             "starts at once.")] = False,
    link: Annotated[str, typer.Option(
        "--link", metavar="auto|fused|composed",
        help="fused: the virtualizer inside the child's component (wasip1 programs, flat WASI 0.2 "
             "components; reads are memory copies; needs multi-memory: wasmtime yes, Node 20/jco no). "
             "composed: its own "
             "component (any child, any runtime). auto: fused where possible.")] = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary output.")] = False,
) -> None:
    """Give a WASI program a virtual filesystem by composition."""
    from .names import short
    from .pipeline import compose_files

    result = compose_files(child, vfs, output, progress=None if quiet else _spinner,
                           precompile=precompile, link=link)
    if result.note:
        typer.echo(f"note: {result.note}", err=True)
    if quiet:
        return
    if result.adapted:
        typer.echo(f"adapted {child} with the preview1 adapter")
    typer.echo("linked: fused (the virtualizer inside the child's component; runs on wasmtime; "
               "for jco/Node 20 compose with --link composed)" if result.link == "fused"
               else "linked: composed (the virtualizer as a component of its own)")
    typer.echo(f"virtualized: {', '.join(short(n) for n in result.virtualized) or 'nothing'}")
    typer.echo(f"from the host: {', '.join(short(n) for n in result.host_imports) or 'nothing'}")
    if result.trapped:
        typer.echo(f"trap if called (their streams and pollables would bypass the virtual wasi:io; "
                   f"not virtualized yet): {', '.join(short(n) for n in result.trapped)}")
    if result.widened:
        typer.echo("declared for the host mounts (the program's own import lacks them; the host has them): "
                   + ", ".join(f"{short(source)} {function.rsplit('.', 1)[-1]}" for source, function in result.widened))
    for m in result.mounts:
        policy = ", ".join(["read-only" if m.read_only else "read-write"]
                           + ([f"hides {' '.join(m.hide)}"] if m.hide else []))
        inside = "" if m.path == "." else f" (its {m.path})"
        typer.echo(f"host mount: {m.guest} <- the runtime's preopen {m.host!r}{inside}, {policy}; "
                   f"run with --dir HOST_DIR::{m.host}")
    access = "host filesystem only through the mounts above" if result.mounts else "no host filesystem access"
    typer.echo(f"{output}: {len(result.data)} bytes, validated; {access}")


@contextlib.contextmanager
def _spinner(text: str) -> Iterator[None]:
    """A spinner on stderr while a slow step runs (nothing when stderr is not a terminal)."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    with console.status(text):
        yield


@app.command()
def plug(
    socket: Annotated[Path, typer.Argument(metavar="SOCKET.wasm", show_default=False,
                                           help="The component whose imports get filled.")],
    plugs: Annotated[list[Path], typer.Option(
        "--plug", "-p", metavar="PLUG.wasm", show_default=False,
        help="A component whose exports fill the socket's imports of the same (or a "
             "semver-compatible) name. Repeatable.")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="OUT.wasm", show_default=False,
                                         help="Where to write the composed component.")],
) -> None:
    """Fill a socket's imports with plugs' exports (wac plug semantics)."""
    from .pipeline import plug_files

    result = plug_files(socket, list(plugs), output)
    for import_name, (plug_name, export_name) in result.filled.items():
        via = "" if export_name == import_name else f" (as {export_name})"
        typer.echo(f"{import_name} <- {plug_name}{via}")
    typer.echo(f"{output}: {len(result.data)} bytes, validated by wasmtime")


@app.command()
def inspect(
    file: Annotated[str, typer.Argument(
        metavar="FILE.wasm|REF", show_default=False,
        help="A core module or a component: a file, or a registry reference "
             "REGISTRY/REPO[:TAG|@DIGEST] (pulled into the cache once).")],
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print the stable JSON report (schema: docs/inspect-json.md).")] = False,
    wit: Annotated[bool, typer.Option(
        "--wit", help="Print the component's WIT world: what it imports and exports, in WIT "
                      "(wasm-tools component wit).")] = False,
    plain_http: PlainHttp = False,
) -> None:
    """Show imports, exports, WASI versions and host filesystem access."""
    from .inspect import inspect_file, wit_file
    from .inspect_view import render, to_json_text
    from .oci.source import wasm_input

    if wit and json_output:
        raise WasivirtError("--wit and --json: choose one (--json is the report, --wit the WIT world)")
    with _pull_progress() as progress:
        source = wasm_input(file, plain_http=plain_http, progress=progress)
    if wit:
        sys.stdout.write(wit_file(source.path, label=source.label))
        return
    report = inspect_file(source.path, label=source.label)
    if json_output:
        sys.stdout.write(to_json_text(report))
        return
    from rich.console import Console
    console = Console()
    for part in render(report):
        console.print(part)


@app.command()
def publish(
    component: Annotated[Path, typer.Argument(metavar="APP.wasm", show_default=False,
                                              help="The component to publish (e.g. from compose).")],
    reference: Annotated[str, typer.Argument(
        metavar="REGISTRY/REPO[:TAG]", show_default=False,
        help="Where to publish it, e.g. localhost:5000/acme/app:1.0 (tag default: latest).")],
    annotations: Annotated[list[str] | None, typer.Option(
        "--annotation", "-a", metavar="KEY=VALUE", show_default=False,
        help="A manifest annotation; overrides the defaults (org.opencontainers.image.*). "
             "Repeatable.")] = None,
    description: Annotated[str | None, typer.Option(
        "--description", metavar="TEXT", show_default=False,
        help="org.opencontainers.image.description (default: the --spec file's docstring).")] = None,
    spec: Annotated[Path | None, typer.Option(
        "--spec", metavar="SPEC.py", show_default=False,
        help="The spec the component was composed with: its docstring (read, never run) "
             "is the description; its git checkout gives source and revision.")] = None,
    plain_http: PlainHttp = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress or summary; print only the published reference.")] = False,
) -> None:
    """Publish a component to an OCI registry (CNCF wasm artifact layout)."""
    from .oci.annotations import parse_annotation
    from .oci.publish import publish_file

    extra = [parse_annotation(a) for a in annotations or []]
    with progress_bar("upload", enabled=not quiet) as progress:
        result = publish_file(component, reference, annotations=extra, description=description,
                              spec=spec, plain_http=plain_http, progress=progress)
    if not quiet:
        typer.echo(f"uploaded: {', '.join(result.uploaded) or 'nothing'}; "
                   f"already in the registry: {', '.join(result.present) or 'nothing'}")
    typer.echo(str(result.reference))


@app.command()
def pull(
    reference: Annotated[str, typer.Argument(
        metavar="REGISTRY/REPO[:TAG|@DIGEST]", show_default=False,
        help="The artifact to pull, e.g. localhost:5000/acme/app:1.0 (tag default: latest).")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="APP.wasm", show_default=False,
                                         help="Where to write the component.")],
    plain_http: PlainHttp = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary output.")] = False,
) -> None:
    """Pull a wasm component from an OCI registry (every digest verified)."""
    from .oci.pull import pull_file

    with progress_bar("download", enabled=not quiet) as progress:
        result = pull_file(reference, output, plain_http=plain_http, progress=progress)
    if not quiet:
        cached = "" if result.downloaded else " (layer already in the cache)"
        typer.echo(f"{output}: {result.size} bytes from {result.reference}{cached}")


@app.command()
def setup(
    check: Annotated[bool, typer.Option(
        "--check", help="Only report which tools are present; install nothing.")] = False,
    prefix: Annotated[Path | None, typer.Option(
        "--prefix", metavar="DIR", show_default=False,
        help="Install the node tools here (default: the checkout, else the user tool dir).")] = None,
) -> None:
    """Install the pinned node tools (jco) and check every tool."""
    from . import toolchain

    if not check:
        target = prefix or toolchain.default_install_dir()
        typer.echo(f"installing @bytecodealliance/jco@{toolchain.JCO_VERSION} into {target} ...",
                   err=True)
        toolchain.install_node_tools(target)
    report = toolchain.tool_report()
    for status in report:
        if status.ok:
            typer.echo(f"ok       {status.name:<18} {status.version}  {status.location}")
        else:
            typer.echo(f"MISSING  {status.name:<18} {status.problem}")
    missing = [s.name for s in report if not s.ok]
    if missing:
        raise WasivirtError(f"not ready: {', '.join(missing)} missing or broken (see above)",
                            exit_code=1)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="wasivirt")


if __name__ == "__main__":  # pragma: no cover
    main()
