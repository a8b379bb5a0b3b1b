"""`wasi:io/streams`: file streams over the virtual tree, and wrapped host streams (stdio).

componentize-py finds the resource classes `InputStream` / `OutputStream` here by name;
each has two concrete kinds. File streams are always ready (their pollables are virtual)
and end with `closed`, the WASI way. Host streams forward every call, translating the
host's stream errors into ours.
"""

from __future__ import annotations

from componentize_py_types import Err

from ex_io_poll import Pollable
from wv_wit import host_stream_err, stream_closed, stream_failed

# What check-write grants a file stream (wasmtime grants 1 MiB too).
FILE_WRITE_BUDGET = 1 << 20
# blocking-write-and-flush and blocking-splice move at most this much per call (WASI).
BLOCKING_CHUNK = 4096


class InputStream:
    """An `input-stream`; see FileInput and HostInput."""

    def read(self, length: int) -> bytes:
        raise stream_closed()

    def blocking_read(self, length: int) -> bytes:
        raise stream_closed()

    def skip(self, length: int) -> int:
        raise stream_closed()

    def blocking_skip(self, length: int) -> int:
        raise stream_closed()

    def subscribe(self) -> Pollable:
        return Pollable()


class FileInput(InputStream):
    """Reads a file from an offset (`read-via-stream`); `reader` is a core FileReader."""

    def __init__(self, reader) -> None:
        self.reader = reader

    def read(self, length: int) -> bytes:
        try:
            data = self.reader.read(length)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a stream error
            raise stream_failed(exc) from None
        if data is None:
            raise stream_closed()
        return data

    blocking_read = read  # never blocks: the data is in memory or in the image

    def skip(self, length: int) -> int:
        try:
            n = self.reader.skip(length)
        except Exception as exc:  # noqa: BLE001
            raise stream_failed(exc) from None
        if n is None:
            raise stream_closed()
        return n

    blocking_skip = skip


class HostInput(InputStream):
    """A host input stream (stdin), forwarded."""

    def __init__(self, host) -> None:
        self.host = host

    def read(self, length: int) -> bytes:
        try:
            return self.host.read(length)
        except Err as err:
            raise host_stream_err(err) from None

    def blocking_read(self, length: int) -> bytes:
        try:
            return self.host.blocking_read(length)
        except Err as err:
            raise host_stream_err(err) from None

    def skip(self, length: int) -> int:
        try:
            return self.host.skip(length)
        except Err as err:
            raise host_stream_err(err) from None

    def blocking_skip(self, length: int) -> int:
        try:
            return self.host.blocking_skip(length)
        except Err as err:
            raise host_stream_err(err) from None

    def subscribe(self) -> Pollable:
        return Pollable(self.host.subscribe())


class OutputStream:
    """An `output-stream`; see FileOutput and HostOutput. Splicing from any input stream
    works (host to host is forwarded, anything else is read here and written)."""

    def check_write(self) -> int:
        raise stream_closed()

    def write(self, contents: bytes) -> None:
        raise stream_closed()

    def blocking_write_and_flush(self, contents: bytes) -> None:
        raise stream_closed()

    def flush(self) -> None:
        raise stream_closed()

    def blocking_flush(self) -> None:
        raise stream_closed()

    def subscribe(self) -> Pollable:
        return Pollable()

    def write_zeroes(self, length: int) -> None:
        self.write(bytes(min(length, FILE_WRITE_BUDGET)))

    def blocking_write_zeroes_and_flush(self, length: int) -> None:
        self.blocking_write_and_flush(bytes(min(length, BLOCKING_CHUNK)))

    def splice(self, src: InputStream, length: int) -> int:
        try:
            data = src.read(min(length, self.check_write()))
            if data:
                self.write(data)
            return len(data)
        except Err:
            raise
        except Exception as exc:  # noqa: BLE001
            raise stream_failed(exc) from None

    def blocking_splice(self, src: InputStream, length: int) -> int:
        try:
            data = src.blocking_read(min(length, BLOCKING_CHUNK))
            if data:
                self.blocking_write_and_flush(data)
            return len(data)
        except Err:
            raise
        except Exception as exc:  # noqa: BLE001
            raise stream_failed(exc) from None


class FileOutput(OutputStream):
    """Writes a file at an offset or at its end (`write-via-stream`, `append-via-stream`)."""

    def __init__(self, writer) -> None:
        self.writer = writer

    def check_write(self) -> int:
        return FILE_WRITE_BUDGET

    def write(self, contents: bytes) -> None:
        try:
            self.writer.write(contents)
        except Exception as exc:  # noqa: BLE001
            raise stream_failed(exc) from None

    blocking_write_and_flush = write

    def flush(self) -> None:
        """Nothing is buffered."""

    blocking_flush = flush

    def write_zeroes(self, length: int) -> None:
        try:
            self.writer.write_zeroes(length)
        except Exception as exc:  # noqa: BLE001
            raise stream_failed(exc) from None

    blocking_write_zeroes_and_flush = write_zeroes


class HostOutput(OutputStream):
    """A host output stream (stdout, stderr), forwarded."""

    def __init__(self, host) -> None:
        self.host = host

    def check_write(self) -> int:
        try:
            return self.host.check_write()
        except Err as err:
            raise host_stream_err(err) from None

    def write(self, contents: bytes) -> None:
        try:
            self.host.write(contents)
        except Err as err:
            raise host_stream_err(err) from None

    def blocking_write_and_flush(self, contents: bytes) -> None:
        try:
            self.host.blocking_write_and_flush(contents)
        except Err as err:
            raise host_stream_err(err) from None

    def flush(self) -> None:
        try:
            self.host.flush()
        except Err as err:
            raise host_stream_err(err) from None

    def blocking_flush(self) -> None:
        try:
            self.host.blocking_flush()
        except Err as err:
            raise host_stream_err(err) from None

    def subscribe(self) -> Pollable:
        return Pollable(self.host.subscribe())

    def write_zeroes(self, length: int) -> None:
        try:
            self.host.write_zeroes(length)
        except Err as err:
            raise host_stream_err(err) from None

    def blocking_write_zeroes_and_flush(self, length: int) -> None:
        try:
            self.host.blocking_write_zeroes_and_flush(length)
        except Err as err:
            raise host_stream_err(err) from None

    def splice(self, src: InputStream, length: int) -> int:
        if isinstance(src, HostInput):
            try:
                return self.host.splice(src.host, length)
            except Err as err:
                raise host_stream_err(err) from None
        return OutputStream.splice(self, src, length)

    def blocking_splice(self, src: InputStream, length: int) -> int:
        if isinstance(src, HostInput):
            try:
                return self.host.blocking_splice(src.host, length)
            except Err as err:
                raise host_stream_err(err) from None
        return OutputStream.blocking_splice(self, src, length)
