"""The image component, exercised through wasmtime's component API and jco."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import pytest
import wasmtime
import wasmtime.component as wc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasivirt_component.binary.encode import COMPONENT_PREAMBLE
from wasivirt_component.binary.module import read_module
from wasivirt_component.errors import BinaryFormatError, ToolchainError
from wasivirt_component.image.component import (
    INTERFACE, build_image_component, build_image_module, image_from_component)
from wasivirt_component.image.format import KIND_FILE, ImageFormatError, decode_image, encode_image
from wasivirt_component.image.loader import load_spec
from wasivirt_component.image.spec import VFS
from wasivirt_component.toolchain import run_jco

TS = 1_700_000_000
ENGINE = wasmtime.Engine()


class Served:
    """An instantiated image component and its decoded image, to compare answers."""

    def __init__(self, component: bytes, image: bytes) -> None:
        self.component = component
        self.image = decode_image(image)
        self.store = wasmtime.Store(ENGINE)
        instance = wc.Linker(ENGINE).instantiate(self.store, wc.Component(ENGINE, component))
        interface = instance.get_export_index(self.store, INTERFACE)
        assert interface is not None
        self.func = instance.get_func(self.store, instance.get_export_index(self.store, "read", interface))

    def read(self, blob: int, offset: int, length: int) -> bytes:
        result = self.func(self.store, blob, offset, length)
        self.func.post_return(self.store)
        return bytes(result)


def sample_vfs(tmp_path: Path) -> VFS:
    assets = tmp_path / "assets"
    (assets / "sub").mkdir(parents=True)
    (assets / "sub" / "data.bin").write_bytes(bytes(range(256)) * 40)
    (assets / "readme").write_text("embedded\n")
    (tmp_path / "spec.py").write_text(
        "from wasivirt_component import VFS\n"
        "vfs = VFS()\n"
        "with vfs.dir('/etc') as etc:\n"
        "    etc.file('app.toml', 'debug = false\\n', read_only=True)\n"
        "    etc.file('empty')\n"
        "    etc.dir('conf.d').file('z', b'\\x00' * 3)\n"
        "vfs.embed('/assets', 'assets')\n")
    return load_spec(tmp_path / "spec.py")


@pytest.fixture(scope="module", params=["single", "per-blob"])
def served(request, tmp_path_factory) -> Served:
    image = encode_image(sample_vfs(tmp_path_factory.mktemp("img")), timestamp=TS)
    return Served(build_image_component(image, segments=request.param), image)


def test_exports_only_the_image_interface(served):
    component = wc.Component(ENGINE, served.component)
    assert list(component.type.exports(ENGINE)) == [INTERFACE]
    assert component.type.imports(ENGINE) == {}


def test_every_blob_at_many_offsets_and_lengths(served):
    img = served.image
    count = img.header.blob_count
    assert served.read(0, 0, 40) == bytes(img.blob(0))  # the header
    assert served.read(0, 0, 4) == b"WVIM"
    for blob in range(count):
        size = len(img.blob(blob))
        for offset in {0, 1, size // 2, size - 1, size, size + 1, 2**32, 2**32 + 1, 2**63, 2**64 - 1}:
            if offset < 0:
                continue
            for length in (0, 1, 7, size, size + 5, 2**31, 2**32 - 1):
                assert served.read(blob, offset, length) == img.read(blob, offset, length), (blob, offset, length)


def test_listings_and_contents_decode_from_read_alone(served):
    """What the guest runtime will do: walk the tree through `read` only."""
    img = served.image
    header = served.read(0, 0, 40)
    root = int.from_bytes(header[12:16], "little")
    whole = {}

    def walk(blob: int, path: str) -> None:
        for entry in img.listing(blob):
            sub = f"{path}/{entry.name}"
            if entry.kind == KIND_FILE:
                whole[sub] = served.read(entry.blob, 0, 2**32 - 1)
            else:
                walk(entry.blob, sub)

    assert served.read(root, 0, 1 << 20) == bytes(img.blob(root))
    walk(root, "")
    assert whole == {"/assets/readme": b"embedded\n", "/assets/sub/data.bin": bytes(range(256)) * 40,
                     "/etc/app.toml": b"debug = false\n", "/etc/conf.d/z": b"\0\0\0", "/etc/empty": b""}


def test_unknown_blobs_are_empty(served):
    count = served.image.header.blob_count
    for blob in (count, count + 1, count + 1000, 2**29, 2**31, 2**32 - 1):
        assert served.read(blob, 0, 100) == b"", blob


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(blob=st.integers(0, 2**32 - 1) | st.integers(0, 12), offset=st.integers(0, 2**64 - 1) | st.integers(0, 12000),
       length=st.integers(0, 2**32 - 1) | st.integers(0, 12000))
def test_read_matches_the_host_decoder(served, blob, offset, length):
    assert served.read(blob, offset, length) == served.image.read(blob, offset, length)


def test_image_round_trips_through_the_component(tmp_path):
    image = encode_image(sample_vfs(tmp_path), timestamp=TS)
    for segments in ("single", "per-blob"):
        assert image_from_component(build_image_component(image, segments=segments)) == image


def test_memory_is_just_big_enough_and_fixed(tmp_path):
    image = encode_image(sample_vfs(tmp_path), timestamp=TS)
    module = read_module(build_image_module(image).encode())
    (memory,) = module.memories
    assert memory.minimum == memory.maximum == -(-(len(image) + 7 + 8) // 65536)
    assert {e.name for e in module.exports} == {"memory", "read"}


def test_empty_vfs(tmp_path):
    image = encode_image(VFS(read_only=True), timestamp=TS)
    served = Served(build_image_component(image), image)
    assert served.read(1, 0, 100) == b"\0\0\0\0"  # a root listing with no entries
    assert served.read(2, 0, 100) == b""


def test_deterministic_component(tmp_path):
    first = build_image_component(encode_image(sample_vfs(tmp_path / "one"), timestamp=TS))
    second = build_image_component(encode_image(sample_vfs(tmp_path / "two"), timestamp=TS))
    assert first == second and first.startswith(COMPONENT_PREAMBLE)


def one_file_image(tmp_path: Path, data: bytes) -> bytes:
    """The image of a tree holding only `/big.bin` = `data` (its blob: the root listing's
    one entry)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "big.bin").write_bytes(data)
    (tmp_path / "spec.py").write_text("from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed('/', 'a')\n")
    return encode_image(load_spec(tmp_path / "spec.py"), timestamp=TS)


