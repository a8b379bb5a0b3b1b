"""Filesystem speed, size and start-up of composed programs against their baselines, in one run.

The same C program (benchmarks/c/fsbench.c, adapted) runs (a) natively, the tree preopened
from a host directory; (b) with the tree embedded in the image; (c) with the tree passed
through a host mount at `/`; (b) and (c) each with the virtualizer linked both ways:
composed (a component of its own) and fused (inside the program's component). Each workload
is timed inside the guest, best of REPEATS runs; the runs that reach the host ((a) and (c))
go in rounds, compared round by round, under `wasivirt run` and under the wasmtime CLI.
Baselines measured in the same run: wasmtime's native WASI; the single-copy bound, twice:
for the same child (the virtualizer with its file read reduced to handing out a pointer into
the image, nothing else) and as a raw figure (a C consumer reading 64 KiB `list<u8>`s in a
tight loop from a minimal provider returning its own memory: one component boundary, nothing
else); the child's own compile; a plain adapted program's instantiation. Targets: issue 8
(the compiled virtualizer) and issue 11 (fused linking), recorded in benchmarks/RESULTS.md.

Run: .venv/bin/python benchmarks/bench_fs.py
     .venv/bin/python benchmarks/bench_fs.py --only smallfiles,stat   (a quick look: those
     workloads in every mode, the mount rounds under both runtimes, and the fused no-walk
     bound, printed; RESULTS.md untouched)
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _results import add_tests_to_path, machine, update_section

add_tests_to_path()

from support.cbuild import CACHE, compile_c  # noqa: E402
from support.wasmtimecli import cache_config, wasmtime_cli  # noqa: E402
from wasivirt_component.adapt import adapt_module  # noqa: E402

HERE = Path(__file__).resolve().parent
WORK = CACHE / "bench-fs"
BIG = 64 << 20
SMALL = 1000
REPEATS = 5  # best of: this 2-CPU VM moves the per-operation figures by up to a third between runs
# The runs that reach the host (native, both mount modes) go in rounds, one run of each mode a
# round, and are compared round by round: a paired ratio's median is stable where the best of
# each mode is not. A round of the four workloads takes ~12 s under `wasivirt run` (every host
# call ~60 µs), so a few rounds keep the bench under ~6 minutes; under the wasmtime CLI it
# takes ~2 s. The CLI's paired ratios still spread over +-30% (readdir: 0.77-1.39 in one run):
# with 15 rounds the median of the same build moved between 1.03x and 1.10x from run to run,
# too coarse for issue 11's 5%; 31 rounds halve that.
ROUNDS_WASIVIRT = 7
ROUNDS_CLI = 31
WARM_PASSES = 30  # smallfiles passes for the steady-state figures (the workload makes 3)
WORKLOADS = {
    "seqread": ["seqread", "/big.bin", "65536", "4"],
    "smallfiles": ["smallfiles", "/small", str(SMALL), "3"],
    "stat": ["stat", "/small", str(SMALL), "20000"],
    "readdir": ["readdir", "/small", "50"],
}
# "Warm caches" as a user has them, Python's bytecode cache included: a shell that sets
# PYTHONDONTWRITEBYTECODE (this sandbox does) would make every CLI run recompile ~50 modules.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
       "WASIVIRT_CACHE_DIR": str(CACHE / "wasivirt-cache")}
WASIVIRT = [sys.executable, "-m", "wasivirt_component.cli"]
BOUND_WIT = """
package wasivirt:bench@0.1.0;
interface source { read: func(len: u32) -> list<u8>; }
interface sink { run: func(total: u64, chunk: u32) -> u64; }
world provider { export source; }
world consumer { import source; export sink; }
"""


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


@dataclass(frozen=True)
class Paired:
    """Rounds of commands: each one's best run, and each one's time over the first's, round by round."""

    best: dict[str, dict[str, int]]
    ratios: dict[str, list[float]]  # every command but the first (the reference)

    def median(self, label: str) -> float:
        return statistics.median(self.ratios[label])

    def cell(self, workload: str, label: str, sep: str = " | ") -> str:
        """`best | median (min-max)` of one command (a table's two cells)."""
        r = self.ratios[label]
        return f"{unit(workload, self.best[label])}{sep}{self.median(label):.3f}x ({min(r):.2f}-{max(r):.2f})"


