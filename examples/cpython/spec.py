"""The filesystem CPython sees: its standard library and the app, read-only, and one host
directory, /out, where the app writes its report (`wasivirt run ... --dir ./out::out`).

CPYTHON_DIR (default .cpython, filled by fetch_cpython.py) holds the interpreter and stdlib.
"""

import os

from wasivirt_component import VFS

CPYTHON = os.environ.get("CPYTHON_DIR", ".cpython")

vfs = VFS(read_only=True)
vfs.embed("/usr/local/lib/python3.11", f"{CPYTHON}/lib/python3.11")
vfs.embed("/app", "app")
vfs.mount("/out", host="out", hide=["*.secret"])  # writable, whatever VFS(read_only=True) says
