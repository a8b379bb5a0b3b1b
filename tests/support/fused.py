"""The fused virtualizer's core modules, wired the way fused linking wires them, in wasmtime-py.

Six core instances, in the order a fused component instantiates them:

1. `program`: defines the caller's memory (a wasip1 program does).
2. the image memory module (`splice.image_memory_module`): the virtualizer's memory.
3. the bridge (`bridge.bridge_module`): imports both memories, defines the realloc table.
4. the fused core module (`build.fused_core_module`): imports its memory as `env.memory`, the
   bridge as `wasivirt:bridge`, `wasivirt-host:*` (fakes for stdout, traps otherwise).
5. `caller`: a fake preview1 adapter in WAT: imports the program's memory and the lowered
   functions under the adapter's names (`IFACE` / `NAME`, with core types written out here
   by hand, not computed), re-exports them, and exports a `cabi_import_realloc` that logs
   every call and either returns a buffer set beforehand (once, as the adapter's
   `with_one_import_alloc` does) or bump-allocates.
6. `fixup`: puts the caller's realloc into the bridge's table slot 0.

WAT is parsed by `wasm-tools parse` (cached under tests/.cache).
"""

from __future__ import annotations

import contextlib
import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import pytest
import wasmtime
from wasmtime import TrapCode

from support.cbuild import CACHE
from wasivirt_component import toolchain
from wasivirt_component.virt import build
from wasivirt_component.virt.bridge import bridge_module
from wasivirt_component.virt.glue.lowered import LIVE_HANDLES, export_name, forward_import_name
from wasivirt_component.virt.names import BRIDGE_MODULE, BRIDGE_REALLOC_TABLE, FUSED_MEMORY_IMPORT
from wasivirt_component.virt.splice import image_memory_module

FS = "wasi:filesystem/types@0.2.12"
PREOPENS = "wasi:filesystem/preopens@0.2.12"
STREAMS = "wasi:io/streams@0.2.12"
POLL = "wasi:io/poll@0.2.12"
ERROR = "wasi:io/error@0.2.12"
STDOUT = "wasi:cli/stdout@0.2.12"
STDIN = "wasi:cli/stdin@0.2.12"
HOST = "wasivirt-host:{}@0.2.12"

# The lowered imports the fake caller declares: (interface, name) -> (params, results), as
# wit-bindgen lowers them (the preview1 adapter's own import types for these functions).
SIGNATURES: dict[tuple[str, str], tuple[str, str]] = {
    (PREOPENS, "get-directories"): ("i32", ""),
    (FS, "[method]descriptor.open-at"): ("i32 i32 i32 i32 i32 i32 i32", ""),
    (FS, "[method]descriptor.read-via-stream"): ("i32 i64 i32", ""),
    (FS, "[method]descriptor.stat"): ("i32 i32", ""),
    (FS, "[method]descriptor.stat-at"): ("i32 i32 i32 i32 i32", ""),
    (FS, "[method]descriptor.read"): ("i32 i64 i64 i32", ""),
    (FS, "[method]descriptor.write"): ("i32 i32 i32 i64 i32", ""),
    (FS, "[method]descriptor.write-via-stream"): ("i32 i64 i32", ""),
    (FS, "[method]descriptor.read-directory"): ("i32 i32", ""),
    (FS, "[method]directory-entry-stream.read-directory-entry"): ("i32 i32", ""),
    (FS, "[method]descriptor.readlink-at"): ("i32 i32 i32 i32", ""),
    (FS, "[method]descriptor.is-same-object"): ("i32 i32", "i32"),
    (FS, "[method]descriptor.get-type"): ("i32 i32", ""),
    (FS, "filesystem-error-code"): ("i32 i32", ""),
    (FS, "[resource-drop]descriptor"): ("i32", ""),
    (FS, "[resource-drop]directory-entry-stream"): ("i32", ""),
    (STREAMS, "[method]input-stream.blocking-read"): ("i32 i64 i32", ""),
    (STREAMS, "[method]input-stream.read"): ("i32 i64 i32", ""),
    (STREAMS, "[method]output-stream.blocking-write-and-flush"): ("i32 i32 i32 i32", ""),
    (STREAMS, "[method]input-stream.subscribe"): ("i32", "i32"),
    (STREAMS, "[resource-drop]input-stream"): ("i32", ""),
    (POLL, "poll"): ("i32 i32 i32", ""),
    (POLL, "[resource-drop]pollable"): ("i32", ""),
    (STREAMS, "[resource-drop]output-stream"): ("i32", ""),
    (ERROR, "[resource-drop]error"): ("i32", ""),
    (ERROR, "[method]error.to-debug-string"): ("i32 i32", ""),
    (STDOUT, "get-stdout"): ("", "i32"),
    (STDIN, "get-stdin"): ("", "i32"),
}

