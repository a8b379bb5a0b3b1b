"""The blob image (docs/image-format.md): exact bytes, determinism, limits, round trips."""

from __future__ import annotations

import os
import struct
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasivirt_component.errors import ImageFormatError, SpecError
from wasivirt_component.image.format import KIND_DIRECTORY, KIND_FILE, KIND_SYMLINK, Entry, decode_image, encode_image
from wasivirt_component.image.loader import load_spec
from wasivirt_component.image.spec import VFS
from wasivirt_component.image.tree import MMAP_THRESHOLD, Directory, File, InlineSource, Mount, Node, Origin, Symlink

TS = 1_700_000_000


class Tree:
    """An ImageSource built directly from nodes (what the DSL cannot express yet)."""

    def __init__(self, root: Directory, read_only: bool = False) -> None:
        self.root = root
        self.read_only = read_only


def describe(node: Node) -> tuple:
    if isinstance(node, Directory):
        return ("dir", node.read_only, {k: describe(v) for k, v in node.entries.items()})
    if isinstance(node, File):
        return ("file", node.read_only, node.source.read())
    assert isinstance(node, Symlink)
    return ("link", node.read_only, node.target)


def write_spec(path: Path, body: str) -> Path:
    path.write_text("from wasivirt_component import VFS\n" + body)
    return path


# -- exact layout ------------------------------------------------------------------------
def test_exact_bytes_of_a_small_image():
    vfs = VFS()
    with vfs.dir("/") as root:
        root.file("a.txt", "hi", read_only=True)
    vfs.dir("/d")
    image = encode_image(vfs, timestamp=TS + 0.5)

    header = b"WVIM" + struct.pack("<IIIQIIII", 1, 0, 1, TS, 500_000_000, 4, 0, 0)
    table = struct.pack("<8I", 0, 40, 72, 42, 114, 2, 116, 4)
    root_listing = (struct.pack("<I", 2)
                    + struct.pack("<BBHIQ", 2, 1, 5, 2, 2) + b"a.txt"
                    + struct.pack("<BBHIQ", 1, 0, 1, 3, 0) + b"d")
    assert image == header + table + root_listing + b"hi" + struct.pack("<I", 0)


def test_blob_numbers_are_preorder_with_sorted_names():
    vfs = VFS()
    vfs.dir("/b").file("y")
    vfs.dir("/a/x")
    vfs.dir("/a").file("w")
    vfs.dir("/c")
    img = decode_image(encode_image(vfs, timestamp=TS))
    assert img.listing(1) == [Entry("a", KIND_DIRECTORY, False, 2, 2), Entry("b", KIND_DIRECTORY, False, 5, 1),
                              Entry("c", KIND_DIRECTORY, False, 7, 0)]
    assert img.listing(2) == [Entry("w", KIND_FILE, False, 3, 0), Entry("x", KIND_DIRECTORY, False, 4, 0)]
    assert img.listing(5) == [Entry("y", KIND_FILE, False, 6, 0)]
    assert img.header.blob_count == 8


def test_names_sorted_by_utf8_bytes():
    vfs = VFS()
    root = vfs.dir("/")
    for name in ["é", "Z", "a", "ä", "\U0001f600", "\uffff", "_"]:
        root.file(name)
    names = [e.name for e in decode_image(encode_image(vfs, timestamp=TS)).listing(1)]
    assert [n.encode() for n in names] == sorted(n.encode() for n in names)


def test_header_flags():
    for tree_ro, root_ro, flags in [(False, False, 0), (True, False, 1), (False, True, 2), (True, True, 3)]:
        image = encode_image(Tree(Directory(read_only=root_ro), read_only=tree_ro), timestamp=TS)
        h = decode_image(image).header
        assert (h.flags, h.read_only, h.root_read_only) == (flags, tree_ro, root_ro)
        assert decode_image(image).to_tree().read_only == root_ro


