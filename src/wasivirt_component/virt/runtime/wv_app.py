"""The virtualizer's entry module: one class per exported interface (componentize-py
calls its functions; resource methods live in the `ex_*` modules).

Filesystem calls go to the virtual tree; stdio, terminals and clocks are forwarded to
the host interfaces imported as `wasivirt-host:*`, their resources wrapped in ours.
"""

from __future__ import annotations

import wit_world.exports  # noqa: F401 - componentize-py needs the exports package loaded
from wit_world import exports
from wit_world.imports import (host_cli_stderr, host_cli_stdin, host_cli_stdout,
                               host_cli_terminal_stderr, host_cli_terminal_stdin,
                               host_cli_terminal_stdout, host_clocks_monotonic_clock,
                               host_clocks_wall_clock)

import ex_fs_types
import ex_io_poll
from ex_cli_terminal_input import TerminalInput
from ex_cli_terminal_output import TerminalOutput
from ex_io_poll import Pollable
from ex_io_streams import HostInput, HostOutput
from wv_state import vfs
from wv_wit import Datetime


class ExIoError(exports.ExIoError):
    """`wasi:io/error` has no functions (its resource is ex_io_error.Error)."""


class ExIoStreams(exports.ExIoStreams):
    """`wasi:io/streams` has no functions (its resources are in ex_io_streams)."""


class ExIoPoll(exports.ExIoPoll):
    def poll(self, in_: list) -> list:
        return ex_io_poll.poll(in_)


class ExFsTypes(exports.ExFsTypes):
    def filesystem_error_code(self, err):
        try:
            return ex_fs_types.filesystem_error_code(err)
        except Exception:  # noqa: BLE001 - no error channel: "not a filesystem error"
            return None


class ExFsPreopens(exports.ExFsPreopens):
    def get_directories(self) -> list:
        try:
            return [(ex_fs_types.Descriptor(core), name) for core, name in vfs().preopens()]
        except Exception:  # noqa: BLE001 - an unreadable image offers no directories
            return []


class ExCliStdin(exports.ExCliStdin):
    def get_stdin(self) -> HostInput:
        return HostInput(host_cli_stdin.get_stdin())


class ExCliStdout(exports.ExCliStdout):
    def get_stdout(self) -> HostOutput:
        return HostOutput(host_cli_stdout.get_stdout())


class ExCliStderr(exports.ExCliStderr):
    def get_stderr(self) -> HostOutput:
        return HostOutput(host_cli_stderr.get_stderr())


class ExCliTerminalInput(exports.ExCliTerminalInput):
    """No functions (the resource is ex_cli_terminal_input.TerminalInput)."""


class ExCliTerminalOutput(exports.ExCliTerminalOutput):
    """No functions (the resource is ex_cli_terminal_output.TerminalOutput)."""


class ExCliTerminalStdin(exports.ExCliTerminalStdin):
    def get_terminal_stdin(self) -> TerminalInput | None:
        host = host_cli_terminal_stdin.get_terminal_stdin()
        return None if host is None else TerminalInput(host)


class ExCliTerminalStdout(exports.ExCliTerminalStdout):
    def get_terminal_stdout(self) -> TerminalOutput | None:
        host = host_cli_terminal_stdout.get_terminal_stdout()
        return None if host is None else TerminalOutput(host)


class ExCliTerminalStderr(exports.ExCliTerminalStderr):
    def get_terminal_stderr(self) -> TerminalOutput | None:
        host = host_cli_terminal_stderr.get_terminal_stderr()
        return None if host is None else TerminalOutput(host)


class ExClocksMonotonicClock(exports.ExClocksMonotonicClock):
    def now(self) -> int:
        return host_clocks_monotonic_clock.now()

    def resolution(self) -> int:
        return host_clocks_monotonic_clock.resolution()

    def subscribe_instant(self, when: int) -> Pollable:
        return Pollable(host_clocks_monotonic_clock.subscribe_instant(when))

    def subscribe_duration(self, when: int) -> Pollable:
        return Pollable(host_clocks_monotonic_clock.subscribe_duration(when))


class ExClocksWallClock(exports.ExClocksWallClock):
    def now(self) -> Datetime:
        t = host_clocks_wall_clock.now()
        return Datetime(t.seconds, t.nanoseconds)

    def resolution(self) -> Datetime:
        t = host_clocks_wall_clock.resolution()
        return Datetime(t.seconds, t.nanoseconds)