def rounds(cmds: dict[str, list[str]], n: int) -> Paired:
    """`n` rounds of every command, the order rotating by round. Host I/O on this VM drifts
    between seconds by more than the differences measured: within a round the drift is
    (nearly) the same for every command, so it cancels in the round's ratios, while the best
    of each command picks a different moment for each."""
    labels = list(cmds)
    runs: dict[str, list[dict[str, int]]] = {label: [] for label in labels}
    for i in range(n):
        k = i % len(labels)
        for label in labels[k:] + labels[:k]:
            runs[label].append(guest(cmds[label]))
    ref = runs[labels[0]]
    return Paired({label: min(r, key=lambda x: x["ns"]) for label, r in runs.items()},
                  {label: [o["ns"] / b["ns"] for o, b in zip(runs[label], ref, strict=True)] for label in labels[1:]})


Command = Callable[[Path, str | None, list[str]], list[str]]  # (app, --dir HOST::GUEST or none, args)


def wasivirt_run(app: Path, preopen: str | None, args: list[str]) -> list[str]:
    return [*WASIVIRT, "run", str(app), *(["--dir", preopen] if preopen else []), "--", *args]


def cli_run() -> Command:
    """`wasmtime run` (the CLI, the production runtime), compiled code cached."""
    prefix = [str(wasmtime_cli()), "run", "-C", f"cache-config={cache_config()}"]
    return lambda app, preopen, args: [*prefix, *(["--dir", preopen] if preopen else []), str(app), *args]


@dataclass(frozen=True)
class Runtime:
    name: str
    rounds: int
    command: Command


def runtimes() -> tuple[Runtime, Runtime]:
    return Runtime("wasivirt run", ROUNDS_WASIVIRT, wasivirt_run), Runtime("wasmtime CLI", ROUNDS_CLI, cli_run())


HostApps = dict[str, tuple[Path, str]]  # mode: (app, --dir HOST::GUEST)


def host_apps(native: Path, tree: Path, mount_spec: str) -> HostApps:
    """Native (the tree preopened at `/`) and the tree passed through a mount, both link modes."""
    return {"native": (native, f"{tree}::/"),
            "mount": (compose(native, mount_spec, "mounted")[0], f"{tree}::data"),
            "fused mount": (compose(native, mount_spec, "mounted-fused", "fused")[0], f"{tree}::data")}


def host_rounds(rt: Runtime, args: list[str], apps: HostApps) -> Paired:
    return rounds({mode: rt.command(app, preopen, args) for mode, (app, preopen) in apps.items()}, rt.rounds)


def mount_table(rt: Runtime, host: dict[str, Paired]) -> str:
    return f"""| workload ({rt.name}) | native wasmtime WASI | composed | ratio: median (range) | fused | ratio: median (range) |
|---|---|---|---|---|---|
""" + "\n".join(f"| {name} | {unit(name, p.best['native'])} | {p.cell(name, 'mount')} | {p.cell(name, 'fused mount')} |"
               for name, p in host.items())


