"""Filesystem speed through the virtual FS vs wasmtime's native WASI, in one run.

The same C program (benchmarks/c/fsbench.c, adapted) runs (a) natively with the tree
preopened from a host directory and (b) composed with the tree embedded. Each workload
is timed inside the guest; the best of REPEATS runs counts. Targets (issue 4): every
workload <= 1.0x native, sequential read >= 1 GB/s, `compose` < 2 s with a warm
virtualizer cache, a fresh instance of a composed app < 5 ms after compile.

Run: .venv/bin/python benchmarks/bench_fs.py
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _results import add_tests_to_path, machine, update_section

add_tests_to_path()

from support.cbuild import CACHE, compile_c  # noqa: E402

from wasivirt_component.adapt import adapt_module  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK = CACHE / "bench-fs"
BIG = 64 << 20
SMALL = 1000
REPEATS = 3
WORKLOADS = {
    "seqread": ["seqread", "/big.bin", "65536", "4"],
    "smallfiles": ["smallfiles", "/small", str(SMALL), "3"],
    "stat": ["stat", "/small", str(SMALL), "100000"],
    "readdir": ["readdir", "/small", "50"],
}
ENV = {**os.environ, "WASIVIRT_CACHE_DIR": str(CACHE / "wasivirt-cache")}
WASIVIRT = [sys.executable, "-m", "wasivirt_component.cli"]


def make_tree(root: Path) -> None:
    if (root / ".complete").exists():
        return
    (root / "small").mkdir(parents=True, exist_ok=True)
    with open(root / "big.bin", "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(BIG >> 20):
            f.write(block)
    for i in range(SMALL):
        (root / "small" / f"f{i:04d}").write_bytes(b"x" * 100)
    (root / ".complete").touch()


def guest(cmd: list[str]) -> dict[str, int]:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr}")
    m = re.search(r"ops=(\d+) bytes=(\d+) ns=(\d+)", proc.stdout)
    assert m, proc.stdout
    return {"ops": int(m[1]), "bytes": int(m[2]), "ns": int(m[3])}


def best(cmd: list[str]) -> dict[str, int]:
    return min((guest(cmd) for _ in range(REPEATS)), key=lambda r: r["ns"])


def fresh_instance_ms(app: Path) -> float:
    """Median time to instantiate the (already compiled) app in a new store."""
    import wasmtime
    from wasmtime.component import Linker

    from wasivirt_component.run import load_component, make_engine

    engine = make_engine()
    component = load_component(engine, app.read_bytes())
    linker = Linker(engine)
    linker.add_wasip2()
    times = []
    for _ in range(30):
        store = wasmtime.Store(engine)
        store.set_wasi(wasmtime.WasiConfig())
        t0 = time.perf_counter()
        linker.instantiate(store, component)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def one_hop_ceiling_gbps(tree: Path) -> float:
    """The fastest any component-to-component read can be here: a guest loop reading the
    64 MiB file 64 KiB at a time straight from the image component (one `list<u8>` hop,
    no Python, no host calls); best of REPEATS sweeps."""
    import wasmtime
    import wasmtime.component as wc

    from test_image_component import ENGINE, consumer_component  # the test's consumer

    from wasivirt_component.image import build_image_component, decode_image, encode_image, load_spec

    spec = WORK / "hop-spec.py"
    spec.write_text(f"from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed('/t', {str(tree)!r})\n")
    image = encode_image(load_spec(spec))
    decoded = decode_image(image)
    top = decoded.listing(decoded.listing(1)[0].blob)
    blob = next(e.blob for e in top if e.name == "big.bin")
    store = wasmtime.Store(ENGINE)
    instance = wc.Linker(ENGINE).instantiate(
        store, wc.Component(ENGINE, consumer_component(build_image_component(image), reuse_buffer=True)))
    sweep = instance.get_func(store, instance.get_export_index(store, "sweep"))
    chunk, count = 1 << 16, BIG >> 16
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        assert sweep(store, blob, chunk, count) == count
        sweep.post_return(store)
        times.append(time.perf_counter() - t0)
    return BIG / min(times) / 1e9


def main() -> None:
    tree = WORK / "tree"
    make_tree(tree)
    native = WORK / "fsbench.component.wasm"
    native.write_bytes(adapt_module(compile_c(HERE / "c" / "fsbench.c").read_bytes()))
    spec = WORK / "spec.py"
    spec.write_text(f"from wasivirt_component import VFS\nvfs = VFS(read_only=True)\nvfs.embed('/', {str(tree)!r})\n")
    app = WORK / "fsbench.app.wasm"
    compose_cmd = [*WASIVIRT, "compose", str(native), "--vfs", str(spec), "-o", str(app), "-q"]
    subprocess.run(compose_cmd, check=True, env=ENV)          # warm every cache
    t0 = time.perf_counter()
    subprocess.run(compose_cmd, check=True, env=ENV)
    t_compose = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import wasivirt_component.cli"], check=True, env=ENV)
    t_startup = time.perf_counter() - t0

    rows = []
    worst = 0.0
    for name, args in WORKLOADS.items():
        nat = best([*WASIVIRT, "run", str(native), "--dir", f"{tree}::/", "--", *args])
        vir = best([*WASIVIRT, "run", str(app), "--", *args])
        ratio = vir["ns"] / nat["ns"]
        worst = max(worst, ratio)
        if name == "seqread":
            unit = lambda r: f"{r['bytes'] / r['ns']:.2f} GB/s"  # noqa: E731
            seq_gbps = vir["bytes"] / vir["ns"]
            seq_native_gbps = nat["bytes"] / nat["ns"]
        else:
            unit = lambda r: f"{r['ns'] / r['ops'] / 1000:.2f} µs/op"  # noqa: E731
        rows.append(f"| {name} | {unit(nat)} | {unit(vir)} | {ratio:.2f}x |")
    hop_gbps = one_hop_ceiling_gbps(tree)
    instance_ms = fresh_instance_ms(app)
    native_instance_ms = fresh_instance_ms(native)

    body = f"""## Filesystem speed (`benchmarks/bench_fs.py`)

