"""The glue test world: a WIT covering every type the generator lays out, and the C
program (tests/c/glue_echo.c) that implements it; shared by the lifted and lowered tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from support.cbuild import CACHE
from wasivirt_component.virt import build

WIT = """
package test:glue@0.1.0;

interface types {
  enum color { red, green, blue }
  flags perms { read, write, exec }
  record point { x: s32, y: s32, label: string }
  variant shape { circle(f32), rect(point), empty, blob(list<u8>), big(u64), small(s8), precise(f64) }
  resource counter {
    constructor(start: u32);
    incr: func(by: u32) -> u32;
    total: static func(counters: list<borrow<counter>>) -> u32;
  }
}

interface host {
  record hpoint { x: s32, y: s32 }
  variant hval { num(s64), text(string), nothing, ratio(f32) }
  resource token { name: func() -> string; }
  make-token: func(name: string) -> token;
  reverse: func(data: list<u8>) -> list<u8>;
  swap: func(p: hpoint) -> hpoint;
  transform: func(v: hval) -> hval;
  maybe: func(n: u32) -> option<u64>;
  divide: func(a: s64, b: s64) -> result<s64, string>;
  words: func(text: string) -> list<string>;
}

interface api {
  use types.{color, perms, point, shape, counter};
  record described { tag: u8, num: s64, text: string, ratio: f32 }
  echo-bool: func(b: bool) -> bool;
  echo-ints: func(a: u8, b: s8, c: u16, d: s16, e: u32, f: s32, g: u64, h: s64) -> tuple<u8, s8, u16, s16, u32, s32, u64, s64>;
  echo-floats: func(a: f32, b: f64) -> tuple<f32, f64>;
  echo-char: func(c: char) -> char;
  echo-string: func(s: string) -> string;
  echo-strings: func(l: list<string>) -> list<string>;
  echo-point: func(p: point) -> point;
  echo-shape: func(s: shape) -> shape;
  echo-color: func(c: color) -> color;
  echo-perms: func(p: perms) -> perms;
  echo-option: func(o: option<point>) -> option<point>;
  echo-result: func(r: result<u32, string>) -> result<u32, string>;
  sum-points: func(ps: list<point>) -> point;
  make-counters: func(n: u32) -> list<counter>;
  try-counter: func(ok: bool) -> result<counter, string>;
  host-reverse: func(data: list<u8>) -> list<u8>;
  host-swap: func(x: s32, y: s32) -> tuple<s32, s32>;
  host-transform: func(tag: u8, n: s64, text: string, r: f32) -> described;
  host-maybe: func(n: u32) -> option<u64>;
  host-divide: func(a: s64, b: s64) -> result<s64, string>;
  host-token-name: func(name: string) -> string;
  host-words: func(text: string) -> list<string>;
  heap-in-use: func() -> u32;
  live-counters: func() -> u32;
}

world glue-test {
  import host;
  export types;
  export api;
}
"""
API = "test:glue/api@0.1.0"
TYPES = "test:glue/types@0.1.0"
HOST = "test:glue/host@0.1.0"
SOURCES = Path(__file__).resolve().parent.parent / "c"
ALLOC = Path(build.C_DIR) / "alloc.c"


def glue_sources() -> dict[str, bytes]:
    return {"glue_echo.c": (SOURCES / "glue_echo.c").read_bytes(), "alloc.c": ALLOC.read_bytes(),
            "wv.h": (Path(build.C_DIR) / "wv.h").read_bytes()}


def cached_build(wit: str, sources: dict[str, bytes], generator: Sequence[Path], name: str,
                 compile: Callable[[dict[str, str], str, None, dict[str, bytes], Path], object]) -> bytes:
    """Build a test world once per content (WIT, C sources, generator sources) into the test cache."""
    key = hashlib.sha256(wit.encode())
    for source, data in sorted(sources.items()):
        key.update(source.encode() + data)
    for path in generator:
        key.update(path.read_bytes())
    out = CACHE / f"{key.hexdigest()[:24]}-{name}.wasm"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        compile({"world.wit": wit}, name, None, sources, out)
    return out.read_bytes()