def timed(cmd: list[str], repeat: int = REPEATS) -> float:
    """Best wall time of a whole CLI process."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=ENV, capture_output=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def compose(child: Path, spec_text: str, name: str, link: str = "composed") -> tuple[Path, list[str]]:
    spec = WORK / f"{name}.spec.py"
    spec.write_text(spec_text)
    app = WORK / f"{name}.wasm"
    cmd = [*WASIVIRT, "compose", str(child), "--vfs", str(spec), "-o", str(app), "-q", "--link", link]
    subprocess.run(cmd, check=True, env=ENV)  # warms every cache
    return app, cmd


def engine():
    from wasivirt_component.engine import make_engine
    return make_engine()


def compile_seconds(data: bytes) -> float:
    """Best cold wasmtime compile (no cache) of a component."""
    import wasmtime.component as wc
    eng = engine()
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        wc.Component(eng, data)
        times.append(time.perf_counter() - t0)
    return min(times)


def fresh_instance_ms(app: Path) -> float:
    """Median time to instantiate the (already compiled) app in a new store, after the first."""
    import wasmtime
    from wasmtime.component import Linker

    from wasivirt_component.engine import load_component

    eng = engine()
    component = load_component(eng, app.read_bytes())
    linker = Linker(eng)
    linker.add_wasip2()
    times = []
    for i in range(31):
        store = wasmtime.Store(eng)
        store.set_wasi(wasmtime.WasiConfig())
        t0 = time.perf_counter()
        linker.instantiate(store, component)
        if i:
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def raw_copy_gbps() -> float:
    """The consumer reads BIG bytes 64 KiB at a time across one component boundary from a
    provider returning its own memory; best of REPEATS sweeps."""
    import wasmtime
    import wasmtime.component as wc

    from wasivirt_component.compose import plug, read_component
    from wasivirt_component.virt import build

    parts = {}
    for name in ("provider", "consumer"):
        out = WORK / f"bound-{name}.wasm"
        source = (HERE / "c" / f"copy_{name}.c").read_bytes()
        if not out.exists() or out.stat().st_mtime < (HERE / "c" / f"copy_{name}.c").stat().st_mtime:
            build.compile_component({"bench.wit": BOUND_WIT}, name, None, {f"copy_{name}.c": source}, out)
        parts[name] = read_component(out.read_bytes(), name)
    composed = plug(parts["consumer"], [parts["provider"]]).data
    eng = engine()
    store = wasmtime.Store(eng)
    instance = wc.Linker(eng).instantiate(store, wc.Component(eng, composed))
    sink = instance.get_export_index(store, "wasivirt:bench/sink@0.1.0")
    run = instance.get_func(store, instance.get_export_index(store, "run", sink))
    times = []
    for _ in range(REPEATS + 1):
        t0 = time.perf_counter()
        assert run(store, BIG, 1 << 16) == BIG
        times.append(time.perf_counter() - t0)
    return BIG / min(times[1:]) / 1e9


BOUND_READ = """static bool file_read(io_streams_input_stream_t *s, uint64_t len, wv_list_u8_t *ret,
                      io_streams_stream_error_t *err) {
  uint64_t size = s->node->u.file.size;  /* the bound: a pointer into the image, no checks */
  if (s->pos >= size) {
    wv_stream_closed(err);
    return false;
  }
  if (len > size - s->pos) len = size - s->pos;
  *ret = (wv_list_u8_t){(uint8_t *)s->node->u.file.bytes + s->pos, (size_t)len};
  s->pos += len;
  return true;
}
"""


def same_child_bound(child: Path, spec: Path) -> Path:
    """`child` composed with a virtualizer whose file read is only a pointer into the image."""
    from wasivirt_component.compose import read_component
    from wasivirt_component.image import encode_image, load_spec
    from wasivirt_component.virt import build, wit_gen
    from wasivirt_component.virt.splice import splice_image
    from wasivirt_component.virt.wiring import virtualize

    sources = build.c_sources()
    bind_io = sources["bind_io.c"].decode()
    start = bind_io.index("static bool file_read(")
    end = bind_io.index("bool io_streams_input_stream_read(")
    sources["bind_io.c"] = (bind_io[:start] + BOUND_READ + "\n" + bind_io[end:]).encode()
    virt = WORK / "bound-virtualizer.wasm"
    build.compile_component(wit_gen.wit_files(), build.WORLD, build.WORLD_PACKAGE, sources, virt)
    spliced = read_component(splice_image(virt.read_bytes(), encode_image(load_spec(spec))), "virtualizer")
    out = WORK / "bound-app.wasm"
    out.write_bytes(virtualize(read_component(child.read_bytes(), "child"), spliced).data)
    return out


NO_WALK_OPEN = """
/* bench_fs.py's no-walk bound: after the first open, every open answers with the first
 * one's file, without looking at the path (no walk, no directory lookup, no tree). */
