"""Giving componentize-py's runtime a working destructor for exported resources.

componentize-py 0.25.1 hands an exported resource to the canonical ABI by leaking one
reference to the Python object (its `rep` is the `PyObject*`) and tagging the object with
`__componentize_py_handle` and a `finalizer` (a `weakref.finalize` that would drop the
handle). Its `wit_dylib_resource_dtor` is a no-op, so when the child drops a descriptor,
stream or pollable the object lives until the instance dies: ~0.7 KB per `open`, and any
host resource it wraps stays open. A long-running program would exhaust memory.

At build time (once; the patched component is what gets cached) we replace the body of
that function in the runtime's core module with what the runtime does when an owned
handle comes back to it, plus the release of the leaked reference:

    gil = PyGILState_Ensure()
    rep.finalizer.detach()                     # the handle is gone: never drop it again
                                                # (a failed lookup or call: error cleared)
    del rep.__componentize_py_handle            # a later return makes a new handle
    PyErr_GetRaisedException() and decref it    # nothing may escape a destructor
    Py_DecRef(rep)                              # the reference leaked at resource.new
    PyGILState_Release(gil)

Only functions the runtime module already imports are called, so the module's interface
(and the component around it) is unchanged. Anything unexpected in the module (another
componentize-py) is a ToolchainError, never a silently unpatched build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..binary.core_encoder import I32, op
from ..binary.encode import section, section_header, uleb, vec
from ..binary.module import read_import_desc
from ..binary.reader import Reader
from ..binary.sections import iter_sections
from ..errors import BinaryFormatError, ToolchainError

DTOR_EXPORT = "wit_dylib_resource_dtor"
# The C API the new body calls, with the core signatures the runtime imports them under.
_NEEDED = {
    "PyGILState_Ensure": ((), (I32,)),
    "PyGILState_Release": ((I32,), ()),
    "PyUnicode_FromStringAndSize": ((I32, I32), (I32,)),
    "PyObject_GetAttr": ((I32, I32), (I32,)),
    "PyObject_SetAttr": ((I32, I32, I32), (I32,)),
    "PyObject_CallNoArgs": ((I32,), (I32,)),
    "PyErr_GetRaisedException": ((), (I32,)),
    "_Py_DecRef": ((I32,), ()),
}
# Attribute names, laid out in scratch space on the shadow stack: (offset, text).
_FINALIZER = (0, b"finalizer")
_DETACH = (16, b"detach")
_HANDLE = (24, b"__componentize_py_handle")
_SCRATCH = 48


@dataclass
class _Module:
    """What the patch needs from one core module, with its sections kept verbatim."""

    sections: list[tuple[int, memoryview]] = field(default_factory=list)
    types: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    func_imports: dict[str, tuple[int, int]] = field(default_factory=dict)  # env name -> (func, type)
    imported_funcs: int = 0
    stack_pointer: int | None = None  # global index of env.__stack_pointer
    has_env_memory: bool = False
    exports: dict[str, int] = field(default_factory=dict)  # func exports


def _read_types(r: Reader) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    types = []
    for _ in range(r.count(3)):
        if r.u8() != 0x60:
            raise r.error("type section entry is not a plain function type")
        params = tuple(r.u8() for _ in range(r.count()))
        results = tuple(r.u8() for _ in range(r.count()))
        types.append((params, results))
    return types


def _read_imports(r: Reader, mod: _Module) -> None:
    globals_seen = 0
    for _ in range(r.count(3)):
        module = r.name()
        imp = read_import_desc(r, module, r.name())
        if imp.kind == "func":
            if module == "env":
                mod.func_imports[imp.name] = (mod.imported_funcs, imp.type_index)
            mod.imported_funcs += 1
        elif imp.kind == "memory":
            mod.has_env_memory |= (module, imp.name) == ("env", "memory")
        elif imp.kind == "global":
            if (module, imp.name) == ("env", "__stack_pointer") and imp.global_type == (I32, True):
                mod.stack_pointer = globals_seen
            globals_seen += 1


def _read_module(view: memoryview, what: str) -> _Module:
    mod = _Module()
    for sec in iter_sections(view, 8, None, what):
        mod.sections.append((sec.id, view[sec.start:sec.end]))
        r = sec.reader(view, what)
        if sec.id == 1:
            mod.types = _read_types(r)
        elif sec.id == 2:
            _read_imports(r, mod)
        elif sec.id == 7:
            for _ in range(r.count(3)):
                name, kind, index = r.name(), r.u8(), r.u32()
                if kind == 0x00:
                    mod.exports[name] = index
    return mod


def _store_text(sp_local: int, offset: int, text: bytes) -> bytes:
    """Code writing `text` at [sp + offset], 8 bytes at a time (zero padded)."""
    code = b""
    padded = text + b"\0" * (-len(text) % 8)
    for i in range(0, len(padded), 8):
        word = int.from_bytes(padded[i:i + 8], "little")
        code += op.local_get(sp_local) + op.i64_const(word) + op.i64_store(offset + i, 0)
    return code


def destructor_body(mod: _Module) -> bytes:
    """The new `wit_dylib_resource_dtor(ty, rep)` body (locals + code, no size prefix)."""
    f = {name: mod.func_imports[name][0] for name in _NEEDED}
    sp_global = mod.stack_pointer
    assert sp_global is not None
    rep, sp, gil, name, obj, meth, res = 1, 2, 3, 4, 5, 6, 7

    def text(spec: tuple[int, bytes]) -> bytes:  # a new str object from scratch space
        offset, value = spec
        return (op.local_get(sp) + op.i32_const(offset) + op.I32_ADD + op.i32_const(len(value))
                + op.call(f["PyUnicode_FromStringAndSize"]))

    def decref_if_set(local: int) -> bytes:
        return op.local_get(local) + op.if_() + op.local_get(local) + op.call(f["_Py_DecRef"]) + op.END

    def clear_error_if_null(local: int) -> bytes:  # no C API call may run with an error set
        return (op.local_get(local) + op.I32_EQZ + op.if_() + op.call(f["PyErr_GetRaisedException"])
                + op.local_set(res) + decref_if_set(res) + op.END)

    code = (
        op.global_get(sp_global) + op.i32_const(_SCRATCH) + op.I32_SUB + op.local_tee(sp)
        + op.global_set(sp_global)
        + _store_text(sp, *_FINALIZER) + _store_text(sp, *_DETACH) + _store_text(sp, *_HANDLE)
        + op.call(f["PyGILState_Ensure"]) + op.local_set(gil)
        # rep.finalizer.detach()
        + text(_FINALIZER) + op.local_set(name)
        + op.local_get(rep) + op.local_get(name) + op.call(f["PyObject_GetAttr"]) + op.local_set(obj)
        + clear_error_if_null(obj) + decref_if_set(name)
        + op.local_get(obj) + op.if_()
        + text(_DETACH) + op.local_set(name)
        + op.local_get(obj) + op.local_get(name) + op.call(f["PyObject_GetAttr"]) + op.local_set(meth)
        + clear_error_if_null(meth) + decref_if_set(name)
        + op.local_get(meth) + op.if_()
        + op.local_get(meth) + op.call(f["PyObject_CallNoArgs"]) + op.local_set(res)
        + clear_error_if_null(res) + decref_if_set(res) + decref_if_set(meth)
        + op.END
        + op.local_get(obj) + op.call(f["_Py_DecRef"])
        + op.END
        # del rep.__componentize_py_handle
        + text(_HANDLE) + op.local_set(name)
        + op.local_get(rep) + op.local_get(name) + op.i32_const(0) + op.call(f["PyObject_SetAttr"])
        + op.DROP
        + decref_if_set(name)
        # clear whatever failed above, then release the leaked reference
        + op.call(f["PyErr_GetRaisedException"]) + op.local_set(res)
        + decref_if_set(res)
        + op.local_get(rep) + op.call(f["_Py_DecRef"])
        + op.local_get(gil) + op.call(f["PyGILState_Release"])
        + op.local_get(sp) + op.i32_const(_SCRATCH) + op.I32_ADD + op.global_set(sp_global)
    )
    return vec([uleb(6) + bytes([I32])]) + code + op.END


def _check(mod: _Module, what: str) -> None:
    """Refuse a runtime whose interface is not the one this patch was written against."""
    problems = []
    for fname, signature in _NEEDED.items():
        found = mod.func_imports.get(fname)
        if found is None or mod.types[found[1]] != signature:
            problems.append(f"env.{fname}")
    if mod.stack_pointer is None:
        problems.append("env.__stack_pointer")
    if not mod.has_env_memory:
        problems.append("env.memory")
    if problems:
        raise ToolchainError(f"{what}: componentize-py's runtime does not import "
                             f"{', '.join(problems)} as expected; this wasivirt supports the "
                             "componentize-py version pinned in its requirements (reinstall wasivirt)")


def _replace_body(mod: _Module, func_index: int, body: bytes, what: str) -> bytes:
    """The module's bytes with one function body replaced; other sections verbatim."""
    out = [b"\0asm\x01\0\0\0"]
    replaced = False
    for sec_id, payload in mod.sections:
        if sec_id == 10:
            r = Reader(payload, 0, None, what)
            bodies = [bytes(r.take(r.u32())) for _ in range(r.count(2))]
            local = func_index - mod.imported_funcs
            if not 0 <= local < len(bodies):
                raise ToolchainError(f"{what}: {DTOR_EXPORT} has no body in the code section")
            bodies[local] = body
            payload = vec(uleb(len(b)) + b for b in bodies)
            replaced = True
        out.append(section_header(sec_id, len(payload)) + bytes(payload))
    if not replaced:
        raise ToolchainError(f"{what}: the runtime module has no code section")
    return b"".join(out)


def patch_resource_destructor(component: bytes, what: str = "virtualizer") -> bytes:
    """`component` with a working exported-resource destructor in componentize-py's runtime.

    The runtime is the top-level core module exporting `wit_dylib_resource_dtor`; exactly
    one must exist. Every other byte of the component is kept.
    """
    view = memoryview(component)
    out: list[bytes | memoryview] = [view[:8]]
    patched = 0
    for sec in iter_sections(view, 8, None, what):
        payload = view[sec.start:sec.end]
        out.append(section_header(sec.id, len(payload)))
        if sec.id == 1:  # a core module
            try:
                mod = _read_module(payload, what)
            except BinaryFormatError:
                mod = None
            if mod is not None and DTOR_EXPORT in mod.exports and mod.func_imports:
                _check(mod, what)
                body = destructor_body(mod)
                out[-1] = section(1, _replace_body(mod, mod.exports[DTOR_EXPORT], body, what))
                patched += 1
                continue
        out.append(payload)
    if patched != 1:
        raise ToolchainError(f"{what}: expected one componentize-py runtime module exporting "
                             f"{DTOR_EXPORT}, found {patched}; this wasivirt supports the "
                             "componentize-py version pinned in its requirements")
    return b"".join(out)
