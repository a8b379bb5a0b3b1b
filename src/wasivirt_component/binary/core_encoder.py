"""A small encoder for core WebAssembly modules.

We generate core modules ourselves (the VFS image, trapping stubs) instead of running a
compiler, so building one must cost milliseconds. Function bodies are given as raw
instruction bytes (see the `op` helpers below); large data segments are kept as
memoryviews and only copied once, when the caller joins `encode_parts()` into the final
binary (possibly as part of a larger component).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .encode import MODULE_PREAMBLE, name, section_header, sleb, uleb, vec

# Value types.
I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
V128 = 0x7B
FUNCREF = 0x70
EXTERNREF = 0x6F

# External kinds (imports and exports).
KIND_FUNC = 0x00
KIND_TABLE = 0x01
KIND_MEMORY = 0x02
KIND_GLOBAL = 0x03

Bytes = bytes | bytearray | memoryview

# Section ids, in the order the spec requires them.
_SEC_CUSTOM, _SEC_TYPE, _SEC_IMPORT, _SEC_FUNCTION, _SEC_TABLE, _SEC_MEMORY = 0, 1, 2, 3, 4, 5
_SEC_GLOBAL, _SEC_EXPORT, _SEC_START, _SEC_ELEM, _SEC_CODE, _SEC_DATA, _SEC_DATACOUNT = 6, 7, 8, 9, 10, 11, 12
_END = b"\x0b"


def _i32_signed(value: int) -> int:
    """An i32 immediate as the signed value LEB128 wants (accepts 0..2**32-1 too)."""
    if not -(1 << 31) <= value < (1 << 32):
        raise ValueError(f"{value} does not fit in 32 bits")
    return value - (1 << 32) if value >= (1 << 31) else value


def _i64_signed(value: int) -> int:
    if not -(1 << 63) <= value < (1 << 64):
        raise ValueError(f"{value} does not fit in 64 bits")
    return value - (1 << 64) if value >= (1 << 63) else value


class op:
    """Encoders for the instructions our generated code uses (extend as needed)."""

    UNREACHABLE = b"\x00"
    NOP = b"\x01"
    RETURN = b"\x0f"
    END = _END
    ELSE = b"\x05"
    DROP = b"\x1a"
    SELECT = b"\x1b"
    I32_EQZ = b"\x45"
    I32_EQ = b"\x46"
    I32_LT_U = b"\x49"
    I32_GT_U = b"\x4b"
    I32_GE_U = b"\x4f"
    I64_LT_U = b"\x54"
    I64_GE_U = b"\x5a"
    I32_ADD = b"\x6a"
    I32_SUB = b"\x6b"
    I32_MUL = b"\x6c"
    I32_SHL = b"\x74"
    I32_WRAP_I64 = b"\xa7"
    I64_EXTEND_I32_U = b"\xad"
    BLOCKTYPE_EMPTY = b"\x40"

    @staticmethod
    def i32_const(value: int) -> bytes:
        """`i32.const`; values 2**31..2**32-1 are taken as their unsigned meaning."""
        return b"\x41" + sleb(_i32_signed(value))

    @staticmethod
    def i64_const(value: int) -> bytes:
        return b"\x42" + sleb(_i64_signed(value))

    @staticmethod
    def local_get(index: int) -> bytes:
        return b"\x20" + uleb(index)

    @staticmethod
    def local_set(index: int) -> bytes:
        return b"\x21" + uleb(index)

    @staticmethod
    def local_tee(index: int) -> bytes:
        return b"\x22" + uleb(index)

    @staticmethod
    def global_get(index: int) -> bytes:
        return b"\x23" + uleb(index)

    @staticmethod
    def global_set(index: int) -> bytes:
        return b"\x24" + uleb(index)

    @staticmethod
    def call(func_index: int) -> bytes:
        return b"\x10" + uleb(func_index)

    @staticmethod
    def call_indirect(type_index: int, table_index: int = 0) -> bytes:
        """`call_indirect`: the callee's index on the stack, its type checked (else a trap)."""
        return b"\x11" + uleb(type_index) + uleb(table_index)

    @staticmethod
    def memory_copy(dst_memory: int = 0, src_memory: int = 0) -> bytes:
        """`memory.copy` (bulk memory; two indices need multi-memory): dst, src, len on the stack."""
        return b"\xfc" + uleb(10) + uleb(dst_memory) + uleb(src_memory)

    @staticmethod
    def if_(blocktype: bytes = b"\x40") -> bytes:
        """`if` with an empty block type by default; close it with `op.END`."""
        return b"\x04" + blocktype

    @staticmethod
    def block(blocktype: bytes = b"\x40") -> bytes:
        return b"\x02" + blocktype

    @staticmethod
    def br_if(depth: int) -> bytes:
        return b"\x0d" + uleb(depth)

    @staticmethod
    def i32_load(offset: int = 0, align: int = 2) -> bytes:
        return b"\x28" + uleb(align) + uleb(offset)

    @staticmethod
    def i64_load(offset: int = 0, align: int = 3) -> bytes:
        return b"\x29" + uleb(align) + uleb(offset)

    @staticmethod
    def i32_load8_u(offset: int = 0, align: int = 0) -> bytes:
        return b"\x2d" + uleb(align) + uleb(offset)

    @staticmethod
    def i32_store(offset: int = 0, align: int = 2) -> bytes:
        return b"\x36" + uleb(align) + uleb(offset)

    @staticmethod
    def i64_store(offset: int = 0, align: int = 3) -> bytes:
        return b"\x37" + uleb(align) + uleb(offset)


