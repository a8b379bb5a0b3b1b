"""Hostile callers: the virtualizer answers every call with a value or an error code.

A randomized sequence of calls drives the component directly (wasmtime-py): paths with
NUL, thousands of components or names over any limit; lengths and offsets up to 2**64-1;
descriptors of the wrong kind; writes until memory runs out. The store caps the
instance's linear memory at the image plus 1 MiB, so allocation failures happen inside
the run: they must come back as `insufficient-memory` (or `file-too-large`), never as a
trap, and the instance must keep answering afterwards. Stale handles never reach the
virtualizer: wasmtime refuses them at the component boundary.
"""

from __future__ import annotations

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.vfsimages import SAMPLE, make_image
from support.virtcore import NAMES
from support.virtharness import FS, STREAMS, Failed, Virt

FOLLOW = {"symlink-follow"}
HEADROOM = 1 << 20  # bytes of memory the instance may grow by, beyond its image
U64 = 2**64 - 1

PATHS = st.one_of(
    st.sampled_from(["f.txt", "d", "d/g.txt", "big.bin", "new", "d/new", "ld/deep/x", "lloop", "labs",
                     "a\0b", "\0", "x" * 256, "x" * 70_000, "a/" * 5000, "../" * 3000, "d/" * 3000 + "x",
                     "./" * 4000 + "f.txt", "ld/" * 40 + "g.txt", "/" * 10_000, "d/../" * 2000 + "f.txt"]),
    st.text(alphabet="ad./\0é", max_size=12),
)
SIZES = st.sampled_from([0, 1, 7, 4096, 1 << 20, 1 << 31, 1 << 32, 2**63, U64])
OPEN_FLAGS = st.sets(st.sampled_from(["create", "directory", "exclusive", "truncate"]))
FLAGS = st.sets(st.sampled_from(["read", "write", "mutate-directory"]))
CALLS = st.lists(st.one_of(
    st.tuples(st.just("open"), PATHS, OPEN_FLAGS, FLAGS),
    st.tuples(st.just("read"), SIZES, SIZES),
    st.tuples(st.just("write"), st.binary(max_size=64), SIZES),
    st.tuples(st.just("grow"), st.integers(1, 64)),  # appends of 64 KiB: runs into the memory cap
    st.tuples(st.just("set-size"), SIZES),
    st.tuples(st.just("stream-read"), SIZES, SIZES),
    st.tuples(st.just("zeroes"), SIZES),
    st.tuples(st.just("stat"), PATHS),
    st.tuples(st.just("mkdir"), PATHS),
    st.tuples(st.just("readdir"),),
    st.tuples(st.just("readlink"), PATHS),
    st.tuples(st.just("rename"), PATHS, PATHS),
    st.tuples(st.just("drop"),),
), min_size=1, max_size=25)


IMAGE = make_image(SAMPLE)


@pytest.fixture(scope="module")
def image() -> bytes:
    return IMAGE


def is_error_code(result: object) -> bool:
    return isinstance(result, Failed) and str(result) in NAMES


def check(result: object) -> object:
    """A value, or an error code: anything else (a trap raises) fails the test."""
    if isinstance(result, Failed):
        assert str(result) in NAMES, result
    return result


