"""C bindings for a world: types laid out as the canonical ABI lays them out, and glue.

Layout. Every WIT type gets a C type whose in-memory layout *is* its canonical-ABI layout
on wasm32 (records and tuples are structs, variants a discriminant then a union, enums and
flags unsigned integers of the canonical width, strings and lists `{ptr, len}`), and the
header checks each one with `_Static_assert`s against `compose.abi`'s sizes, alignments and
offsets. So a result the host writes into a return area is read in place, and a result we
return is written in place: no generated store/load code, nothing laid out by hand.

The one value whose C form differs from its canonical form is an `own` handle of a resource
this world exports: the C code holds its rep (a pointer), the canonical ABI a handle. The
export glue converts such values in place, through `[resource-new]`, after the C function
returns. Host resources are `{int32_t handle}` structs (`..._own_t`, `..._borrow_t`).

C functions (for the runtime to implement, and the import wrappers it calls):

    result<T, E>   bool f(args..., T *ret, E *err)     (true = ok)
    option<T>      bool f(args..., T *ret)             (true = some)
    scalar         T f(args...)                        (numbers, enums, flags, handles)
    other T        void f(args..., T *ret)

Scalars are passed by value, everything else by pointer. Ownership: list and string
arguments of exports are freed by the glue after the call (copy what you keep); lists and
strings an export returns are freed by its post-return function with `wv_free`, which must
ignore memory it did not allocate (so image bytes can be returned without a copy); lists
and strings an import returns were allocated with our `cabi_realloc` and are the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Any

from ...compose import abi
from ...compose.types import (
    Borrow,
    Enum,
    Flags,
    ListType,
    Option,
    Own,
    Record,
    Resource,
    Result,
    Tuple,
    Variant,
)
from .model import Function, GlueError, Interface, World, ident

MAX_FLAT_PARAMS = abi.MAX_FLAT_PARAMS
_C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
               "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
               "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
               "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool"}
_PRIMITIVE_C = {"bool": "bool", "s8": "int8_t", "u8": "uint8_t", "s16": "int16_t",
                "u16": "uint16_t", "s32": "int32_t", "u32": "uint32_t", "s64": "int64_t",
                "u64": "uint64_t", "f32": "float", "f64": "double", "char": "uint32_t",
                "string": "wv_string_t"}
CORE_C = {"i32": "int32_t", "i64": "int64_t", "f32": "float", "f64": "double"}
VARIANTS = (Variant, Option, Result)


@dataclass(frozen=True)
class GeneratedGlue:
    """`header` (glue.h) and `source` (glue.c) for one world."""

    header: str
    source: str


def generate(world: World, header_name: str = "glue.h") -> GeneratedGlue:
    """The C header and source binding `world` (see the module docstring for the contract)."""
    return Generator(world, header_name).run()


def field_name(name: str) -> str:
    """A record field or case name as a C member name."""
    n = ident(name)
    return n + "_" if n in _C_KEYWORDS else n


def declare_var(ctype: str, name: str) -> str:
    """`T name`, or `T *name` for pointer types (no space before the name)."""
    return f"{ctype}{name}" if ctype.endswith("*") else f"{ctype} {name}"


def is_scalar(t: Any) -> bool:
    """Passed and returned by value: numbers, chars, bools, enums, flags, handles."""
    return (isinstance(t, str) and t != "string") or isinstance(t, (Enum, Flags, Own, Borrow))



# Float <-> integer bit casts for flattened float payloads (through a union, as C allows).
BIT_CASTS = [
    "static inline __attribute__((unused)) int32_t wv_f32_bits(float f) "
    "{ union { float f; int32_t i; } u = { .f = f }; return u.i; }",
    "static inline __attribute__((unused)) float wv_f32_from_bits(int32_t i) "
    "{ union { float f; int32_t i; } u = { .i = i }; return u.f; }",
    "static inline __attribute__((unused)) int64_t wv_f64_bits(double f) "
    "{ union { double f; int64_t i; } u = { .f = f }; return u.i; }",
    "static inline __attribute__((unused)) double wv_f64_from_bits(int64_t i) "
    "{ union { double f; int64_t i; } u = { .i = i }; return u.f; }",
]

class Generator:
    def __init__(self, world: World, header_name: str) -> None:
        self.world = world
        self.header_name = header_name
        self.names: dict[int, str] = {}      # id(type) -> C type name
        self.by_key: dict[str, str] = {}     # structural key -> C name (anonymous types)
        self.emitted: set[str] = set()
        self.typedefs: list[str] = []
        self.asserts: list[str] = []
        self.tmp = count()
        self.ret_area = 8

    # -- naming ------------------------------------------------------------------------
    def ours(self, resource: Resource) -> bool:
        return self.world.is_exported_resource(resource)

    def resource_base(self, resource: Resource) -> str:
        owner = self.world.owner(resource)
        if owner is None:
            raise GlueError(f"resource {resource.name} has no owning interface in the world")
        return f"{owner[0].prefix}_{ident(owner[1])}"

    def ctype(self, t: Any) -> str:
        """The C type of a value of WIT type `t`."""
        if isinstance(t, str):
            return _PRIMITIVE_C[t]
        if isinstance(t, (Own, Borrow)):
            base = self.resource_base(t.resource)
            if self.ours(t.resource):
                return f"{base}_t *"
            return f"{base}_{'own' if isinstance(t, Own) else 'borrow'}_t"
        name = self.names.get(id(t))
        if name is None:
            name = self.declare(t)
        return name

    def mangle(self, t: Any) -> str:
        if t is None:
            return "void"
        if isinstance(t, str):
            return t
        if isinstance(t, (Own, Borrow)):
            return ("own_" if isinstance(t, Own) else "borrow_") + self.resource_base(t.resource)
        owner = self.world.owner(t)
        if owner is not None:
            return f"{owner[0].prefix}_{ident(owner[1])}"
        if isinstance(t, ListType):
            return "list_" + self.mangle(t.element)
        if isinstance(t, Option):
            return "option_" + self.mangle(t.inner)
        if isinstance(t, Result):
            return f"result_{self.mangle(t.ok)}_{self.mangle(t.err)}"
        if isinstance(t, Tuple):
            return f"tuple{len(t.items)}_" + "_".join(self.mangle(i) for i in t.items)
        raise GlueError(f"unsupported anonymous type {t!r}")

    def key(self, t: Any) -> str:
        """A structural key for an anonymous type (two equal keys are one C type)."""
        if t is None:
            return "_"
        if isinstance(t, str):
            return t
        if isinstance(t, (Own, Borrow)):
            return ("own(" if isinstance(t, Own) else "borrow(") + self.resource_base(t.resource) + ")"
        owner = self.world.owner(t)
        if owner is not None:
            return f"{owner[0].prefix}.{owner[1]}"
        parts: list[Any]
        if isinstance(t, ListType):
            parts = ["list", t.element]
        elif isinstance(t, Option):
            parts = ["option", t.inner]
        elif isinstance(t, Result):
            parts = ["result", t.ok, t.err]
        elif isinstance(t, Tuple):
            parts = ["tuple", *t.items]
        else:
            raise GlueError(f"unsupported anonymous type {t!r}")
        return str(parts[0]) + "(" + ",".join(self.key(p) for p in parts[1:]) + ")"

    # -- type declarations -------------------------------------------------------------
    def declare(self, t: Any) -> str:
        """Emit the typedef of `t` (after its dependencies); returns its C name."""
        owner = self.world.owner(t)
        if owner is not None:
            name = f"{owner[0].prefix}_{ident(owner[1])}_t"
        else:
            k = self.key(t)
            known = self.by_key.get(k)
            if known is not None:
                name = known
            else:
                name = f"wv_{self.mangle(t)}_t"
                while name in self.by_key.values():
                    name = name[:-2] + "_x_t"
                self.by_key[k] = name
        self.names[id(t)] = name
        if name in self.emitted:
            return name
        self.emitted.add(name)
        lines = self.definition(t, name)
        self.typedefs.append("\n".join(lines))
        self.asserts.extend(self.layout_asserts(t, name))
        return name

    def definition(self, t: Any, name: str) -> list[str]:
        upper = name[:-2].upper()
        if isinstance(t, Record):
            members = [f"  {declare_var(self.ctype(ft), field_name(fn))};" for fn, ft in t.fields]
            return ["typedef struct {", *members, f"}} {name};"]
        if isinstance(t, Tuple):
            members = [f"  {declare_var(self.ctype(it), f'f{i}')};" for i, it in enumerate(t.items)]
            return ["typedef struct {", *members, f"}} {name};"]
        if isinstance(t, ListType):
            if t.length is not None:
                raise GlueError("fixed-length lists are not supported")
            return [f"typedef struct {{ {declare_var(self.ctype(t.element) + ' *', 'ptr')}; size_t len; }} {name};"]
        if isinstance(t, Enum):
            width = abi.discriminant_size(len(t.names)) * 8
            consts = [f"  {upper}_{ident(n).upper()} = {i}," for i, n in enumerate(t.names)]
            return [f"typedef uint{width}_t {name};", "enum {", *consts, "};"]
        if isinstance(t, Flags):
            width = abi.flags_size(len(t.names)) * 8
            consts = [f"#define {upper}_{ident(n).upper()} ((uint{width}_t)1u << {i})"
                      for i, n in enumerate(t.names)]
            return [f"typedef uint{width}_t {name};", *consts]
        if isinstance(t, Variant):
            width = abi.discriminant_size(len(t.cases)) * 8
            members = [f"    {declare_var(self.ctype(ct), field_name(cn))};" for cn, ct in t.cases if ct is not None]
            union = ["  union {", *members, "  } val;"] if members else []
            consts = [f"  {upper}_{ident(cn).upper()} = {i}," for i, (cn, _) in enumerate(t.cases)]
            return ["typedef struct {", f"  uint{width}_t tag;", *union, f"}} {name};",
                    "enum {", *consts, "};"]
        if isinstance(t, Option):
            return [f"typedef struct {{ bool is_some; {declare_var(self.ctype(t.inner), 'val')}; }} {name};"]
        if isinstance(t, Result):
            members = [f"{declare_var(self.ctype(x), n)};" for n, x in (("ok", t.ok), ("err", t.err)) if x is not None]
            payload = f" union {{ {' '.join(members)} }} val;" if members else ""
            return [f"typedef struct {{ bool is_err;{payload} }} {name};"]
        raise GlueError(f"unsupported type {t!r}")

    def layout_asserts(self, t: Any, name: str) -> list[str]:
        """Static asserts: the C compiler's layout of `name` is the canonical ABI's."""
        out = [f'_Static_assert(sizeof({name}) == {abi.size(t)} && _Alignof({name}) == '
               f'{abi.alignment(t)}, "canonical ABI layout of {name}");']
        if isinstance(t, (Record, Tuple)):
            members = list(t.fields) if isinstance(t, Record) else [(f"f{i}", x) for i, x in enumerate(t.items)]
            cnames = [field_name(n) if isinstance(t, Record) else n for n, _ in members]
            offsets = abi.field_offsets([x for _, x in members])
            out += [f'_Static_assert(offsetof({name}, {c}) == {off}, "offset of {name}.{c}");'
                    for c, off in zip(cnames, offsets, strict=True)]
        elif isinstance(t, VARIANTS) and any(c is not None for c in abi._cases(t)):
            if not (isinstance(t, Result) and t.ok is None and t.err is None):
                out.append(f'_Static_assert(offsetof({name}, val) == {abi.payload_offset(t)}, '
                           f'"payload offset of {name}");')
        return out

    def walk_types(self, t: Any) -> None:
        """Declare every type `t` uses (so the header lists them in dependency order)."""
        if t is None or isinstance(t, str):
            return
        if isinstance(t, (Own, Borrow)):
            self.resource_base(t.resource)
            return
        for child in children(t):
            self.walk_types(child)
        self.ctype(t)

    # -- the whole output --------------------------------------------------------------
    def run(self) -> GeneratedGlue:
        handles: list[str] = []
        for iface in self.world.interfaces:
            for resource in iface.resources:
                base = self.resource_base(resource)
                if iface.exported:
                    handles.append(f"typedef struct {base} {base}_t;  /* defined by the runtime */")
                else:
                    handles.append(f"typedef struct {{ int32_t handle; }} {base}_own_t;")
                    handles.append(f"typedef struct {{ int32_t handle; }} {base}_borrow_t;")
        for iface in self.world.interfaces:
            for fn in iface.functions:
                for _, pt in fn.params:
                    self.walk_types(pt)
                self.walk_types(fn.result)
        protos: list[str] = []
        source: list[str] = []
        for iface in self.world.exports:
            protos.append(f"\n/* exports of {iface.qualified}: implemented by the runtime */")
            for resource in iface.resources:
                base = self.resource_base(resource)
                protos.append(f"void {base}_destroy({base}_t *self);")
                protos.append(f"int32_t {base}_new_handle({base}_t *rep);")
            for fn in iface.functions:
                protos.append(self.prototype(fn) + ";")
        for iface in self.world.exports:
            source += self.export_source(iface)
        for iface in self.world.imports:
            protos.append(f"\n/* imports of {iface.qualified}: wrappers around the host's functions */")
            for resource in iface.resources:
                base = self.resource_base(resource)
                protos.append(f"void {base}_drop({base}_own_t handle);")
                protos.append(f"static inline {base}_borrow_t {base}_borrow({base}_own_t h) "
                              f"{{ return ({base}_borrow_t){{h.handle}}; }}")
                source += self.host_drop(iface, resource, base)
            for fn in iface.functions:
                protos.append(self.prototype(fn) + ";")
                source += self.import_glue(fn)
        protos += self.extra_prototypes()
        header = "\n".join([
            f"/* Generated by wasivirt's glue generator (virt/glue) from the WIT world "
            f"`{self.world.name}`. Do not edit. */",
            "#ifndef WV_GLUE_H", "#define WV_GLUE_H", "",
            "#include <stdbool.h>", "#include <stddef.h>", "#include <stdint.h>", "",
            "typedef struct { uint8_t *ptr; size_t len; } wv_string_t;",
            '_Static_assert(sizeof(wv_string_t) == 8 && _Alignof(wv_string_t) == 4, "string layout");',
            "/* Frees memory from cabi_realloc; must ignore pointers it did not hand out. */",
            "void wv_free(void *ptr);", "",
            *handles, "", *self.typedefs, "", *self.asserts, *protos, "", "#endif", ""])
        body = "\n".join([
            "/* Generated by wasivirt's glue generator (virt/glue). Do not edit. */",
            f'#include "{self.header_name}"', *self.prelude(), "",
            *BIT_CASTS,
            f"static uint8_t wv_ret_area[{self.ret_area}] __attribute__((aligned(8), unused));", "",
            *source, ""])
        return GeneratedGlue(header, body)

    # -- prototypes --------------------------------------------------------------------
    def c_function_name(self, fn: Function) -> str:
        if fn.resource is None:
            return f"{fn.interface.prefix}_{ident(fn.short)}"
        base = self.resource_base(fn.resource)
        return f"{base}_{'constructor' if fn.kind == 'constructor' else ident(fn.short)}"

    def prototype(self, fn: Function) -> str:
        args = [self.param_decl(name, t) for name, t in fn.params]
        ret, outs = self.result_shape(fn.result)
        args += [declare_var(ctype + " *", name) for name, ctype in outs]
        return f"{ret} {self.c_function_name(fn)}({', '.join(args) or 'void'})"

    def param_decl(self, name: str, t: Any) -> str:
        ctype = self.ctype(t)
        return declare_var(ctype, field_name(name)) if is_scalar(t) else f"const {ctype} *{field_name(name)}"

    def result_shape(self, t: Any) -> tuple[str, list[tuple[str, str]]]:
        """(C return type, [(out-param name, C type)]) for a function result."""
        if t is None:
            return "void", []
        if isinstance(t, Result):
            outs = [(n, self.ctype(x)) for n, x in (("ret", t.ok), ("err", t.err)) if x is not None]
            return "bool", outs
        if isinstance(t, Option):
            return "bool", [("ret", self.ctype(t.inner))]
        if is_scalar(t):
            return self.ctype(t), []
        return "void", [("ret", self.ctype(t))]

    def call_into(self, fn: Function, args: list[str], target: str) -> list[str]:
        """Statements calling the C function with `args`, its result landing in `target`
        (an lvalue of the result's C type)."""
        name = self.c_function_name(fn)
        t = fn.result
        if t is None:
            return [f"{name}({', '.join(args)});"]
        if isinstance(t, Result):
            outs = [f"&{target}.val.{n}" for n, x in (("ok", t.ok), ("err", t.err)) if x is not None]
            return [f"{target}.is_err = !{name}({', '.join(args + outs)});"]
        if isinstance(t, Option):
            return [f"{target}.is_some = {name}({', '.join(args + [f'&{target}.val'])});"]
        if is_scalar(t):
            return [f"{target} = {name}({', '.join(args)});"]
        return [f"{name}({', '.join(args + [f'&{target}'])});"]

    # -- exports -----------------------------------------------------------------------
    def prelude(self) -> list[str]:
        """Lines glue.c starts with after its header: what a backend adds (its runtime's
        header, definitions every export may use)."""
        return []

    def extra_prototypes(self) -> list[str]:
        """Header lines a backend adds after the import prototypes (what its exports call
        besides the implementation functions)."""
        return []

    def export_source(self, iface: Interface) -> list[str]:
        """The C source binding one exported interface: its resources, then its functions.
        A backend overrides this (and what it calls) to bind exports another way."""
        out: list[str] = []
        for resource in iface.resources:
            out += self.resource_intrinsics(iface, resource, self.resource_base(resource))
        for fn in iface.functions:
            out += self.export_glue(fn)
        return out

    def export_glue(self, fn: Function) -> list[str]:
        qualified = f"{fn.interface.qualified}#{fn.name}"
        flat_params = [f for _, t in fn.params for f in abi.flatten(t)]
        if len(flat_params) > MAX_FLAT_PARAMS:
            raise GlueError(f"{qualified}: more than {MAX_FLAT_PARAMS} flat parameters is not supported")
        flat_results = abi.flatten(fn.result) if fn.result is not None else []
        core_params = [f"{CORE_C[c]} p{i}" for i, c in enumerate(flat_params)]
        slots = [(f"p{i}", c) for i, c in enumerate(flat_params)]
        body: list[str] = []
        args: list[str] = []
        frees: list[str] = []
        pos = 0
        for name, t in fn.params:
            n = len(abi.flatten(t))
            local = f"a_{field_name(name)}"
            body.append(f"  {declare_var(self.ctype(t), local)};")
            body += ["  " + s for s in self.lift(t, local, slots[pos:pos + n])]
            pos += n
            args.append(local if is_scalar(t) else f"&{local}")
            frees += ["  " + s for s in self.frees(t, local)]
        symbol = f"__wv_export_{self.c_function_name(fn)}"
        out = [f'__attribute__((export_name("{qualified}")))']
        if not flat_results:
            out += [f"void {symbol}({', '.join(core_params) or 'void'}) {{", *body,
                    *["  " + s for s in self.call_into(fn, args, '')], *frees, "}", ""]
            return out
        ctype = self.ctype(fn.result)
        if len(flat_results) == 1:
            core = CORE_C[flat_results[0]]
            lowered = self.lower(fn.result, "r", [("s0", flat_results[0])])
            out += [f"{core} {symbol}({', '.join(core_params) or 'void'}) {{", *body,
                    f"  {ctype} r;", *["  " + s for s in self.call_into(fn, args, 'r')], *frees,
                    f"  {core} s0;", *["  " + s for s in lowered], "  return s0;", "}", ""]
            return out
        assert fn.result is not None  # a function without a result returned above
        self.ret_area = max(self.ret_area, abi.size(fn.result))
        owns = self.owns(fn.result, "(*r)")
        out += [f"int32_t {symbol}({', '.join(core_params) or 'void'}) {{", *body,
                f"  {ctype} *r = ({ctype} *)wv_ret_area;",
                *["  " + s for s in self.call_into(fn, args, '(*r)')], *frees,
                *["  " + s for s in owns], "  return (int32_t)(uintptr_t)r;", "}", ""]
        post = self.frees(fn.result, "(*r)")
        if post:
            out += [f'__attribute__((export_name("cabi_post_{qualified}")))',
                    f"void __wv_post_{self.c_function_name(fn)}(int32_t p) {{",
                    f"  {ctype} *r = ({ctype} *)(uintptr_t)p;", *["  " + s for s in post], "}", ""]
        return out

    def resource_intrinsics(self, iface: Interface, resource: Resource, base: str) -> list[str]:
        module = f"[export]{iface.qualified}"
        return [
            f'__attribute__((import_module("{module}"), import_name("[resource-new]{resource.name}")))',
            f"extern int32_t __wv_resource_new_{base}(int32_t rep);",
            f"int32_t {base}_new_handle({base}_t *rep) {{ return __wv_resource_new_{base}((int32_t)(uintptr_t)rep); }}",
            f'__attribute__((export_name("{iface.qualified}#[dtor]{resource.name}")))',
            f"void __wv_dtor_{base}(int32_t rep) {{ {base}_destroy(({base}_t *)(uintptr_t)rep); }}", ""]

    # -- imports -----------------------------------------------------------------------
    def host_drop(self, iface: Interface, resource: Resource, base: str) -> list[str]:
        return [
            f'__attribute__((import_module("{iface.qualified}"), import_name("[resource-drop]{resource.name}")))',
            f"extern void __wv_drop_{base}(int32_t handle);",
            f"void {base}_drop({base}_own_t h) {{ __wv_drop_{base}(h.handle); }}", ""]

    def import_glue(self, fn: Function) -> list[str]:
        qualified = f"{fn.interface.qualified}#{fn.name}"
        flat_params = [f for _, t in fn.params for f in abi.flatten(t)]
        if len(flat_params) > MAX_FLAT_PARAMS:
            raise GlueError(f"{qualified}: more than {MAX_FLAT_PARAMS} flat parameters is not supported")
        flat_results = abi.flatten(fn.result) if fn.result is not None else []
        for _, t in fn.params:
            if contains_own_of(t, self.ours):
                raise GlueError(f"{qualified}: passing an own handle of an exported resource to "
                                "an import is not supported")
        body: list[str] = []
        core_args: list[str] = []
        index = 0
        for name, t in fn.params:
            source = field_name(name) if is_scalar(t) else f"(*{field_name(name)})"
            slots = []
            for core in abi.flatten(t):
                var = f"s{index}"
                index += 1
                body.append(f"  {CORE_C[core]} {var};")
                slots.append((var, core))
                core_args.append(var)
            body += ["  " + s for s in self.lower(t, source, slots)]
        symbol = f"__wv_import_{self.c_function_name(fn)}"
        core_ret = CORE_C[flat_results[0]] if len(flat_results) == 1 else "void"
        decl_params = [CORE_C[c] for c in flat_params] + (["int32_t"] if len(flat_results) > 1 else [])
        out = [f'__attribute__((import_module("{fn.interface.qualified}"), import_name("{fn.name}")))',
               f"extern {core_ret} {symbol}({', '.join(decl_params) or 'void'});",
               self.prototype(fn) + " {", *body]
        if fn.result is None:
            out += [f"  {symbol}({', '.join(core_args)});", "}", ""]
            return out
        ctype = self.ctype(fn.result)
        if len(flat_results) == 1:
            out += [f"  {core_ret} c = {symbol}({', '.join(core_args)});", f"  {ctype} r;",
                    *["  " + s for s in self.lift(fn.result, "r", [("c", flat_results[0])])]]
        else:
            out += [f"  {ctype} r;", f"  {symbol}({', '.join(core_args + ['(int32_t)(uintptr_t)&r'])});"]
        out += ["  " + s for s in self.distribute(fn.result, "r")]
        out += ["}", ""]
        return out

    def distribute(self, t: Any, source: str) -> list[str]:
        """Statements handing a result value to the wrapper's caller (the prototype's shape)."""
        if isinstance(t, Result):
            lines = []
            if t.err is not None:
                lines.append(f"if ({source}.is_err) {{ *err = {source}.val.err; return false; }}")
            else:
                lines.append(f"if ({source}.is_err) return false;")
            if t.ok is not None:
                lines.append(f"*ret = {source}.val.ok;")
            return lines + ["return true;"]
        if isinstance(t, Option):
            return [f"if ({source}.is_some) *ret = {source}.val;", f"return {source}.is_some;"]
        if is_scalar(t):
            return [f"return {source};"]
        return [f"*ret = {source};"]

    # -- flat lifting and lowering (CanonicalABI.md lift_flat / lower_flat) -------------
    def lift(self, t: Any, dst: str, slots: list[tuple[str, str]]) -> list[str]:
        """Statements setting lvalue `dst` from flat core values `slots` [(expr, core type)]."""
        if isinstance(t, str):
            if t == "string":
                return [f"{dst}.ptr = (uint8_t *)(uintptr_t)(uint32_t){slots[0][0]};",
                        f"{dst}.len = (size_t)(uint32_t){slots[1][0]};"]
            expr = slots[0][0]
            return [f"{dst} = {f'({expr}) != 0' if t == 'bool' else f'({_PRIMITIVE_C[t]})({expr})'};"]
        if isinstance(t, ListType):
            return [f"{dst}.ptr = ({self.ctype(t.element)} *)(uintptr_t)(uint32_t){slots[0][0]};",
                    f"{dst}.len = (size_t)(uint32_t){slots[1][0]};"]
        if isinstance(t, (Record, Tuple)):
            lines, pos = [], 0
            for member, mt in members(t):
                n = len(abi.flatten(mt))
                lines += self.lift(mt, f"{dst}.{member}", slots[pos:pos + n])
                pos += n
            return lines
        if isinstance(t, (Enum, Flags)):
            return [f"{dst} = ({self.ctype(t)})({slots[0][0]});"]
        if isinstance(t, (Own, Borrow)):
            if self.ours(t.resource):
                if isinstance(t, Own):
                    raise GlueError(f"receiving own<{t.resource.name}> of an exported resource "
                                    "is not supported")
                return [f"{dst} = ({self.ctype(t)})(uintptr_t){slots[0][0]};"]
            return [f"{dst}.handle = (int32_t)({slots[0][0]});"]
        if isinstance(t, VARIANTS):
            tag = tag_field(t)
            lines = [f"{dst}.{tag} = ({tag_ctype(t)})({slots[0][0]});", f"switch ((int){dst}.{tag}) {{"]
            payload = slots[1:]
            for k, (member, ct) in enumerate(cases_with_members(t)):
                if ct is None:
                    continue
                want = abi.flatten(ct)
                coerced = [(_coerce_down(payload[i][0], payload[i][1], w), w) for i, w in enumerate(want)]
                lines += [f"case {k}: {{", *["  " + s for s in self.lift(ct, f"{dst}.{member}", coerced)],
                          "  break;", "}"]
            return lines + ["default: break;", "}"]
        raise GlueError(f"cannot lift {t!r}")

    def lower(self, t: Any, src: str, slots: list[tuple[str, str]]) -> list[str]:
        """Statements setting the flat core variables `slots` [(var, core type)] from `src`."""
        if isinstance(t, str):
            if t == "string":
                return [f"{slots[0][0]} = (int32_t)(uintptr_t){src}.ptr;",
                        f"{slots[1][0]} = (int32_t){src}.len;"]
            return [f"{slots[0][0]} = ({CORE_C[slots[0][1]]})({src});"]
        if isinstance(t, ListType):
            return [f"{slots[0][0]} = (int32_t)(uintptr_t){src}.ptr;", f"{slots[1][0]} = (int32_t){src}.len;"]
        if isinstance(t, (Record, Tuple)):
            lines, pos = [], 0
            for member, mt in members(t):
                n = len(abi.flatten(mt))
                lines += self.lower(mt, f"{src}.{member}", slots[pos:pos + n])
                pos += n
            return lines
        if isinstance(t, (Enum, Flags)):
            return [f"{slots[0][0]} = (int32_t)({src});"]
        if isinstance(t, (Own, Borrow)):
            if self.ours(t.resource):
                if isinstance(t, Own):
                    base = self.resource_base(t.resource)
                    return [f"{slots[0][0]} = {base}_new_handle({src});"]
                return [f"{slots[0][0]} = (int32_t)(uintptr_t)({src});"]
            return [f"{slots[0][0]} = {src}.handle;"]
        if isinstance(t, VARIANTS):
            tag = tag_field(t)
            lines = [f"{slots[0][0]} = (int32_t)({src}.{tag});"]
            lines += [f"{var} = 0;" for var, _ in slots[1:]]
            lines.append(f"switch ((int){src}.{tag}) {{")
            for k, (member, ct) in enumerate(cases_with_members(t)):
                if ct is None:
                    continue
                temps = []
                case_lines = []
                for core in abi.flatten(ct):
                    var = f"t{next(self.tmp)}"
                    case_lines.append(f"  {CORE_C[core]} {var};")
                    temps.append((var, core))
                case_lines += ["  " + s for s in self.lower(ct, f"{src}.{member}", temps)]
                case_lines += [f"  {slots[1 + i][0]} = {_coerce_up(var, have, slots[1 + i][1])};"
                               for i, (var, have) in enumerate(temps)]
                lines += [f"case {k}: {{", *case_lines, "  break;", "}"]
            return lines + ["default: break;", "}"]
        raise GlueError(f"cannot lower {t!r}")

    # -- walks over values -------------------------------------------------------------
    def owns(self, t: Any, lv: str) -> list[str]:
        """Replace, in place, every rep of an own handle of ours in `lv` by a new handle."""
        if not contains_own_of(t, self.ours):
            return []
        if isinstance(t, Own):
            base = self.resource_base(t.resource)
            return [f"{lv} = ({base}_t *)(uintptr_t){base}_new_handle({lv});"]
        return self.walk_value(t, lv, self.owns)

    def frees(self, t: Any, lv: str) -> list[str]:
        """Free every list and string buffer reachable from `lv` (elements first)."""
        if not contains_pointer(t):
            return []
        if t == "string":
            return [f"wv_free({lv}.ptr);"]
        if isinstance(t, ListType):
            return self.walk_value(t, lv, self.frees) + [f"wv_free({lv}.ptr);"]
        return self.walk_value(t, lv, self.frees)

    def walk_value(self, t: Any, lv: str, visit: Any) -> list[str]:
        """`visit(part type, part lvalue)` over the parts of `lv` (list elements, members,
        the active case's payload), as statements; nothing when no part needs any."""
        if isinstance(t, ListType):
            i = f"i{next(self.tmp)}"
            inner = visit(t.element, f"{lv}.ptr[{i}]")
            if not inner:
                return []
            return [f"for (size_t {i} = 0; {i} < {lv}.len; {i}++) {{", *["  " + s for s in inner], "}"]
        if isinstance(t, (Record, Tuple)):
            return [s for member, mt in members(t) for s in visit(mt, f"{lv}.{member}")]
        if isinstance(t, VARIANTS):
            lines = []
            for k, (member, ct) in enumerate(cases_with_members(t)):
                inner = visit(ct, f"{lv}.{member}") if ct is not None else []
                if inner:
                    lines += [f"case {k}: {{", *["  " + s for s in inner], "  break;", "}"]
            if not lines:
                return []
            return [f"switch ((int){lv}.{tag_field(t)}) {{", *lines, "default: break;", "}"]
        return []


# -- helpers over the type model -----------------------------------------------------------

def children(t: Any) -> list[Any]:
    if isinstance(t, Record):
        return [ft for _, ft in t.fields]
    if isinstance(t, Tuple):
        return list(t.items)
    if isinstance(t, ListType):
        return [t.element]
    if isinstance(t, Option):
        return [t.inner]
    if isinstance(t, Result):
        return [x for x in (t.ok, t.err) if x is not None]
    if isinstance(t, Variant):
        return [c for _, c in t.cases if c is not None]
    return []


def members(t: Any) -> list[tuple[str, Any]]:
    if isinstance(t, Record):
        return [(field_name(n), ft) for n, ft in t.fields]
    return [(f"f{i}", it) for i, it in enumerate(t.items)]


def cases_with_members(t: Any) -> list[tuple[str, Any]]:
    """(C member path below the value, payload type or None) per case, in case order."""
    if isinstance(t, Variant):
        return [(f"val.{field_name(n)}", c) for n, c in t.cases]
    if isinstance(t, Option):
        return [("val", None), ("val", t.inner)]
    return [("val.ok", t.ok), ("val.err", t.err)]


def tag_field(t: Any) -> str:
    return "tag" if isinstance(t, Variant) else "is_some" if isinstance(t, Option) else "is_err"


def tag_ctype(t: Any) -> str:
    if isinstance(t, Variant):
        return f"uint{abi.discriminant_size(len(t.cases)) * 8}_t"
    return "bool"


def contains_pointer(t: Any) -> bool:
    if t == "string" or isinstance(t, ListType):
        return True
    return any(contains_pointer(c) for c in children(t))


def contains_own_of(t: Any, ours: Any) -> bool:
    if isinstance(t, Own):
        return bool(ours(t.resource))
    return any(contains_own_of(c, ours) for c in children(t))


# Joined flat types (CanonicalABI lift_flat_variant / lower_flat_variant): how a case's own
# flat value is read back from the joined slot (down) and widened into it (up).
_DOWN = {("i32", "f32"): "wv_f32_from_bits({})", ("i64", "i32"): "(int32_t)({})",
         ("i64", "f32"): "wv_f32_from_bits((int32_t)({}))", ("i64", "f64"): "wv_f64_from_bits({})"}
_UP = {("f32", "i32"): "wv_f32_bits({})", ("i32", "i64"): "(int64_t)(uint32_t)({})",
       ("f32", "i64"): "(int64_t)(uint32_t)wv_f32_bits({})", ("f64", "i64"): "wv_f64_bits({})"}


def _coerce(table: dict[tuple[str, str], str], expr: str, have: str, want: str) -> str:
    if have == want:
        return expr
    template = table.get((have, want))
    if template is None:
        raise GlueError(f"cannot coerce {have} to {want}")
    return template.format(expr)


def _coerce_down(expr: str, have: str, want: str) -> str:
    """A joined flat value as the case's own flat type."""
    return _coerce(_DOWN, expr, have, want)


def _coerce_up(expr: str, have: str, want: str) -> str:
    """A case's flat value widened to the joined type."""
    return _coerce(_UP, expr, have, want)
