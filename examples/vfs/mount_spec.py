"""The demo's tree (spec.py) with /work passed through from a host directory at run time:
`wasivirt run app.wasm --dir ./work::work`. Notes the program writes there stay on the host."""

from spec import vfs  # the same tree: this directory is on sys.path while a spec runs

vfs.mount("/work", host="work", hide=["*.secret"])  # shadows spec.py's in-memory /work