int wv_open_at(wv_desc *d, uint8_t path_flags, const uint8_t *path, size_t len, uint8_t open_flags,
               uint8_t flags, wv_desc *out) {
  static wv_desc first;
  if (!first.node) {
    int err = walked_open_at(d, path_flags, path, len, open_flags, flags, &first);
    if (err != WV_OK) return err;
  }
  wv_node_ref(first.node);
  *out = first;
  return WV_OK;
}
"""


def fused_no_walk_bound(child: Path, spec: Path) -> Path:
    """`child` fused with a virtualizer whose open-at skips the path walk (NO_WALK_OPEN):
    what the program, its libc, the preview1 adapter and the fused calls themselves (their
    checks, handles, copies, descriptor and stream) cost per open+read+close, with a tree
    that costs nothing. Everything else is the real virtualizer."""
    from wasivirt_component.fuse import fuse
    from wasivirt_component.image import encode_image, load_spec
    from wasivirt_component.virt import build, wit_gen

    sources = build.c_sources()
    fs = sources["fs.c"].decode()
    assert fs.count("int wv_open_at(") == 1, "fs.c changed: update NO_WALK_OPEN"
    sources["fs.c"] = (fs.replace("int wv_open_at(", "static int walked_open_at(") + NO_WALK_OPEN).encode()
    core = WORK / "nowalk-core.wasm"
    build.compile_fused_core(wit_gen.wit_files(), build.WORLD, build.WORLD_PACKAGE, sources, core)
    fused = fuse(child.read_bytes(), core.read_bytes(), encode_image(load_spec(spec)), host_filesystem=False)
    out = WORK / "nowalk-app.wasm"
    out.write_bytes(fused.data)
    return out


def instance_memory(image_spec: Path) -> tuple[int, int]:
    """(image bytes, smallest memory cap under which the virtualizer serves a read-only
    workload: stat, list and read every file), found by bisection in 64 KiB pages."""
    from support.virtcore import Vfs as CoreVfs
    from wasivirt_component.image import encode_image, load_spec

    image = encode_image(load_spec(image_spec), timestamp=0)

    def workload(limit: int) -> bool:
        try:
            vfs = CoreVfs(image, memory_limit=limit)
            (root, _), = vfs.preopens()
            small = root.open_at(1, "small", 0, 1)
            stream = small.read_directory()
            names = []
            while (entry := stream.next()) is not None:
                names.append(entry[0])
            for name in names:
                root.stat_at(1, f"small/{name}")
                root.open_at(1, f"small/{name}", 0, 1).read(4096, 0)
            big = root.open_at(1, "big.bin", 0, 1)
            for off in range(0, BIG, 1 << 20):
                big.read(1 << 16, off)
            return True
        except Exception:  # noqa: BLE001 - a failed instantiation or an FsError: "too small"
            return False

    low, high = len(image), len(image) + (8 << 20)
    assert workload(high), "the workload fails even with 8 MiB to spare"
    while high - low > 65536:
        mid = (low + high) // 2 // 65536 * 65536
        if workload(mid):
            high = mid
        else:
            low = mid
    return len(image), high


def unit(name: str, r: dict) -> str:
    return f"{r['bytes'] / r['ns']:.2f} GB/s" if name == "seqread" else f"{r['ns'] / r['ops'] / 1000:.2f} µs/op"


def ratio_row(name: str, nat: dict, *ours: dict) -> tuple[str, list[float]]:
    """`| name | native | ours | ratio |...` for each of `ours`; the ratios."""
    ratios = [o["ns"] / nat["ns"] for o in ours]
    cells = "".join(f" {unit(name, o)} | {r:.3f}x |" for o, r in zip(ours, ratios, strict=True))
    return f"| {name} | {unit(name, nat)} |{cells}", ratios


def us_per_op(r: dict) -> float:
    return r["ns"] / r["ops"] / 1000


def worst(host: dict[str, Paired], mode: str, names: list[str]) -> tuple[float, str]:
    """The highest median paired ratio of `mode` over the workloads `names`, and its workload."""
    return max((host[name].median(mode), name) for name in names)


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def quick(only: list[str], native: Path, tree: Path, embed_spec: str, mount_spec: str) -> None:
    """`--only`: the named workloads in every mode, the host-bound ones in rounds under both
    runtimes, and the fused no-walk bound, printed."""
    apps = {"composed": compose(native, embed_spec, "embedded")[0],
            "fused": compose(native, embed_spec, "embedded-fused", "fused")[0]}
    hosts = host_apps(native, tree, mount_spec)
    bound = fused_no_walk_bound(native, WORK / "embedded-fused.spec.py")
    for name in only:
        args = WORKLOADS[name]
        cells = [f"{label} {unit(name, best(wasivirt_run(app, None, args)))}" for label, app in apps.items()]
        if name == "smallfiles":
            cells.append(f"fused no-walk bound {unit(name, best(wasivirt_run(bound, None, args)))}")
        print(f"{name}: " + ", ".join(cells))
        for rt in runtimes():
            p = host_rounds(rt, args, hosts)
            mounts = ", ".join(f"{mode} {p.cell(name, mode, ', paired ')}" for mode in p.ratios)
            print(f"  {rt.name}, {rt.rounds} rounds: native {unit(name, p.best['native'])}, {mounts}")


def main() -> None:
    from wasivirt_component.virt import virtualizer_component

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated workloads to time and print (of: "
                        f"{', '.join(WORKLOADS)}); RESULTS.md is not written")
    opts = parser.parse_args()
    only = opts.only.split(",") if opts.only else None
    if only and not set(only) <= set(WORKLOADS):
        parser.error(f"unknown workload in {opts.only!r}; choose from {', '.join(WORKLOADS)}")

    WORK.mkdir(parents=True, exist_ok=True)
    tree = WORK / "tree"
    make_tree(tree)
    native = WORK / "fsbench.component.wasm"
    native.write_bytes(adapt_module(compile_c(HERE / "c" / "fsbench.c").read_bytes()))
    embed_spec = f"from wasivirt_component import VFS\nvfs = VFS(read_only=True)\nvfs.embed('/', {str(tree)!r})\n"
    mount_spec = "from wasivirt_component import VFS\nvfs = VFS()\nvfs.mount('/', host='data')\n"
    if only:
        quick(only, native, tree, embed_spec, mount_spec)
        return
    small_spec = f"from wasivirt_component import VFS\nvfs = VFS()\nvfs.embed('/small', {str(tree / 'small')!r})\n"
    app, compose_big = compose(native, embed_spec, "embedded")
    hosts = host_apps(native, tree, mount_spec)
    small_app, compose_small = compose(native, small_spec, "small")
    fused_app, fused_compose_big = compose(native, embed_spec, "embedded-fused", "fused")
    fused_small, fused_compose_small = compose(native, small_spec, "small-fused", "fused")
    t_compose_small, t_compose_big = timed(compose_small), timed(compose_big)
    tf_compose_small, tf_compose_big = timed(fused_compose_small), timed(fused_compose_big)
    t_startup = timed([sys.executable, "-c", "import wasivirt_component.cli"])

    virt_size = len(virtualizer_component())
    child_size = native.stat().st_size
    small_image = sum(p.stat().st_size for p in (tree / "small").iterdir())
    overhead = small_app.stat().st_size - child_size - small_image
    t_child_compile = compile_seconds(native.read_bytes())
    t_app_compile = compile_seconds(small_app.read_bytes())
    t_big_compile = compile_seconds(app.read_bytes())
    tf_app_compile = compile_seconds(fused_small.read_bytes())
    tf_big_compile = compile_seconds(fused_app.read_bytes())

    image_rows, worst_image = [], 0.0
    wv, cli = runtimes()
    host: dict[str, dict[str, Paired]] = {wv.name: {}, cli.name: {}}
    results: dict[str, dict] = {}
    for name, args in WORKLOADS.items():
        for rt in (wv, cli):
            host[rt.name][name] = host_rounds(rt, args, hosts)
        nat, mnt, fmnt = (host[wv.name][name].best[mode] for mode in ("native", "mount", "fused mount"))
        img = best(wasivirt_run(app, None, args))
        fimg = best(wasivirt_run(fused_app, None, args))
        results[name] = {"native": nat, "image": img, "mount": mnt, "fused image": fimg, "fused mount": fmnt}
        row, (ratio, _) = ratio_row(name, nat, img, fimg)
        image_rows.append(row)
        if name != "seqread":
            worst_image = max(worst_image, ratio)
    worst_mount = worst(host[wv.name], "mount", [n for n in WORKLOADS if n != "seqread"])
    fused_worst_mount = worst(host[cli.name], "fused mount", list(WORKLOADS))
    wv_fused_worst_mount = worst(host[wv.name], "fused mount", list(WORKLOADS))
    raw = raw_copy_gbps()
    embed_path = WORK / "embedded.spec.py"
    bound_app = same_child_bound(native, embed_path)
    bound_run = best(wasivirt_run(bound_app, None, WORKLOADS["seqread"]))
    bound = bound_run["bytes"] / bound_run["ns"]
    seq = results["seqread"]
    seq_gbps = seq["image"]["bytes"] / seq["image"]["ns"]
    native_gbps = seq["native"]["bytes"] / seq["native"]["ns"]
    copy_ns = seq["mount"]["bytes"] / raw  # one single copy of the same bytes, in ns
    mount_budget_ns = seq["native"]["ns"] + copy_ns
    instance_ms = fresh_instance_ms(app)
    fused_instance_ms = fresh_instance_ms(fused_app)
    native_instance_ms = fresh_instance_ms(native)
    fseq = results["seqread"]["fused image"]
    fseq_gbps = fseq["bytes"] / fseq["ns"]
    fused_seq_x = results["seqread"]["native"]["ns"] / fseq["ns"]
    f_small, f_stat = us_per_op(results["smallfiles"]["fused image"]), us_per_op(results["stat"]["fused image"])
    no_walk_app = fused_no_walk_bound(native, WORK / "embedded-fused.spec.py")
    f_no_walk = us_per_op(best(wasivirt_run(no_walk_app, None, WORKLOADS["smallfiles"])))
    warm = [*WORKLOADS["smallfiles"][:3], str(WARM_PASSES)]  # the first pass weighs 1/WARM_PASSES
    f_small_warm = us_per_op(best(wasivirt_run(fused_app, None, warm)))
    f_no_walk_warm = us_per_op(best(wasivirt_run(no_walk_app, None, warm)))
    f_readdir = results["readdir"]["fused image"]["ns"] / results["readdir"]["native"]["ns"]
    fused_size = fused_small.stat().st_size
    mem_spec = WORK / "memory.spec.py"
    mem_spec.write_text(embed_spec)
    image_bytes, memory = instance_memory(mem_spec)

    first = f_small - f_small_warm
    first_pass = (f"ours loses {first:.2f} µs per operation to it in the 3-pass workload" if first >= 0.01
                  else "in this run the 3-pass and the warm figures are within noise of each other")
    body = f"""## Filesystem speed, size and start-up (`benchmarks/bench_fs.py`)

