"""WIT-like text for types, used in error messages."""

from __future__ import annotations

from typing import assert_never

from .types import (
    Borrow,
    ComponentType,
    Enum,
    Extern,
    Flags,
    FuncType,
    Future,
    InstanceType,
    ListType,
    MapType,
    ModuleType,
    Option,
    Own,
    Record,
    Resource,
    Result,
    Stream,
    Term,
    Tuple,
    TypeItem,
    ValueItem,
    Variant,
    extern_kind,
    type_name,
)


def render_type(t: Term | None, *, expand: bool = False) -> str:  # noqa: C901 - one case per constructor
    """`t` as WIT: named types by name (unless `expand`), others structurally."""
    if t is None:
        return "nothing"
    name = type_name(t)
    if name and not expand and not isinstance(t, Resource):
        return name
    r = render_type
    match t:
        case str():
            return t
        case Resource(name=resource_name):
            return resource_name
        case Record(fields=fields):
            return "record { " + ", ".join(f"{n}: {r(v)}" for n, v in fields) + " }"
        case Variant(cases=cases):
            return "variant { " + ", ".join(n if v is None else f"{n}({r(v)})" for n, v in cases) + " }"
        case ListType(element=element, length=length):
            return f"list<{r(element)}>" if length is None else f"list<{r(element)}, {length}>"
        case Tuple(items=items):
            return "tuple<" + ", ".join(r(v) for v in items) + ">"
        case Flags(names=names):
            return "flags { " + ", ".join(names) + " }"
        case Enum(names=names):
            return "enum { " + ", ".join(names) + " }"
        case Option(inner=inner):
            return f"option<{r(inner)}>"
        case Result(ok=None, err=None):
            return "result"
        case Result(ok=ok, err=err):
            return f"result<{r(ok) if ok is not None else '_'}{', ' + r(err) if err is not None else ''}>"
        case Own(resource=resource):
            return r(resource)
        case Borrow(resource=resource):
            return f"borrow<{r(resource)}>"
        case Stream(element=element):
            return "stream" if element is None else f"stream<{r(element)}>"
        case Future(element=element):
            return "future" if element is None else f"future<{r(element)}>"
        case MapType(key=key, value=value):
            return f"map<{r(key)}, {r(value)}>"
        case FuncType(params=params, result=result, is_async=is_async):
            rendered = ", ".join(f"{n}: {r(v)}" for n, v in params)
            arrow = f" -> {r(result)}" if result is not None else ""
            return f"{'async ' if is_async else ''}func({rendered}){arrow}"
        case TypeItem(bound=bound, type=inner):
            return "resource" if bound == "sub" else f"type = {render_type(inner, expand=True)}"
        case InstanceType(exports=exports):
            return "instance { " + ", ".join(exports) + " }"
        case ComponentType():
            return "component"
        case ModuleType():
            return "core module"
        case ValueItem(type=inner):
            return f"value {r(inner)}"
        case _:
            assert_never(t)


_NOUNS = {"func": "function", "module": "core module"}


def render_extern_kind(item: Extern) -> str:
    """A short noun for an import/export: `function`, `instance`, `resource`..."""
    if isinstance(item, TypeItem):
        return "resource" if item.bound == "sub" or isinstance(item.type, Resource) else "type"
    kind = extern_kind(item)
    return _NOUNS.get(kind, kind)
