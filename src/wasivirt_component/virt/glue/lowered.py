"""The lowered (caller-side) binding of a world's exports, for fused linking.

Fused, the virtualizer's core instance stands in for a child's lowered imports (the preview1
adapter's): the caller calls our core functions with the signature `canon lower` would have
given it (`abi.lowered_core_signature`), its pointers are into *its* memory, and no
component-model trampoline checks or copies anything. So this glue does, through the runtime
support of `c/fused.h`, what the canonical ABI does on both sides of a call.

Names. `fused:IFACE#NAME` for every function of a selected interface (`NAME` is the WIT
name: `fused:wasi:filesystem/types@0.2.12#[method]descriptor.open-at`), and
`fused:IFACE#[resource-drop]RES` for every resource the interface defines: the caller's
import `IFACE` / `NAME` is our export `fused:IFACE#NAME` (`export_name`).

Parameters are lifted as `canon lift` lifts them, with its checks: an enum or variant
discriminant out of range or a `char` that is no Unicode scalar value traps, unknown flag
bits are dropped, a bool is "not zero". Strings and lists are copied from the caller's
memory into ours (misaligned or out of bounds: trap); a string that is not UTF-8 traps, as
the component model traps lifting one. More than 16 flat parameters arrive as a pointer to
their tuple, which is copied, then checked and converted in place, like list elements.
A `borrow` of our resource is looked up in the handle table (`c/handles.c`): an unknown,
stale or wrongly typed handle traps, as a component-model handle table would. Receiving an
`own` of ours is unsupported (as in the lifted glue), and a resource we do not export has no
meaning for this caller: both are GlueErrors.

Then the implementation function the lifted glue calls is called (glue.h's prototypes:
one implementation, two bindings), and the argument copies are freed afterwards.

Results. A result of one flat value is returned (an `own` of ours becomes a new handle of
the table). A wider one is converted in a copy and written at the trailing return pointer
with one copy (the C types *are* the canonical layout): each string and list is allocated
in the caller's memory with the caller's realloc exactly once, even when empty, in the
canonical order (a list before the strings of its elements), and its bytes copied there;
each `own` of ours becomes a table handle. Our buffers are then freed as the lifted glue's
post-return frees them (never image bytes). A misaligned return pointer, or one out of
bounds, traps.

`[resource-drop]RES` removes the handle from the table (bad handle: trap) and destroys the
rep (`RES_destroy`), what the lifted glue's `[dtor]` does. Every export holds a reentrancy
guard: a caller's realloc calling back into us traps (the component model forbids
reentering an instance). Traps are `__builtin_trap`, only where the component model traps.
`wasivirt:fused#live-handles` tells how many handles the caller holds (for tests).

The header and the host import wrappers are cgen's: the host is called with our memory
and our `cabi_realloc`.

Forwarding (`Forward`). A few exports can hand a call straight to the host's function of
the same name, lowered with the *caller's* memory and realloc, so the host reads the
caller's arguments and writes its result where the caller wants it: one copy of a stream's
bytes, not two. The core then imports that host function a second time, as
`[caller-memory]NAME` (`forward_import_name`) from the host interface's module; the
composer lowers it with the caller's options (`fuse/host.py`). The export asks the runtime
after lifting `self` (`FN_forward(self, &host_self)`: true to forward, with the host
handle), then passes the caller's other flat arguments and return pointer through
unchanged (the host's own lifting checks them, as it would for the caller). What the host
wrote is still the host's: its handles mean nothing to the caller. So a forwarded function
must return `result<T, E>` with no handle in `T`; on an error the glue loads `E` back,
the runtime makes it ours (`FN_forwarded_err(self, &host_err, &err)`, e.g. wrapping a host
`error`), and `E` is stored over the host's like any result of ours (its handles made
table handles).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...compose import abi
from ...compose.types import (
    Borrow,
    Enum,
    Flags,
    FuncType,
    ListType,
    Own,
    Resource,
    Result,
    Tuple,
    Variant,
)
from .cgen import (
    CORE_C,
    MAX_FLAT_PARAMS,
    VARIANTS,
    GeneratedGlue,
    Generator,
    cases_with_members,
    children,
    contains_own_of,
    contains_pointer,
    declare_var,
    field_name,
    is_scalar,
    tag_field,
)
from .model import Function, GlueError, Interface, World

PREFIX = "fused:"
RUNTIME_HEADER = "fused.h"
LIVE_HANDLES = "wasivirt:fused#live-handles"
FORWARD_MARK = "[caller-memory]"


@dataclass(frozen=True)
class Forward:
    """Let the export `interface`#`function` forward to the imported `host`#`function`,
    lowered with the caller's memory and realloc (see the module docstring)."""

    interface: str
    function: str
    host: str


