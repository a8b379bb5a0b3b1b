"""How fast a spec becomes an image in the virtualizer, and what wasmtime then pays for it.

Workloads: one 64 MiB embedded file (the copy cost), and a stdlib-like tree of 5000 small
files in 100 directories (the per-node cost). For each: spec load (walk), encode_image,
splice_image (the image into the virtualizer's memory), then wasmtime compile and a fresh
instance of the spliced virtualizer. Ratios compare against a plain `read()` of the same
bytes, the floor for any encoder that has to copy the files in.

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

from wasivirt_component.image import encode_image, load_spec
from wasivirt_component.virt import virtualizer_component
from wasivirt_component.virt.splice import splice_image

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


def run(name: str, make: Callable[[Path], int], repeat: int) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        payload = make(root)
        spec = root / "spec.py"
        t_read, _ = best(lambda: plain_read(root), repeat)
        t_load, vfs = best(lambda: load_spec(spec), repeat)
        t_encode, image = best(lambda: encode_image(vfs, timestamp=0), repeat)
        bare = virtualizer_component()
        t_comp, component = best(lambda: splice_image(bare, image), repeat)
        total = t_load + t_encode + t_comp
        rows.append(f"| {name} | {payload / (1 << 20):.1f} MiB | {t_read * 1e3:.1f} | {t_load * 1e3:.1f} | "
                    f"{t_encode * 1e3:.1f} | {t_comp * 1e3:.1f} | {total * 1e3:.1f} | {total / t_read:.1f}x | "
                    f"{payload / total / 1e9:.2f} GB/s |")
        engine = wasmtime.Engine()
        t_compile, compiled = best(lambda: wc.Component(engine, component), max(1, repeat // 2))
        linker = wc.Linker(engine)
        linker.define_unknown_imports_as_traps(compiled)

        def instantiate() -> None:
            linker.instantiate(wasmtime.Store(engine), compiled)

        instantiate()
        t_inst, _ = best(instantiate, repeat * 4)
        rows.append(f"|  ↳ wasmtime | {len(component) / (1 << 20):.1f} MiB virtualizer | "
                    f"compile {t_compile * 1e3:.0f} ms | fresh instance {t_inst * 1e3:.3f} ms | | | | | |")
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
        "+ splice_image) / a plain Python read of the same files.",
        "",
        "| workload | payload | plain read ms | load_spec ms | encode_image ms | splice ms | "
        "total ms | ratio | throughput |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += run("one 64 MiB file", make_big, args.repeat)
    lines += run("5000 files / 100 dirs", make_many, args.repeat)
    lines += [
        "",
        "Copies of a large file's bytes: one mapping (no copy) + one join into the image + one "
        "join into the virtualizer binary. The image is one active data segment of the "
        "virtualizer's memory, which wasmtime maps copy-on-write: a fresh instance copies none "
        "of it.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        record(text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
