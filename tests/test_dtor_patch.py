"""The resource destructor patch for componentize-py's runtime (virt/dtor_patch.py).

A stand-in runtime module imports the same C API; the patched destructor runs in wasmtime
against host functions that play CPython and record every call, so the exact sequence
(GIL, finalizer.detach(), del handle, error cleared, reference released, stack restored)
is checked without CPython. The real virtualizer is covered in test_virt_component.py and
test_resource_release.py.
"""

from __future__ import annotations

import pytest
import wasmtime

from wasivirt_component.binary.core_encoder import KIND_FUNC, CoreModule, FuncType, op
from wasivirt_component.binary.encode import COMPONENT_PREAMBLE, section
from wasivirt_component.errors import ToolchainError
from wasivirt_component.virt.dtor_patch import DTOR_EXPORT, patch_resource_destructor

from support.fakeruntime import SIGNATURES, component_with, runtime_module

STACK_TOP = 4096
REP = 0x5000

def patched_module(component: bytes) -> bytes:
    """The first core module section of a component built by `component_with`."""
    from wasivirt_component.binary.sections import iter_sections
    view = memoryview(component)
    sec = next(s for s in iter_sections(view) if s.id == 1)
    return bytes(view[sec.start:sec.end])


class FakePython:
    """Host functions standing in for CPython; objects are ints, strings are recorded."""

    def __init__(self, store: wasmtime.Store, *, finalizer: bool = True) -> None:
        self.store = store
        self.calls: list[tuple] = []
        self.names: dict[int, str] = {}
        self.finalizer = finalizer
        self.memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(1, None)))
        self.sp = wasmtime.Global(store, wasmtime.GlobalType(wasmtime.ValType.i32(), True),
                                  wasmtime.Val.i32(STACK_TOP))

    def functions(self) -> dict[str, object]:
        def fn(name, sig, impl):
            params = [wasmtime.ValType.i32()] * len(sig.params)
            results = [wasmtime.ValType.i32()] * len(sig.results)
            return wasmtime.Func(self.store, wasmtime.FuncType(params, results), impl)

        def text(ptr, n):
            data = self.memory.read(self.store, ptr, ptr + n)
            obj = 0x100 + len(self.names)
            self.names[obj] = bytes(data).decode()
            self.calls.append(("str", self.names[obj]))
            return obj

        def getattr_(obj, name):
            self.calls.append(("getattr", obj, self.names[name]))
            if self.names[name] == "finalizer":
                return 0x900 if self.finalizer else 0
            return 0x901

        impls = {
            "PyGILState_Ensure": lambda: self.calls.append(("gil",)) or 7,
            "PyGILState_Release": lambda g: self.calls.append(("release", g)),
            "PyUnicode_FromStringAndSize": text,
            "PyObject_GetAttr": getattr_,
            "PyObject_SetAttr": lambda o, n, v: self.calls.append(("setattr", o, self.names[n], v)) or 0,
            "PyObject_CallNoArgs": lambda f: self.calls.append(("call", f)) or 0x902,
            "PyErr_GetRaisedException": lambda: self.calls.append(("clear",)) or 0,
            "_Py_DecRef": lambda o: self.calls.append(("decref", self.names.get(o, o))),
        }
        return {name: fn(name, SIGNATURES[name], impls[name]) for name in SIGNATURES}


def run_dtor(module: bytes, *, finalizer: bool = True) -> FakePython:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    fake = FakePython(store, finalizer=finalizer)
    linker = wasmtime.Linker(engine)
    for name, func in fake.functions().items():
        linker.define(store, "env", name, func)
    linker.define(store, "env", "memory", fake.memory)
    linker.define(store, "env", "__stack_pointer", fake.sp)
    instance = linker.instantiate(store, wasmtime.Module(engine, module))
    instance.exports(store)[DTOR_EXPORT](store, 12, REP)
    assert fake.sp.value(store) == STACK_TOP  # scratch space given back
    return fake


def test_patched_destructor_detaches_deletes_and_releases():
    fake = run_dtor(patched_module(patch_resource_destructor(component_with(runtime_module()))))
    assert fake.calls == [
        ("gil",),
        ("str", "finalizer"), ("getattr", REP, "finalizer"), ("decref", "finalizer"),
        ("str", "detach"), ("getattr", 0x900, "detach"), ("decref", "detach"),
        ("call", 0x901), ("decref", 0x902), ("decref", 0x901), ("decref", 0x900),
        ("str", "__componentize_py_handle"), ("setattr", REP, "__componentize_py_handle", 0),
        ("decref", "__componentize_py_handle"),
        ("clear",), ("decref", REP), ("release", 7),
    ]


def test_without_a_finalizer_the_reference_is_still_released():
    fake = run_dtor(patched_module(patch_resource_destructor(component_with(runtime_module()))),
                    finalizer=False)
    assert fake.calls[:4] == [("gil",), ("str", "finalizer"), ("getattr", REP, "finalizer"), ("clear",)]
    assert ("call", 0x901) not in fake.calls
    assert fake.calls[-3:] == [("clear",), ("decref", REP), ("release", 7)]


def test_unpatched_stand_in_does_nothing():
    """The stand-in's own dtor is the no-op componentize-py ships (what the patch fixes)."""
    assert run_dtor(runtime_module()).calls == []


def test_other_modules_are_kept_byte_for_byte():
    other = CoreModule()
    other.export("x", KIND_FUNC, other.add_func(FuncType((), ()), op.NOP))
    other_bytes = other.encode()
    out = patch_resource_destructor(component_with(other_bytes, runtime_module(), other_bytes))
    assert out.startswith(COMPONENT_PREAMBLE + section(1, other_bytes))
    assert out.endswith(section(1, other_bytes))


def test_a_component_without_the_runtime_is_refused():
    with pytest.raises(ToolchainError, match="expected one componentize-py runtime module .* found 0"):
        patch_resource_destructor(component_with(CoreModule().encode()))


def test_two_runtimes_are_refused():
    with pytest.raises(ToolchainError, match="found 2"):
        patch_resource_destructor(component_with(runtime_module(), runtime_module()))


def test_a_runtime_missing_an_import_is_refused_by_name():
    with pytest.raises(ToolchainError, match=r"does not import env\.PyObject_SetAttr as expected"):
        patch_resource_destructor(component_with(runtime_module(skip="PyObject_SetAttr")))
