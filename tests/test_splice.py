"""The image in the virtualizer's memory (`virt/splice.py`): the component stays valid,
keeps everything but its main module byte for byte, and serves every byte of the image."""

from __future__ import annotations

import subprocess

import pytest

from support.vfsimages import SAMPLE, make_image
from support.virtcore import OPEN_DIRECTORY, READ, SYMLINK_FOLLOW, TYPE_DIRECTORY, Vfs
from wasivirt_component import toolchain
from wasivirt_component.binary.sections import iter_sections
from wasivirt_component.errors import BinaryFormatError
from wasivirt_component.virt import virtualizer_component
from wasivirt_component.virt.splice import PAGE, SPLICE_RECORD, layout, splice_image


def sections(data: bytes) -> list[tuple[int, bytes]]:
    view = memoryview(data)
    return [(s.id, bytes(view[s.start:s.end])) for s in iter_sections(view, 8, None, "test")]


def read_tree(root, path: str = "") -> dict:
    """Every file's bytes and every link's target, read back through the component."""
    out: dict = {}
    d = root if not path else root.open_at(0, path, OPEN_DIRECTORY, READ)
    stream = d.read_directory()
    while (entry := stream.next()) is not None:
        name, dtype = entry
        full = f"{path}/{name}" if path else name
        if dtype == TYPE_DIRECTORY:
            out[name] = read_tree(root, full)
        elif dtype == 5:
            out[name] = ("link", root.readlink_at(full))
        else:
            f = root.open_at(0, full, 0, READ)
            data, pos = b"", 0
            while True:
                chunk, eof = f.read(1 << 20, pos)
                if eof:
                    break
                data += chunk
                pos += len(chunk)
            out[name] = data
    return out


def test_only_the_main_module_changes_and_the_result_validates(tmp_path):
    bare = virtualizer_component()
    spliced = splice_image(bare, make_image(SAMPLE))
    before, after = sections(bare), sections(spliced)
    assert [i for i, _ in before] == [i for i, _ in after]
    changed = [k for k, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1 and before[changed[0]][0] == 1  # one core module section
    path = tmp_path / "spliced.wasm"
    path.write_bytes(spliced)
    subprocess.run([toolchain.wasm_tools(), "validate", str(path)], check=True, capture_output=True)


def test_every_byte_of_the_image_is_served():
    (root, _), = Vfs(make_image(SAMPLE)).preopens()
    got = read_tree(root)
    assert got["big.bin"] == SAMPLE["big.bin"] and got["f.txt"] == SAMPLE["f.txt"]
    assert got["d"] == {"g.txt": b"g\n", "sub": {}, "deep": {"x": b"x"}}
    assert got["lf"] == ("link", "f.txt") and got["empty"] == b""


def test_a_64_mib_file():
    content = bytes(range(256)) * (1 << 18)  # 64 MiB
    (root, _), = Vfs(make_image({"big": content, "small": b"s"})).preopens()
    f = root.open_at(SYMLINK_FOLLOW, "big", 0, READ)
    assert f.read(16, (64 << 20) - 16) == (content[-16:], False)
    assert f.read(1 << 20, 1000)[0] == content[1000:1000 + (1 << 20)]
    assert root.stat_at(0, "big")[2] == 64 << 20


def test_empty_vfs():
    (root, _), = Vfs(make_image({})).preopens()
    assert root.read_directory().next() is None
    root.create_directory_at("made")  # writable: the instance's memory only
    assert root.stat_at(0, "made")[0] == TYPE_DIRECTORY


def test_splicing_is_deterministic():
    bare = virtualizer_component()
    image = make_image(SAMPLE)
    assert splice_image(bare, image) == splice_image(bare, bytes(image))


def test_layout_keeps_the_heap_after_the_image():
    where = layout(70_000, 1_000_001)
    assert where.record == 70_000 and where.image >= where.record + SPLICE_RECORD.size
    assert where.image % 16 == 0 and where.heap >= where.image + 1_000_001
    assert where.pages * PAGE >= where.heap + PAGE


def test_images_over_4_gib_are_rejected():
    with pytest.raises(BinaryFormatError, match="does not fit in a 4 GiB wasm32 memory"):
        layout(70_000, (4 << 30) - 1000)


def test_a_component_without_our_module_is_refused():
    from wasivirt_component.binary.encode import COMPONENT_PREAMBLE
    from wasivirt_component.errors import ToolchainError

    with pytest.raises(ToolchainError, match="no module exporting memory and __heap_base"):
        splice_image(COMPONENT_PREAMBLE, make_image({}))



def test_the_fused_memory_module_holds_the_record_and_the_image():
    """`image_memory_module`: the memory a fused virtualizer imports, with the splice record
    at the code module's `__heap_base` and the image after it (`image.c` finds them there)."""
    import struct

    import wasmtime

    from wasivirt_component.binary.core_encoder import CoreModule
    from wasivirt_component.binary.module import read_module
    from wasivirt_component.errors import ToolchainError
    from wasivirt_component.virt.build import fused_core_module
    from wasivirt_component.virt.splice import image_memory_module

    code = fused_core_module()
    wanted = next(i.memory for i in read_module(code).imports if i.kind == "memory")
    image = make_image(SAMPLE)
    for data in (None, image):
        info = read_module(image_memory_module(code, data))
        assert not info.imports and [e.name for e in info.exports] == ["memory"]
        assert info.memories[0].minimum >= wanted.minimum
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, image_memory_module(code, image)), [])
    memory = instance.exports(store)["memory"]
    raw = bytes(memory.read(store, 0, memory.data_len(store)))
    at = raw.index(struct.pack("<II", 0x50535657, 1))  # "WVSP", version 1 (the fused tests
    # show it is where image.c looks: they read the image through the virtualizer)
    _, _, addr, size, heap, *_ = SPLICE_RECORD.unpack_from(raw, at)
    assert raw[addr:addr + size] == image and heap >= addr + size and heap % 16 == 0
    with pytest.raises(ToolchainError, match="imports no memory"):
        image_memory_module(CoreModule().encode(), image)
