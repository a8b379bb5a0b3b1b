"""The steps behind the composing commands, in order, each a call into a feature package.

`compose_files` (`wasivirt compose CHILD --vfs SPEC`): adapt the child if it is a core
module → refuse a child the wiring cannot virtualize (an HTTP handler) → evaluate the
spec into an image → get the (cached) virtualizer and splice the image into its memory →
compose virtualizer + child → validate with wasmtime → check isolation → write.

`plug_files` (`wasivirt plug`): read socket and plugs → compose → validate → write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .adapt import adapt
from .artifact import ArtifactRecord, MountRecord, artifact_section
from .binary.component_externs import read_component_externs
from .check import filesystem_imports, validate_component, validate_composition
from .compose import ComponentInfo, PlugResult, plug, read_component
from .errors import ValidationError
from .fsutil import atomic_write_bytes, read_input
from .virt.build import Progress


def read_component_file(path: str | os.PathLike[str]) -> ComponentInfo:
    """A component from disk; errors name the file."""
    return read_component(read_input(path, "component"), str(path))


def plug_files(socket: str | os.PathLike[str], plugs: list[str | os.PathLike[str]],
               output: str | os.PathLike[str]) -> PlugResult:
    """`wasivirt plug`: compose, validate with wasmtime, then write `output` atomically."""
    socket_info = read_component_file(socket)
    plug_infos = [read_component_file(p) for p in plugs]
    result = plug(socket_info, plug_infos)
    validate_component(result.data, f"composition of {Path(socket).name}")
    atomic_write_bytes(output, result.data)
    return result


@dataclass(frozen=True)
class ComposeResult:
    """What `compose_files` wrote and how the child's imports were satisfied."""

    data: bytes
    adapted: bool
    virtualized: list[str]
    host_imports: list[str]
    trapped: list[str]  # child imports tied to wasi:io (sockets): stubbed, every call traps
    mounts: list[MountRecord] = field(default_factory=list)  # host mounts (recorded in the output)


def compose_files(child: str | os.PathLike[str], spec: str | os.PathLike[str],
                  output: str | os.PathLike[str], *, progress: Progress = None,
                  precompile: bool = False) -> ComposeResult:
    """`wasivirt compose`: the child with the spec's virtual filesystem, written atomically.

    Validation compiles the child and the bare virtualizer once each (cached; the image
    splice adds only data segments) and the wiring over their type skeletons; `precompile`
    also compiles the whole output, which then starts instantly under `wasivirt run`.
    `progress` is shown while the virtualizer is built (once per installation).
    """
    from .image import decode_image, encode_image, load_spec
    from .virt.build import virtualizer_component
    from .virt.splice import splice_image
    from .virt.wiring import check_child, virtualize

    adaptation = adapt(read_input(child, "wasm"), what=str(child))
    child_info = read_component(adaptation.data, str(child))
    check_child(child_info)  # before the spec runs and the virtualizer is built
    vfs = load_spec(spec)
    image = encode_image(vfs)
    bare = read_component(virtualizer_component(progress=progress), "virtualizer")
    # The splice adds data segments only: the spliced virtualizer has the bare one's type.
    virtualizer = ComponentInfo(bare.type, splice_image(bare.data, image), bare.name)
    mounts = [MountRecord(guest, m.host, m.path, m.read_only, m.hide) for guest, m in vfs.mounts()]

    wiring = virtualize(child_info, virtualizer, host_filesystem=bool(mounts))
    name = Path(output).name
    validate_composition([(child_info.name, child_info.data), (bare.name, bare.data)],
                         lambda: wiring.encode(skeletons=True), name)
    record = ArtifactRecord(decode_image(image).header.seconds, tuple(mounts))
    data = wiring.encode() + artifact_section(record)
    if precompile:
        validate_component(data, name)
    imports = [e.name for e in read_component_externs(data, name).imports]
    leaked = filesystem_imports(imports)
    if leaked and not mounts:
        raise ValidationError(f"{name}: isolation check failed: the composition imports "
                              f"{', '.join(leaked)} although the spec declares no host mount")
    atomic_write_bytes(output, data)
    return ComposeResult(data, not adaptation.already_component, wiring.virtualized, imports,
                         wiring.trapped, mounts)