PROGRAM_PAGES = 160          # 10 MiB: room for the largest read (4 MiB) twice
LOG = 0x1000                 # the realloc log: 16 bytes a call (old, old size, align, size)
SCRATCH = 0x8000             # test data and return areas: [SCRATCH, HEAP)
HEAP = 0x100000              # the caller's bump allocator starts here


def _params(text: str) -> str:
    return f"(param {text})" if text else ""


def _results(text: str) -> str:
    return f"(result {text})" if text else ""


def caller_wat() -> str:
    imports, exports = [], []
    for k, ((iface, name), (params, results)) in enumerate(SIGNATURES.items()):
        imports.append(f'  (import "{iface}" "{name}" (func $f{k} {_params(params)} {_results(results)}))')
        exports.append(f'  (export "{iface}#{name}" (func $f{k}))')
    get_dirs = list(SIGNATURES).index((PREOPENS, "get-directories"))
    return f"""(module
  (import "env" "memory" (memory 0))
{chr(10).join(imports)}
{chr(10).join(exports)}
  (global $calls (export "realloc-calls") (mut i32) (i32.const 0))
  (global $next (export "heap-next") (mut i32) (i32.const {HEAP}))
  (global $forced (export "forced") (mut i32) (i32.const 0))
  (global $reenter (export "reenter") (mut i32) (i32.const 0))
  (func (export "cabi_import_realloc") (param $old i32) (param $old_size i32) (param $align i32)
        (param $size i32) (result i32) (local $p i32)
    global.get $reenter
    if
      i32.const {SCRATCH}
      call $f{get_dirs}
    end
    global.get $calls
    i32.const 16
    i32.mul
    i32.const {LOG}
    i32.add
    local.tee $p
    local.get $old
    i32.store
    local.get $p
    local.get $old_size
    i32.store offset=4
    local.get $p
    local.get $align
    i32.store offset=8
    local.get $p
    local.get $size
    i32.store offset=12
    global.get $calls
    i32.const 1
    i32.add
    global.set $calls
    global.get $forced
    if (result i32)
      global.get $forced
      i32.const 0
      global.set $forced
    else
      global.get $next
      local.get $align
      i32.add
      i32.const 1
      i32.sub
      i32.const 0
      local.get $align
      i32.sub
      i32.and
      local.tee $p
      local.get $size
      i32.add
      global.set $next
      local.get $p
    end)
)
"""


PROGRAM_WAT = f'(module (memory (export "memory") {PROGRAM_PAGES}))'
FIXUP_WAT = """(module
  (import "bridge" "realloc-table" (table 1 1 funcref))
  (import "caller" "cabi_import_realloc" (func $r (param i32 i32 i32 i32) (result i32)))
  (elem (i32.const 0) func $r))"""


def wat2wasm(text: str) -> bytes:
    """`wasm-tools parse` of `text`, cached by content."""
    out = CACHE / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}-fused.wasm"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        src = out.with_suffix(".wat")
        src.write_text(text)
        tmp = out.with_suffix(".tmp")
        toolchain.run_tool([toolchain.wasm_tools(), "parse", str(src), "-o", str(tmp)], what="parsing WAT")
        tmp.replace(out)
    return out.read_bytes()


@contextlib.contextmanager
def traps(code: TrapCode = TrapCode.UNREACHABLE) -> Iterator[None]:
    """The block traps with `code` (`unreachable`: one of the virtualizer's own checks)."""
    with pytest.raises(wasmtime.Trap) as info:
        yield
    assert info.value.trap_code == code, str(info.value)