Machine: {machine()}. Program: `benchmarks/c/fsbench.c` (wasm32-wasip1, preview1 adapter);
tree: one 64 MiB file, a directory of {SMALL} 100-byte files. Timed inside the guest; best of
{REPEATS} runs under `wasivirt run` unless said. Ratio = our time / native time (lower is better).

From the image (compiled virtualizer, tree embedded), composed and fused:

| workload | native wasmtime WASI | composed | ratio | fused | ratio |
|---|---|---|---|---|---|
""" + "\n".join(image_rows) + f"""

Through a host mount at `/` (the same host directory, passed through), under two runtimes:
`wasivirt run` (the embedded wasmtime-py) in {wv.rounds} rounds and the wasmtime CLI
(`wasmtime run --dir HOST::GUEST`, the production runtime) in {cli.rounds} rounds, each round one
run of native, composed and fused in an order rotating by round. Shown: each mode's best run,
and the median of the rounds' paired ratios (ours / native in the same round) with their
range.

""" + mount_table(wv, host[wv.name]) + "\n\n" + mount_table(cli, host[cli.name]) + f"""

Why two runtimes: under `wasivirt run` a host filesystem call is slow, because wasmtime-py's
WASI runs every one through tokio's `spawn_blocking` (wasmtime-py exposes no
`allow_blocking_current_thread`): native stat takes {us_per_op(host[wv.name]['stat'].best['native']):.2f} µs there in this run (~60 µs on a
quiet machine), {us_per_op(host[cli.name]['stat'].best['native']):.2f} µs under the wasmtime CLI (~7.5 µs quiet). Next to such a host call our own work
per operation disappears, and the spread of the paired ratios is wider than issue 11's 5%,
so its mount target is judged on the CLI, where our overhead shows. Why paired medians: host
I/O here drifts between seconds by more than the differences measured; within one round the
drift is nearly the same for the three modes and cancels in the ratio, while the best of
each mode picks a different moment for each (judged by best of 5, fused mount stat under
`wasivirt run` came out anywhere from 0.96x to 1.19x from one run to the next).