def test_symlink_nodes_encode_their_target():
    root = Directory(entries={"l": Symlink(target="../to/ünï"), "f": File(source=InlineSource(b"x"))})
    img = decode_image(encode_image(Tree(root), timestamp=TS))
    link = img.listing(1)[1]
    assert (link.kind, link.size) == (KIND_SYMLINK, len("../to/ünï".encode()))
    assert bytes(img.blob(link.blob)) == "../to/ünï".encode()
    assert describe(img.to_tree()) == describe(root)


def test_a_node_placed_twice_gets_two_blobs_and_a_cycle_is_refused():
    shared_dir = Directory(entries={"f": File(source=InlineSource(b"1"))})
    root = Directory(entries={"a": shared_dir, "b": shared_dir})
    img = decode_image(encode_image(Tree(root), timestamp=TS))
    a, b = img.listing(1)
    assert a.blob != b.blob and img.listing(a.blob)[0].blob != img.listing(b.blob)[0].blob
    assert describe(img.to_tree()) == describe(root)
    shared_dir.entries["loop"] = shared_dir
    with pytest.raises(ValueError, match="'loop' contains itself"):
        encode_image(Tree(root), timestamp=TS)


def test_mounts_round_trip_with_their_policy():
    mount = Mount(host="data", path="sub/dir", read_only=True, hide=("*.key", "ünï"), guest="/d/m",
                  origin=Origin("spec.py", 9))
    root = Directory(entries={"m": mount, "f": File(source=InlineSource(b"x"))})
    image = decode_image(encode_image(Tree(root), timestamp=TS))
    entry = next(e for e in image.listing(1) if e.name == "m")
    assert (entry.kind, entry.size) == (4, 0)
    got = image.to_tree().entries["m"]
    assert (got.host, got.path, got.read_only, got.hide, got.guest) == ("data", "sub/dir", True, ("*.key", "ünï"), "/d/m")


def test_a_mount_at_the_root_replaces_the_tree():
    vfs = VFS()
    vfs.mount("/", host="all", hide=[".git"])
    image = decode_image(encode_image(vfs, timestamp=TS))
    assert image.header.root_mount and image.header.blob_count == 2
    root = image.to_tree()
    assert isinstance(root, Mount) and (root.host, root.path, root.hide, root.guest) == ("all", ".", (".git",), "/")


# -- timestamps --------------------------------------------------------------------------
@pytest.mark.parametrize("value,expected", [
    (0, (0, 0)), (TS, (TS, 0)), (1.25, (1, 250_000_000)),
    (datetime(2024, 1, 1, tzinfo=UTC), (1704067200, 0)),
])
def test_timestamp_forms(value, expected):
    h = decode_image(encode_image(VFS(), timestamp=value)).header
    assert (h.seconds, h.nanoseconds) == expected


def test_timestamp_defaults_to_now_or_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = time.time()
    h = decode_image(encode_image(VFS())).header
    assert before - 1 <= h.seconds + h.nanoseconds / 1e9 <= time.time() + 1
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234")
    assert decode_image(encode_image(VFS())).header.seconds == 1234
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(SpecError, match="SOURCE_DATE_EPOCH='soon' is not an integer"):
        encode_image(VFS())


@pytest.mark.parametrize("value,message", [
    (-1, "out of range"), (datetime(2024, 1, 1), "timezone-aware"), ("2024", "not str"), (True, "not bool"),
])
def test_bad_timestamps(value, message):
    with pytest.raises(SpecError, match=message):
        encode_image(VFS(), timestamp=value)


# -- determinism -------------------------------------------------------------------------
def make_tree(root: Path) -> None:
    (root / "z" / "y").mkdir(parents=True)
    for i in range(30):
        (root / f"f{i:02d}.txt").write_bytes(os.urandom(100 + i))
    (root / "z" / "y" / "deep").write_bytes(b"deep")
    (root / "z" / "link").symlink_to("../f01.txt")


def test_same_spec_gives_identical_bytes(tmp_path):
    make_tree(tmp_path / "assets")
    path = write_spec(tmp_path / "spec.py", 'vfs = VFS(read_only=True)\n'
                      'vfs.embed("/assets", "assets")\nvfs.dir("/etc").file("x", "y")\n')
    first = encode_image(load_spec(path), timestamp=TS)
    second = encode_image(load_spec(path), timestamp=TS)
    assert first == second