def forward_import_name(name: str) -> str:
    """The core import name of the host's `name` lowered with the caller's options."""
    return FORWARD_MARK + name


def export_name(interface: str, name: str) -> str:
    """The core export standing in for the caller's import `interface` / `name`."""
    return f"{PREFIX}{interface}#{name}"


def drop_name(interface: str, resource: str) -> str:
    """The core export dropping a handle of `resource` (defined by `interface`)."""
    return export_name(interface, f"[resource-drop]{resource}")


def generate_lowered(world: World, interfaces: Iterable[str] | None = None,
                     header_name: str = "glue.h", forward: Iterable[Forward] = ()) -> GeneratedGlue:
    """glue.h (as `cgen.generate` makes it, plus the forwarding hooks) and a glue.c with
    the lowered exports of the world's exported `interfaces` (qualified names; None: all),
    those in `forward` able to forward to the host, and the import wrappers."""
    selected = None if interfaces is None else set(interfaces)
    if selected is not None:
        unknown = selected - {i.qualified for i in world.exports}
        if unknown:
            raise GlueError(f"not exported by world {world.name}: {', '.join(sorted(unknown))}")
    return LoweredGenerator(world, header_name, selected, list(forward)).run()


def _find(interfaces: list[Interface], qualified: str, name: str, what: str) -> Function:
    for iface in interfaces:
        if iface.qualified == qualified:
            for fn in iface.functions:
                if fn.name == name:
                    return fn
    raise GlueError(f"forwarding {name}: the world {what} no {qualified} with it")


