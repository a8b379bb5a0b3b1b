"""`names`: parsing interface names, version order, semver compatibility."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wasivirt_component import names
from wasivirt_component.names import InterfaceName, Version


@pytest.mark.parametrize("name, parsed", [
    ("wasi:filesystem/types@0.2.12", InterfaceName("wasi:filesystem", "types", "0.2.12")),
    ("wasi:cli/run", InterfaceName("wasi:cli", "run", None)),
    ("acme:a:b/x/y@1.0.0-rc.1", InterfaceName("acme:a:b", "x/y", "1.0.0-rc.1")),
    ("run", None),
    ("memory", None),
    ("wasi:cli", None),            # a package, not an interface
    ("Wasi:cli/run", None),        # names are lower-case kebab
])
def test_parse(name: str, parsed: InterfaceName | None) -> None:
    assert names.parse(name) == parsed


def test_parsed_parts() -> None:
    parsed = names.parse("wasi:io/streams@0.2.12")
    assert parsed is not None
    assert (parsed.namespace, parsed.base, parsed.is_wasi) == ("wasi", "wasi:io/streams", True)
    assert parsed.semver == Version(0, 2, 12)
    assert names.parse("acme:x/y@not-semver").semver is None  # type: ignore[union-attr]


@pytest.mark.parametrize("text, version", [
    ("0.2.12", Version(0, 2, 12)),
    ("1.2.3-rc.1+build.5", Version(1, 2, 3, "rc.1", "build.5")),
    ("0.2.0-rc-2023-12-05", Version(0, 2, 0, "rc-2023-12-05")),
    ("0.2", None),
    ("v1.0.0", None),
    ("1.0.0-", None),
])
def test_version_parse(text: str, version: Version | None) -> None:
    assert Version.parse(text) == version
    if version is not None:
        assert str(version) == text


def test_version_order_is_semver_precedence() -> None:
    ordered = ["0.2.0-alpha", "0.2.0-alpha.1", "0.2.0-alpha.beta", "0.2.0-beta.2", "0.2.0-beta.11",
               "0.2.0-rc.1", "0.2.0", "0.2.3", "0.2.12", "1.0.0"]
    parsed = [Version.parse(v) for v in ordered]
    assert sorted(parsed, key=lambda v: v.key()) == parsed  # type: ignore[union-attr]
    assert all(a < b for a, b in zip(parsed, parsed[1:], strict=False))  # type: ignore[operator]
    assert Version(1, 0, 0, build="a") == Version(1, 0, 0, build="b")  # build metadata is ignored


def test_a_release_ranks_above_its_release_candidate() -> None:
    assert names.highest(["wasi:cli/run@0.2.0-rc-2023-12-05", "wasi:cli/run@0.2.0"]) == "wasi:cli/run@0.2.0"
    assert names.highest(["wasi:cli/run@0.2.0", "wasi:cli/run@0.2.0-rc-2023-12-05"]) == "wasi:cli/run@0.2.0"
    assert names.version_order(["0.2.0", "0.2.0-rc-2023-12-05", "0.2.12", "0.2.3"]) == [
        "0.2.0-rc-2023-12-05", "0.2.0", "0.2.3", "0.2.12"]
    assert names.version_order(["0.2.0", "latest"]) == ["latest", "0.2.0"]  # not semver: first


def test_highest() -> None:
    assert names.highest(["a:b/c@0.2.9", "a:b/c@0.2.12", "a:b/c@0.2.10"]) == "a:b/c@0.2.12"
    assert names.highest(["a:b/c", "a:b/c@0.1.0"]) == "a:b/c@0.1.0"   # versioned beats unversioned
    assert names.highest(["x", "y"]) == "x"                          # none versioned: the first
    with pytest.raises(ValueError):
        names.highest([])


@pytest.mark.parametrize("name, key", [  # the cases of wac's `alternate_lookup_key` test
    ("x", "x"),
    ("x:y/z", "x:y/z"),
    ("x:y/z@1.0.0", "x:y/z@1"),
    ("x:y/z@1.1.2", "x:y/z@1"),
    ("x:y/z@2.1.2+abc", "x:y/z@2"),
    ("x:y/z@0.1.2", "x:y/z@0.1"),
    ("x:y/z@0.2.3+abc", "x:y/z@0.2"),
    ("x:y/z@0.0.1", "x:y/z@0.0.1"),
    ("x:y/z@0.0.1-pre", "x:y/z@0.0.1-pre"),
    ("x:y/z@0.1.0-pre", "x:y/z@0.1.0-pre"),
    ("x:y/z@1.0.0-pre", "x:y/z@1.0.0-pre"),
])
def test_compat_key(name: str, key: str) -> None:
    assert names.compat_key(name) == key


def test_compatible() -> None:
    assert names.compatible("wasi:io/streams@0.2.9", "wasi:io/streams@0.2.12")
    assert not names.compatible("wasi:io/streams@0.2.0", "wasi:io/streams@0.3.0")
    assert not names.compatible("wasi:io/streams@0.2.0", "wasi:io/streams@0.2.0-rc-2023-12-05")
    assert not names.compatible("wasi:io/streams@0.2.0", "wasi:io/poll@0.2.0")


def test_short_and_is_filesystem() -> None:
    assert names.short("wasi:io/streams@0.2.12") == "io/streams"
    assert names.short("run") == "run"
    assert names.is_filesystem("wasi:filesystem/types@0.2.12")
    assert names.is_filesystem("wasi:filesystem/preopens")
    assert not names.is_filesystem("wasivirt-host:filesystem/types@0.2.12")
    assert not names.is_filesystem("wasi:filesystemx/types")
    assert not names.is_filesystem("filesystem")


versions = st.builds(Version, st.integers(0, 3), st.integers(0, 3), st.integers(0, 3),
                     st.sampled_from(["", "rc.1", "rc.2", "alpha", "1"]))


@given(st.lists(versions, min_size=1, max_size=6))
def test_highest_is_the_maximum_by_precedence(vs: list[Version]) -> None:
    chosen = names.highest([f"a:b/c@{v}" for v in vs])
    assert Version.parse(chosen.split("@")[1]) == max(vs, key=Version.key)


@given(versions, versions)
def test_compatibility_follows_cargo(a: Version, b: Version) -> None:
    expected = (a == b if a.pre or b.pre or (a.major, a.minor) == (0, 0) or (b.major, b.minor) == (0, 0)
                else a.major == b.major if a.major else (b.major, b.minor) == (0, a.minor))
    assert names.compatible(f"a:b/c@{a}", f"a:b/c@{b}") == expected


def test_base_name() -> None:
    assert names.base_name("wasi:cli/run@0.2.12") == "wasi:cli/run"
    assert names.base_name("wasi:cli/run@not-semver") == "wasi:cli/run"
    assert names.base_name("wasi:cli/run") == "wasi:cli/run"
    assert names.base_name("run") == "run"