Baselines from this run: single-copy bound for the same child (fsbench through the preview1
adapter, the virtualizer's file read reduced to a pointer into the image) **{bound:.2f} GB/s**;
raw single copy (a C loop reading 64 KiB `list<u8>`s from a minimal provider's memory
across one component boundary, hot in cache) {raw:.2f} GB/s; native sequential read
{native_gbps:.2f} GB/s.

| target (issue 8) | measured | met |
|---|---|---|
| virtualizer component <= 200 KB | {virt_size / 1000:.1f} KB | {yes(virt_size <= 200_000)} |
| composed artifact <= child + image + 250 KB | child {child_size / 1000:.0f} KB + image {small_image / 1000:.0f} KB + {overhead / 1000:.0f} KB | {yes(overhead <= 250_000)} |
| cold compile of a composed app <= the child's own + 0.1 s (small image) | {t_app_compile * 1000:.0f} ms vs child {t_child_compile * 1000:.0f} ms (+{(t_app_compile - t_child_compile) * 1000:.0f} ms); 64 MiB image: {t_big_compile * 1000:.0f} ms | {yes(t_app_compile <= t_child_compile + 0.1)} |
| `compose`, whole CLI process, warm caches: <= 0.5 s small spec | {t_compose_small:.2f} s (Python start + import {t_startup:.2f} s) | {yes(t_compose_small <= 0.5)} |
| `compose` with a 64 MiB image <= 1.5 s | {t_compose_big:.2f} s | {yes(t_compose_big <= 1.5)} |
| fresh instance <= 0.1 ms after the first | {instance_ms:.3f} ms (plain adapted program {native_instance_ms:.3f} ms) | {yes(instance_ms <= 0.1)} |
| from the image: stat, small files, readdir <= 0.1x native | worst {worst_image:.3f}x | {yes(worst_image <= 0.1)} |
| from the image: sequential 64 KiB reads >= 1 GB/s and >= 90% of the single-copy bound | {seq_gbps:.2f} GB/s = {seq_gbps / bound * 100:.0f}% of {bound:.2f} | {yes(seq_gbps >= 1 and seq_gbps >= 0.9 * bound)} |
| through a mount: stat, small files, readdir <= 1.2x native (`wasivirt run`, composed, median paired ratio) | worst {worst_mount[0]:.3f}x ({worst_mount[1]}) | {yes(worst_mount[0] <= 1.2)} |
| through a mount: sequential read <= native + one single copy (raw), default link (fused) (`wasivirt run`, best runs) | fused {seq['fused mount']['ns'] / 1e6:.0f} ms vs {seq['native']['ns'] / 1e6:.0f} + {copy_ns / 1e6:.0f} ms | {yes(seq['fused mount']['ns'] <= mount_budget_ns)} |
| the same, `--link composed` (jco/Node: two copies, host into the virtualizer, then the component boundary) | composed {seq['mount']['ns'] / 1e6:.0f} ms | {yes(seq['mount']['ns'] <= mount_budget_ns)} |
| memory per instance <= image + 1 MiB (read-only workload) | image {image_bytes / 2**20:.1f} MiB + {(memory - image_bytes) / 2**20:.2f} MiB (code, stack, heap) | {yes(memory - image_bytes <= 1 << 20)} |

| target (issue 11, fused) | measured | met |
|---|---|---|
| from the image: sequential 64 KiB reads >= 10 GB/s and >= 5x native | {fseq_gbps:.2f} GB/s, {fused_seq_x:.1f}x native | {yes(fseq_gbps >= 10 and fused_seq_x >= 5)} |
| from the image: stat and open/read/close <= 0.5 µs | stat {f_stat:.2f} µs, open+read+close {f_small:.2f} µs | {yes(f_stat <= 0.5 and f_small <= 0.5)} |
| from the image: readdir <= 0.05x native | {f_readdir:.3f}x | {yes(f_readdir <= 0.05)} |
| through a mount: every workload <= 1.05x native (wasmtime CLI, median paired ratio) | worst {fused_worst_mount[0]:.3f}x ({fused_worst_mount[1]}); `wasivirt run`: worst {wv_fused_worst_mount[0]:.3f}x ({wv_fused_worst_mount[1]}) | {yes(fused_worst_mount[0] <= 1.05)} |
| fresh instance <= 0.2 ms after the first, 64 MiB image | {fused_instance_ms:.3f} ms | {yes(fused_instance_ms <= 0.2)} |
| `compose` time unchanged (whole CLI process, warm caches) | small spec {tf_compose_small:.2f} s (composed {t_compose_small:.2f} s); 64 MiB {tf_compose_big:.2f} s (composed {t_compose_big:.2f} s) | {yes(tf_compose_small <= t_compose_small * 1.1 + 0.02 and tf_compose_big <= t_compose_big * 1.1 + 0.02)} |
| (size, compile) | fused small app {fused_size / 1000:.0f} KB; cold compile {tf_app_compile * 1000:.0f} ms, 64 MiB image {tf_big_compile * 1000:.0f} ms | - |

The seqread ratio against native depends on the host's page cache and disk that day
(native reads go through host system calls; ours never leave the instance). The raw copy
is what any component-to-component read of 64 KiB reaches on this wasmtime: its fused
adapters copy `list<u8>` one element at a time (`translate_list`,
crates/environ/src/fact/trampoline.rs); the same-child bound adds what the preview1 adapter
and the call machinery cost per `read()`, and the cold pages of a 64 MiB image.
Composed, through a mount the bytes are copied twice: the host writes them into the
virtualizer's memory, then the component boundary copies them into the child. Fused, a read
from the image is one `memory.copy` from the image memory into the program's buffer (no
component boundary on the path), and a read through a mount is the host writing straight
into the program's buffer, as native WASI does: the virtualizer forwards a host stream's
`read`/`blocking-read` (and `write`/`blocking-write-and-flush`) to the host's function
lowered with the program's memory and the adapter's realloc, and only translates an error
(issue 11's single-copy path; fuse/host.py, virt/glue/lowered.py); so is a host listing's
`read-directory-entry` when the mount hides nothing, and a path with no `..` from a directory
of a mount that hides nothing goes to the host as the program gave it, without a walk or a
copy (virt/c/paths.c): what is left per stat or entry is the fused call and its checks,
~2% of wasmtime's own host call under the CLI (perf, 2026-12-01). What that saves (one
`memory.copy` and one allocation per read) is small next to the host's own read: an A/B of
the same sources with and without the forwarding (2026-12-01, 25 alternating runs of the
mount seqread, 64 KiB reads) put both at a median of 1.4-1.6 GB/s with runs anywhere from
0.6 to 3.0 GB/s, native the same; through a mount, fused, a read is as fast as native WASI
(its ratio here is that day's noise). On this 2-CPU VM
the fused per-operation figures move between runs by more than the differences between
consecutive versions (best of {REPEATS} is shown).

What bounds the fused open+read+close (same run): the same child fused with a virtualizer
whose open-at answers without looking at the path (no walk, no directory lookup, no tree;
everything else real) takes **{f_no_walk:.2f} µs** in the smallfiles workload, against
{f_small:.2f} µs for ours. Over {WARM_PASSES} passes instead of 3 (the first pass decodes the
directory listing, makes each file's node and touches the tree's memory for the first
time): ours {f_small_warm:.2f} µs, the no-walk bound {f_no_walk_warm:.2f} µs. So the path walk and
the tree cost {f_small_warm - f_no_walk_warm:.2f} µs per open+read+close once warm, and the
bound is the rest: the program's own work (wasi-libc's preopen matching, an
`fd_fdstat_get` per `open`), the preview1 adapter, and the fused calls the adapter makes
for it (`open-at`, `read-via-stream`, `blocking-read`, the two drops, and the `get-flags`
and `get-type` it asks along the way), each with the checks the canonical ABI would make
(handle validity and type, UTF-8 of the path, alignment, realloc once per list) and its
result copied into the caller's memory through the bridge. The smallfiles workload
formats its paths before the clock starts, as the stat workload always did (until
2026-12-01 it ran `snprintf` inside the timed loop, in every mode: fused open+read+close
then measured 0.69 µs, of which the formatting was about a quarter). A profile of the warm
loop at that time (perf with wasmtime `--profile=perfmap`, not rerun by this script) put
about 55% of it in the program and the adapter and a third in the virtualizer, under half of
that in the path walk and lookups; replacing the bridge's `memory.copy` by loads and
stores for small results did not help there. What would lift the bound: fewer or cheaper
fused calls per `open` (each costs its glue and a cross-instance call even when, as for
`get-type`, the answer is one field of the descriptor), or a leaner program side. The
virtualizer's own work beyond the warm walk is the first pass: {first_pass}.
"""
    update_section("bench_fs", body)


if __name__ == "__main__":
    main()
