"""Running the real virtualizer component in wasmtime-py for instance-level tests.

The component is built (or taken from the user cache) once per session; each test image is
spliced into it (`virt/splice.py`, as `compose` does) and compiled through a
serialized-code cache under tests/.cache/compiled. Each `Virt` is a fresh instance; a few
`wasivirt-host:*` functions (stdio streams, clocks) are Python fakes so forwarding can be
observed; every other host import traps, as the composer's stubs would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import wasmtime
from wasmtime.component import Component, Linker, ResourceHost, ResourceType, Variant

from support.cbuild import CACHE

COMPILED = CACHE / "compiled"
FS = "wasi:filesystem/types@0.2.12"
PREOPENS = "wasi:filesystem/preopens@0.2.12"
STREAMS = "wasi:io/streams@0.2.12"
POLL = "wasi:io/poll@0.2.12"
ERROR = "wasi:io/error@0.2.12"
HOST = "wasivirt-host:{}@0.2.12"

# resource type ids for the fake host resources
OUTPUT, INPUT, HOST_ERROR, POLLABLE = 1, 2, 3, 4


@lru_cache(maxsize=1)
def engine() -> wasmtime.Engine:
    from wasivirt_component.engine import make_engine
    return make_engine()


@lru_cache(maxsize=64)
def compiled_virtualizer(image: bytes = b"") -> tuple[wasmtime.Engine, Component]:
    """(engine, the virtualizer compiled with `image` in its memory; none when empty)."""
    from wasivirt_component.engine import ComponentCache
    from wasivirt_component.virt import virtualizer_component
    from wasivirt_component.virt.splice import splice_image

    data = virtualizer_component()
    if image:
        data = splice_image(data, image)
    return engine(), ComponentCache(root=COMPILED).load(engine(), data, what="virtualizer")


@dataclass
class FakeHost:
    """What the fake host streams saw and will answer."""

    written: dict[int, bytes] = field(default_factory=lambda: {7: b"", 8: b""})  # stdout, stderr
    stdin: bytes = b""
    fail_writes: str | None = None  # None, "closed" or "failed"
    dropped: list[int] = field(default_factory=list)
    wall: tuple[int, int] = (1_234_567_890, 42)
    monotonic: int = 987_654_321


class Virt:
    """A fresh virtualizer instance serving `image`."""

    def __init__(self, image: bytes, host: FakeHost | None = None, *, memory_limit: int | None = None) -> None:
        """`memory_limit` caps the instance's linear memory (bytes): memory.grow fails past it."""
        self.engine, self.component = compiled_virtualizer(image)
        self.host = host or FakeHost()
        linker = Linker(self.engine)
        with linker.root() as root:
            self._define_host(root)
        linker.define_unknown_imports_as_traps(self.component)
        self.store = wasmtime.Store(self.engine)
        if memory_limit is not None:
            self.store.set_limits(memory_size=memory_limit)
        self.instance = linker.instantiate(self.store, self.component)
        self._funcs: dict[tuple[str, str], object] = {}

    def _define_host(self, root) -> None:
        host = self.host

        def rep(store, handle) -> int:
            return handle.to_host(store).rep  # also releases the borrow

        def write(store, this, data):
            r = rep(store, this)
            if host.fail_writes == "closed":
                return Variant("err", None)
            if host.fail_writes == "failed":
                return Variant("err", ResourceHost.own(99, HOST_ERROR))
            host.written[r] = host.written.get(r, b"") + bytes(data)
            return Variant("ok")

        def read(store, this, n):
            rep(store, this)
            if not host.stdin:
                return None  # err(closed): untagged result, closed is the payload-less case
            data, host.stdin = host.stdin[:n], host.stdin[n:]
            return data

        with root.add_instance(HOST.format("io/error")) as inst:
            inst.add_resource("error", ResourceType.host(HOST_ERROR), lambda store, r: host.dropped.append(r))
            inst.add_func("[method]error.to-debug-string", lambda store, this: f"host error {rep(store, this)}")
        next_pollable = iter(range(100, 10_000))

        with root.add_instance(HOST.format("io/poll")) as inst:
            inst.add_resource("pollable", ResourceType.host(POLLABLE), lambda store, r: host.dropped.append(r))
            inst.add_func("[method]pollable.ready", lambda store, this: rep(store, this) < 0)
            # no `poll`: a wasmtime-py host function taking list<borrow<pollable>> fails in
            # wasmtime 50 ("deferred host scope has no call context"); it traps instead
        with root.add_instance(HOST.format("io/streams")) as inst:
            inst.add_resource("output-stream", ResourceType.host(OUTPUT), lambda store, r: host.dropped.append(r))
            inst.add_resource("input-stream", ResourceType.host(INPUT), lambda store, r: host.dropped.append(r))
            inst.add_func("[method]output-stream.blocking-write-and-flush", write)
            inst.add_func("[method]output-stream.write", write)
            inst.add_func("[method]output-stream.check-write", lambda store, this: rep(store, this) and 4096)
            inst.add_func("[method]input-stream.blocking-read", read)
            inst.add_func("[method]input-stream.read", read)
            inst.add_func("[method]output-stream.subscribe",
                          lambda store, this: rep(store, this) and ResourceHost.own(next(next_pollable), POLLABLE))
        for name, fn, number in (("stdout", "get-stdout", 7), ("stderr", "get-stderr", 8)):
            with root.add_instance(HOST.format(f"cli/{name}")) as inst:
                inst.add_func(fn, lambda store, number=number: ResourceHost.own(number, OUTPUT))
        with root.add_instance(HOST.format("cli/stdin")) as inst:
            inst.add_func("get-stdin", lambda store: ResourceHost.own(5, INPUT))
        with root.add_instance(HOST.format("clocks/wall-clock")) as inst:
            inst.add_func("now", lambda store: _Datetime(*host.wall))
            inst.add_func("resolution", lambda store: _Datetime(0, 1000))
        with root.add_instance(HOST.format("clocks/monotonic-clock")) as inst:
            inst.add_func("now", lambda store: host.monotonic)
            inst.add_func("resolution", lambda store: 1)

    def func(self, interface: str, name: str):
        key = (interface, name)
        fn = self._funcs.get(key)
        if fn is None:
            index = self.instance.get_export_index(self.store, interface)
            assert index is not None, interface
            export = self.instance.get_export_index(self.store, name, index)
            assert export is not None, f"{interface} has no {name}"
            fn = self._funcs[key] = self.instance.get_func(self.store, export)
        return fn

    def call(self, interface: str, name: str, *args):
        return self.func(interface, name)(self.store, *args)

    def result(self, interface: str, name: str, *args):
        """Call a function returning `result<_, error-code>`.

        Returns the ok value, or a `Failed` (the error-code name) for an error: wasmtime-py
        gives a result as a bare value unless its ok and err types look alike (then a
        Variant), and an error-code as a plain str.
        """
        result = self.call(interface, name, *args)
        if isinstance(result, Variant) and result.tag in ("ok", "err"):
            return result.payload if result.tag == "ok" else Failed(result.payload)
        if isinstance(result, str):
            return Failed(result)
        return result

    def desc(self, method: str, *args):
        """Call `[method]descriptor.<method>`; args start with the descriptor (see `result`)."""
        return self.result(FS, f"[method]descriptor.{method}", *args)

    def root(self):
        (descriptor, name), = self.call(PREOPENS, "get-directories")
        assert name == "/"
        return descriptor


class Failed(str):
    """An error-code name returned by a filesystem call."""


@dataclass
class _Datetime:
    seconds: int
    nanoseconds: int