@lru_cache(maxsize=1)
def engine() -> wasmtime.Engine:
    config = wasmtime.Config()
    config.wasm_multi_memory = True
    return wasmtime.Engine(config)


@lru_cache(maxsize=4)
def module(data: bytes) -> wasmtime.Module:
    return wasmtime.Module(engine(), data)


@lru_cache(maxsize=1)
def fused_core() -> bytes:
    return build.fused_core_module()


def instantiate_virtualizer(store: wasmtime.Store, core: bytes, image: bytes | None, caller_memory: wasmtime.Memory,
                            define_host: Callable[[wasmtime.Linker], None] | None = None,
                            ) -> tuple[wasmtime.Instance, wasmtime.Instance, wasmtime.Memory]:
    """Steps 2-4: the image memory, the bridge, the fused core module `core` (host imports
    `define_host` does not define trap). (core instance, bridge instance, our memory)."""
    memory = wasmtime.Instance(store, wasmtime.Module(engine(), image_memory_module(core, image)), [])
    virt_memory = memory.exports(store)["memory"]
    bridge = wasmtime.Instance(store, module(bridge_module()), [virt_memory, caller_memory])
    linker = wasmtime.Linker(engine())
    linker.define(store, *FUSED_MEMORY_IMPORT, virt_memory)
    linker.define_instance(store, BRIDGE_MODULE, bridge)
    if define_host is not None:
        define_host(linker)
    code = module(core)
    linker.define_unknown_imports_as_traps(code)
    return linker.instantiate(store, code), bridge, virt_memory


@dataclass
class FakeHost:
    """What the fake host's stdout saw; which host handles were dropped."""

    written: bytes = b""
    dropped: list[int] = field(default_factory=list)
    writes: list[wasmtime.Memory] = field(default_factory=list)   # which memory each write read
    # stdin (handle 5): what its next reads answer, in order: bytes, "closed" or an error handle
    stdin: list[bytes | str | int] = field(default_factory=list)
    errors_dropped: list[int] = field(default_factory=list)


