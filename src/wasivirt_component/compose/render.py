"""WIT-like text for types, used in error messages and `inspect`."""

from __future__ import annotations

from typing import Any

from .types import (
    Borrow, ComponentType, Enum, Flags, FuncType, Future, InstanceType, ListType, MapType,
    ModuleType, Option, Own, Record, Resource, Result, Stream, Tuple, TypeItem, ValueItem,
    Variant, extern_kind, type_name,
)


def render_type(t: Any, *, expand: bool = False) -> str:
    """`t` as WIT: named types by name (unless `expand`), others structurally."""
    if t is None:
        return "nothing"
    if isinstance(t, str):
        return t
    if isinstance(t, Resource):
        return t.name
    name = type_name(t)
    if name and not expand:
        return name
    r = render_type
    if isinstance(t, Record):
        return "record { " + ", ".join(f"{n}: {r(v)}" for n, v in t.fields) + " }"
    if isinstance(t, Variant):
        return "variant { " + ", ".join(n if v is None else f"{n}({r(v)})" for n, v in t.cases) + " }"
    if isinstance(t, ListType):
        return f"list<{r(t.element)}>" if t.length is None else f"list<{r(t.element)}, {t.length}>"
    if isinstance(t, Tuple):
        return "tuple<" + ", ".join(r(v) for v in t.items) + ">"
    if isinstance(t, Flags):
        return "flags { " + ", ".join(t.names) + " }"
    if isinstance(t, Enum):
        return "enum { " + ", ".join(t.names) + " }"
    if isinstance(t, Option):
        return f"option<{r(t.inner)}>"
    if isinstance(t, Result):
        if t.ok is None and t.err is None:
            return "result"
        return f"result<{r(t.ok) if t.ok is not None else '_'}{', ' + r(t.err) if t.err is not None else ''}>"
    if isinstance(t, Own):
        return r(t.resource)
    if isinstance(t, Borrow):
        return f"borrow<{r(t.resource)}>"
    if isinstance(t, Stream):
        return "stream" if t.element is None else f"stream<{r(t.element)}>"
    if isinstance(t, Future):
        return "future" if t.element is None else f"future<{r(t.element)}>"
    if isinstance(t, MapType):
        return f"map<{r(t.key)}, {r(t.value)}>"
    if isinstance(t, FuncType):
        params = ", ".join(f"{n}: {r(v)}" for n, v in t.params)
        result = f" -> {r(t.result)}" if t.result is not None else ""
        return f"{'async ' if t.is_async else ''}func({params}){result}"
    if isinstance(t, TypeItem):
        return "resource" if t.bound == "sub" else f"type = {render_type(t.type, expand=True)}"
    if isinstance(t, InstanceType):
        return "instance { " + ", ".join(t.exports) + " }"
    if isinstance(t, ComponentType):
        return "component"
    if isinstance(t, ModuleType):
        return "core module"
    if isinstance(t, ValueItem):
        return f"value {r(t.type)}"
    return repr(t)


_NOUNS = {"func": "function", "module": "core module"}


def render_extern_kind(item: Any) -> str:
    """A short noun for an import/export: `function`, `instance`, `resource`..."""
    if isinstance(item, TypeItem):
        return "resource" if item.bound == "sub" or isinstance(item.type, Resource) else "type"
    kind = extern_kind(item)
    return _NOUNS.get(kind, kind)