class LoweredGenerator(Generator):
    """`cgen.Generator` with the exports bound the lowered way (see the module docstring)."""

    def __init__(self, world: World, header_name: str, selected: set[str] | None,
                 forward: list[Forward] | None = None) -> None:
        super().__init__(world, header_name)
        self.selected = selected
        self.forwards: dict[int, Function] = {}  # id(our export) -> the host function
        self.forwarded: list[Function] = []
        for f in forward or []:
            ours = _find(world.exports, f.interface, f.function, "exports")
            host = _find(world.imports, f.host, f.function, "imports")
            self.check_forward(ours, host)
            self.forwards[id(ours)] = host
            self.forwarded.append(ours)
        self.kept: list[Any] = []  # types made here: C names are keyed by id(), keep them alive
        self.lifting_caller = False  # lift() is the caller's values (else the host's results)
        self.type_tags: dict[str, int] = {}
        for iface in world.exports:
            for resource in iface.resources:
                self.type_tags[self.resource_base(resource)] = len(self.type_tags) + 1

    def prelude(self) -> list[str]:
        """fused.h, then what every export may use: each resource's table tag and its
        `new_handle` over the table (any interface's functions may return any resource)."""
        out = [f'#include "{RUNTIME_HEADER}"', ""]
        for iface in self.world.exports:
            for resource in iface.resources:
                base, tag = self.resource_base(resource), self.tag(resource)
                out += [f"#define {tag} {self.type_tags[base]}u",
                        f"int32_t {base}_new_handle({base}_t *rep) {{ return wv_handle_new(rep, {tag}); }}"]
        return out + ["", "/* How many of our handles the caller holds (for tests and the curious). */",
                      f'__attribute__((export_name("{LIVE_HANDLES}")))',
                      "uint32_t __wv_fused_live_handles(void) { return wv_handle_live(); }"]

    def extra_prototypes(self) -> list[str]:
        """The runtime's forwarding hooks (see the module docstring)."""
        out: list[str] = []
        for fn in self.forwarded:
            host = self.forwards[id(fn)]
            name = self.c_function_name(fn)
            self_t, host_self_t = self.ctype(fn.params[0][1]), self.ctype(host.params[0][1])
            out += [f"\n/* forwarding {fn.interface.qualified}#{fn.name} to the host (fused) */",
                    f"bool {name}_forward({declare_var(self_t, 'self')}, {host_self_t} *host);"]
            assert isinstance(fn.result, Result) and isinstance(host.result, Result)
            if _needs_translation(host.result.err):
                out.append(f"void {name}_forwarded_err({declare_var(self_t, 'self')}, "
                           f"const {self.ctype(host.result.err)} *host, {self.ctype(fn.result.err)} *err);")
        return out

    def check_forward(self, fn: Function, host: Function) -> None:
        """What forwarding needs: a method on a resource of ours whose host counterpart
        takes the host's resource and the same other parameters, a wide `result` with no
        handle in its ok type and an error type laid out the same both sides."""
        where = f"forwarding {fn.interface.qualified}#{fn.name}"
        if not fn.params or not host.params or len(fn.params) != len(host.params):
            raise GlueError(f"{where}: the host's function takes other parameters")
        ours_self, host_self = fn.params[0][1], host.params[0][1]
        if not (isinstance(ours_self, Borrow) and self.ours(ours_self.resource)
                and isinstance(host_self, Borrow) and not self.ours(host_self.resource)):
            raise GlueError(f"{where}: the first parameter must borrow our resource (the host's, there)")
        for (_, a), (_, b) in zip(fn.params[1:], host.params[1:], strict=True):
            if _handles(a) or _handles(b) or not _same_shape(a, b):
                raise GlueError(f"{where}: the parameters after self must be the same, with no handles")
        if len([f for _, t in fn.params for f in abi.flatten(t)]) > MAX_FLAT_PARAMS:
            raise GlueError(f"{where}: spilled parameters cannot be forwarded")
        r, h = fn.result, host.result
        if (not (isinstance(r, Result) and isinstance(h, Result))
                or abi.lowered_core_signature(FuncType(tuple(fn.params), r))[1]):
            raise GlueError(f"{where}: only a result<T, E> returned through a return pointer is forwarded")
        if _handles(r.ok) or _handles(h.ok) or not _same_shape(r.ok, h.ok):
            raise GlueError(f"{where}: the ok type must be the same both sides, with no handles")
        if r.err is None or h.err is None:
            if r.err is not h.err:
                raise GlueError(f"{where}: the error types are laid out differently")
            return
        if (abi.size(r.err), abi.alignment(r.err), abi.flatten(r.err)) != (
                abi.size(h.err), abi.alignment(h.err), abi.flatten(h.err)):
            raise GlueError(f"{where}: the error types are laid out differently")
        if any(isinstance(x, Borrow) or self.ours(x.resource) for x in _handles(h.err)):
            raise GlueError(f"{where}: the host's error may hold only owned host handles")

    def forward_source(self, fn: Function, args: list[str]) -> tuple[list[str], list[str]]:
        """The extern of the host's function lowered with the caller's options, and the
        statements forwarding to it (after `a_self` is lifted; returns from the export)."""
        host = self.forwards[id(fn)]
        name = self.c_function_name(fn)
        params, _ = abi.lowered_core_signature(FuncType(tuple(host.params), host.result))
        symbol = f"__wv_forward_{name}"
        r, h = fn.result, host.result
        assert isinstance(r, Result) and isinstance(h, Result)
        extern = [f'__attribute__((import_module("{host.interface.qualified}"), '
                  f'import_name("{forward_import_name(host.name)}")))',
                  f"extern void {symbol}({', '.join(CORE_C[c] for c in params)});"]
        body = [f"{self.ctype(host.params[0][1])} fwd;",
                f"if ({name}_forward(a_self, &fwd)) {{",
                f"  {symbol}({', '.join(['fwd.handle', *args[1:], 'retptr'])});"]
        if _needs_translation(h.err):
            offset = abi.payload_offset(r)
            hr, err = self.ctype(h), self.ctype(r.err)
            translate = [f"{declare_var(err, 'e')};", "__builtin_memset(&e, 0, sizeof e);",
                         f"{name}_forwarded_err(a_self, &h.val.err, &e);",
                         f"{declare_var(err, 'out')} = e;", *self.emit(r.err, "out"),
                         f"wv_fused_store((uint32_t)retptr + {offset}u, &out, sizeof out);",
                         *self.frees(r.err, "e")]
            body += [f"  {hr} h;", f"  wv_fused_load(&h, (uint32_t)retptr, sizeof h, {abi.alignment(h)});",
                     "  if (*(uint8_t *)&h.is_err) {", *["    " + x for x in translate], "  }"]
        body += ["  wv_fused_leave();", "  return;", "}"]
        return extern, body

    def tag(self, resource: Resource) -> str:
        return f"WV_HT_{self.resource_base(resource).upper()}"

    def export_source(self, iface: Interface) -> list[str]:
        if self.selected is not None and iface.qualified not in self.selected:
            return []
        out: list[str] = []
        for resource in iface.resources:
            out += self.drop_export(iface, resource)
        for fn in iface.functions:
            out += self.lowered_export(fn)
        return out

    def drop_export(self, iface: Interface, resource: Resource) -> list[str]:
        base = self.resource_base(resource)
        return [f'__attribute__((export_name("{drop_name(iface.qualified, resource.name)}")))',
                f"void __wv_fused_drop_{base}(int32_t h) {{",
                "  wv_fused_enter();",
                f"  {base}_destroy(({base}_t *)wv_handle_take(h, {self.tag(resource)}));",
                "  wv_fused_leave();", "}", ""]

    # -- one export ------------------------------------------------------------------------
    def lowered_export(self, fn: Function) -> list[str]:
        self.lifting_caller = True
        try:
            return self._lowered_export(fn)
        finally:
            self.lifting_caller = False

    def _lowered_export(self, fn: Function) -> list[str]:
        self.check_signature(fn)
        flat_params = [f for _, t in fn.params for f in abi.flatten(t)]
        core_params, core_results = abi.lowered_core_signature(FuncType(tuple(fn.params), fn.result))
        retptr = fn.result is not None and not core_results
        decls = [f"{CORE_C[c]} p{i}" for i, c in enumerate(core_params[:len(core_params) - retptr])]
        decls += ["int32_t retptr"] if retptr else []
        body = ["wv_fused_enter();"]
        if fn.result is not None and retptr:
            body.append(f"wv_fused_check_retptr((uint32_t)retptr, {abi.alignment(fn.result)});")
        args: list[str] = []
        frees: list[str] = []
        extern: list[str] = []
        if len(flat_params) > MAX_FLAT_PARAMS:
            spilled = Tuple(tuple(t for _, t in fn.params))
            self.kept.append(spilled)
            ctype = self.ctype(spilled)
            body += [f"{ctype} a;", f"wv_fused_load(&a, (uint32_t)p0, sizeof a, {abi.alignment(spilled)});",
                     *self.adopt(spilled, "a")]
            locals_ = [(f"a.f{i}", t) for i, (_, t) in enumerate(fn.params)]
        else:
            slots = [(f"p{i}", c) for i, c in enumerate(flat_params)]
            locals_, pos = [], 0
            for name, t in fn.params:
                n = len(abi.flatten(t))
                local = f"a_{field_name(name)}"
                body += [f"{declare_var(self.ctype(t), local)};", *self.lift(t, local, slots[pos:pos + n])]
                if not pos and id(fn) in self.forwards:  # `self` lifted: forward before anything else
                    extern, forwarding = self.forward_source(fn, [s for s, _ in slots])
                    body += forwarding
                locals_.append((local, t))
                pos += n
        for local, t in locals_:
            args.append(local if is_scalar(t) else f"&{local}")
            frees += self.frees(t, local)
        ret = "void"
        if fn.result is None:
            body += [*self.call_into(fn, args, ""), *frees]
        elif not retptr:
            ret = CORE_C[core_results[0]]
            ctype = self.ctype(fn.result)
            body += [f"{declare_var(ctype, 'r')};", *self.call_into(fn, args, "r"), *frees,
                     f"{ret} s0;", *self.lower(fn.result, "r", [("s0", core_results[0])])]
        else:
            ctype = self.ctype(fn.result)
            body += [f"{declare_var(ctype, 'r')};", "__builtin_memset(&r, 0, sizeof r);",
                     *self.call_into(fn, args, "r"), *frees,
                     f"{declare_var(ctype, 'out')} = r;", *self.emit(fn.result, "out"),
                     "wv_fused_store((uint32_t)retptr, &out, sizeof out);", *self.frees(fn.result, "r")]
        body.append("wv_fused_leave();")
        if ret != "void":
            body.append("return s0;")
        symbol = f"__wv_fused_{self.c_function_name(fn)}"
        return [*extern, f'__attribute__((export_name("{export_name(fn.interface.qualified, fn.name)}")))',
                f"{ret} {symbol}({', '.join(decls) or 'void'}) {{", *["  " + s for s in body], "}", ""]

    def check_signature(self, fn: Function) -> None:
        where = f"{fn.interface.qualified}#{fn.name}"
        for t in [t for _, t in fn.params] + ([fn.result] if fn.result is not None else []):
            for handle in _handles(t):
                if not self.ours(handle.resource):
                    raise GlueError(f"{where}: the resource {handle.resource.name} is not exported by "
                                    "this world, so a fused caller cannot hold its handles")
        if fn.result is not None and any(isinstance(h, Borrow) for h in _handles(fn.result)):
            raise GlueError(f"{where}: a borrow in a result is not valid WIT")

    # -- parameters: flat values ----------------------------------------------------------
    def lift(self, t: Any, dst: str, slots: list[tuple[str, str]]) -> list[str]:
        """cgen's lift, made for a caller's flat values while a lowered export is made (the
        import wrappers lift the host's results, which the component model has checked)."""
        if not self.lifting_caller:
            return super().lift(t, dst, slots)
        first = slots[0][0] if slots else ""
        if t == "string" or isinstance(t, ListType):
            ptr, length = f"(uint32_t){slots[0][0]}", f"(uint32_t){slots[1][0]}"
            return [f"{dst}.len = (size_t){length};", *self.copy_in(t, dst, ptr, length)]
        if t == "char":
            return [f"wv_fused_check_char((uint32_t){first});", *super().lift(t, dst, slots)]
        if isinstance(t, Enum):
            return [f"if ((uint32_t){first} >= {len(t.names)}u) wv_fused_trap();", *super().lift(t, dst, slots)]
        if isinstance(t, Flags):
            return [f"{dst} = ({self.ctype(t)})((uint32_t){first} & {_mask(len(t.names))});"]
        if isinstance(t, (Own, Borrow)):
            return [f"{dst} = {self.rep_of(t, first)};"]
        if isinstance(t, VARIANTS):
            cases = len(cases_with_members(t))
            return [f"if ((uint32_t){first} >= {cases}u) wv_fused_trap();", *super().lift(t, dst, slots)]
        return super().lift(t, dst, slots)

    def rep_of(self, t: Own | Borrow, handle: str) -> str:
        """The C expression of the rep that the caller's handle `handle` (an i32) names."""
        if isinstance(t, Own):
            raise GlueError(f"receiving own<{t.resource.name}> of an exported resource is not supported")
        base = self.resource_base(t.resource)
        return f"({base}_t *)wv_handle_get((int32_t)({handle}), {self.tag(t.resource)})"

    def copy_in(self, t: Any, dst: str, ptr: str, length: str) -> list[str]:
        """`dst.ptr` = our copy of the caller's string or list at `ptr` (`length` elements),
        its elements then made ours in place."""
        if t == "string":
            return [f"{dst}.ptr = wv_fused_string_in({ptr}, {length});"]
        element = t.element
        if t.length is not None:
            raise GlueError("fixed-length lists are not supported")
        ectype = self.ctype(element)
        lines = [f"{dst}.ptr = ({ectype} *)wv_fused_in({ptr}, {length}, {abi.size(element)}, "
                 f"{abi.alignment(element)});"]
        i = f"i{next(self.tmp)}"
        inner = self.adopt(element, f"{dst}.ptr[{i}]")
        if inner:
            lines += [f"for (size_t {i} = 0; {i} < {dst}.len; {i}++) {{", *["  " + s for s in inner], "}"]
        return lines

    # -- parameters: values copied from the caller's memory --------------------------------
    def adopt(self, t: Any, lv: str) -> list[str]:
        """Make `lv`, a value as the caller's memory held it (now in ours), ours in place:
        the checks `canon lift` makes on a loaded value, copies of its strings and lists,
        reps for its handles."""
        if t == "string" or isinstance(t, ListType):
            return self.copy_in(t, lv, f"(uint32_t)(uintptr_t){lv}.ptr", f"(uint32_t){lv}.len")
        if t == "bool":
            return [f"*(uint8_t *)&{lv} = *(uint8_t *)&{lv} != 0;"]
        if t == "char":
            return [f"wv_fused_check_char({lv});"]
        if isinstance(t, str):
            return []
        if isinstance(t, Enum):
            return _below(lv, len(t.names), abi.size(t))
        if isinstance(t, Flags):
            return [f"{lv} &= {_mask(len(t.names))};"] if len(t.names) < abi.size(t) * 8 else []
        if isinstance(t, (Own, Borrow)):
            return [f"{lv} = {self.rep_of(t, f'(uintptr_t){lv}')};"]
        if isinstance(t, VARIANTS):
            tag = f"{lv}.{tag_field(t)}"
            if isinstance(t, Variant):
                check = _below(tag, len(t.cases), abi.discriminant_size(len(t.cases)))
            else:  # a C bool: look at its byte before anything reads it as a bool
                check = [f"if (*(uint8_t *)&{tag} > 1) wv_fused_trap();"]
            return check + self.walk_value(t, lv, self.adopt)
        return self.walk_value(t, lv, self.adopt)

    # -- results ---------------------------------------------------------------------------
    def emit(self, t: Any, lv: str) -> list[str]:
        """Turn `lv`, a copy of a result, into the value the caller's memory will hold, in
        place: strings and lists allocated and copied into the caller's memory, own handles
        of ours made table handles. The original keeps our pointers (freed afterwards)."""
        if not (contains_pointer(t) or contains_own_of(t, self.ours)):
            return []
        if t == "string":
            return [f"{lv}.ptr = (uint8_t *)(uintptr_t)wv_fused_out({lv}.ptr, (uint32_t){lv}.len, 1, 1);"]
        if isinstance(t, ListType):
            element = t.element
            ectype = self.ctype(element)
            size, align = abi.size(element), abi.alignment(element)
            inner_needed = contains_pointer(element) or contains_own_of(element, self.ours)
            if not inner_needed:
                return [f"{lv}.ptr = ({ectype} *)(uintptr_t)wv_fused_out({lv}.ptr, (uint32_t){lv}.len, "
                        f"{size}, {align});"]
            n = next(self.tmp)
            i, dst, el = f"i{n}", f"d{n}", f"e{n}"
            # the list first, then its elements' own lists, in order (canonical ABI store)
            return ["{", f"  uint32_t {dst} = wv_fused_alloc((uint32_t){lv}.len, {size}, {align});",
                    f"  for (size_t {i} = 0; {i} < {lv}.len; {i}++) {{",
                    f"    {declare_var(ectype, el)} = {lv}.ptr[{i}];",
                    *["    " + s for s in self.emit(element, el)],
                    f"    wv_fused_copy_out({dst} + (uint32_t){i} * {size}u, &{el}, {size});", "  }",
                    f"  {lv}.ptr = ({ectype} *)(uintptr_t){dst};", "}"]
        if isinstance(t, Own):
            base = self.resource_base(t.resource)
            return [f"{lv} = ({base}_t *)(uintptr_t){base}_new_handle({lv});"]
        return self.walk_value(t, lv, self.emit)


