"""The spec DSL and its loader: every feature, and every error as one `file:line:` line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wasivirt_component.errors import SpecError
from wasivirt_component.image.loader import load_spec
from wasivirt_component.image.spec import VFS
from wasivirt_component.image.tree import Directory, File, HostFileSource, InlineSource, iter_tree

HEAD = "from wasivirt_component import VFS\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def spec(tmp_path: Path, body: str, name: str = "spec.py") -> Path:
    """A spec file whose line 1 imports VFS; `body` starts on line 2."""
    return write(tmp_path / name, HEAD + textwrap.dedent(body).lstrip("\n"))


def flat(vfs: VFS) -> dict[str, tuple]:
    """path → ("dir", read_only) or ("file", read_only, content)."""
    out: dict[str, tuple] = {}
    for path, node in iter_tree(vfs.root):
        if isinstance(node, Directory):
            out[path] = ("dir", node.read_only)
        else:
            assert isinstance(node, File)
            out[path] = ("file", node.read_only, node.source.read())
    return out


def error_of(path: Path | str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    assert err.exit_code == 2
    assert "\n" not in err.message
    return err


# -- features ----------------------------------------------------------------------------
def test_dirs_files_and_reopening(tmp_path):
    path = spec(tmp_path, """
        vfs = VFS()
        with vfs.dir("/etc") as etc:
            etc.file("app.toml", "debug = false\\n", read_only=True)
            etc.file("empty")
            with etc.dir("conf.d") as conf:
                conf.file("bin", bytes(range(256)))
        with vfs.dir("/etc") as again:          # reopening adds to the same directory
            again.file("later", bytearray(b"x"))
            again.dir("conf.d").file("more", "é")
        vfs.dir("/a/b/c")                        # intermediate directories are created
        vfs.dir("//a//b/").file("d", b"")        # duplicate and trailing slashes are fine
        with vfs.dir("/") as root:
            root.file("top", memoryview(b"tip"))
    """)
    vfs = load_spec(path)
    assert isinstance(vfs, VFS) and not vfs.read_only
    assert flat(vfs) == {
        "/a": ("dir", False), "/a/b": ("dir", False), "/a/b/c": ("dir", False),
        "/a/b/d": ("file", False, b""),
        "/etc": ("dir", False),
        "/etc/app.toml": ("file", True, b"debug = false\n"),
        "/etc/conf.d": ("dir", False),
        "/etc/conf.d/bin": ("file", False, bytes(range(256))),
        "/etc/conf.d/more": ("file", False, "é".encode()),
        "/etc/empty": ("file", False, b""),
        "/etc/later": ("file", False, b"x"),
        "/top": ("file", False, b"tip"),
    }


def test_whole_tree_read_only_and_builder_usable_without_with(tmp_path):
    vfs = load_spec(spec(tmp_path, """
        vfs = VFS(read_only=True)
        d = vfs.dir("/x")
        d.file("f", "1")
        print(repr(d), repr(vfs))
    """))
    assert vfs.read_only
    assert flat(vfs) == {"/x": ("dir", False), "/x/f": ("file", False, b"1")}


def test_nodes_remember_their_spec_line(tmp_path):
    path = spec(tmp_path, """
        vfs = VFS()
        with vfs.dir("/etc") as etc:
            etc.file("a")
    """)
    vfs = load_spec(path)
    etc = vfs.root.entries["etc"]
    assert str(vfs.origin) == f"{path}:2"
    assert str(etc.origin) == f"{path}:3"
    assert str(etc.entries["a"].origin) == f"{path}:4"


def test_dsl_outside_a_spec_reports_the_calling_file():
    vfs = VFS()
    assert vfs.origin is not None and vfs.origin.file == __file__
    with pytest.raises(SpecError, match=r"^duplicate name 'x' in / \(first declared at .*test_image_spec.py:\d+\)$"):
        with vfs.dir("/") as root:
            root.file("x")
            root.file("x")


def test_package_import_is_lazy_and_reexports_vfs():
    code = ("import sys, wasivirt_component as w\n"
            "assert not any(m.startswith('wasivirt_component.image') for m in sys.modules), sys.modules\n"
            "from wasivirt_component import VFS\n"
            "from wasivirt_component.image.spec import VFS as V2\n"
            "assert VFS is V2 and 'VFS' in w.__all__\n"
            "assert 'wasivirt_component.image.component' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- embed -------------------------------------------------------------------------------
def make_assets(root: Path) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "b.txt").write_bytes(b"bee")
    (root / "a.txt").write_bytes(b"ay")
    (root / ".hidden").write_bytes(b"h")
    (root / "sub" / "data.bin").write_bytes(bytes(range(256)) * 4)
    (root / "sub" / "deeper" / "ünï.txt").write_text("unicode")
    return root


def test_embed_copies_the_tree_read_only(tmp_path):
    make_assets(tmp_path / "assets")
    vfs = load_spec(spec(tmp_path, """
        vfs = VFS()
        vfs.embed("/srv/assets", "assets")
    """))
    assert flat(vfs) == {
        "/srv": ("dir", False),
        "/srv/assets": ("dir", True),
        "/srv/assets/.hidden": ("file", True, b"h"),
        "/srv/assets/a.txt": ("file", True, b"ay"),
        "/srv/assets/b.txt": ("file", True, b"bee"),
        "/srv/assets/empty": ("dir", True),
        "/srv/assets/sub": ("dir", True),
        "/srv/assets/sub/data.bin": ("file", True, bytes(range(256)) * 4),
        "/srv/assets/sub/deeper": ("dir", True),
        "/srv/assets/sub/deeper/ünï.txt": ("file", True, b"unicode"),
    }
    # walked in sorted order: the tree's own order is the host's sorted order
    assert list(vfs.root.entries["srv"].entries["assets"].entries) == [".hidden", "a.txt", "b.txt", "empty", "sub"]


def test_embed_is_relative_to_the_spec_not_the_cwd(tmp_path, monkeypatch):
    make_assets(tmp_path / "proj" / "assets")
    path = spec(tmp_path / "proj", 'vfs = VFS()\nvfs.embed("/a", "./assets")\n')
    monkeypatch.chdir(tmp_path)
    assert "/a/b.txt" in flat(load_spec(path))
    # an absolute host path is taken as is
    abs_spec = spec(tmp_path / "other", f'vfs = VFS()\nvfs.embed("/a", {str(tmp_path / "proj" / "assets")!r})\n')
    assert "/a/sub/data.bin" in flat(load_spec(abs_spec))


def test_embed_into_an_existing_directory_merges(tmp_path):
    make_assets(tmp_path / "assets")
    vfs = load_spec(spec(tmp_path, """
        vfs = VFS()
        vfs.dir("/www").file("index.html", "<p>")
        vfs.embed("/www", "assets")
        vfs.embed("/", "assets/sub")
    """))
    tree = flat(vfs)
    assert tree["/www"] == ("dir", False)  # declared by vfs.dir: stays writable
    assert tree["/www/index.html"] == ("file", False, b"<p>")
    assert tree["/www/a.txt"] == ("file", True, b"ay")
    assert tree["/data.bin"][0] == "file" and tree["/deeper"] == ("dir", True)


def test_embed_follows_symlinks_inside_the_directory(tmp_path):
    assets = make_assets(tmp_path / "assets")
    (assets / "link.txt").symlink_to("a.txt")
    (assets / "sub" / "up.txt").symlink_to("../b.txt")
    (assets / "subcopy").symlink_to("sub", target_is_directory=True)
    vfs = load_spec(spec(tmp_path, 'vfs = VFS()\nvfs.embed("/a", "assets")\n'))
    tree = flat(vfs)
    assert tree["/a/link.txt"] == ("file", True, b"ay")
    assert tree["/a/sub/up.txt"] == ("file", True, b"bee")
    assert tree["/a/subcopy"] == ("dir", True)
    assert tree["/a/subcopy/up.txt"] == ("file", True, b"bee")
    link = vfs.root.entries["a"].entries["link.txt"]
    assert isinstance(link.source, HostFileSource) and link.source.path == (assets / "a.txt").resolve()


def test_embed_sees_the_real_directory_through_a_symlinked_root(tmp_path):
    make_assets(tmp_path / "real")
    (tmp_path / "alias").symlink_to("real", target_is_directory=True)
    (tmp_path / "real" / "self.txt").symlink_to(tmp_path / "alias" / "a.txt")  # inside, via the alias
    tree = flat(load_spec(spec(tmp_path, 'vfs = VFS()\nvfs.embed("/a", "alias")\n')))
    assert tree["/a/self.txt"] == ("file", True, b"ay")


# -- errors: exact messages with file:line, exit code 2 ----------------------------------
def test_missing_host_dir(tmp_path):
    path = spec(tmp_path, """
        vfs = VFS()
        vfs.embed("/assets", "nope")
    """)
    assert error_of(path).message == (
        f"{path}:3: embed: host directory 'nope' (resolved to {tmp_path / 'nope'}) does not exist")


def test_host_path_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    path = spec(tmp_path, f'vfs = VFS()\nvfs.embed("/a", {str(tmp_path / "f")!r})\n')
    assert error_of(path).message == f"{path}:3: embed: host path {str(tmp_path / 'f')!r} is not a directory"


@pytest.mark.parametrize("call,message", [
    ('etc.file("a/b")', """invalid name 'a/b' in /etc: a name cannot contain "/" (use .dir() for subdirectories)"""),
    ('etc.file("..")', """invalid name '..' in /etc: "." and ".." are not allowed"""),
    ('etc.dir(".")', """invalid name '.' in /etc: "." and ".." are not allowed"""),
    ('etc.file("a\\0b")', r"invalid name 'a\x00b' in /etc: a name cannot contain NUL"),
    ('etc.file("")', "invalid name '' in /etc: a name cannot be empty"),
    ('etc.dir("")', "invalid name '' in /etc: a name cannot be empty"),
    ('etc.file(b"x")', "a name in /etc must be a str, not bytes"),
    ('etc.file("x", 5)', "content of /etc/x must be bytes or str, not int"),
    ('etc.file("x", "\\udc80")', "content of /etc/x is not valid UTF-8 text (surrogates not allowed)"),
    ('etc.file("\\udc80")', r"invalid name '\udc80' in /etc: a name must be valid UTF-8"),
    ('etc.file("n" * 70000)', "invalid name '" + "n" * 70000 + "' in /etc: a name is at most 65535 bytes, this one has 70000"),
])
def test_bad_names_and_contents(tmp_path, call, message):
    path = spec(tmp_path, f"""
        vfs = VFS()
        with vfs.dir("/etc") as etc:
            {call}
    """)
    assert error_of(path).message == f"{path}:4: {message}"


@pytest.mark.parametrize("call,message", [
    ('vfs.dir("etc")', """guest path 'etc' must be absolute (start with "/")"""),
    ('vfs.dir("")', """guest path '' must be absolute (start with "/")"""),
    ('vfs.embed("assets", ".")', """guest path 'assets' must be absolute (start with "/")"""),
    ('vfs.dir("/a/../b")', """guest path '/a/../b' must not contain ".", ".." or NUL"""),
    ('vfs.dir("/a/./b")', """guest path '/a/./b' must not contain ".", ".." or NUL"""),
    ('vfs.dir(42)', "a guest path must be a str, not int"),
    ('vfs.embed("/a", 42)', "embed: the host directory must be a str or path, not int"),
])
def test_bad_guest_paths(tmp_path, call, message):
    path = spec(tmp_path, f"vfs = VFS()\n{call}\n")
    assert error_of(path).message == f"{path}:3: {message}"


def test_duplicate_names(tmp_path):
    path = spec(tmp_path, """
        vfs = VFS()
        with vfs.dir("/etc") as etc:
            etc.file("a")
            etc.file("a", "again")
    """)
    assert error_of(path).message == f"{path}:5: duplicate name 'a' in /etc (first declared at {path}:4)"


def test_file_then_dir_with_the_same_name(tmp_path):
    path = spec(tmp_path, """
        vfs = VFS()
        vfs.dir("/etc").file("x")
        vfs.dir("/etc/x/y")
    """)
    assert error_of(path).message == f"{path}:4: /etc/x is not a directory (declared at {path}:3)"


def test_dir_then_file_with_the_same_name(tmp_path):
    path = spec(tmp_path, """
        vfs = VFS()
        vfs.dir("/etc/x")
        vfs.dir("/etc").file("x")
    """)
    assert error_of(path).message == f"{path}:4: duplicate name 'x' in /etc (first declared at {path}:3)"


def test_embed_duplicate_with_existing_entry(tmp_path):
    make_assets(tmp_path / "assets")
    path = spec(tmp_path, """
        vfs = VFS()
        vfs.dir("/a").file("b.txt")
        vfs.embed("/a", "assets")
    """)
    assert error_of(path).message == f"{path}:4: duplicate name 'b.txt' in /a (first declared at {path}:3)"


def test_embed_symlink_escaping(tmp_path):
    assets = make_assets(tmp_path / "assets")
    (tmp_path / "secret").write_text("s")
    (assets / "sub" / "leak").symlink_to("../../secret")
    path = spec(tmp_path, 'vfs = VFS()\n\nvfs.embed("/a", "assets")\n')
    real = assets.resolve()
    assert error_of(path).message == (
        f"{path}:4: embed: symlink {real}/sub/leak points outside the embedded directory "
        f"(to {(tmp_path / 'secret').resolve()}); copy the file in or embed it separately")


def test_embed_symlink_absolute_to_host_root(tmp_path):
    assets = make_assets(tmp_path / "assets")
    (assets / "etc").symlink_to("/etc", target_is_directory=True)
    path = spec(tmp_path, 'vfs = VFS()\nvfs.embed("/a", "assets")\n')
    assert "points outside the embedded directory (to /etc)" in error_of(path).message


def test_embed_broken_symlink(tmp_path):
    assets = make_assets(tmp_path / "assets")
    (assets / "gone").symlink_to("nothing-here")
    path = spec(tmp_path, 'vfs = VFS()\nvfs.embed("/a", "assets")\n')
    real = assets.resolve()
    assert error_of(path).message == (
        f"{path}:3: embed: symlink {real}/gone is broken ({real}/nothing-here: No such file or directory)")


def test_embed_symlink_loop(tmp_path):
    assets = make_assets(tmp_path / "assets")
    (assets / "sub" / "again").symlink_to("..", target_is_directory=True)
    path = spec(tmp_path, 'vfs = VFS()\nvfs.embed("/a", "assets")\n')
    real = assets.resolve()
    assert error_of(path).message == f"{path}:3: embed: symlink {real}/sub/again loops back to {real}"


def test_embed_special_file(tmp_path):
    assets = make_assets(tmp_path / "assets")
    os.mkfifo(assets / "pipe")
    path = spec(tmp_path, 'vfs = VFS()\nvfs.embed("/a", "assets")\n')
    assert error_of(path).message == (
        f"{path}:3: embed: {assets.resolve()}/pipe is not a regular file, directory or symlink")


def test_embed_name_not_utf8(tmp_path):
    assets = make_assets(tmp_path / "assets")
    with open(os.fsencode(assets) + b"/bad\xff", "wb"):
        pass
    path = spec(tmp_path, 'vfs = VFS()\nvfs.embed("/a", "assets")\n')
    assert error_of(path).message == (
        f"{path}:3: embed: the name of {str(assets.resolve()) + '/bad' + chr(0xdcff)!r} is not valid UTF-8")


def test_exception_in_the_spec(tmp_path):
    path = spec(tmp_path, """
        vfs = VFS()
        with vfs.dir("/etc") as etc:
            etc.file("a")

        ratio = 1
        ratio = ratio / 0
    """)
    assert error_of(path).message == f"{path}:7: ZeroDivisionError: division by zero"


def test_exception_inside_a_function_names_the_innermost_spec_line(tmp_path):
    path = spec(tmp_path, """
        def build(vfs):
            vfs.dir("relative")

        vfs = VFS()
        build(vfs)
    """)
    assert error_of(path).message == f"""{path}:3: guest path 'relative' must be absolute (start with "/")"""


def test_exception_in_a_helper_module_names_the_spec_line(tmp_path):
    write(tmp_path / "helpers.py", "def boom():\n    raise KeyError('missing')\n")
    path = spec(tmp_path, "import helpers\nvfs = VFS()\nhelpers.boom()\n")
    assert error_of(path).message == f"{path}:4: KeyError: 'missing'"


def test_multiline_and_empty_exception_messages_stay_on_one_line(tmp_path):
    path = spec(tmp_path, 'raise ValueError("first\\nsecond")\n')
    assert error_of(path).message == f"{path}:2: ValueError: first second"
    path = spec(tmp_path, "raise RuntimeError\n", name="s2.py")
    assert error_of(path).message == f"{path}:2: RuntimeError"


def test_sys_exit_in_the_spec(tmp_path):
    path = spec(tmp_path, "import sys\nsys.exit(3)\n")
    assert error_of(path).message == f"{path}:3: SystemExit: 3"


def test_syntax_error(tmp_path):
    path = spec(tmp_path, "vfs = VFS()\nx = = 1\n")
    assert error_of(path).message == f"{path}:3: SyntaxError: invalid syntax"


def test_indentation_error(tmp_path):
    path = spec(tmp_path, "vfs = VFS()\n  x = 1\n")
    assert error_of(path).message == f"{path}:3: IndentationError: unexpected indent"


def test_missing_vfs(tmp_path):
    path = spec(tmp_path, "fs = VFS()\n")
    assert error_of(path).message == (
        f"{path}:1: the spec defines no module-level `vfs`; add `vfs = VFS()` "
        "(from wasivirt_component import VFS)")


def test_vfs_of_the_wrong_type(tmp_path):
    path = spec(tmp_path, """
        def helper():
            vfs = 1        # a local: not the module-level binding
            return vfs
        vfs = VFS()
        vfs = {"not": "a VFS"}
        helper()
    """)
    assert error_of(path).message == f"{path}:6: `vfs` must be a wasivirt_component.VFS, not dict"


def test_vfs_bound_by_import_of_the_wrong_type(tmp_path):
    write(tmp_path / "other.py", "vfs = 'text'\n")
    path = spec(tmp_path, "x = 1\nfrom other import vfs\n")
    assert error_of(path).message == f"{path}:3: `vfs` must be a wasivirt_component.VFS, not str"


def test_unreadable_spec_file(tmp_path):
    missing = tmp_path / "nope.py"
    assert error_of(missing).message == f"{missing}: cannot read the spec file: No such file or directory"


def test_relative_spec_path_is_shown_as_given(tmp_path, monkeypatch):
    spec(tmp_path, "vfs = VFS()\nvfs.dir('x')\n")
    monkeypatch.chdir(tmp_path)
    assert error_of("spec.py").message == """spec.py:3: guest path 'x' must be absolute (start with "/")"""


# -- the loader's sandboxing of sys.path / sys.modules -------------------------------------
def test_helpers_next_to_the_spec_are_imported_fresh_and_forgotten(tmp_path):
    for n in (1, 2):
        write(tmp_path / f"p{n}" / "helpers.py", f"VALUE = {n}\n")
        write(tmp_path / f"p{n}" / "pkg" / "__init__.py", "")
        write(tmp_path / f"p{n}" / "pkg" / "mod.py", f"NAME = 'f{n}'\n")
        spec(tmp_path / f"p{n}", """
            import sys, colorsys
            import helpers
            from pkg.mod import NAME
            sys.path.append("/somewhere/else")
            vfs = VFS()
            vfs.dir("/x").file(NAME, str(helpers.VALUE))
        """)
    path_before = list(sys.path)
    for n in (1, 2):
        tree = flat(load_spec(tmp_path / f"p{n}" / "spec.py"))
        assert tree[f"/x/f{n}"] == ("file", False, str(n).encode())
    assert sys.path == path_before
    assert not {"helpers", "pkg", "pkg.mod", "__wasivirt_spec__"} & set(sys.modules)
    assert "colorsys" in sys.modules  # ordinary modules stay loaded, as in any process
    assert not list(tmp_path.rglob("__pycache__"))  # no bytecode written next to the spec


def test_sys_path_restored_after_a_failing_spec(tmp_path):
    write(tmp_path / "helpers.py", "X = 1\n")
    path = spec(tmp_path, "import helpers\nimport sys\nsys.path.clear()\n1/0\n")
    before = list(sys.path)
    error_of(path)
    assert sys.path == before and "helpers" not in sys.modules


def test_spec_module_globals(tmp_path):
    path = spec(tmp_path, """
        from dataclasses import dataclass
        from pathlib import Path

        @dataclass
        class Item:
            name: str

        assert __name__ == "__wasivirt_spec__"
        assert Path(__file__).name == "spec.py"
        vfs = VFS()
        vfs.dir("/").file(Item("i").name)
    """)
    assert "/i" in flat(load_spec(path))


def test_inline_content_is_kept_inline(tmp_path):
    vfs = load_spec(spec(tmp_path, 'vfs = VFS()\nvfs.dir("/").file("f", "x")\n'))
    assert isinstance(vfs.root.entries["f"].source, InlineSource)


# -- host mounts ---------------------------------------------------------------------------
def test_mounts_record_their_policy_and_place(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "shadowed").mkdir()
    path = spec(tmp_path, """
        vfs = VFS(read_only=True)
        vfs.embed("/app", "assets")
        vfs.mount("/app/shadowed", host="out")
        vfs.mount("/data", host="data", path="./sub//dir/", read_only=True, hide=["*.key", ".git"])
    """)
    vfs = load_spec(path)
    (guest1, m1), (guest2, m2) = vfs.mounts()
    assert (guest1, m1.host, m1.path, m1.read_only, m1.hide) == ("/app/shadowed", "out", ".", False, ())
    assert (guest2, m2.host, m2.path, m2.read_only, m2.hide) == ("/data", "data", "sub/dir", True, ("*.key", ".git"))
    assert (m1.guest, m2.origin.line) == ("/app/shadowed", 5)


@pytest.mark.parametrize("call,message", [
    ('vfs.mount("/m", host="")', 'mount: host must be the non-empty name of a runtime preopen'),
    ('vfs.mount("/m", host=3)', 'mount: host must be the non-empty name of a runtime preopen'),
    ('vfs.mount("/m", host="d", path="../up")', "mount: path '../up' must stay inside the preopen"),
    ('vfs.mount("/m", host="d", path="/abs")', "mount: path '/abs' must stay inside the preopen"),
    ('vfs.mount("/m", host="d", hide="*.key")', "mount: hide must be a list of name patterns, not str"),
    ('vfs.mount("/m", host="d", hide=["a/b"])', "mount: hide pattern 'a/b' must be a non-empty name pattern"),
    ('vfs.mount("m", host="d")', "guest path 'm' must be absolute"),
])
def test_bad_mounts(tmp_path, call, message):
    err = error_of(spec(tmp_path, f"vfs = VFS()\n{call}\n"))
    assert err.message.startswith(f"{tmp_path / 'spec.py'}:3: ") and message in err.message, err.message


def test_a_mount_at_root_stands_alone(tmp_path):
    before = error_of(spec(tmp_path, 'vfs = VFS()\nvfs.dir("/etc")\nvfs.mount("/", host="all")\n'))
    assert "a mount at / must be the only thing in the spec" in before.message
    after = error_of(spec(tmp_path, 'vfs = VFS()\nvfs.mount("/", host="all")\nvfs.dir("/etc")\n', "b.py"))
    assert after.message.startswith(f"{tmp_path / 'b.py'}:4: cannot add /etc: / is a host mount")


def test_nothing_goes_inside_a_mount_and_a_mount_needs_a_directory_spot(tmp_path):
    inside = error_of(spec(tmp_path, 'vfs = VFS()\nvfs.mount("/m", host="d")\nvfs.dir("/m/x")\n'))
    assert "/m is a host mount (its contents come from the host at run time)" in inside.message
    over_file = error_of(spec(tmp_path, 'vfs = VFS()\nvfs.dir("/").file("f")\nvfs.mount("/f", host="d")\n', "c.py"))
    assert "cannot mount over /f: it is not a directory" in over_file.message


def test_a_refused_embed_leaves_the_tree_as_it_was(tmp_path):
    (tmp_path / "f").write_text("x")
    vfs = VFS()
    for host in (tmp_path / "nope", tmp_path / "f"):
        with pytest.raises(SpecError, match=r"embed: host (directory .* does not exist|path .* is not a directory)"):
            vfs.embed("/new/dir", host)
    assert vfs.root.entries == {}