class Fused:
    """A fresh fused virtualizer serving `image` (none: an empty tree) to a fake caller."""

    def __init__(self, image: bytes | None = None, *, fixup: bool = True, core: bytes | None = None) -> None:
        self.store = wasmtime.Store(engine())
        self.host = FakeHost()
        self.program = wasmtime.Instance(self.store, module(wat2wasm(PROGRAM_WAT)), [])
        self.memory = self.program.exports(self.store)["memory"]
        self.virt, self.bridge, self.virt_memory = instantiate_virtualizer(
            self.store, core or fused_core(), image, self.memory, self._define_host)
        self.exports = self.virt.exports(self.store)
        caller_linker = wasmtime.Linker(engine())
        caller_linker.define(self.store, "env", "memory", self.memory)
        for iface, name in SIGNATURES:
            caller_linker.define(self.store, iface, name, self.exports[export_name(iface, name)])
        self.caller = caller_linker.instantiate(self.store, module(wat2wasm(caller_wat())))
        self.cx = self.caller.exports(self.store)
        if fixup:
            table = self.bridge.exports(self.store)[BRIDGE_REALLOC_TABLE]
            wasmtime.Instance(self.store, module(wat2wasm(FIXUP_WAT)), [table, self.cx["cabi_import_realloc"]])
        self._scratch = SCRATCH

    def _define_host(self, linker: wasmtime.Linker) -> None:
        host, i32 = self.host, wasmtime.ValType.i32()

        def writer(memory: Callable[[], wasmtime.Memory]) -> Callable[[int, int, int, int], None]:
            def write(this: int, ptr: int, length: int, retptr: int) -> None:
                host.written += bytes(memory().read(self.store, ptr, ptr + length))
                host.writes.append(memory())
                memory().write(self.store, b"\0" * 12, retptr)  # ok: result<_, stream-error>
            return write

        def read(this: int, length: int, retptr: int) -> None:
            """The host's blocking-read lowered with the caller's memory and realloc (as
            fusing lowers it): list bytes through the caller's realloc, once."""
            answer = host.stdin.pop(0) if host.stdin else "closed"
            if isinstance(answer, bytes):
                data = answer[:length]
                ptr = self.cx["cabi_import_realloc"](self.store, 0, 0, 1, len(data))
                self.memory.write(self.store, data, ptr)
                self.memory.write(self.store, struct.pack("<III", 0, ptr, len(data)), retptr)
            elif answer == "closed":
                self.memory.write(self.store, struct.pack("<BxxxBxxxI", 1, 1, 0), retptr)
            else:  # last-operation-failed(error): the host's own error handle
                self.memory.write(self.store, struct.pack("<BxxxBxxxI", 1, 0, answer), retptr)

        write = "[method]output-stream.blocking-write-and-flush"
        funcs = {
            ("cli/stdin", "get-stdin"): ([], [i32], lambda: 5),
            ("io/streams", forward_import_name("[method]input-stream.blocking-read")):
                ([i32, wasmtime.ValType.i64(), i32], [], read),
            ("io/streams", "[resource-drop]input-stream"): ([i32], [], host.dropped.append),
            ("io/error", "[resource-drop]error"): ([i32], [], host.errors_dropped.append),
            ("cli/stdout", "get-stdout"): ([], [i32], lambda: 7),
            ("io/streams", write): ([i32] * 4, [], writer(lambda: self.virt_memory)),
            # forwarded (glue/lowered.py): lowered with the caller's memory, as fusing does
            ("io/streams", forward_import_name(write)): ([i32] * 4, [], writer(lambda: self.memory)),
            ("io/streams", "[resource-drop]output-stream"): ([i32], [], host.dropped.append),
        }
        for (iface, name), (params, results, fn) in funcs.items():
            linker.define_func(HOST.format(iface), name, wasmtime.FuncType(params, results), fn)

    # -- calling -------------------------------------------------------------------------
    def call(self, iface: str, name: str, *args: int) -> object:
        """The lowered function, called through the fake caller's import of it."""
        return self.cx[f"{iface}#{name}"](self.store, *args)

    def put(self, data: bytes, align: int = 8) -> int:
        """`data` in the caller's scratch area; its address."""
        self._scratch = (self._scratch + align - 1) // align * align
        ptr = self._scratch
        self._scratch += max(len(data), 1)
        if self._scratch > HEAP:
            raise AssertionError("the caller's scratch area is full")
        self.memory.write(self.store, data, ptr)
        return ptr

    def area(self, size: int, align: int = 8) -> int:
        """A zeroed return area of `size` bytes in the caller's memory."""
        return self.put(b"\0" * size, align)

    def read(self, ptr: int, n: int) -> bytes:
        return bytes(self.memory.read(self.store, ptr, ptr + n))

    def u8(self, ptr: int) -> int:
        return self.read(ptr, 1)[0]

    def u32(self, ptr: int) -> int:
        return struct.unpack("<I", self.read(ptr, 4))[0]

    def u64(self, ptr: int) -> int:
        return struct.unpack("<Q", self.read(ptr, 8))[0]

    def string(self, ptr: int) -> bytes:
        """The bytes of the string (or list<u8>) whose {ptr, len} is at `ptr`."""
        return self.read(self.u32(ptr), self.u32(ptr + 4))

    # -- the caller's realloc ------------------------------------------------------------
    def realloc_log(self) -> list[tuple[int, int, int, int]]:
        """Every call of the caller's realloc so far: (old, old size, align, size)."""
        calls = self.cx["realloc-calls"].value(self.store)
        return [struct.unpack("<IIII", self.read(LOG + 16 * i, 16)) for i in range(calls)]

    def clear_log(self) -> None:
        self.cx["realloc-calls"].set_value(self.store, 0)

    def force_buffer(self, ptr: int) -> None:
        """The caller's next realloc returns `ptr` (once), as the adapter's reads do."""
        self.cx["forced"].set_value(self.store, ptr)

    def live_handles(self) -> int:
        return self.exports[LIVE_HANDLES](self.store)
