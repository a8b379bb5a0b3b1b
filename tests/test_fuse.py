"""The splice (`fuse/`): a jco-adapted program and a flat WASI 0.2 component
(componentize-py) with the fused virtualizer inside, checked structurally. What it runs like is `test_fused_mode.py`'s and the differential suites'.

Isolation in fused mode: no `wasi:filesystem` import without mounts; the program's core
module is the child's, byte for byte, and still imports only the adapter's functions; the
virtualizer's memory is exported nowhere. The item rewriter keeps unchanged definitions
byte for byte and renumbers the rest.
"""

from __future__ import annotations

import pytest

from support.cbuild import compile_c
from support.mutants import with_another_memory, with_forwarding_realloc
from support.vfsimages import SAMPLE, make_image
from wasivirt_component.binary.module import read_module
from wasivirt_component.check import validate_fused
from wasivirt_component.compose._reader import read_component
from wasivirt_component.engine import compile_component, make_engine
from wasivirt_component.fuse import Unsupported, fuse
from wasivirt_component.fuse.items import (
    encode_component,
    new_alias_core_export,
    new_core_module,
    new_instantiate,
    parse_component,
)
from wasivirt_component.fuse.skeleton import core_modules, skeleton, without_payloads
from wasivirt_component.fuse.structure import find_importers
from wasivirt_component.virt.bridge import CURRENT_FRONT, SET_FRONT, bridge_module
from wasivirt_component.virt.build import fused_core_module, virtualizer_component
from wasivirt_component.virt.splice import image_memory_module

PREVIEW1 = "wasi_snapshot_preview1"


@pytest.fixture(scope="module")
def probe(adapted) -> bytes:
    return adapted(compile_c("fsprobe.c")).read_bytes()


@pytest.fixture(scope="module")
def image() -> bytes:
    return make_image(SAMPLE)


@pytest.fixture(scope="module")
def core() -> bytes:
    return fused_core_module()


@pytest.fixture(scope="module")
def fused(probe, core, image):
    return fuse(probe, core, image, host_filesystem=False, what="probe")


@pytest.fixture(scope="module")
def python_child(py_files) -> bytes:
    """componentize-py's output: wasip2 libc and a preview1 adapter both import WASI,
    through wit-component's `""`-argument fixup, with libc's `cabi_realloc`."""
    return py_files.read_bytes()


@pytest.fixture(scope="module")
def fused_python(python_child, core, image):
    return fuse(python_child, core, image, host_filesystem=False, what="py-files")


# -- the item rewriter ------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["probe", "virtualizer"])
def test_parsing_and_encoding_round_trips_byte_for_byte(which, probe):
    data = probe if which == "probe" else virtualizer_component()
    assert encode_component(parse_component(data).items) == data


def test_inserting_definitions_renumbers_every_later_reference(probe):
    """New definitions at the front and in the middle shift every core module, core
    instance and core function after them; the result is still valid and has the same
    imports and exports."""
    items = parse_component(probe).items
    module = new_core_module(b"\0asm\x01\0\0\0")
    instance = new_instantiate(module, [])
    shim = next(i for i in items if i.info.kind == "instantiate")  # wit-component's shim: exports "0"...
    unused = new_alias_core_export(shim, "0", "core func")
    items = [module, instance, *items]
    items.insert(items.index(shim) + 1, unused)
    data = encode_component(items)
    assert data != probe
    compile_component(make_engine(), skeleton(data), what="renumbered")
    before, after = read_component(probe).type, read_component(data).type
    assert (list(after.imports), list(after.exports)) == (list(before.imports), list(before.exports))


def test_validation_ignores_data_payloads_only(core, image):
    """`without_payloads` keeps every segment (and so every reason to reject one)."""
    import wasmtime

    engine = make_engine()
    module = image_memory_module(core, image)
    stripped = without_payloads(module)
    assert len(stripped) < len(module) - len(image) + 64
    wasmtime.Module.validate(engine, stripped)
    bad = b"\0asm\x01\0\0\0" + b"\x05\x03\x01\x00\x01" + b"\x0b\x09\x01\x02\x01\x41\x00\x0b\x02hi"  # memory 1
    for data in (bad, without_payloads(bad)):
        with pytest.raises(wasmtime.WasmtimeError):
            wasmtime.Module.validate(engine, data)


# -- isolation --------------------------------------------------------------------------------

