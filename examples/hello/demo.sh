#!/usr/bin/env bash
# The wasivirt demo: a C program compiled to a wasip1 core module, adapted into a
# component, inspected, and run with arguments, an environment variable and a host
# directory. Each step is one `step "title" command...` line; add new steps (e.g.
# `wasivirt compose --vfs`) at the end. Run it with `make demo` (which sets up first).
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

printf '\n%sdemo finished%s: a C program ran as a component and saw only /data\n' "$bold" "$plain"
