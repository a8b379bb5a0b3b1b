"""How fast a spec becomes an image component, and what wasmtime then pays for it.

Workloads: one 64 MiB embedded file (the copy cost), and a stdlib-like tree of 5000 small
files in 100 directories (the per-node cost). For each: spec load (walk), encode_image,
build_image_component, then wasmtime compile and a fresh instance, for both data segment
layouts. Ratios compare against a plain `read()` of the same bytes, the floor for any
encoder that has to copy the files in.

    .venv/bin/python benchmarks/bench_image.py [--no-record]

The table replaces this script's section of benchmarks/RESULTS.md (between
`<!-- bench_image:start/end -->` markers), so reruns do not pile up.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime
import wasmtime.component as wc

from wasivirt_component.image import build_image_component, encode_image, load_spec

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
MARKERS = ("<!-- bench_image:start -->", "<!-- bench_image:end -->")
SPEC = "from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed('/data', 'data')\n"


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def make_big(root: Path) -> int:
    (root / "data").mkdir(parents=True)
    (root / "data" / "big.bin").write_bytes(os.urandom(1 << 20) * 64)
    (root / "spec.py").write_text(SPEC)
    return 64 << 20


def make_many(root: Path) -> int:
    total = 0
    for d in range(100):
        sub = root / "data" / f"pkg{d:03d}"
        sub.mkdir(parents=True)
        for f in range(50):
            payload = os.urandom(200 + (d * 50 + f) % 1800)
            (sub / f"mod{f:02d}.py").write_bytes(payload)
            total += len(payload)
    (root / "spec.py").write_text(SPEC)
    return total


def plain_read(root: Path) -> int:
    return sum(len(p.read_bytes()) for p in sorted((root / "data").rglob("*")) if p.is_file())


def guest_read_rows(image: bytes, payload: int) -> list[str]:
    """Another component reading the big file through `read` (what the virtualizer does),
    against a plain `memory.copy` of the same size inside one module."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from test_image_component import ENGINE, consumer_component  # the test's consumer

    from wasivirt_component.binary.core_encoder import I32, KIND_FUNC, CoreModule, FuncType, Limits, op
    from wasivirt_component.image import decode_image

    decoded = decode_image(image)
    blob = decoded.listing(decoded.listing(1)[0].blob)[0].blob  # /data/big.bin
    compiled = wc.Component(ENGINE, consumer_component(build_image_component(image), reuse_buffer=True))
    store = wasmtime.Store(ENGINE)
    instance = wc.Linker(ENGINE).instantiate(store, compiled)
    run_read = instance.get_func(store, instance.get_export_index(store, "run"))
    times = []
    for _ in range(4):
        start = time.perf_counter()
        assert run_read(store, blob, 0, payload) == payload
        run_read.post_return(store)
        times.append(time.perf_counter() - start)

    module = CoreModule()
    module.add_memory(Limits(2 * (payload >> 16) + 2))
    copy = module.add_func(FuncType((I32, I32, I32)),
                           op.local_get(0) + op.local_get(1) + op.local_get(2) + b"\xfc\x0a\x00\x00")
    module.export("copy", KIND_FUNC, copy)
    core_store = wasmtime.Store(ENGINE)
    copy_fn = wasmtime.Instance(core_store, wasmtime.Module(ENGINE, module.encode()), []).exports(core_store)["copy"]
    copies = []
    for _ in range(4):
        start = time.perf_counter()
        copy_fn(core_store, 0, payload, payload)
        copies.append(time.perf_counter() - start)
    warm, memcpy = min(times[1:]), min(copies[1:])
    return [f"|  ↳ another component reads it in one `read` call | first {payload / times[0] / 1e9:.2f} GB/s | "
            f"warm {payload / warm / 1e9:.2f} GB/s | `memory.copy` in one module: {payload / memcpy / 1e9:.2f} GB/s "
            f"({warm / memcpy:.0f}x faster) | | | | | |"]


def run(name: str, make: Callable[[Path], int], repeat: int) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        payload = make(root)
        spec = root / "spec.py"
        t_read, _ = best(lambda: plain_read(root), repeat)
        t_load, vfs = best(lambda: load_spec(spec), repeat)
        t_encode, image = best(lambda: encode_image(vfs, timestamp=0), repeat)
        t_comp, component = best(lambda: build_image_component(image), repeat)
        total = t_load + t_encode + t_comp
        rows.append(f"| {name} | {payload / (1 << 20):.1f} MiB | {t_read * 1e3:.1f} | {t_load * 1e3:.1f} | "
                    f"{t_encode * 1e3:.1f} | {t_comp * 1e3:.1f} | {total * 1e3:.1f} | {total / t_read:.1f}x | "
                    f"{payload / total / 1e9:.2f} GB/s |")
        engine = wasmtime.Engine()
        for segments in ("single", "per-blob"):
            binary = component if segments == "single" else build_image_component(image, segments=segments)
            t_compile, compiled = best(lambda: wc.Component(engine, binary), max(1, repeat // 2))
            linker = wc.Linker(engine)

            def instantiate() -> None:
                linker.instantiate(wasmtime.Store(engine), compiled)

            instantiate()
            t_inst, _ = best(instantiate, repeat * 4)
            rows.append(f"|  ↳ wasmtime, {segments} segment(s) | {len(binary) / (1 << 20):.1f} MiB component | "
                        f"compile {t_compile * 1e3:.0f} ms | fresh instance {t_inst * 1e3:.2f} ms | | | | | |")
        if make is make_big:
            rows += guest_read_rows(image, payload)
    return rows


def record(body: str) -> None:
    """Replace this script's section of RESULTS.md, or append it."""
    start, end = MARKERS
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lines = [
        "## Image encoding (`benchmarks/bench_image.py`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, CPython {platform.python_version()}, "
        f"wasmtime-py 50, load average {os.getloadavg()[0]:.1f} at start, {time.strftime('%Y-%m-%d')}; "
        f"median of {args.repeat} runs, files in the page cache. *ratio* = (load_spec + encode_image "
        "+ build_image_component) / a plain Python read of the same files.",
        "",
        "| workload | payload | plain read ms | load_spec ms | encode_image ms | component ms | "
        "total ms | ratio | throughput |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += run("one 64 MiB file", make_big, args.repeat)
    lines += run("5000 files / 100 dirs", make_many, args.repeat)
    lines += [
        "",
        "Copies of a large file's bytes: one mapping (no copy) + one join into the image + one "
        "join into the component binary. One data segment for the whole image compiles as "
        "fast as one segment per blob for one big file (same within noise) and faster for "
        "thousands of files, so it is the default. A `list<u8>` "
        "crossing from one component to another is copied by wasmtime's fused adapter one "
        "element at a time (no `memory.copy` fast path), which bounds any read path through "
        "the image interface.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        record(text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
