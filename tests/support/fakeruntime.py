"""A core module shaped like componentize-py's runtime (the C API imports, a no-op
`wit_dylib_resource_dtor` export), for testing the destructor patch without CPython."""

from __future__ import annotations

from wasivirt_component.binary.core_encoder import I32, KIND_FUNC, CoreModule, FuncType, Limits
from wasivirt_component.binary.encode import COMPONENT_PREAMBLE, section
from wasivirt_component.virt.dtor_patch import DTOR_EXPORT

SIGNATURES = {
    "PyGILState_Ensure": FuncType((), (I32,)),
    "PyGILState_Release": FuncType((I32,), ()),
    "PyUnicode_FromStringAndSize": FuncType((I32, I32), (I32,)),
    "PyObject_GetAttr": FuncType((I32, I32), (I32,)),
    "PyObject_SetAttr": FuncType((I32, I32, I32), (I32,)),
    "PyObject_CallNoArgs": FuncType((I32,), (I32,)),
    "PyErr_GetRaisedException": FuncType((), (I32,)),
    "_Py_DecRef": FuncType((I32,), ()),
}


def runtime_module(skip: str | None = None) -> bytes:
    """A module shaped like componentize-py's runtime: C API imports, a no-op dtor export."""
    m = CoreModule()
    for name, sig in SIGNATURES.items():
        if name != skip:
            m.import_func("env", name, sig)
    m.import_memory("env", "memory", Limits(1))
    sp = m.import_global("env", "__stack_pointer", I32, mutable=True)
    dtor = m.add_func(FuncType((I32, I32), ()), b"")
    m.export(DTOR_EXPORT, KIND_FUNC, dtor)
    m.export("sp", 3, sp)
    return m.encode()


def component_with(*modules: bytes) -> bytes:
    return COMPONENT_PREAMBLE + b"".join(section(1, m) for m in modules)