class Driver:
    """Applies one call of the sequence to a fresh instance under a memory cap."""

    def __init__(self, image: bytes) -> None:
        self.v = Virt(image, memory_limit=len(image) + HEADROOM + (1 << 20))
        self.root = self.v.root()
        self.fds = [self.root]

    def fd(self):
        return self.fds[-1]

    def apply(self, call: tuple) -> None:
        v, name = self.v, call[0]
        if name == "open":
            got = check(v.desc("open-at", self.root, FOLLOW, call[1], call[2], call[3]))
            if not isinstance(got, Failed):
                self.fds.append(got)
        elif name == "read":
            check(v.desc("read", self.fd(), call[1], call[2]))
        elif name == "write":
            check(v.desc("write", self.fd(), call[1], call[2]))
        elif name == "grow":
            for _ in range(call[1]):
                if is_error_code(check(v.desc("write", self.fd(), b"\xab" * 65536, 1 << 30))):
                    break
        elif name == "set-size":
            check(v.desc("set-size", self.fd(), call[1]))
        elif name == "stream-read":
            stream = check(v.desc("read-via-stream", self.fd(), call[1]))
            if not isinstance(stream, Failed):
                result = v.call(STREAMS, "[method]input-stream.read", stream, min(call[2], 1 << 16))
                assert result is None or isinstance(result, (bytes, wasmtime.component.Variant))
                stream.drop(v.store)
        elif name == "zeroes":
            out = check(v.desc("write-via-stream", self.fd(), 0))
            if not isinstance(out, Failed):
                v.call(STREAMS, "[method]output-stream.write-zeroes", out, call[1])
                out.drop(v.store)
        elif name == "stat":
            check(v.desc("stat-at", self.root, FOLLOW, call[1]))
        elif name == "mkdir":
            check(v.desc("create-directory-at", self.root, call[1]))
        elif name == "readdir":
            stream = check(v.desc("read-directory", self.fd()))
            if not isinstance(stream, Failed):
                for _ in range(50):
                    entry = check(v.result(FS, "[method]directory-entry-stream.read-directory-entry", stream))
                    if entry is None or isinstance(entry, Failed):
                        break
                stream.drop(v.store)
        elif name == "readlink":
            check(v.desc("readlink-at", self.root, call[1]))
        elif name == "rename":
            check(v.desc("rename-at", self.root, call[1], self.root, call[2]))
        elif name == "drop" and len(self.fds) > 1:
            self.fds.pop().drop(v.store)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=CALLS)
def test_every_answer_is_a_value_or_an_error_code(calls):
    driver = Driver(IMAGE)
    for call in calls:
        driver.apply(call)
    assert driver.v.desc("stat-at", driver.root, FOLLOW, ".").type == "directory"  # still answering
    fresh = Virt(IMAGE)  # and the image itself is untouched
    fd = fresh.desc("open-at", fresh.root(), FOLLOW, "big.bin", set(), {"read"})
    assert fresh.desc("read", fd, 4, 1000) == (SAMPLE["big.bin"][1000:1004], False)


def test_running_out_of_memory_is_an_error_code_and_recoverable(image):
    driver = Driver(image)
    v, root = driver.v, driver.root
    fd = v.desc("open-at", root, FOLLOW, "grow.bin", {"create"}, {"read", "write"})
    answers = [v.desc("write", fd, b"x" * 65536, n * 65536) for n in range(64)]
    assert any(is_error_code(a) for a in answers), "the memory cap was never reached"
    assert {str(a) for a in answers if is_error_code(a)} == {"insufficient-memory"}
    assert v.desc("set-size", fd, 0) is None  # memory comes back
    assert v.desc("write", fd, b"again", 0) == 5
    assert v.desc("set-size", fd, 1 << 40) == Failed("file-too-large")
    assert v.desc("read", fd, U64, U64) == (b"", True)


def test_memory_stays_flat_over_many_cycles(image):
    """Open, write, read, close and unlink 2000 times under the cap: a leak would hit it."""
    driver = Driver(image)
    v, root = driver.v, driver.root
    for i in range(2000):
        name = f"tmp-{i % 7}"
        fd = v.desc("open-at", root, FOLLOW, name, {"create", "truncate"}, {"read", "write"})
        assert v.desc("write", fd, b"y" * 2000, 0) == 2000, i
        stream = v.desc("read-via-stream", fd, 0)
        assert v.call(STREAMS, "[method]input-stream.read", stream, 100) == b"y" * 100
        stream.drop(v.store)
        fd.drop(v.store)
        assert v.desc("unlink-file-at", root, name) is None


def test_paths_with_thousands_of_components(image):
    v = Virt(image)
    root = v.root()
    assert v.desc("stat-at", root, FOLLOW, "d/../" * 5000 + "f.txt").size == 12
    assert v.desc("stat-at", root, FOLLOW, "./" * 20_000 + "f.txt").size == 12
    assert v.desc("stat-at", root, FOLLOW, "d/" * 5000 + "x") == Failed("no-entry")
    assert v.desc("stat-at", root, FOLLOW, "f.txt/" * 3000 + "x") == Failed("not-directory")
    assert v.desc("stat-at", root, FOLLOW, "../" * 5000) == Failed("not-permitted")


def test_stale_handles_are_refused_by_the_runtime_before_the_virtualizer(image):
    v = Virt(image)
    root = v.root()
    fd = v.desc("open-at", root, FOLLOW, "f.txt", set(), {"read"})
    fd.drop(v.store)
    with pytest.raises(wasmtime.WasmtimeError, match="unknown handle"):
        v.desc("read", fd, 5, 0)
