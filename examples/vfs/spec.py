"""The filesystem the demo program sees (paths on the host are relative to this file)."""

from wasivirt_component import VFS

vfs = VFS()
with vfs.dir("/etc") as etc:
    etc.file("app.toml", "debug = false\nname = \"demo\"\n", read_only=True)
vfs.embed("/assets", "assets")   # copied into the component now, read-only
vfs.dir("/work")                 # writable, in memory, per instance