def test_the_fused_program_validates_and_imports_no_filesystem(fused, probe):
    validate_fused(fused.data, "fused probe")
    imports = read_component(fused.data).type.imports
    assert not [n for n in imports if n.startswith("wasi:filesystem/")]
    assert set(imports) < set(read_component(probe).type.imports)  # only fewer of the child's
    assert list(read_component(fused.data).type.exports) == ["wasi:cli/run@0.2.12"]
    assert "wasi:filesystem/types@0.2.12" in fused.served and "wasi:filesystem/preopens@0.2.6" in fused.served


def test_host_mounts_bring_the_host_filesystem_back(probe, core, image):
    result = fuse(probe, core, image, host_filesystem=True, what="probe")
    validate_fused(result.data, "fused probe with mounts")
    imports = read_component(result.data).type.imports
    assert {"wasi:filesystem/types@0.2.12", "wasi:filesystem/preopens@0.2.12"} <= set(imports)
    assert "wasi:filesystem/types@0.2.12" in result.host


def _filesystem_types(component: bytes):
    imports = read_component(component).type.imports
    return next(t for n, t in imports.items() if n.startswith("wasi:filesystem/types@"))


def test_an_import_lacking_what_mounts_need_is_widened_to_declare_it(adapted, core, image):
    """cat.c never stats nor reads a link: with mounts, its `wasi:filesystem/types` import
    gets `stat-at` and `readlink-at` (with the named types they use and the import lacked,
    such as `descriptor-stat`'s parts), and only those; every one of its own declarations is
    kept as it was; without mounts nothing is widened (and nothing of the filesystem
    imported). The widened child validates with wasmtime's own checker."""
    from wasivirt_component.virt.build import host_filesystem_types_path

    cat = adapted(compile_c("cat.c")).read_bytes()
    before = _filesystem_types(cat)
    assert "[method]descriptor.stat-at" not in before.exports
    result = fuse(cat, core, image, host_filesystem=True, what="cat",
                  host_types=lambda: host_filesystem_types_path().read_bytes())
    validate_fused(result.data, "fused cat with mounts")
    after = _filesystem_types(result.data)
    added = set(after.exports) - set(before.exports)
    functions = {n for n in added if n.startswith("[")}
    assert functions == {"[method]descriptor.stat-at", "[method]descriptor.readlink-at"}
    assert list(after.exports)[:len(before.exports)] == list(before.exports)
    assert result.widened == [("wasi:filesystem/types@0.2.12", "[method]descriptor.readlink-at"),
                              ("wasi:filesystem/types@0.2.12", "[method]descriptor.stat-at")]
    plain = fuse(cat, core, image, host_filesystem=False, what="cat")
    assert plain.widened == [] and not [n for n in read_component(plain.data).type.imports
                                        if n.startswith("wasi:filesystem/")]


def test_an_import_that_cannot_be_widened_is_unsupported(adapted, core, image):
    """Without the host's types at hand (or with an import that names no `descriptor`,
    `widen.py`), the splice cannot declare the functions: the child is not fused."""
    from wasivirt_component.compose.types import Borrow, FuncType, Resource
    from wasivirt_component.fuse.widen import widened_type

    cat = adapted(compile_c("cat.c")).read_bytes()
    with pytest.raises(Unsupported, match="host's types are not at hand"):
        fuse(cat, core, image, host_filesystem=True, what="cat")
    items = parse_component(cat).items
    imported = next(i for i in items if i.info.kind == "import" and (i.info.name or "").startswith("wasi:filesystem/types"))
    stranger = FuncType((("self", Borrow(Resource("stranger"))),), None)
    with pytest.raises(Unsupported, match="declares no resource `stranger`"):
        widened_type(imported.refs[0], {"[method]stranger.poke": stranger}, "cat")


