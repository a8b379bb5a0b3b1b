"""Binding helpers: converting core values and errors to componentize-py's generated types.

Only the binding layer (`ex_*.py`, `wv_app.py`) imports this module; the core (`wv_*`
except this file and `wv_state`) never sees a generated type. Everything here is cheap
and allocation-light because it sits on every call.

Every import in the runtime is at module top level: module code runs at build time and
is snapshotted, while an `import` first executed at run time searches the filesystem,
which `--stub-wasi` turned into a trap.
"""

from __future__ import annotations

from componentize_py_types import Err
from wit_world.exports import ex_clocks_wall_clock as gen_clock
from wit_world.exports import ex_fs_types as gen_fs
from wit_world.exports import ex_io_streams as gen_streams
from wit_world.imports import host_io_streams

from ex_io_error import Error
from wv_errors import IO, FsError
from wv_fs import HASH_MIX, NOW, stat_of

ERROR_CODES = list(gen_fs.ErrorCode)          # index = core error code
DESCRIPTOR_TYPES = list(gen_fs.DescriptorType)  # index = core descriptor type
DescriptorFlags = gen_fs.DescriptorFlags
Datetime = gen_clock.Datetime
DescriptorStat = gen_fs.DescriptorStat
DirectoryEntry = gen_fs.DirectoryEntry
MetadataHashValue = gen_fs.MetadataHashValue
StreamClosed = gen_streams.StreamError_Closed
StreamFailed = gen_streams.StreamError_LastOperationFailed

_datetimes: dict = {}


def datetime(stamp: tuple) -> Datetime:
    """A wall-clock datetime for (seconds, nanoseconds), shared between calls."""
    value = _datetimes.get(stamp)
    if value is None:
        if len(_datetimes) > 4096:
            _datetimes.clear()
        value = _datetimes[stamp] = Datetime(stamp[0], stamp[1])
    return value


def descriptor_stat(stat: tuple) -> DescriptorStat:
    """A core (type, links, size, (atime, mtime, ctime)) as `descriptor-stat`."""
    dtype, links, size, (atime, mtime, ctime) = stat
    return DescriptorStat(DESCRIPTOR_TYPES[dtype], links, size, datetime(atime), datetime(mtime),
                          datetime(ctime))


def stat_record(tree, node) -> DescriptorStat:
    """The node's `descriptor-stat`, converted once and kept until the node changes."""
    record = node.memo
    if record is None:
        record = node.memo = descriptor_stat(stat_of(tree, node))
    return record


_hashes: dict = {}


def metadata_hash(ino: int) -> MetadataHashValue:
    """The `metadata-hash-value` of an inode (they never change), shared between calls."""
    value = _hashes.get(ino)
    if value is None:
        if len(_hashes) > 65536:
            _hashes.clear()
        value = _hashes[ino] = MetadataHashValue(ino, ino ^ HASH_MIX)
    return value


def fs_err(exc: BaseException) -> Err:
    """The `err(error-code)` for an exception from the core (`io` for anything unexpected)."""
    return Err(ERROR_CODES[exc.code if isinstance(exc, FsError) else IO])


def fs_call(method):
    """Wrap an exported method returning `result<_, error-code>`: no exception escapes."""
    def call(*args):
        try:
            return method(*args)
        except Exception as exc:  # noqa: BLE001 - every failure must become an error code
            raise fs_err(exc) from None
    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


def new_timestamp(value) -> object:
    """`new-timestamp` as the core's None / NOW / (seconds, nanoseconds)."""
    if isinstance(value, gen_fs.NewTimestamp_Timestamp):
        return (value.value.seconds, value.value.nanoseconds)
    if isinstance(value, gen_fs.NewTimestamp_Now):
        return NOW
    return None


def stream_failed(exc: BaseException) -> Err:
    """`err(last-operation-failed(error))` for a core failure inside a stream call."""
    return Err(StreamFailed(Error(exc.code if isinstance(exc, FsError) else IO)))


def stream_closed() -> Err:
    return Err(StreamClosed())


def host_stream_err(err: Err) -> Err:
    """A host stream's `err(stream-error)` re-expressed with our exported types."""
    if isinstance(err.value, host_io_streams.StreamError_LastOperationFailed):
        return Err(StreamFailed(Error(IO, err.value.value)))
    return Err(StreamClosed())
