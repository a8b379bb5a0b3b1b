#!/usr/bin/env bash
# CPython 3.11 (a third-party wasip1 program) running from a virtual filesystem:
# fetch it, compose it with spec.py, run it. Needs `make setup` (the .venv) first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wasivirt="${WASIVIRT:-$here/../../.venv/bin/wasivirt}"
python="${PYTHON:-$here/../../.venv/bin/python}"
export CPYTHON_DIR="${CPYTHON_DIR:-$here/.cpython}"
"$python" "$here/fetch_cpython.py" "$CPYTHON_DIR" >/dev/null
"$wasivirt" compose "$CPYTHON_DIR/python3.11.wasm" --vfs "$here/spec.py" -o "$here/.cpython-app.wasm"
# PYTHONHOME: the interpreter's compiled-in prefix is its builder's home directory.
# ./out is the host directory the spec mounts at /out: the app writes its report there.
mkdir -p "$here/out"
"$wasivirt" run "$here/.cpython-app.wasm" --env PYTHONHOME=/usr/local --dir "$here/out::out" -- /app/main.py
echo "on the host: $(cat "$here/out/report.json")"