Machine: {machine()}. Program: `benchmarks/c/fsbench.c` (wasm32-wasip1, preview1 adapter);
tree: one 64 MiB file, a directory of {SMALL} 100-byte files. Best of {REPEATS} runs, timed
inside the guest. Ratio = virtual time / native time (lower is better; target <= 1.0x).

| workload | native wasmtime WASI | wasivirt VFS | ratio |
|---|---|---|---|
""" + "\n".join(rows) + f"""

| target | measured | met |
|---|---|---|
| every workload <= 1.0x native | worst {worst:.2f}x | {'yes' if worst <= 1.0 else 'no'} |
| sequential read >= 1 GB/s | {seq_gbps:.2f} GB/s | {'yes' if seq_gbps >= 1 else 'no'} |
| `compose` < 2 s, warm virtualizer cache (whole CLI process; Python start alone {t_startup:.2f} s) | {t_compose:.2f} s | {'yes' if t_compose < 2 else 'no'} |
| fresh instance < 5 ms after compile (plain adapted program: {native_instance_ms:.2f} ms) | {instance_ms:.2f} ms | {'yes' if instance_ms < 5 else 'no'} |

Why sequential reads are slower: file bytes cross two component boundaries as `list<u8>`
(image -> virtualizer -> child), and wasmtime 50's fused adapters copy lists element by
element (`translate_list` in crates/environ/src/fact/trampoline.rs has no `memory.copy`
path, unlike fixed-length lists). Ceiling, measured in this run: a wasm loop reading the
same 64 MiB file 64 KiB at a time straight from the image component, one hop, no Python:
**{hop_gbps:.2f} GB/s**. The child-facing hop is `list<u8>` by WASI's definition and cannot
be removed, so through components this wasmtime cannot reach 1 GB/s (or native's
{seq_native_gbps:.2f} GB/s) whatever the virtualizer does; removing the other hop would
at best approach the ceiling. wasmtime's native WASI writes host file data straight into
guest memory. Small-file, stat and readdir workloads are faster than native: no host
system calls.
"""
    update_section("bench_fs", body)


if __name__ == "__main__":
    main()
