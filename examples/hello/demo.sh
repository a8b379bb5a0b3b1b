#!/usr/bin/env bash
# The wasivirt demo. Part 1: a C program compiled to a wasip1 core module, adapted into a
# component, inspected, and run with arguments, an environment variable and a host
# directory. Part 2, the main job: another C program composed with a virtual filesystem
# described in examples/vfs/spec.py, so it sees only that tree and never the host's; then
# the same tree with /work passed through from a host directory (examples/vfs/mount_spec.py).
# Each step is one `step "title" command...` line. Run it with `make demo` (sets up first).
set -euo pipefail

cd "$(dirname "$0")/../.."          # the checkout root: every path below is relative to it
VENV="${VENV:-.venv}"
OUT="${OUT:-build/demo}"
PY="$VENV/bin/python"
WASIVIRT="$VENV/bin/wasivirt"

bold=$'\033[1m' plain=$'\033[0m'
[ -t 1 ] || { bold=""; plain=""; }

step() {
    local title="$1"
    shift
    printf '\n%s==> %s%s\n$ %s\n' "$bold" "$title" "$plain" "$*"
    "$@"
}

mkdir -p "$OUT"

step "Compile examples/hello/hello.c to a wasip1 core module (ziglang)" \
    "$PY" -m ziglang cc -target wasm32-wasi -O2 -s examples/hello/hello.c -o "$OUT/hello.core.wasm"
step "What is it? A command module importing WASI preview 1" \
    "$WASIVIRT" inspect "$OUT/hello.core.wasm"
step "Adapt it into a component (preview1 adapter)" \
    "$WASIVIRT" adapt "$OUT/hello.core.wasm" -o "$OUT/hello.wasm"
step "What is it now? A WASI 0.2 command component" \
    "$WASIVIRT" inspect "$OUT/hello.wasm"
step "Run it: arguments, an environment variable, one host directory seen as /data" \
    "$WASIVIRT" run "$OUT/hello.wasm" --env NAME=wasivirt --dir examples/hello/data::/data \
    -- /data /data/message.txt

step "Compile examples/vfs/app.c, a program that looks around its filesystem" \
    "$PY" -m ziglang cc -target wasm32-wasi -O2 -s examples/vfs/app.c -o "$OUT/app.core.wasm"
step "The spec: the tree the program will see" \
    cat examples/vfs/spec.py
step "Compose: adapt + build the image + splice it into the virtualizer + compose + validate (the first time builds the virtualizer from C, ~1 s)" \
    "$WASIVIRT" compose "$OUT/app.core.wasm" --vfs examples/vfs/spec.py -o "$OUT/app.wasm"
step "Isolation: the composed program imports no wasi:filesystem at all" \
    "$WASIVIRT" inspect "$OUT/app.wasm"
step "Run it (the first run compiles it, a fraction of a second; later runs start at once)" \
    "$WASIVIRT" run "$OUT/app.wasm"

rm -rf "$OUT/work" && mkdir -p "$OUT/work" && echo "not for the guest" > "$OUT/work/keys.secret"
step "Compose it again with a host mount: /work is a host directory, the rest stays virtual" \
    "$WASIVIRT" compose "$OUT/app.core.wasm" --vfs examples/vfs/mount_spec.py -o "$OUT/app-mount.wasm"
step "Run it with that directory: the notes land on the host" \
    "$WASIVIRT" run "$OUT/app-mount.wasm" --dir "$OUT/work::work"
step "On the host, after the run" \
    cat "$OUT/work/notes.txt"

printf '\n%sdemo finished%s: the C program saw only the tree from spec.py, never the host\n' "$bold" "$plain"
