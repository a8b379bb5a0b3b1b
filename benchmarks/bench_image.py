"""How fast a spec becomes an image component, and what wasmtime then pays for it.

Workloads: one 64 MiB embedded file (the copy cost), and a stdlib-like tree of 5000 small
files in 100 directories (the per-node cost). For each: spec load (walk), encode_image,
build_image_component, then wasmtime compile and a fresh instance, for both data segment
layouts. Ratios compare against a plain `read()` of the same bytes, the floor for any
encoder that has to copy the files in.

    .venv/bin/python benchmarks/bench_image.py [--append benchmarks/RESULTS.md]
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
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--append", type=Path, help="append the table to this Markdown file")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    lines = [
        f"## Image encoding (`benchmarks/bench_image.py`, {time.strftime('%Y-%m-%d')})",
        "",
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"wasmtime-py {wasmtime.__version__ if hasattr(wasmtime, '__version__') else '50'}; "
        f"median of {args.repeat} runs, files in the page cache. *ratio* = (load + encode + "
        "component) / a plain Python read of the same files.",
        "",
        "| workload | payload | plain read ms | load_spec ms | encode_image ms | component ms | "
        "total ms | ratio | throughput |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += run("one 64 MiB file", make_big, args.repeat)
    lines += run("5000 files / 100 dirs", make_many, args.repeat)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        with open(args.append, "a") as fh:
            fh.write("\n" + text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
