"""A component's top-level definitions as a list of items that refer to each other.

Splicing the virtualizer into a child means inserting definitions before others and
deleting some, which shifts every index after them. So each top-level definition (a core
instance, an alias, a type, a canon function, an import...) becomes an `Item` holding its
original bytes and the items it refers to, in the order its bytes mention them; encoding
walks the bytes again and writes each reference as the *current* position of its target.
Edits are then list edits: replace a reference, insert an item, drop one.

Core modules, nested components and custom sections are kept byte for byte; a nested
component or a type body reaching the top level through an outer alias is followed too.
Anything this walker does not know (values, start functions, async canon built-ins, GC
core types) raises `Unsupported`: the splice cannot prove such a child safe to rewrite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..binary.encode import COMPONENT_PREAMBLE, section_header, sleb, uleb
from ..binary.encode import name as enc_name
from ..binary.reader import Reader
from ..binary.sections import iter_sections
from ..errors import BinaryFormatError

SORTS = {0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}
CORE_SORTS = {0x00: "core func", 0x01: "core table", 0x02: "core memory", 0x03: "core global",
              0x04: "core tag", 0x10: "core type", 0x11: "core module", 0x12: "core instance"}
CORE_SORT_BYTES = {v: k for k, v in CORE_SORTS.items()}
SORT_BYTES = {v: k for k, v in SORTS.items()}
EXTERN_SPACES = {0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}

SEC_CUSTOM, SEC_CORE_MODULE, SEC_CORE_INSTANCE, SEC_CORE_TYPE, SEC_COMPONENT = 0, 1, 2, 3, 4
SEC_INSTANCE, SEC_ALIAS, SEC_TYPE, SEC_CANON, SEC_START, SEC_IMPORT, SEC_EXPORT = 5, 6, 7, 8, 9, 10, 11
_SINGLE = (SEC_CUSTOM, SEC_CORE_MODULE, SEC_COMPONENT)  # one item per section

Ref = Callable[[str, int], int]          # (index space, index) -> index to write
IndexOf = Callable[["Item"], int]        # an item's position in its index space


class Unsupported(Exception):
    """The component uses something the splice does not rewrite (the message says what)."""


@dataclass
class Info:
    """What an item is, as far as the splice needs to know (names point into `Item.refs`)."""

    kind: str                                          # e.g. "instantiate", "alias export", "canon lower"
    name: str | None = None                            # import/export/alias name
    named: list[tuple[str, int]] = field(default_factory=list)   # (name, refs index) of args/exports
    options: dict[str, int] = field(default_factory=dict)        # canon options: name -> refs index
    encoding: str = "utf8"                                       # canon string-encoding option


@dataclass(eq=False)
class Item:
    """One top-level definition. `space` is the index space it adds an entry to (None for
    custom sections); `refs` are the items its bytes refer to, in order. Synthesized items
    have no `data` and encode through `build`."""

    section: int
    space: str | None
    refs: list[Item]
    info: Info
    data: memoryview | bytes | list[bytes | memoryview] | None = None   # (a list: a module in pieces)
    build: Callable[[IndexOf], bytes] | None = None

    def target(self, position: int) -> Item:
        return self.refs[position]

    def named_target(self, name: str) -> Item | None:
        return next((self.refs[k] for n, k in self.info.named if n == name), None)

    def encode(self, index_of: IndexOf) -> bytes | memoryview | list[bytes | memoryview]:
        if self.build is not None:
            return self.build(index_of)
        assert self.data is not None
        if self.section in _SINGLE and not self.refs:
            return self.data
        assert not isinstance(self.data, list)
        targets = iter(self.refs)
        out = bytearray()
        r = Reader(self.data, 0, None, "item")
        ref: Ref = lambda space, idx: index_of(next(targets))  # noqa: E731
        if self.section == SEC_COMPONENT:
            _nested_component(r, out, ref, depth=1)
        else:
            _walk(self.section, r, out, ref, depth=0)
        return memoryview(out)


@dataclass
class Component:
    """A parsed component: its items in order."""

    items: list[Item]


# -- parsing --------------------------------------------------------------------------------

def parse_component(data: bytes | memoryview, what: str = "component") -> Component:
    """The top-level items of `data` with their references resolved."""
    view = memoryview(data)
    if bytes(view[:8]) != COMPONENT_PREAMBLE:
        raise BinaryFormatError(f"{what}: not a component")
    spaces: dict[str, list[Item]] = {}
    items: list[Item] = []
    for sec in iter_sections(view, 8, None, what):
        r = Reader(view, sec.start, sec.end, what)
        if sec.id in _SINGLE:
            start = r.pos
            refs: list[Item] = []
            if sec.id == SEC_COMPONENT:
                _nested_component(r, bytearray(), _recorder(spaces, refs, r), depth=1)
            item = Item(sec.id, {SEC_CORE_MODULE: "core module", SEC_COMPONENT: "component"}.get(sec.id),
                        refs, Info({SEC_CUSTOM: "custom", SEC_CORE_MODULE: "core module",
                                    SEC_COMPONENT: "component"}[sec.id]), view[start:sec.end])
            _define(spaces, items, item)
            continue
        if sec.id not in (SEC_CORE_INSTANCE, SEC_CORE_TYPE, SEC_INSTANCE, SEC_ALIAS, SEC_TYPE, SEC_CANON,
                          SEC_IMPORT, SEC_EXPORT):
            raise Unsupported(f"section {sec.id} ({'start' if sec.id == SEC_START else 'values'})")
        for _ in range(r.count()):
            start = r.pos
            refs = []
            info, space = _walk(sec.id, r, bytearray(), _recorder(spaces, refs, r), depth=0)
            _define(spaces, items, Item(sec.id, space, refs, info, view[start:r.pos]))
        if not r.at_end():
            raise r.error(f"section {sec.id} has {r.remaining()} trailing bytes")
    return Component(items)


def _recorder(spaces: dict[str, list[Item]], refs: list[Item], r: Reader) -> Ref:
    def ref(space: str, index: int) -> int:
        defined = spaces.get(space, [])
        if index >= len(defined):
            raise r.error(f"{space} index {index} out of range ({len(defined)} defined)")
        refs.append(defined[index])
        return index
    return ref


def _define(spaces: dict[str, list[Item]], items: list[Item], item: Item) -> None:
    items.append(item)
    if item.space is not None:
        spaces.setdefault(item.space, []).append(item)


# -- encoding -------------------------------------------------------------------------------

def encode_component(items: list[Item]) -> bytes:
    """The component binary of `items` (consecutive items of one kind share a section)."""
    positions: dict[int, int] = {}
    counters: dict[str, int] = {}
    for item in items:
        if item.space is not None:
            positions[id(item)] = counters.get(item.space, 0)
            counters[item.space] = positions[id(item)] + 1

    def index_of(target: Item) -> int:
        try:
            return positions[id(target)]
        except KeyError:
            raise Unsupported(f"an item refers to a removed {target.space} ({target.info.kind} "
                              f"{target.info.name or ''})") from None

    parts: list[bytes | memoryview] = [COMPONENT_PREAMBLE]
    group: list[bytes | memoryview] = []
    group_id = -1

    def flush() -> None:
        if group:
            body = [uleb(len(group)), *group]
            parts.extend([section_header(group_id, sum(len(p) for p in body)), *body])
            group.clear()

    for item in items:
        data = item.encode(index_of)
        if item.section in _SINGLE:
            flush()
            pieces = data if isinstance(data, list) else [data]
            parts.extend([section_header(item.section, sum(len(p) for p in pieces)), *pieces])
            group_id = -1
            continue
        assert not isinstance(data, list)
        if item.section != group_id:
            flush()
            group_id = item.section
        group.append(data)
    flush()
    return b"".join(parts)


# -- the walker: copies one definition, rewriting top-level references through `ref` --------

def _walk(section: int, r: Reader, out: bytearray, ref: Ref, depth: int) -> tuple[Info, str | None]:
    w = _Walker(r, out, ref, depth)
    if section == SEC_CORE_INSTANCE:
        return w.core_instance(), "core instance"
    if section == SEC_CORE_TYPE:
        w.core_type()
        return Info("core type"), "core type"
    if section == SEC_INSTANCE:
        return w.instance(), "instance"
    if section == SEC_ALIAS:
        return w.alias()
    if section == SEC_TYPE:
        w.deftype()
        return Info("type"), "type"
    if section == SEC_CANON:
        return w.canon()
    if section == SEC_IMPORT:
        name = w.extern_name()
        space = w.externdesc()
        return Info("import", name), space
    if section == SEC_EXPORT:
        return w.export()
    raise Unsupported(f"section {section}")


def _nested_component(r: Reader, out: bytearray, ref: Ref, depth: int) -> None:
    """Walk a nested component's sections (bytes copied to `out`): only outer aliases that
    reach the top level call `ref`."""
    if bytes(r.take(8)) != COMPONENT_PREAMBLE:
        raise r.error("nested component: bad preamble")
    out += COMPONENT_PREAMBLE
    while not r.at_end():
        sid = r.u8()
        size = r.u32()
        body = r.sub(size)
        inner = bytearray()
        if sid in (SEC_CUSTOM, SEC_CORE_MODULE):
            inner += body.take(size)
        elif sid == SEC_COMPONENT:
            _nested_component(body, inner, ref, depth + 1)
        elif sid in (SEC_CORE_INSTANCE, SEC_CORE_TYPE, SEC_INSTANCE, SEC_ALIAS, SEC_TYPE, SEC_CANON,
                     SEC_IMPORT, SEC_EXPORT):
            n = body.count()
            inner += uleb(n)
            for _ in range(n):
                _walk(sid, body, inner, ref, depth)
        else:
            raise Unsupported(f"section {sid} in a nested component")
        if not body.at_end():
            raise body.error(f"section {sid} has trailing bytes")
        out += section_header(sid, len(inner)) + inner


class _Walker:
    """Reads one definition from `r`, writing it to `out`. `depth` is how many scopes lie
    between the definition and the top level (0: it is top-level); indices of the top level
    go through `ref`, local ones are copied."""

    def __init__(self, r: Reader, out: bytearray, ref: Ref, depth: int) -> None:
        self.r, self.out, self.ref, self.depth = r, out, ref, depth

    # -- primitives ---------------------------------------------------------------------
    def byte(self) -> int:
        b = self.r.u8()
        self.out.append(b)
        return b

    def u32(self) -> int:
        v = self.r.u32()
        self.out += uleb(v)
        return v

    def name(self) -> str:
        n = self.r.name()
        self.out += enc_name(n)
        return n

    def index(self, space: str) -> None:
        """An index into `space` of the current scope."""
        v = self.r.u32()
        self.out += uleb(self.ref(space, v) if self.depth == 0 else v)

    def count(self) -> int:
        return self.u32()

    # -- names ----------------------------------------------------------------------------
    def extern_name(self) -> str:
        tag = self.byte()
        if tag not in (0x00, 0x01, 0x02):
            raise self.r.error(f"unknown import/export name tag {tag:#x}")
        name = self.name()
        if tag == 0x02:
            for _ in range(self.count()):
                if self.byte() not in (0x00, 0x01, 0x02):
                    raise self.r.error("unknown name attribute")
                self.name()
        return name

    # -- sorts --------------------------------------------------------------------------
    def sort(self) -> str:
        b = self.byte()
        if b == 0x00:
            core = self.byte()
            if core not in CORE_SORTS:
                raise self.r.error(f"unknown core sort {core:#x}")
            return CORE_SORTS[core]
        if b not in SORTS:
            raise self.r.error(f"unknown sort {b:#x}")
        return SORTS[b]

    def sortidx(self) -> str:
        space = self.sort()
        self.index(space)
        return space

    def core_sortidx(self) -> str:
        b = self.byte()
        if b not in CORE_SORTS:
            raise self.r.error(f"unknown core sort {b:#x}")
        self.index(CORE_SORTS[b])
        return CORE_SORTS[b]

    # -- definitions ----------------------------------------------------------------------
    def core_instance(self) -> Info:
        tag = self.byte()
        info = Info("instantiate" if tag == 0x00 else "core exports")
        positions = _Positions(self)
        if tag == 0x00:
            positions.index("core module")
            for _ in range(self.count()):
                name = self.name()
                if self.byte() != 0x12:
                    raise self.r.error("core instantiation argument must be an instance")
                info.named.append((name, positions.index("core instance")))
        elif tag == 0x01:
            for _ in range(self.count()):
                name = self.name()
                info.named.append((name, positions.core_sortidx()))
        else:
            raise self.r.error(f"unknown core instance expression {tag:#x}")
        return info

    def instance(self) -> Info:
        tag = self.byte()
        info = Info("instantiate component" if tag == 0x00 else "exports")
        positions = _Positions(self)
        if tag == 0x00:
            positions.index("component")
            for _ in range(self.count()):
                name = self.name()
                info.named.append((name, positions.sortidx()))
        elif tag == 0x01:
            for _ in range(self.count()):
                name = self.extern_name()
                info.named.append((name, positions.sortidx()))
        else:
            raise self.r.error(f"unknown instance expression {tag:#x}")
        return info

    def alias(self) -> tuple[Info, str]:
        space = self.sort()
        tag = self.byte()
        if tag == 0x00:
            self.index("instance")
            return Info("alias export", self.name()), space
        if tag == 0x01:
            self.index("core instance")
            return Info("alias core export", self.name()), space
        if tag == 0x02:
            self.outer(space)
            return Info("alias outer"), space
        raise self.r.error(f"unknown alias target {tag:#x}")

    def outer(self, space: str) -> None:
        count = self.u32()
        idx = self.r.u32()
        if count > self.depth:
            raise self.r.error(f"outer alias count {count} leaves the component")
        reaches_top = count == self.depth
        self.out += uleb(self.ref(space, idx) if reaches_top else idx)

    def canon(self) -> tuple[Info, str]:
        op = self.byte()
        positions = _Positions(self)
        if op == 0x00:
            if self.byte() != 0x00:
                raise self.r.error("bad canon lift")
            info = Info("canon lift")
            info.options["func"] = positions.index("core func")
            self.canon_options(info, positions)
            positions.index("type")
            return info, "func"
        if op == 0x01:
            if self.byte() != 0x00:
                raise self.r.error("bad canon lower")
            info = Info("canon lower")
            info.options["func"] = positions.index("func")
            self.canon_options(info, positions)
            return info, "core func"
        kinds = {0x02: "canon resource.new", 0x03: "canon resource.drop", 0x04: "canon resource.rep"}
        if op in kinds:
            info = Info(kinds[op])
            info.options["type"] = positions.index("type")
            return info, "core func"
        raise Unsupported(f"canonical built-in {op:#x} (async or threads)")

    def canon_options(self, info: Info, positions: _Positions) -> None:
        for _ in range(self.count()):
            opt = self.byte()
            if opt in (0x00, 0x01, 0x02):
                info.encoding = {0x00: "utf8", 0x01: "utf16", 0x02: "latin1+utf16"}[opt]
            elif opt == 0x03:
                info.options["memory"] = positions.index("core memory")
            elif opt == 0x04:
                info.options["realloc"] = positions.index("core func")
            elif opt == 0x05:
                info.options["post-return"] = positions.index("core func")
            else:
                raise Unsupported(f"canonical option {opt:#x} (async)")

    def export(self) -> tuple[Info, str]:
        name = self.extern_name()
        space = self.sortidx()
        flag = self.byte()
        if flag == 0x01:
            self.externdesc()
        elif flag != 0x00:
            raise self.r.error("bad export type flag")
        return Info("export", name), space

    # -- types ----------------------------------------------------------------------------
    def externdesc(self) -> str:
        tag = self.byte()
        if tag == 0x00:
            if self.byte() != 0x11:
                raise self.r.error("core extern type must be a module")
            self.index("core type")
            return "core module"
        if tag in (0x01, 0x04, 0x05):
            self.index("type")
            return EXTERN_SPACES[tag]
        if tag == 0x02:
            bound = self.byte()
            if bound == 0x00:
                self.index("value")
            elif bound == 0x01:
                self.valtype()
            else:
                raise self.r.error("bad value bound")
            return "value"
        if tag == 0x03:
            bound = self.byte()
            if bound == 0x00:
                self.index("type")
            elif bound != 0x01:
                raise self.r.error("bad type bound")
            return "type"
        raise self.r.error(f"unknown extern type {tag:#x}")

    def valtype(self) -> None:
        v = self.r.s33()
        if v < 0:
            self.out += sleb(v)
        else:
            self.out += sleb(self.ref("type", v) if self.depth == 0 else v)

    def opt_valtype(self) -> None:
        flag = self.byte()
        if flag == 0x01:
            self.valtype()
        elif flag != 0x00:
            raise self.r.error("bad optional value type")

    def deftype(self) -> None:  # noqa: C901 - one case per constructor
        code = self.r.peek()
        if code in (0x40, 0x43):
            self.byte()
            for _ in range(self.count()):
                self.name()
                self.valtype()
            tag = self.byte()
            if tag == 0x00:
                self.valtype()
            elif tag == 0x01:
                if self.byte() != 0x00:
                    raise self.r.error("named results are not supported")
            else:
                raise self.r.error("bad result list")
            return
        if code in (0x41, 0x42):
            self.byte()
            inner = _Walker(self.r, self.out, self.ref, self.depth + 1)
            for _ in range(self.count()):
                inner.decl(component=code == 0x41)
            return
        if code in (0x3F, 0x3E):
            self.byte()
            if self.byte() != 0x7F:
                raise self.r.error("resource representation must be i32")
            if code == 0x3E:
                self.index("core func")
            if self.byte() == 0x01:
                self.index("core func")
            return
        self.defvaltype()

    def defvaltype(self) -> None:  # noqa: C901 - one case per constructor
        code = self.byte()
        if 0x73 <= code <= 0x7F or code == 0x64:
            return
        if code == 0x72:
            for _ in range(self.count()):
                self.name()
                self.valtype()
        elif code == 0x71:
            for _ in range(self.count()):
                self.name()
                self.opt_valtype()
                if self.byte() == 0x01:
                    self.u32()
        elif code in (0x70, 0x6B):
            self.valtype()
        elif code == 0x67:
            self.valtype()
            self.u32()
        elif code == 0x6F:
            for _ in range(self.count()):
                self.valtype()
        elif code in (0x6E, 0x6D):
            for _ in range(self.count()):
                self.name()
        elif code == 0x6A:
            self.opt_valtype()
            self.opt_valtype()
        elif code in (0x69, 0x68):
            self.index("type")
        elif code in (0x66, 0x65):
            self.opt_valtype()
        elif code == 0x63:
            self.valtype()
            self.valtype()
        else:
            raise self.r.error(f"unknown type constructor {code:#x}")

    def decl(self, *, component: bool) -> None:
        """One declaration of a component or instance type body (this walker is its scope)."""
        tag = self.byte()
        if tag == 0x00:
            self.core_type()
        elif tag == 0x01:
            self.deftype()
        elif tag == 0x02:
            space = self.sort()
            target = self.byte()
            if target == 0x02:
                self.outer(space)
            elif target in (0x00, 0x01):
                self.u32()   # an instance of this type body: local
                self.name()
            else:
                raise self.r.error("bad alias in a type")
        elif tag == 0x03 and component:
            self.extern_name()
            self.externdesc()
        elif tag == 0x04:
            self.extern_name()
            self.externdesc()
        else:
            raise self.r.error(f"unknown type declaration {tag:#x}")

    def core_type(self) -> None:
        code = self.byte()
        if code == 0x60:
            self.core_results()
            self.core_results()
            return
        if code != 0x50:
            raise Unsupported(f"core type {code:#x} (GC types)")
        inner = _Walker(self.r, self.out, self.ref, self.depth + 1)
        for _ in range(self.count()):
            tag = self.byte()
            if tag == 0x00:
                self.name()
                self.name()
                self.core_importdesc()
            elif tag == 0x01:
                if self.byte() != 0x60:
                    raise Unsupported("module types declaring non-function types")
                self.core_results()
                self.core_results()
            elif tag == 0x02:
                if self.byte() != 0x10 or self.byte() != 0x01:
                    raise self.r.error("bad alias in a module type")
                inner.outer("core type")
            elif tag == 0x03:
                self.name()
                self.core_importdesc()
            else:
                raise self.r.error(f"bad module type declaration {tag:#x}")

    def core_results(self) -> None:
        for _ in range(self.count()):
            b = self.byte()
            if b in (0x63, 0x64):  # (ref null? heaptype)
                raise Unsupported("reference types in a core type")

    def core_importdesc(self) -> None:
        """A core import/export descriptor inside a module type (local type indices)."""
        kind = self.byte()
        r = self.r
        start = r.pos
        if kind == 0x00:
            r.u32()
        elif kind == 0x01:
            r.u8()
            self._limits()
        elif kind == 0x02:
            self._limits()
        elif kind == 0x03:
            r.u8()
            r.u8()
        elif kind == 0x04:
            r.u8()
            r.u32()
        else:
            raise r.error(f"unknown import kind {kind:#x}")
        self.out += r.data[start:r.pos]

    def _limits(self) -> None:
        flags = self.r.u8()
        self.r.u64()
        if flags & 1:
            self.r.u64()


class _Positions:
    """Counts the references a definition makes, so `Info` can point into `Item.refs`
    (the recorder appends one target per top-level reference, in the same order)."""

    def __init__(self, walker: _Walker) -> None:
        self.w = walker
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n - 1 if self.w.depth == 0 else -1

    def index(self, space: str) -> int:
        self.w.index(space)
        return self._next()

    def sortidx(self) -> int:
        self.w.sortidx()
        return self._next()

    def core_sortidx(self) -> int:
        self.w.core_sortidx()
        return self._next()


# -- instance type bodies -------------------------------------------------------------------

@dataclass
class InstanceTypeBody:
    """An encoded instance type (`0x42 decls`): its declarations' bytes, and what a new
    declaration appended to it can refer to -- the next local type index and the local type
    index each type export name has."""

    decls: memoryview
    count: int
    type_count: int
    type_exports: dict[str, int]


def read_instance_type(data: bytes | memoryview, what: str = "instance type") -> InstanceTypeBody:
    """The declarations of the instance type `data` (one top-level type definition, already
    encoded: its outer aliases are copied as they are)."""
    r = Reader(data, 0, None, what)
    if r.u8() != 0x42:
        raise r.error("not an instance type")
    n = r.count()
    start = r.pos
    w = _Walker(r, bytearray(), lambda space, idx: idx, depth=1)
    types, exports = 0, {}
    for _ in range(n):
        tag = r.peek()
        if tag == 0x04:
            r.u8()
            name = w.extern_name()
            if r.peek() == 0x03:
                exports[name] = types
                types += 1
            w.externdesc()
            continue
        if tag == 0x01 or (tag == 0x02 and bytes(r.data[r.pos + 1:r.pos + 2]) == b"\x03"):
            types += 1
        w.decl(component=False)
    if not r.at_end():
        raise r.error("trailing bytes after the instance type")
    return InstanceTypeBody(memoryview(data)[start:], n, types, exports)


# -- new items ------------------------------------------------------------------------------
# Each encodes its references through `index_of` when the component is written, so it can
# be inserted anywhere before its first use.

def _core_sort(item: Item) -> bytes:
    if item.space is None or not item.space.startswith("core ") or item.space not in CORE_SORT_BYTES:
        raise ValueError(f"not a core definition: {item.space}")
    return bytes([CORE_SORT_BYTES[item.space]])


def new_core_module(data: bytes | list[bytes | memoryview]) -> Item:
    """A core module, its binary whole or in pieces (joined only into the component)."""
    return Item(SEC_CORE_MODULE, "core module", [], Info("core module"), data)


def new_instantiate(module: Item, args: list[tuple[str, Item]]) -> Item:
    """`(core instance (instantiate module (with NAME (instance X))...))`."""
    def build(index_of: IndexOf) -> bytes:
        body = b"".join(enc_name(n) + b"\x12" + uleb(index_of(i)) for n, i in args)
        return b"\x00" + uleb(index_of(module)) + uleb(len(args)) + body
    info = Info("instantiate", named=[(n, k + 1) for k, (n, _) in enumerate(args)])
    return Item(SEC_CORE_INSTANCE, "core instance", [module, *(i for _, i in args)], info, build=build)


def new_core_exports(exports: list[tuple[str, Item]]) -> Item:
    """A core instance bundling definitions under names (`core instance (export ...)...`)."""
    def build(index_of: IndexOf) -> bytes:
        body = b"".join(enc_name(n) + _core_sort(i) + uleb(index_of(i)) for n, i in exports)
        return b"\x01" + uleb(len(exports)) + body
    info = Info("core exports", named=[(n, k) for k, (n, _) in enumerate(exports)])
    return Item(SEC_CORE_INSTANCE, "core instance", [i for _, i in exports], info, build=build)


def new_alias_core_export(instance: Item, name: str, space: str) -> Item:
    def build(index_of: IndexOf) -> bytes:
        return b"\x00" + bytes([CORE_SORT_BYTES[space]]) + b"\x01" + uleb(index_of(instance)) + enc_name(name)
    return Item(SEC_ALIAS, space, [instance], Info("alias core export", name), build=build)


def new_alias_export(instance: Item, name: str, space: str) -> Item:
    def build(index_of: IndexOf) -> bytes:
        return bytes([SORT_BYTES[space]]) + b"\x00" + uleb(index_of(instance)) + enc_name(name)
    return Item(SEC_ALIAS, space, [instance], Info("alias export", name), build=build)


def new_canon_lower(func: Item, *, memory: Item | None = None, realloc: Item | None = None,
                    utf8: bool = False) -> Item:
    refs = [func] + [x for x in (memory, realloc) if x is not None]

    def build(index_of: IndexOf) -> bytes:
        opts = [b"\x00"] if utf8 else []
        if memory is not None:
            opts.append(b"\x03" + uleb(index_of(memory)))
        if realloc is not None:
            opts.append(b"\x04" + uleb(index_of(realloc)))
        return b"\x01\x00" + uleb(index_of(func)) + uleb(len(opts)) + b"".join(opts)
    info = Info("canon lower", options={"func": 0})
    if memory is not None:
        info.options["memory"] = 1
    if realloc is not None:
        info.options["realloc"] = len(refs) - 1
    return Item(SEC_CANON, "core func", refs, info, build=build)


def new_resource_drop(resource: Item) -> Item:
    def build(index_of: IndexOf) -> bytes:
        return b"\x03" + uleb(index_of(resource))
    return Item(SEC_CANON, "core func", [resource], Info("canon resource.drop", options={"type": 0}), build=build)


# -- liveness -------------------------------------------------------------------------------

_REMOVABLE = {"alias export", "alias core export", "alias outer", "type", "core type", "canon lift",
              "canon lower", "canon resource.new", "canon resource.drop", "canon resource.rep",
              "core exports", "exports", "import"}


def live(items: list[Item]) -> set[int]:
    """ids of the items a root (an instantiation, export, module, custom section) reaches."""
    seen: set[int] = set()
    todo = [i for i in items if i.info.kind not in _REMOVABLE]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        todo.extend(item.refs)
    return seen