def test_a_64_mib_file(tmp_path):
    data = os.urandom(1 << 20) * 64
    image = one_file_image(tmp_path, data)
    served = Served(build_image_component(image), image)
    (entry,) = served.image.listing(1)
    for offset in (0, 1, 12345678, len(data) - 65536, len(data) - 1, len(data)):
        assert served.read(entry.blob, offset, 65536) == data[offset:offset + 65536]
    # Not the whole file through `read`: wasmtime caps what one host call may copy out of
    # a guest ("hostcall fuel", a few MiB of list<u8>) and wasmtime-py lifts lists slowly
    # (~1 s per MiB). The memory holds all of it:
    assert image_from_component(served.component) == image


def test_images_over_4_gib_are_rejected(tmp_path):
    path = tmp_path / "sparse"
    with open(path, "wb") as fh:
        fh.truncate((1 << 32) + 1)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        view = memoryview(mapped)
        try:
            with pytest.raises(ImageFormatError, match="does not fit in a 4 GiB wasm32 memory"):
                build_image_component(view)
        finally:
            view.release()


def test_image_from_component_rejects_other_binaries():
    with pytest.raises(BinaryFormatError, match="is a core module"):
        image_from_component(b"\0asm\x01\0\0\0")
    with pytest.raises(BinaryFormatError, match="has no core module"):
        image_from_component(COMPONENT_PREAMBLE)


def test_jco_accepts_it(tmp_path):
    image = encode_image(sample_vfs(tmp_path), timestamp=TS)
    path = tmp_path / "image.wasm"
    path.write_bytes(build_image_component(image))
    try:
        wit = run_jco(["wit", str(path)]).stdout.decode()
        run_jco(["transpile", str(path), "-o", str(tmp_path / "js"), "--name", "image"])
    except ToolchainError as exc:
        if "not installed" in str(exc) or "incomplete" in str(exc):  # pragma: no cover - setup problem
            pytest.skip(str(exc))
        raise
    assert f"export {INTERFACE};" in wit
    assert (tmp_path / "js" / "image.js").is_file()