def _handles(t: Any) -> list[Own | Borrow]:
    if isinstance(t, (Own, Borrow)):
        return [t]
    return [h for c in children(t) for h in _handles(c)]


def _same_shape(a: Any, b: Any) -> bool:
    """Whether two value types are the same but for their names and owners (ours and the
    host's `directory-entry` are): one canonical ABI layout, one meaning. Resources only
    match themselves."""
    if isinstance(a, Resource) or isinstance(b, Resource):
        return a is b
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same_shape(x, y) for x, y in zip(a, b, strict=True))
    if not dataclasses.is_dataclass(a) or isinstance(a, type):
        return type(a) is type(b) and a == b
    if type(a) is not type(b):
        return False
    return all(_same_shape(getattr(a, f.name), getattr(b, f.name))
               for f in dataclasses.fields(a) if f.name != "name")


def _needs_translation(t: Any) -> bool:
    """Whether a host value of type `t` must be made ours before the caller sees it."""
    return t is not None and bool(_handles(t))


def _mask(count: int) -> str:
    return f"{(1 << count) - 1:#x}u"


def _below(lv: str, count: int, width: int) -> list[str]:
    """Trap unless the unsigned `lv` (`width` bytes) is below `count`; nothing when every
    value of that width is (the compiler would call the test tautological)."""
    return [] if count >= 1 << (8 * width) else [f"if ({lv} >= {count}u) wv_fused_trap();"]