@dataclass(frozen=True, slots=True)
class FuncType:
    """A core function type: value types (I32, I64, ...) in and out."""

    params: tuple[int, ...] = ()
    results: tuple[int, ...] = ()

    def encode(self) -> bytes:
        return b"\x60" + vec(bytes([t]) for t in self.params) + vec(bytes([t]) for t in self.results)


@dataclass(frozen=True, slots=True)
class Limits:
    """Memory or table limits, in pages (memories) or elements (tables)."""

    minimum: int
    maximum: int | None = None
    shared: bool = False
    memory64: bool = False

    def encode(self) -> bytes:
        flags = (0x01 if self.maximum is not None else 0) | (0x02 if self.shared else 0) | (
            0x04 if self.memory64 else 0)
        if self.shared and self.maximum is None:
            raise ValueError("a shared memory needs a maximum")
        out = bytes([flags]) + uleb(self.minimum)
        if self.maximum is not None:
            if self.maximum < self.minimum:
                raise ValueError(f"limits maximum {self.maximum} < minimum {self.minimum}")
            out += uleb(self.maximum)
        return out


@dataclass(slots=True)
class _Func:
    type_index: int
    locals: tuple[tuple[int, int], ...]
    body: bytes


@dataclass(slots=True)
class _Data:
    payload: Bytes
    memory: int
    offset_expr: bytes | None  # None: passive