def test_insertion_order_does_not_matter():
    one, two = VFS(), VFS()
    for name in ["b", "a", "c"]:
        one.dir("/d").file(name, name)
    for name in ["c", "b", "a"]:
        two.dir("/d").file(name, name)
    assert encode_image(one, timestamp=TS) == encode_image(two, timestamp=TS)


def test_identical_embedded_dirs_in_different_places_give_identical_bytes(tmp_path):
    for where in ("x", "y"):
        make_tree(tmp_path / where / "assets")
        (tmp_path / where / "assets" / "f00.txt").write_bytes(b"same")
        for p in (tmp_path / where / "assets").glob("f*.txt"):
            p.write_bytes(p.name.encode())
    images = [encode_image(load_spec(write_spec(tmp_path / w / "spec.py", 'vfs = VFS()\nvfs.embed("/a", "assets")\n')),
                           timestamp=TS) for w in ("x", "y")]
    assert images[0] == images[1]


def test_a_host_file_reached_twice_is_stored_once(tmp_path):
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "big").write_bytes(os.urandom(10_000))
    (assets / "alias").symlink_to("big")
    image = encode_image(load_spec(write_spec(tmp_path / "spec.py", 'vfs = VFS()\nvfs.embed("/", "assets")\n')),
                         timestamp=TS)
    img = decode_image(image)
    alias, big = img.listing(1)
    assert alias.blob != big.blob  # distinct inodes
    assert bytes(img.blob(alias.blob)) == bytes(img.blob(big.blob)) == (assets / "big").read_bytes()
    assert 10_000 < len(image) < 20_000


# -- host files changing, size limit -----------------------------------------------------
@pytest.mark.parametrize("size", [4, MMAP_THRESHOLD + 3])  # read, and mapped
@pytest.mark.parametrize("delta", [1, -1])
def test_embedded_file_changed_after_the_spec_ran(tmp_path, size, delta):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_bytes(b"x" * size)
    vfs = load_spec(write_spec(tmp_path / "spec.py", 'vfs = VFS()\nvfs.embed("/a", "a")\n'))
    assert decode_image(encode_image(vfs, timestamp=TS)).to_tree().entries["a"].entries["f"].source.read() == b"x" * size
    (tmp_path / "a" / "f").write_bytes(b"y" * (size + delta))
    real = (tmp_path / "a" / "f").resolve()
    with pytest.raises(SpecError) as info:
        encode_image(vfs, timestamp=TS)
    assert info.value.message == (f"{tmp_path / 'spec.py'}:3: embedded file {real} changed while composing "
                                  f"(it had {size} bytes when the spec ran)")
    (tmp_path / "a" / "f").unlink()
    with pytest.raises(SpecError) as info:
        encode_image(vfs, timestamp=TS)
    assert info.value.message == (f"{tmp_path / 'spec.py'}:3: cannot read embedded file {real}: "
                                  "No such file or directory")


def test_images_over_4_gib_are_rejected_before_reading(tmp_path):
    (tmp_path / "a").mkdir()
    with open(tmp_path / "a" / "huge", "wb") as fh:  # sparse: costs no disk or memory
        fh.truncate((1 << 32) + 1)
    spec = write_spec(tmp_path / "spec.py", '\nvfs = VFS()\nvfs.embed("/a", "a")\n')
    vfs = load_spec(spec)
    started = time.perf_counter()
    with pytest.raises(SpecError) as info:
        encode_image(vfs, timestamp=TS)
    assert time.perf_counter() - started < 5  # it did not read 4 GiB
    assert info.value.message == (f"{spec}:3: the VFS image needs 4294967414 bytes (4.00 GiB) but the "
                                  "virtualizer's memory holds at most 4 GiB (wasm32)")


