"""`wasi:filesystem/types` resources: thin wrappers converting between the core
(`wv_fs.Descriptor`, ints, tuples) and componentize-py's generated types.

Every method turns any exception into an error code (an uncaught exception would trap
the whole composed program). The hot ones (stat, stat-at, open-at, read, the stream
constructors, metadata hashes) are written out inline to keep calls short.
"""

from __future__ import annotations

from ex_io_streams import FileInput, FileOutput
from wv_wit import (DESCRIPTOR_TYPES, ERROR_CODES, DescriptorFlags, DirectoryEntry, MetadataHashValue,
                    fs_call, fs_err, metadata_hash, new_timestamp, stat_record)


class Descriptor:
    """A `descriptor`; `core` is a `wv_fs.Descriptor`."""

    def __init__(self, core) -> None:
        self.core = core

    # -- data --------------------------------------------------------------------------
    def read_via_stream(self, offset: int) -> FileInput:
        try:
            return FileInput(self.core.read_via_stream(offset))
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    def write_via_stream(self, offset: int) -> FileOutput:
        try:
            return FileOutput(self.core.write_via_stream(offset))
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    def append_via_stream(self) -> FileOutput:
        try:
            return FileOutput(self.core.append_via_stream())
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    def read(self, length: int, offset: int) -> tuple:
        try:
            return self.core.read(length, offset)
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    @fs_call
    def write(self, buffer: bytes, offset: int) -> int:
        return self.core.write(buffer, offset)

    @fs_call
    def set_size(self, size: int) -> None:
        self.core.set_size(size)

    @fs_call
    def advise(self, offset: int, length: int, advice) -> None:
        self.core.advise(offset, length, advice.value)

    @fs_call
    def sync_data(self) -> None:
        self.core.sync_data()

    @fs_call
    def sync(self) -> None:
        self.core.sync()

    # -- metadata ----------------------------------------------------------------------
    @fs_call
    def get_flags(self) -> DescriptorFlags:
        return DescriptorFlags(self.core.get_flags())

    def get_type(self):
        try:
            return DESCRIPTOR_TYPES[self.core.get_type()]
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    def stat(self):
        try:
            core = self.core
            return stat_record(core.tree, core.node)
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    def stat_at(self, path_flags, path: str):
        try:
            core = self.core
            return stat_record(core.tree, core.lookup(path_flags.value, path))
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    @fs_call
    def set_times(self, data_access_timestamp, data_modification_timestamp) -> None:
        self.core.set_times(new_timestamp(data_access_timestamp),
                            new_timestamp(data_modification_timestamp))

    @fs_call
    def set_times_at(self, path_flags, path: str, data_access_timestamp,
                     data_modification_timestamp) -> None:
        self.core.set_times_at(path_flags.value, path, new_timestamp(data_access_timestamp),
                               new_timestamp(data_modification_timestamp))

    def is_same_object(self, other: Descriptor) -> bool:
        try:
            return self.core.is_same_object(other.core)
        except Exception:  # noqa: BLE001 - no error channel: "not the same"
            return False

    def metadata_hash(self) -> MetadataHashValue:
        try:
            return metadata_hash(self.core.node.ino)
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    def metadata_hash_at(self, path_flags, path: str) -> MetadataHashValue:
        try:
            return metadata_hash(self.core.entry_ino(path_flags.value, path))
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    # -- directories -------------------------------------------------------------------
    @fs_call
    def read_directory(self) -> DirectoryEntryStream:
        return DirectoryEntryStream(self.core.read_directory())

    def open_at(self, path_flags, path: str, open_flags, flags) -> Descriptor:
        try:
            return Descriptor(self.core.open_at(path_flags.value, path, open_flags.value, flags.value))
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None

    @fs_call
    def create_directory_at(self, path: str) -> None:
        self.core.create_directory_at(path)

    @fs_call
    def readlink_at(self, path: str) -> str:
        return self.core.readlink_at(path)

    @fs_call
    def remove_directory_at(self, path: str) -> None:
        self.core.remove_directory_at(path)

    @fs_call
    def unlink_file_at(self, path: str) -> None:
        self.core.unlink_file_at(path)

    @fs_call
    def rename_at(self, old_path: str, new_descriptor: Descriptor, new_path: str) -> None:
        self.core.rename_at(old_path, new_descriptor.core, new_path)

    @fs_call
    def symlink_at(self, old_path: str, new_path: str) -> None:
        self.core.symlink_at(old_path, new_path)

    @fs_call
    def link_at(self, old_path_flags, old_path: str, new_descriptor: Descriptor, new_path: str) -> None:
        self.core.link_at(old_path_flags.value, old_path, new_descriptor.core, new_path)


class DirectoryEntryStream:
    """A `directory-entry-stream` over a snapshot of the listing."""

    def __init__(self, core) -> None:
        self.core = core

    def read_directory_entry(self):
        try:
            item = self.core.next()
            if item is None:
                return None
            name, dtype = item
            return DirectoryEntry(DESCRIPTOR_TYPES[dtype], name)
        except Exception as exc:  # noqa: BLE001
            raise fs_err(exc) from None


def filesystem_error_code(err) -> object:
    """The error code behind a stream error of ours; None for host errors."""
    if getattr(err, "host", None) is None and isinstance(getattr(err, "code", None), int):
        return ERROR_CODES[err.code]
    return None
