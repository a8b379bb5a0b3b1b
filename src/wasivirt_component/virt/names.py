"""Names shared by the virtualizer build and its tests: world, packages, Python modules.

componentize-py names the Python module of an interface after the interface, and looks
up exported resource classes in a top-level module of that name; an export called
`types` would shadow the standard library. So every interface gets an explicit module
name here, passed to componentize-py as `--export-interface-name` /
`--import-interface-name`, and the runtime's files are named to match.
"""

from __future__ import annotations

WASI_VERSION = "0.2.12"
WASI_PACKAGES = ("io", "clocks", "cli", "filesystem", "sockets", "random")
HOST_NAMESPACE = "wasivirt-host"
IMAGE_INTERFACE = "wasivirt:vfs/image@0.1.0"
WORLD = "virtualizer"
APP_MODULE = "wv_app"

# WASI interface (unversioned) -> the runtime module that implements it.
EXPORT_MODULES: dict[str, str] = {
    "wasi:io/error": "ex_io_error",
    "wasi:io/poll": "ex_io_poll",
    "wasi:io/streams": "ex_io_streams",
    "wasi:filesystem/types": "ex_fs_types",
    "wasi:filesystem/preopens": "ex_fs_preopens",
    "wasi:cli/stdin": "ex_cli_stdin",
    "wasi:cli/stdout": "ex_cli_stdout",
    "wasi:cli/stderr": "ex_cli_stderr",
    "wasi:cli/terminal-input": "ex_cli_terminal_input",
    "wasi:cli/terminal-output": "ex_cli_terminal_output",
    "wasi:cli/terminal-stdin": "ex_cli_terminal_stdin",
    "wasi:cli/terminal-stdout": "ex_cli_terminal_stdout",
    "wasi:cli/terminal-stderr": "ex_cli_terminal_stderr",
    "wasi:clocks/monotonic-clock": "ex_clocks_monotonic_clock",
    "wasi:clocks/wall-clock": "ex_clocks_wall_clock",
}

# Exported interfaces whose resources need a class in a module of that name.
RESOURCE_MODULES = ("ex_io_error", "ex_io_poll", "ex_io_streams", "ex_fs_types",
                    "ex_cli_terminal_input", "ex_cli_terminal_output")

# Imported interfaces -> generated module name (`wit_world.imports.<module>`).
IMPORT_MODULES: dict[str, str] = {
    IMAGE_INTERFACE: "image",
    "wasivirt-host:io/error": "host_io_error",
    "wasivirt-host:io/poll": "host_io_poll",
    "wasivirt-host:io/streams": "host_io_streams",
    "wasivirt-host:cli/stdin": "host_cli_stdin",
    "wasivirt-host:cli/stdout": "host_cli_stdout",
    "wasivirt-host:cli/stderr": "host_cli_stderr",
    "wasivirt-host:cli/terminal-input": "host_cli_terminal_input",
    "wasivirt-host:cli/terminal-output": "host_cli_terminal_output",
    "wasivirt-host:cli/terminal-stdin": "host_cli_terminal_stdin",
    "wasivirt-host:cli/terminal-stdout": "host_cli_terminal_stdout",
    "wasivirt-host:cli/terminal-stderr": "host_cli_terminal_stderr",
    "wasivirt-host:clocks/monotonic-clock": "host_clocks_monotonic_clock",
    "wasivirt-host:clocks/wall-clock": "host_clocks_wall_clock",
    "wasivirt-host:filesystem/types": "host_fs_types",
    "wasivirt-host:filesystem/preopens": "host_fs_preopens",
}


def versioned(name: str) -> str:
    """`wasi:io/poll` -> `wasi:io/poll@0.2.12` (the image interface is already versioned)."""
    return name if "@" in name else f"{name}@{WASI_VERSION}"


def exported_wasi_names() -> list[str]:
    """The versioned `wasi:*` interfaces the virtualizer exports."""
    return [versioned(name) for name in EXPORT_MODULES]


def imported_names() -> list[str]:
    """The versioned interfaces the virtualizer imports: the image and `wasivirt-host:*`."""
    return [versioned(name) for name in IMPORT_MODULES]


def interface_name_flags() -> list[str]:
    """componentize-py options giving every interface its Python module name."""
    flags: list[str] = []
    for name, module in EXPORT_MODULES.items():
        flags += ["--export-interface-name", f"{versioned(name)}={module}"]
    for name, module in IMPORT_MODULES.items():
        flags += ["--import-interface-name", f"{versioned(name)}={module}"]
    return flags