def test_a_64_mib_file_round_trips(tmp_path):
    (tmp_path / "a").mkdir()
    data = os.urandom(1 << 20) * 64
    (tmp_path / "a" / "big.bin").write_bytes(data)
    vfs = load_spec(write_spec(tmp_path / "spec.py", 'vfs = VFS()\nvfs.embed("/", "a")\n'))
    img = decode_image(encode_image(vfs, timestamp=TS))
    (entry,) = img.listing(1)
    assert entry.size == len(data) and img.blob(entry.blob) == data
    assert img.read(entry.blob, len(data) - 3, 100) == data[-3:]


# -- decoder -----------------------------------------------------------------------------
def small_image() -> bytes:
    vfs = VFS()
    vfs.dir("/etc").file("a", "alpha")
    vfs.dir("/etc/sub").file("b", b"beta", read_only=True)
    return encode_image(vfs, timestamp=TS)


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b[:20], "too short for a header"),
    (lambda b: b"XXXX" + b[4:], "bad magic"),
    (lambda b: b[:4] + struct.pack("<I", 2) + b[8:], "format version 2 is not supported"),
    (lambda b: b[:12] + struct.pack("<I", 99) + b[16:], "root blob 99 is not among"),
    (lambda b: b[:28] + struct.pack("<I", 10**6) + b[32:], "does not fit"),
    (lambda b: b[:-1], "runs past the end"),
])
def test_decoder_rejects_broken_headers(mutate, message):
    with pytest.raises(ImageFormatError, match=message):
        decode_image(mutate(small_image()))


def test_decoder_rejects_broken_listings():
    image = bytearray(small_image())
    img = decode_image(bytes(image))
    address = struct.unpack_from("<I", image, 40 + 8 * 1)[0]
    image[address + 4] = 9  # kind of /etc
    with pytest.raises(ImageFormatError, match="unknown kind 9"):
        decode_image(bytes(image)).to_tree()
    image[address + 4] = 4  # a host mount, whose blob is a listing, not a mount descriptor
    assert decode_image(bytes(image)).listing(1)[0].kind == 4
    with pytest.raises(ImageFormatError, match="mount descriptor"):
        decode_image(bytes(image)).to_tree()
    assert img.read(99, 0, 10) == b"" and img.read(1, 10**9, 1) == b""


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_decoder_raises_only_its_own_error_on_corruption(data):
    image = bytearray(small_image())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(image) - 1))
        image[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del image[data.draw(st.integers(0, len(image))):]
    try:
        decode_image(bytes(image)).to_tree()
    except ImageFormatError:
        pass


# -- property: encode → decode is the identity on trees ----------------------------------
names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1,
                max_size=8).filter(lambda n: n not in (".", ".."))
leaves = st.one_of(
    st.builds(lambda d, ro: File(read_only=ro, source=InlineSource(d)), st.binary(max_size=64), st.booleans()),
    st.builds(lambda t, ro: Symlink(read_only=ro, target=t),
              st.text(st.characters(blacklist_categories=("Cs",)), max_size=20), st.booleans()),
)
trees = st.recursive(
    leaves, lambda children: st.builds(lambda e, ro: Directory(read_only=ro, entries=e),
                                       st.dictionaries(names, children, max_size=5), st.booleans()),
    max_leaves=40)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(names, trees, max_size=6), st.booleans(), st.booleans(), st.integers(0, 2**40))
def test_round_trip(entries, tree_ro, root_ro, ts):
    root = Directory(read_only=root_ro, entries=entries)
    image = encode_image(Tree(root, tree_ro), timestamp=ts)
    img = decode_image(image)
    assert describe(img.to_tree()) == describe(root)
    assert (img.header.read_only, img.header.seconds) == (tree_ro, ts)
    assert encode_image(Tree(img.to_tree(), tree_ro), timestamp=ts) == image


@settings(max_examples=200)
@given(st.binary(max_size=300), st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1))
def test_read_clamps_like_slicing(content, offset, length):
    vfs = VFS()
    vfs.dir("/").file("f", content)
    img = decode_image(encode_image(vfs, timestamp=TS))
    assert img.read(2, offset, length) == content[offset:offset + length]
