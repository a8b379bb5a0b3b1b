"""A small program that only works if its whole world is on the virtual filesystem."""

import collections
import errno
import hashlib
import json
import os
import pathlib
import sys

print("python", sys.version.split()[0], "on", sys.platform)
config = json.loads(pathlib.Path("/app/data/config.json").read_text())
print("config:", config["name"], sorted(config["items"]))
words = pathlib.Path("/app/data/words.txt").read_text().split()
print("top words:", collections.Counter(words).most_common(2))
print("app files:", sorted(p.name for p in pathlib.Path("/app").iterdir()))
print("stdlib json module from:", json.__file__)
print("sha256(wasivirt):", hashlib.sha256(b"wasivirt").hexdigest()[:16])
for path in ("/etc/passwd", "/../../etc/passwd", "/app/../../etc/passwd"):
    try:
        open(path).close()
        print(path, "opened!?")
    except OSError as exc:
        print(path, "->", errno.errorcode[exc.errno])
try:
    pathlib.Path("/app/new.txt").write_text("x")
except OSError as exc:
    print("write /app/new.txt ->", errno.errorcode[exc.errno])
print("cwd:", os.getcwd())
out = pathlib.Path("/out")
if out.is_dir():  # a host directory mounted by the spec
    report = {"python": sys.version.split()[0], "words": len(words),
              "top": collections.Counter(words).most_common(1)[0][0], "stdlib": os.path.dirname(json.__file__)}
    (out / "report.json").write_text(json.dumps(report, sort_keys=True) + "\n")
    print("report written; /out holds", sorted(p.name for p in out.iterdir()))