# -- guest to guest: what the virtualizer does once composed -------------------------------
def consumer_component(image_component: bytes, *, reuse_buffer: bool = False) -> bytes:
    """An outer component: instantiates the image component and a consumer whose core code
    calls `read` through `canon lower` into its own memory, like the composed virtualizer.

    Exports `run(blob, offset, len) -> u32` (the length read), `at(i) -> u8` (a byte of
    the last result) and `sweep(blob, len, count) -> u32` (`count` reads of `len` bytes at
    consecutive offsets, looped in wasm: one boundary crossing per read, no host calls).
    `reuse_buffer` makes every result land at the same address (for measuring warm
    copies; `sweep` needs it).
    """
    from wasivirt_component.binary.core_encoder import I32, I64, KIND_FUNC, KIND_MEMORY, CoreModule, FuncType, Limits, op
    from wasivirt_component.binary.encode import name, section, uleb, vec

    pages = 1200  # 75 MiB: room for a 64 MiB result
    alloc = CoreModule()  # memory + bump realloc, instantiated first (canon lower needs them)
    memory = alloc.add_memory(Limits(pages, pages))
    bump = alloc.add_global(I32, op.i32_const(1024), mutable=True)
    advance = b"" if reuse_buffer else op.global_get(bump) + op.local_get(3) + op.I32_ADD + op.global_set(bump)
    realloc = alloc.add_func(FuncType((I32,) * 4, (I32,)), op.global_get(bump) + advance)
    alloc.export("memory", KIND_MEMORY, memory)
    alloc.export("realloc", KIND_FUNC, realloc)

    user = CoreModule()
    read = user.import_func("env", "read", FuncType((I32, I64, I32, I32)))
    user.import_memory("env", "memory", Limits(pages, pages))
    run = user.add_func(FuncType((I32, I64, I32), (I32,)),
                        op.local_get(0) + op.local_get(1) + op.local_get(2) + op.i32_const(16) + op.call(read)
                        + op.i32_const(0) + op.i32_load(20))
    at = user.add_func(FuncType((I32,), (I32,)),
                       op.i32_const(0) + op.i32_load(16) + op.local_get(0) + op.I32_ADD + op.i32_load8_u())
    i, offset = 3, 4
    sweep = user.add_func(
        FuncType((I32, I32, I32), (I32,)),
        op.block() + b"\x03\x40"  # block, loop
        + op.local_get(i) + op.local_get(2) + op.I32_GE_U + op.br_if(1)
        + op.local_get(0) + op.local_get(offset) + op.local_get(1) + op.i32_const(16) + op.call(read)
        + op.local_get(offset) + op.local_get(1) + op.I64_EXTEND_I32_U + b"\x7c" + op.local_set(offset)
        + op.local_get(i) + op.i32_const(1) + op.I32_ADD + op.local_set(i)
        + b"\x0c\x00" + op.END + op.END  # br 0 (loop), end loop, end block
        + op.local_get(i),
        locals=[(1, I32), (1, I64)])
    user.export("run", KIND_FUNC, run)
    user.export("at", KIND_FUNC, at)
    user.export("sweep", KIND_FUNC, sweep)

    def core_module(m: CoreModule) -> bytes:
        return section(1, m.encode())

    u32, u64, u8 = b"\x79", b"\x77", b"\x7d"
    return b"".join([
        COMPONENT_PREAMBLE,
        section(4, image_component),  # component 0
        section(5, vec([b"\x00" + uleb(0) + vec([])])),  # instance 0 = instantiate it
        section(6, vec([b"\x05\x00" + uleb(0) + name(INTERFACE),  # instance 1 = its export
                        b"\x01\x00" + uleb(1) + name("read")])),  # func 0 = read
        core_module(alloc), core_module(user),  # core modules 0, 1
        section(2, vec([b"\x00" + uleb(0) + vec([])])),  # core instance 0 = alloc
        section(6, vec([b"\x00\x02\x01" + uleb(0) + name("memory"),  # core memory 0
                        b"\x00\x00\x01" + uleb(0) + name("realloc")])),  # core func 0
        section(8, vec([b"\x01\x00" + uleb(0) + vec([b"\x03" + uleb(0), b"\x04" + uleb(0)])])),  # core func 1
        section(2, vec([
            b"\x01" + vec([name("read") + b"\x00" + uleb(1), name("memory") + b"\x02" + uleb(0)]),  # core inst 1
            b"\x00" + uleb(1) + vec([name("env") + b"\x12" + uleb(1)]),  # core instance 2 = user
        ])),
        section(6, vec([b"\x00\x00\x01" + uleb(2) + name("run"),  # core func 2
                        b"\x00\x00\x01" + uleb(2) + name("at"),  # core func 3
                        b"\x00\x00\x01" + uleb(2) + name("sweep")])),  # core func 4
        section(7, vec([
            b"\x40" + vec([name("blob") + u32, name("offset") + u64, name("len") + u32]) + b"\x00" + u32,
            b"\x40" + vec([name("i") + u32]) + b"\x00" + u8,
            b"\x40" + vec([name("blob") + u32, name("len") + u32, name("count") + u32]) + b"\x00" + u32,
        ])),
        section(8, vec([b"\x00\x00" + uleb(2) + vec([]) + uleb(0),  # func 1 = run
                        b"\x00\x00" + uleb(3) + vec([]) + uleb(1),  # func 2 = at
                        b"\x00\x00" + uleb(4) + vec([]) + uleb(2)])),  # func 3 = sweep
        section(11, vec([b"\x00" + name("run") + b"\x01" + uleb(1) + b"\x00",
                         b"\x00" + name("at") + b"\x01" + uleb(2) + b"\x00",
                         b"\x00" + name("sweep") + b"\x01" + uleb(3) + b"\x00"])),
    ])


