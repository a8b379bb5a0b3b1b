"""WASI filesystem error codes as plain ints, and the core's one exception type.

The values are the positions of the cases of `wasi:filesystem/types.error-code`, so the
binding layer turns a code into the generated enum by indexing. Binding-free: the core
is unit-tested on the host CPython.
"""

ACCESS = 0
WOULD_BLOCK = 1
ALREADY = 2
BAD_DESCRIPTOR = 3
BUSY = 4
DEADLOCK = 5
QUOTA = 6
EXIST = 7
FILE_TOO_LARGE = 8
ILLEGAL_BYTE_SEQUENCE = 9
IN_PROGRESS = 10
INTERRUPTED = 11
INVALID = 12
IO = 13
IS_DIRECTORY = 14
LOOP = 15
TOO_MANY_LINKS = 16
MESSAGE_SIZE = 17
NAME_TOO_LONG = 18
NO_DEVICE = 19
NO_ENTRY = 20
NO_LOCK = 21
INSUFFICIENT_MEMORY = 22
INSUFFICIENT_SPACE = 23
NOT_DIRECTORY = 24
NOT_EMPTY = 25
NOT_RECOVERABLE = 26
UNSUPPORTED = 27
NO_TTY = 28
NO_SUCH_DEVICE = 29
OVERFLOW = 30
NOT_PERMITTED = 31
PIPE = 32
READ_ONLY = 33
INVALID_SEEK = 34
TEXT_FILE_BUSY = 35
CROSS_DEVICE = 36

NAMES = (
    "access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota",
    "exist", "file-too-large", "illegal-byte-sequence", "in-progress", "interrupted",
    "invalid", "io", "is-directory", "loop", "too-many-links", "message-size",
    "name-too-long", "no-device", "no-entry", "no-lock", "insufficient-memory",
    "insufficient-space", "not-directory", "not-empty", "not-recoverable", "unsupported",
    "no-tty", "no-such-device", "overflow", "not-permitted", "pipe", "read-only",
    "invalid-seek", "text-file-busy", "cross-device",
)


class FsError(Exception):
    """A failure with a WASI error code; the binding layer returns it as `err(code)`."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return NAMES[self.code] if 0 <= self.code < len(NAMES) else f"error-code {self.code}"