@dataclass(slots=True)
class CoreModule:
    """A core module built piece by piece; each `add_*`/`import_*` returns its index."""

    _types: list[FuncType] = field(default_factory=list)
    _imports: list[bytes] = field(default_factory=list)
    _funcs: list[_Func] = field(default_factory=list)
    _tables: list[bytes] = field(default_factory=list)
    _memories: list[Limits] = field(default_factory=list)
    _globals: list[bytes] = field(default_factory=list)
    _exports: list[bytes] = field(default_factory=list)
    _export_names: set[str] = field(default_factory=set)
    _start: int | None = None
    _data: list[_Data] = field(default_factory=list)
    _elems: list[bytes] = field(default_factory=list)
    _customs: list[tuple[str, bytes]] = field(default_factory=list)
    _imported_funcs: int = 0
    _imported_tables: int = 0
    _imported_memories: int = 0
    _imported_globals: int = 0

    # -- types and imports (imports must come before definitions of the same kind) ----------
    def add_type(self, functype: FuncType) -> int:
        """The index of `functype`, added once (identical types share an index)."""
        try:
            return self._types.index(functype)
        except ValueError:
            self._types.append(functype)
            return len(self._types) - 1

    def _import(self, module: str, field_name: str, desc: bytes) -> None:
        self._imports.append(name(module) + name(field_name) + desc)

    def _no_definitions_yet(self, count: int, what: str) -> None:
        if count:
            raise ValueError(f"import {what}s before defining any (index spaces put imports first)")

    def import_func(self, module: str, field_name: str, functype: FuncType) -> int:
        self._no_definitions_yet(len(self._funcs), "function")
        self._import(module, field_name, bytes([KIND_FUNC]) + uleb(self.add_type(functype)))
        self._imported_funcs += 1
        return self._imported_funcs - 1

    def import_table(self, module: str, field_name: str, reftype: int, limits: Limits) -> int:
        self._no_definitions_yet(len(self._tables), "table")
        self._import(module, field_name, bytes([KIND_TABLE, reftype]) + limits.encode())
        self._imported_tables += 1
        return self._imported_tables - 1

    def import_memory(self, module: str, field_name: str, limits: Limits) -> int:
        self._no_definitions_yet(len(self._memories), "memory")
        self._import(module, field_name, bytes([KIND_MEMORY]) + limits.encode())
        self._imported_memories += 1
        return self._imported_memories - 1

    def import_global(self, module: str, field_name: str, valtype: int, mutable: bool = False) -> int:
        self._no_definitions_yet(len(self._globals), "global")
        self._import(module, field_name, bytes([KIND_GLOBAL, valtype, int(mutable)]))
        self._imported_globals += 1
        return self._imported_globals - 1

    # -- definitions -------------------------------------------------------------------------
    def add_func(self, functype: FuncType, body: bytes,
                 locals: Sequence[tuple[int, int]] = ()) -> int:
        """A function; `body` is its instructions without the final `end`.

        `locals` lists (count, valtype) runs declared after the parameters, so the first
        local's index is `len(functype.params)`.
        """
        self._funcs.append(_Func(self.add_type(functype), tuple(locals), bytes(body)))
        return self._imported_funcs + len(self._funcs) - 1

    def add_table(self, reftype: int, limits: Limits) -> int:
        self._tables.append(bytes([reftype]) + limits.encode())
        return self._imported_tables + len(self._tables) - 1

    def add_memory(self, limits: Limits) -> int:
        self._memories.append(limits)
        return self._imported_memories + len(self._memories) - 1

    def add_global(self, valtype: int, init: bytes, mutable: bool = False) -> int:
        """A global; `init` is a constant expression without the final `end`."""
        self._globals.append(bytes([valtype, int(mutable)]) + init + _END)
        return self._imported_globals + len(self._globals) - 1

    def export(self, export_name: str, kind: int, index: int) -> None:
        if export_name in self._export_names:
            raise ValueError(f"duplicate export name {export_name!r}")
        self._export_names.add(export_name)
        self._exports.append(name(export_name) + bytes([kind]) + uleb(index))

    def set_start(self, func_index: int) -> None:
        self._start = func_index

    def add_data(self, payload: Bytes, *, offset: int | bytes | None, memory: int = 0) -> int:
        """A data segment. `offset` is an address (active, placed at instantiation), a raw
        constant expression without `end`, or None for a passive segment. The payload is
        not copied until the module is encoded."""
        if offset is None:
            expr = None
        elif isinstance(offset, int):
            mem64 = self._memory_is_64(memory)
            expr = op.i64_const(offset) if mem64 else op.i32_const(offset)
        else:
            expr = bytes(offset)
        self._data.append(_Data(payload, memory, expr))
        return len(self._data) - 1

    def add_elem(self, table: int, offset: int, funcs: Sequence[int]) -> int:
        """An active element segment: `funcs` into funcref table `table` from `offset`."""
        offset_expr = op.i32_const(offset) + _END
        indices = vec(uleb(f) for f in funcs)
        if table == 0:  # flags 0: table 0, funcref, function indices
            self._elems.append(b"\x00" + offset_expr + indices)
        else:           # flags 2: an explicit table, elemkind funcref (0x00)
            self._elems.append(b"\x02" + uleb(table) + offset_expr + b"\x00" + indices)
        return len(self._elems) - 1

    def add_custom(self, section_name: str, payload: bytes) -> None:
        self._customs.append((section_name, payload))

    def _memory_is_64(self, memory: int) -> bool:
        local = memory - self._imported_memories
        return 0 <= local < len(self._memories) and self._memories[local].memory64

    # -- encoding ----------------------------------------------------------------------------
    def _data_section_parts(self) -> list[Bytes]:
        parts: list[Bytes] = [uleb(len(self._data))]
        for seg in self._data:
            if seg.offset_expr is None:
                head = b"\x01"
            elif seg.memory == 0:
                head = b"\x00" + seg.offset_expr + _END
            else:
                head = b"\x02" + uleb(seg.memory) + seg.offset_expr + _END
            parts.append(head + uleb(len(seg.payload)))
            parts.append(seg.payload)
        return parts

    def encode_parts(self) -> tuple[list[Bytes], int]:
        """The module as pieces to join and their total size.

        Lets a container (a component section) write its own size header and join
        everything once, so large data segments are copied a single time.
        """
        parts: list[Bytes] = [MODULE_PREAMBLE]

        def add(section_id: int, payload: bytes) -> None:
            parts.append(section_header(section_id, len(payload)))
            parts.append(payload)

        if self._types:
            add(_SEC_TYPE, vec(t.encode() for t in self._types))
        if self._imports:
            add(_SEC_IMPORT, vec(self._imports))
        if self._funcs:
            add(_SEC_FUNCTION, vec(uleb(f.type_index) for f in self._funcs))
        if self._tables:
            add(_SEC_TABLE, vec(self._tables))
        if self._memories:
            add(_SEC_MEMORY, vec(m.encode() for m in self._memories))
        if self._globals:
            add(_SEC_GLOBAL, vec(self._globals))
        if self._exports:
            add(_SEC_EXPORT, vec(self._exports))
        if self._start is not None:
            add(_SEC_START, uleb(self._start))
        if self._elems:
            add(_SEC_ELEM, vec(self._elems))
        if any(seg.offset_expr is None for seg in self._data):
            add(_SEC_DATACOUNT, uleb(len(self._data)))
        if self._funcs:
            add(_SEC_CODE, vec(_encode_body(f) for f in self._funcs))
        if self._data:
            data_parts = self._data_section_parts()
            size = sum(len(p) for p in data_parts)
            parts.append(section_header(_SEC_DATA, size))
            parts.extend(data_parts)
        for custom_name, payload in self._customs:
            add(_SEC_CUSTOM, name(custom_name) + payload)
        return parts, sum(len(p) for p in parts)

    def encode(self) -> bytes:
        """The module binary."""
        parts, _ = self.encode_parts()
        return b"".join(parts)


def _encode_body(func: _Func) -> bytes:
    code = vec(uleb(count) + bytes([valtype]) for count, valtype in func.locals) + func.body + _END
    return uleb(len(code)) + code


def name_section(module_name: str, functions: list[tuple[int, str]]) -> bytes:
    """A core `name` custom section payload: the module's name and its functions' names
    (what a trap's backtrace shows)."""
    def sub(kind: int, content: bytes) -> bytes:
        return bytes([kind]) + uleb(len(content)) + content
    return sub(0, name(module_name)) + sub(1, vec(uleb(i) + name(n) for i, n in functions))


def trapping_body() -> bytes:
    """The body of a function that always traps: `unreachable`."""
    return op.UNREACHABLE

