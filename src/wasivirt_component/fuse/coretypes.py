"""The function types of a core module's imports and exports, read from its binary.

The splice must prove that each function it wires in has exactly the core type the
importer declares (the validator would reject the output otherwise, and a fallback with a
reason beats an invalid file), without compiling anything: this reads the type, import,
function and export sections and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..binary.reader import Reader
from ..binary.sections import iter_sections
from ..errors import BinaryFormatError
from .items import Unsupported

VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref",
            0x6F: "externref"}

Signature = tuple[tuple[str, ...], tuple[str, ...]]  # (params, results)


@dataclass
class CoreInterface:
    """Function imports ((module, name) -> signature), function exports (name ->
    signature) and the names of every other export (memories, tables, globals)."""

    imports: dict[tuple[str, str], Signature] = field(default_factory=dict)
    exports: dict[str, Signature] = field(default_factory=dict)
    other_imports: list[tuple[str, str, int]] = field(default_factory=list)   # (module, name, kind)
    other_exports: dict[str, int] = field(default_factory=dict)              # name -> kind


def read_interface(module: bytes | memoryview, what: str = "core module") -> CoreInterface:
    view = memoryview(module)
    types: list[Signature] = []
    funcs: list[int] = []   # type index of every function, imported first
    out = CoreInterface()
    exports: list[tuple[str, int, int]] = []
    for sec in iter_sections(view, 8, None, what):
        r = Reader(view, sec.start, sec.end, what)
        if sec.id == 1:
            for _ in range(r.count()):
                types.append(_functype(r))
        elif sec.id == 2:
            for _ in range(r.count(3)):
                mod, name, kind = r.name(), r.name(), r.u8()
                if kind == 0x00:
                    t = r.u32()
                    funcs.append(t)
                    out.imports[(mod, name)] = _sig(types, t, r)
                    continue
                out.other_imports.append((mod, name, kind))
                _skip_importdesc(r, kind)
        elif sec.id == 3:
            funcs.extend(r.u32() for _ in range(r.count()))
        elif sec.id == 7:
            for _ in range(r.count(3)):
                exports.append((r.name(), r.u8(), r.u32()))
    for name, kind, index in exports:
        if kind == 0x00:
            if index >= len(funcs):
                raise BinaryFormatError(f"{what}: export {name} refers to function {index} (out of range)")
            out.exports[name] = _sig(types, funcs[index], Reader(b"", 0, 0, what))
        else:
            out.other_exports[name] = kind
    return out


def _functype(r: Reader) -> Signature:
    """A function type (GC type forms are Unsupported)."""
    form = r.u8()
    if form != 0x60:
        raise Unsupported(f"{r.what}: type form {form:#x} (GC types)")
    params = tuple(_valtype(r) for _ in range(r.count()))
    results = tuple(_valtype(r) for _ in range(r.count()))
    return params, results


def _valtype(r: Reader) -> str:
    b = r.u8()
    if b not in VALTYPES:
        raise Unsupported(f"{r.what}: value type {b:#x} in a function type")
    return VALTYPES[b]


def _sig(types: list[Signature], index: int, r: Reader) -> Signature:
    if index >= len(types):
        raise r.error(f"type index {index} out of range")
    return types[index]


def _skip_importdesc(r: Reader, kind: int) -> None:
    if kind == 0x01:
        r.u8()
        _skip_limits(r)
    elif kind == 0x02:
        _skip_limits(r)
    elif kind == 0x03:
        r.u8()
        r.u8()
    elif kind == 0x04:
        r.u8()
        r.u32()
    else:
        raise r.error(f"unknown import kind {kind:#x}")


def _skip_limits(r: Reader) -> None:
    flags = r.u8()
    r.u64()
    if flags & 1:
        r.u64()
