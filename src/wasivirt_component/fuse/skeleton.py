"""Validating a fused component without compiling its code.

A component is valid exactly when its core modules are valid and its definitions
type-check against those modules' import and export types. So `core_modules` lists the
core modules, to validate each on its own (milliseconds per megabyte of code, no
compiling; `without_payloads` first empties their data segments, whose bytes validation
never looks at: a 64 MiB image costs nothing), and `skeleton` replaces each by a module
of the same interface whose functions trap and which has no data: compiling that checks
the wiring in milliseconds, even when the child carries an interpreter.
"""

from __future__ import annotations

from ..binary.encode import COMPONENT_PREAMBLE, MODULE_PREAMBLE, section_header, uleb
from ..binary.reader import Reader
from ..binary.sections import iter_sections

_CORE_MODULE, _COMPONENT = 1, 4
_CODE, _DATA, _DATACOUNT, _CUSTOM = 10, 11, 12, 0
_TRAP_BODY = b"\x03\x00\x00\x0b"  # size 3: no locals, unreachable, end


def core_modules(component: bytes | memoryview) -> list[memoryview]:
    """Every core module of `component`, nested components' included."""
    found: list[memoryview] = []
    _walk(memoryview(component), found, None)
    return found


def skeleton(component: bytes | memoryview) -> bytes:
    """`component` with every core module's code and data stripped (see the docstring)."""
    out: list[bytes | memoryview] = []
    _walk(memoryview(component), None, out)
    return b"".join(out)


def without_payloads(module: bytes | memoryview) -> bytes:
    """`module` with every data segment's bytes removed (segments, offsets and the data
    count kept): valid exactly when `module` is."""
    view = memoryview(module)
    parts: list[bytes | memoryview] = [MODULE_PREAMBLE]
    for sec in iter_sections(view, 8, None, "core module"):
        body: bytes | memoryview = view[sec.start:sec.end]
        if sec.id == _DATA:
            body = _empty_segments(Reader(view, sec.start, sec.end, "core module data"))
        parts += [section_header(sec.id, len(body)), body]
    return b"".join(parts)


def _empty_segments(r: Reader) -> bytes:
    out = bytearray()
    count = r.u32()
    out += uleb(count)
    for _ in range(count):
        start = r.pos
        flags = r.u32()
        if flags == 2:
            r.u32()
        if flags in (0, 2):
            _const_expr(r)
        elif flags != 1:
            raise r.error(f"unknown data segment flags {flags}")
        out += r.data[start:r.pos]
        r.take(r.u32())
        out += uleb(0)
    return bytes(out)


def _const_expr(r: Reader) -> None:
    """Skip a constant expression up to and including its `end`."""
    while True:
        op = r.u8()
        if op == 0x0B:
            return
        if op in (0x41, 0x42):      # i32.const, i64.const
            r.s64()
        elif op == 0x23:            # global.get
            r.u32()
        elif op not in (0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E):  # extended-const arithmetic
            raise r.error(f"instruction {op:#x} in a data segment offset")


def _walk(view: memoryview, found: list[memoryview] | None, out: list[bytes | memoryview] | None) -> None:
    if out is not None:
        out.append(COMPONENT_PREAMBLE)
    for sec in iter_sections(view, 8, None, "component"):
        body = view[sec.start:sec.end]
        if sec.id == _CORE_MODULE:
            if found is not None:
                found.append(body)
            if out is not None:
                module = _module_skeleton(body)
                out += [section_header(sec.id, len(module)), module]
        elif sec.id == _COMPONENT:
            inner: list[bytes | memoryview] | None = [] if out is not None else None
            _walk(body, found, inner)
            if out is not None and inner is not None:
                data = b"".join(inner)
                out += [section_header(sec.id, len(data)), data]
        elif out is not None:
            out += [section_header(sec.id, len(body)), body]


def _module_skeleton(module: memoryview) -> bytes:
    parts: list[bytes | memoryview] = [MODULE_PREAMBLE]
    for sec in iter_sections(module, 8, None, "core module"):
        if sec.id in (_DATA, _DATACOUNT, _CUSTOM):
            continue
        body: bytes | memoryview = module[sec.start:sec.end]
        if sec.id == _CODE:
            count = Reader(module, sec.start, sec.end, "core module code").u32()
            body = uleb(count) + _TRAP_BODY * count
        parts += [section_header(sec.id, len(body)), body]
    return b"".join(parts)