def test_host_stream_reads_and_writes_are_lowered_into_the_programs_memory(probe, core, image):
    """Single-copy host streams (issue 11): the host's stream reads and writes (and a host
    listing's `read-directory-entry`) are lowered a second time, for the fused core's `[caller-memory]` imports, with the program's own
    memory (the one its instantiation exports) and, for reads, the bridge's `caller-realloc`
    (the adapter's `cabi_import_realloc`): the host writes into the program's buffer. The
    other host functions keep the virtualizer's memory and realloc."""
    from wasivirt_component.virt.bridge import CALLER_REALLOC, bridge_module

    items = parse_component(fuse(probe, core, image, host_filesystem=True, what="probe").data).items
    program = next(i for i in items if i.info.kind == "core module" and i.data is not None
                   and any(e.name == "_start" for e in read_module(bytes(i.data)).exports))
    bridge = next(i for i in items if i.info.kind == "core module" and bytes(i.data or b"") == bridge_module())
    ours = next(i for i in items if i.info.kind == "core module" and bytes(i.data or b"") ==
                image_memory_module(core, image))

    def instance_of(module):
        return next(i for i in items if i.info.kind == "instantiate" and i.refs[0] is module)

    lowered: dict[str, list[tuple[object, object]]] = {}
    for i in items:
        func = i.refs[0] if i.info.kind == "canon lower" else None
        if func is not None and func.refs and func.refs[0].info.name in ("wasi:io/streams@0.2.12",
                                                                            "wasi:filesystem/types@0.2.12"):
            memory = i.refs[i.info.options["memory"]].refs[0] if "memory" in i.info.options else None
            realloc = i.refs[i.info.options["realloc"]] if "realloc" in i.info.options else None
            lowered.setdefault(func.info.name, []).append((memory, realloc))
    reads = ["[method]input-stream.read", "[method]input-stream.blocking-read",
             "[method]directory-entry-stream.read-directory-entry"]  # (a listing: each entry's name)
    writes = ["[method]output-stream.write", "[method]output-stream.blocking-write-and-flush"]
    for name in reads + writes:
        memories = [m for m, _ in lowered[name]]
        assert memories.count(instance_of(program)) == 1 and memories.count(instance_of(ours)) == 1, name
    for name in reads:
        realloc = next(r for m, r in lowered[name] if m is instance_of(program))
        assert realloc.info.name == CALLER_REALLOC and realloc.refs[0] is instance_of(bridge)
    for name in writes:
        assert next(r for m, r in lowered[name] if m is instance_of(program)) is None
    assert all(m is instance_of(ours) for n, uses in lowered.items() if n not in reads + writes for m, _ in uses)


def test_the_childs_core_modules_are_kept_byte_for_byte(fused, probe, core, image):
    ours = [bytes(m) for m in core_modules(fused.data)]
    theirs = [bytes(m) for m in core_modules(probe)]
    assert all(m in ours for m in theirs)
    assert core in ours and image_memory_module(core, image) in ours
    program = next(m for m in theirs if any(e.name == "_start" for e in read_module(m).exports))
    assert {i.module for i in read_module(program).imports if i.kind == "func"} == {PREVIEW1}


def test_the_virtualizers_memory_is_exported_nowhere(fused, core, image):
    """The image memory instance is only an instantiation argument (of the bridge and the
    core) and the source of one memory alias, which only canon options use."""
    items = parse_component(fused.data).items
    memory_module = next(i for i in items if i.info.kind == "core module" and bytes(i.data) ==
                         image_memory_module(core, image))
    instance = next(i for i in items if i.info.kind == "instantiate" and i.refs[0] is memory_module)
    users = [i for i in items if instance in i.refs]
    assert sorted(i.info.kind for i in users) == ["alias core export", "instantiate", "instantiate"]
    alias = next(i for i in users if i.info.kind == "alias core export")
    assert {i.info.kind for i in items if alias in i.refs} == {"canon lower"}
    assert not [i for i in items if i.info.kind == "export" and i.space != "instance"]


def test_a_flat_wasi_component_is_fused_with_its_sockets_trapping(fused_python, python_child, core, image):
    """Two importers, one front: every served import and the sockets interfaces that use
    served types are gone from the imports; the child's core modules are all kept."""
    validate_fused(fused_python.data, "fused py-files")
    before, after = read_component(python_child).type.imports, read_component(fused_python.data).type.imports
    assert set(after) < set(before)
    assert not [n for n in after if n.startswith("wasi:filesystem/")]  # wasi:io stays: stdio is forwarded
    tied = ["wasi:sockets/udp@0.2.9", "wasi:sockets/udp-create-socket@0.2.9", "wasi:sockets/tcp@0.2.9",
            "wasi:sockets/tcp-create-socket@0.2.9", "wasi:sockets/ip-name-lookup@0.2.9"]
    assert fused_python.trapped == tied and not set(tied) & set(after)
    assert {"wasi:sockets/network@0.2.9", "wasi:cli/environment@0.2.9"} <= set(after)  # no served types
    ours = [bytes(m) for m in core_modules(fused_python.data)]
    assert all(bytes(m) in ours for m in core_modules(python_child))
    assert "wasi:io/streams@0.2.0" in fused_python.served


def test_the_trapping_sockets_are_named_after_the_imports(fused_python):
    """The stubs' name section (what `run` reports on a trap) names each function after
    the child's import it stands for, as the composed mode's stub does."""
    from wasivirt_component.compose import STUB_MODULE_NAME

    stubs = [bytes(m) for m in core_modules(fused_python.data) if STUB_MODULE_NAME.encode() in bytes(m)]
    assert len(stubs) == 1
    assert b"wasi:sockets/tcp-create-socket@0.2.9#create-tcp-socket" in stubs[0]
    assert b"wasi:sockets/udp@0.2.9#[resource-drop]udp-socket" in stubs[0]


