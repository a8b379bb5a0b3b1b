"""Every error wasivirt raises on purpose, in one module.

Every error a user can cause is a `WasivirtError`: the CLI prints its message on one
line (`error: <message>`) and exits with its `exit_code`, never with a traceback. The
hierarchy (catch the most specific class that fits; `str()` is always the one line):

    WasivirtError                exit 2 unless said otherwise
    ├── BinaryFormatError        bytes that are not well-formed wasm
    │   ├── NotAComponentError   a core module where a component is needed (names `wasivirt adapt`)
    │   └── ImageFormatError     bytes that are not a well-formed VFS image
    ├── ToolchainError           an external tool (node, jco, zig cc, wasm-tools) missing or failing
    │   └── JcoFailed            jco ran and rejected its input (.subcommand, .detail)
    ├── AdaptError               a core module no preview1 adapter can turn into a component
    ├── CompositionError         components that cannot be composed as asked (.node, .import_name, .export)
    │   ├── NoSuchImport         a node has no import of that name
    │   ├── NoSuchExport         a node has no export of that name
    │   ├── AlreadyConnected     an import is connected twice
    │   ├── DuplicateExport      two outer exports share a name
    │   ├── UnsatisfiedImport    an import left open where none may be
    │   ├── ImportMismatch       an export does not fit the import it is plugged into
    │   ├── MergeConflict        same-named imports of several nodes need different types
    │   ├── InstantiationCycle   nodes that instantiate each other (.cycle)
    │   └── PlugError            `plug` cannot decide which plug fills what
    ├── SpecError                an invalid VFS spec (names the spec file and line)
    ├── ValidationError          wasmtime rejected a component we produced or were given
    ├── RegistryError            an OCI registry failed us or served something else
    └── GuestTrap                the guest trapped while running (exit 134, .details)

Errors that are not a `WasivirtError` are bugs in wasivirt, and get a traceback.
"""

from __future__ import annotations

TRAP_EXIT_CODE = 134  # what the wasmtime CLI exits with on a trap (128 + SIGABRT)


class WasivirtError(Exception):
    """A user-facing failure: one line of text that names the file and the fix."""

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class BinaryFormatError(WasivirtError):
    """The bytes are not a well-formed wasm module or component."""


class NotAComponentError(BinaryFormatError):
    """A core wasm module was given where a component is needed.

    The message names the fix, `wasivirt adapt`, and what to do after it (`then`, e.g.
    "run app.wasm"), so every command that needs a component says it the same way.
    """

    def __init__(self, what: str, *, then: str | None = None) -> None:
        step = f"; run `wasivirt adapt {what} -o app.wasm` first"
        super().__init__(f"{what}: is a core wasm module, not a component{step}"
                         + (f", then {then}" if then else ""))
        self.what = what


class ImageFormatError(BinaryFormatError):
    """Bytes that are not a well-formed VFS image."""


class ToolchainError(WasivirtError):
    """A required external tool (node, jco, zig cc, wasm-tools) is missing or failed."""


class JcoFailed(ToolchainError):
    """jco ran and rejected its input; `detail` is jco's own one-line reason."""

    def __init__(self, subcommand: str, detail: str) -> None:
        super().__init__(f"jco {subcommand} failed: {detail}")
        self.subcommand = subcommand
        self.detail = detail


class AdaptError(WasivirtError):
    """A core module cannot be turned into a component."""


class CompositionError(WasivirtError):
    """Components cannot be composed as asked (no match, type mismatch, cycle...).

    Carries what it names, when it names one: `node` (an instance in the graph, or the
    component being virtualized), `import_name` (an import of that node, or an outer
    import) and `export` (an export of some node, or an outer export).
    """

    def __init__(self, message: str, *, node: str | None = None, import_name: str | None = None,
                 export: str | None = None) -> None:
        super().__init__(message)
        self.node = node
        self.import_name = import_name
        self.export = export

    def prefixed(self, prefix: str, *, node: str | None = None, import_name: str | None = None,
                 export: str | None = None) -> CompositionError:
        """The same error (class and fields) with `prefix` before its message; the fields
        given fill those it does not carry yet."""
        copy = self.__class__.__new__(self.__class__)
        copy.__dict__.update(self.__dict__)
        Exception.__init__(copy, f"{prefix}{self.message}")
        copy.node = self.node or node
        copy.import_name = self.import_name or import_name
        copy.export = self.export or export
        return copy


class NoSuchImport(CompositionError):
    """`node` has no import named `import_name`."""

    def __init__(self, node: str, import_name: str) -> None:
        super().__init__(f"`{node}` has no import named `{import_name}`", node=node,
                         import_name=import_name)


class NoSuchExport(CompositionError):
    """`node` has no export named `export`; the message lists what it exports."""

    def __init__(self, node: str, export: str, available: list[str]) -> None:
        super().__init__(f"`{node}` has no export named `{export}` "
                         f"(it exports: {', '.join(available) or 'nothing'})", node=node, export=export)


class AlreadyConnected(CompositionError):
    """`node`'s import `import_name` was connected before."""

    def __init__(self, node: str, import_name: str) -> None:
        super().__init__(f"`{node}` import `{import_name}` is already connected", node=node,
                         import_name=import_name)


class DuplicateExport(CompositionError):
    """Two outer exports are named `export`."""

    def __init__(self, export: str) -> None:
        super().__init__(f"two exports are named `{export}`", export=export)


class UnsatisfiedImport(CompositionError):
    """`node`'s import `import_name` is connected to nothing, and may not become an outer import."""

    def __init__(self, node: str, import_name: str) -> None:
        super().__init__(f"`{node}` import `{import_name}` is not satisfied", node=node,
                         import_name=import_name)


class ImportMismatch(CompositionError):
    """`node`'s import `import_name` was given `source`'s export `export`, which does not
    fit; `reason` says where and what differs."""

    def __init__(self, node: str, import_name: str, source: str, export: str, reason: str) -> None:
        super().__init__(f"`{node}` import `{import_name}` cannot be satisfied by `{source}` "
                         f"export `{export}`: {reason}", node=node, import_name=import_name,
                         export=export)
        self.source = source
        self.reason = reason


class MergeConflict(CompositionError):
    """Imports merged into the outer import `merged` need different types: `node`'s
    import `import_name` does not fit the merged type (`reason`)."""

    def __init__(self, merged: str, node: str, import_name: str, reason: str) -> None:
        super().__init__(f"imports merged into `{merged}` disagree: `{node}` import "
                         f"`{import_name}` needs a different type ({reason})", node=node,
                         import_name=import_name)
        self.merged = merged
        self.reason = reason


class InstantiationCycle(CompositionError):
    """The nodes in `cycle` (first == last) instantiate each other."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("instantiation cycle: " + " -> ".join(cycle), node=cycle[0])
        self.cycle = cycle


class PlugError(CompositionError):
    """`wasivirt plug` cannot tell which plug fills which socket import, or a plug fills nothing."""


class SpecError(WasivirtError):
    """The user's VFS spec file is invalid."""


class ValidationError(WasivirtError):
    """wasmtime rejected a component we produced or were given."""


class RegistryError(WasivirtError):
    """An OCI registry is unreachable, refused us, or served something that is not a
    single-layer wasm artifact (or whose bytes do not match their digest)."""


class GuestTrap(WasivirtError):
    """The guest trapped (unreachable, out-of-bounds, stack exhausted, ...).

    `details` is wasmtime's full text, with the wasm backtrace (`run --backtrace`)."""

    exit_code = TRAP_EXIT_CODE

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details