def test_another_component_reads_64_mib_in_one_call(tmp_path):
    data = os.urandom(1 << 20) * 64
    image = one_file_image(tmp_path, data)
    (entry,) = decode_image(image).listing(1)
    store = wasmtime.Store(ENGINE)
    instance = wc.Linker(ENGINE).instantiate(store, wc.Component(ENGINE, consumer_component(build_image_component(image))))
    run = instance.get_func(store, instance.get_export_index(store, "run"))
    at = instance.get_func(store, instance.get_export_index(store, "at"))

    def call(func, *args):
        result = func(store, *args)
        func.post_return(store)
        return result

    assert call(run, entry.blob, 0, 2**32 - 1) == len(data)  # no hostcall cap between guests
    for i in (0, 1, 4096, len(data) // 2, len(data) - 1):
        assert call(at, i) == data[i]
    assert call(run, entry.blob, len(data) - 5, 100) == 5
    assert [call(at, i) for i in range(5)] == list(data[-5:])
    assert call(run, 10**6, 0, 100) == 0 and call(run, entry.blob, 2**40, 1) == 0


def test_a_sweep_of_chunked_reads_lands_each_chunk(tmp_path):
    """`sweep` (the benchmarks' one-hop ceiling) really reads consecutive chunks."""
    data = bytes(range(256)) * 4096  # 1 MiB; chunk k starts with byte (k * 65536) % 256 == 0
    data = b"".join(bytes([k]) + data[k * 65536 + 1:(k + 1) * 65536] for k in range(16))
    image = one_file_image(tmp_path, data)
    (entry,) = decode_image(image).listing(1)
    store = wasmtime.Store(ENGINE)
    instance = wc.Linker(ENGINE).instantiate(
        store, wc.Component(ENGINE, consumer_component(build_image_component(image), reuse_buffer=True)))
    sweep = instance.get_func(store, instance.get_export_index(store, "sweep"))
    at = instance.get_func(store, instance.get_export_index(store, "at"))
    for count in (1, 7, 16):
        assert sweep(store, entry.blob, 65536, count) == count
        sweep.post_return(store)
        assert at(store, 0) == count - 1 and at(store, 1) == data[(count - 1) * 65536 + 1]
        at.post_return(store)