def test_an_import_tied_to_served_types_left_in_place_is_refused(python_child):
    """The proof the splice closes with: were a sockets import still used (other than as an
    importer's argument), its streams would be the host's."""
    from wasivirt_component.fuse.splice import _check_isolated
    from wasivirt_component.fuse.structure import served
    from wasivirt_component.names import compat_key
    from wasivirt_component.virt.wiring import tied_imports

    ctype = read_component(python_child).type
    tied_names = tied_imports(ctype, [n for n in ctype.imports if served(n)])
    assert sorted(tied_names) == sorted(["wasi:sockets/udp@0.2.9", "wasi:sockets/udp-create-socket@0.2.9",
                                         "wasi:sockets/tcp@0.2.9", "wasi:sockets/tcp-create-socket@0.2.9",
                                         "wasi:sockets/ip-name-lookup@0.2.9"])
    tied = {compat_key(n): n for n in tied_names}
    with pytest.raises(Unsupported, match=r"^py: wasi:sockets/ip-name-lookup@0.2.9 uses the virtualizer's types"):
        _check_isolated(parse_component(python_child).items, tied, [], "py")


def test_a_served_import_left_to_the_host_is_refused(probe):
    """The other closing proof: a served import the virtualizer does not use itself would
    reach the host past it."""
    from wasivirt_component.fuse.splice import _check_isolated

    with pytest.raises(Unsupported, match=r"^p: wasi:\S+ is still used other than by the WASI importers$"):
        _check_isolated(parse_component(probe).items, {}, [], "p")
    _check_isolated([], {}, [], "p")


# -- what cannot be fused ---------------------------------------------------------------------

def test_a_component_without_the_adapter_is_unsupported(core, image):
    with pytest.raises(Unsupported, match="imports none of the interfaces the virtualizer serves"):
        fuse(virtualizer_component(), core, image, host_filesystem=False, what="virtualizer")


def test_a_fused_program_is_not_fused_twice(fused, core, image):
    with pytest.raises(Unsupported, match="already has a fused virtualizer inside"):
        fuse(fused.data, core, image, host_filesystem=False, what="fused")


def test_a_lowering_with_another_memory_makes_a_second_front(probe, core, image):
    """One front per set of canon options: the bridge imports both memories, and the
    functions of each front go through a wrapper saying which (`modules.front_module`)."""
    result = fuse(with_another_memory(probe), core, image, host_filesystem=False, what="mutant")
    validate_fused(result.data, "two-memory mutant")
    modules = [bytes(m) for m in core_modules(result.data)]
    assert bridge_module(2) in modules and bridge_module(1) not in modules
    fronts = [read_module(m) for m in modules if any(i.name == SET_FRONT for i in read_module(m).imports)]
    assert len(fronts) == 2
    assert min(len(f.exports) for f in fronts) == 1  # the one function lowered with the other memory
    # the host stream functions the core forwards to, lowered per memory, behind a dispatcher
    dispatchers = [m for m in modules if any(i.name == CURRENT_FRONT for i in read_module(m).imports)]
    assert len(dispatchers) >= 2  # at least a read and a write


def test_a_lowering_with_another_realloc_makes_a_second_front(probe, core, image):
    shape = find_importers(parse_component(with_forwarding_realloc(probe)), "mutant")
    assert [f.realloc.info.name for f in shape.fronts if f.realloc] == ["cabi_realloc", "cabi_import_realloc"]
    assert shape.fronts[0].memory is shape.fronts[1].memory
    result = fuse(with_forwarding_realloc(probe), core, image, host_filesystem=False, what="mutant")
    validate_fused(result.data, "two-realloc mutant")
    modules = [bytes(m) for m in core_modules(result.data)]
    assert bridge_module(2) in modules
    assert not [m for m in modules if any(i.name == CURRENT_FRONT for i in read_module(m).imports)]  # one memory


def test_one_front_adds_no_wrappers(fused):
    modules = [bytes(m) for m in core_modules(fused.data)]
    assert bridge_module(1) in modules
    assert not [m for m in modules if any(i.name == SET_FRONT for i in read_module(m).imports)]


def test_a_child_with_values_is_unsupported(core, image):
    data = b"\0asm\x0d\x00\x01\x00" + b"\x0c\x01\x00"  # an empty value section
    with pytest.raises(Unsupported):
        fuse(data, core, image, host_filesystem=False, what="values")
