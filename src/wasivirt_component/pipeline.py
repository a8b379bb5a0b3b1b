"""The steps behind the composing commands, in order, each a call into a feature package.

`compose_files` (`wasivirt compose CHILD --vfs SPEC`): adapt the child if it is a core
module → refuse a child the wiring cannot virtualize (an HTTP handler) → evaluate the
spec into an image → link: fused (splice the fused virtualizer core and its image memory
into the child's component, `fuse/`) where that applies, else composed (the cached
virtualizer component with the image spliced into its memory, composed with the child) →
validate with wasmtime → record the mode and mounts → check isolation → write.

`plug_files` (`wasivirt plug`): read socket and plugs → compose → validate → write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .adapt import adapt
from .artifact import ArtifactRecord, MountRecord, artifact_section
from .binary.component_externs import read_component_externs
from .check import filesystem_imports, validate_component, validate_composition, validate_fused
from .compose import ComponentInfo, PlugResult, plug, read_component
from .errors import CompositionError, ValidationError
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


LINK_MODES = ("auto", "composed", "fused")


@dataclass(frozen=True)
class ComposeResult:
    """What `compose_files` wrote and how the child's imports were satisfied."""

    data: bytes
    adapted: bool
    virtualized: list[str]
    host_imports: list[str]
    trapped: list[str]  # child imports tied to wasi:io (sockets): stubbed, every call traps
    mounts: list[MountRecord] = field(default_factory=list)  # host mounts (recorded in the output)
    link: str = "composed"   # "fused": the virtualizer inside the child's component
    note: str | None = None  # why an automatic choice fell back to the composed mode
    widened: list[tuple[str, str]] = field(default_factory=list)  # (import, function) declared for host mounts


@dataclass(frozen=True)
class _Linked:
    data: bytes
    virtualized: list[str]
    trapped: list[str] = field(default_factory=list)
    widened: list[tuple[str, str]] = field(default_factory=list)


def compose_files(child: str | os.PathLike[str], spec: str | os.PathLike[str],
                  output: str | os.PathLike[str], *, progress: Progress = None,
                  precompile: bool = False, link: str = "auto") -> ComposeResult:
    """`wasivirt compose`: the child with the spec's virtual filesystem, written atomically.

    `link`: "fused" puts the virtualizer's core instances inside the child's component
    (`fuse/`: wasip1 programs and flat WASI 0.2 components; a read is one memory copy;
    needs a runtime with multi-memory); "composed" links it as a component of its own, for
    any child and any runtime; "auto" (the default) is fused where the splice applies, else
    composed with `note` saying why. A forced "fused" the child does not allow is an error.

    Validation compiles no more than it must: composed, the child and the bare virtualizer
    once each (cached) and the wiring over their type skeletons; fused, every core module
    validated without compiling and the wiring over code-less skeletons. `precompile` also
    compiles the whole output, which then starts instantly under `wasivirt run`. `progress`
    is shown while the virtualizer is built (once per installation).
    """
    from .image import decode_image, encode_image, load_spec
    from .virt.wiring import check_child

    if link not in LINK_MODES:
        raise CompositionError(f"unknown link mode {link!r}; use one of {', '.join(LINK_MODES)}")
    adaptation = adapt(read_input(child, "wasm"), what=str(child))
    child_info = read_component(adaptation.data, str(child))
    check_child(child_info)  # before the spec runs and the virtualizer is built
    vfs = load_spec(spec)
    image = encode_image(vfs)
    mounts = [MountRecord(guest, m.host, m.path, m.read_only, m.hide) for guest, m in vfs.mounts()]
    name = Path(output).name

    linked, mode, note = None, "composed", None
    if link != "composed":
        from .fuse import Unsupported
        try:
            linked, mode = _fused(child_info, image, bool(mounts), name, progress), "fused"
        except (Unsupported, ValidationError) as exc:
            reason = str(exc) if isinstance(exc, Unsupported) else \
                f"the fused output did not validate (a wasivirt bug, please report it): {exc}"
            if link == "fused":
                raise CompositionError(f"{child}: cannot link fused: {reason}") from None
            note = f"linked composed, not fused: {reason}"
    if linked is None:
        linked = _composed(child_info, image, bool(mounts), name, progress)

    record = ArtifactRecord(decode_image(image).header.seconds, tuple(mounts), mode)
    data = linked.data + artifact_section(record)
    if precompile:
        validate_component(data, name)
    imports = [e.name for e in read_component_externs(data, name).imports]
    leaked = filesystem_imports(imports)
    if leaked and not mounts:
        raise ValidationError(f"{name}: isolation check failed: the composition imports "
                              f"{', '.join(leaked)} although the spec declares no host mount")
    atomic_write_bytes(output, data)
    return ComposeResult(data, not adaptation.already_component, linked.virtualized, imports,
                         linked.trapped, mounts, mode, note, linked.widened)


def _composed(child: ComponentInfo, image: bytes, host_filesystem: bool, name: str,
              progress: Progress) -> _Linked:
    """The virtualizer component (its image spliced in) composed with the child."""
    from .virt.build import virtualizer_component
    from .virt.splice import splice_image
    from .virt.wiring import virtualize

    bare = read_component(virtualizer_component(progress=progress), "virtualizer")
    # The splice adds data segments only: the spliced virtualizer has the bare one's type.
    virtualizer = ComponentInfo(bare.type, splice_image(bare.data, image), bare.name)
    wiring = virtualize(child, virtualizer, host_filesystem=host_filesystem)
    validate_composition([(child.name, child.data), (bare.name, bare.data)],
                         lambda: wiring.encode(skeletons=True), name)
    return _Linked(wiring.encode(), wiring.virtualized, wiring.trapped)


def _fused(child: ComponentInfo, image: bytes, host_filesystem: bool, name: str,
           progress: Progress) -> _Linked:
    """The fused virtualizer spliced into the child (raises `fuse.Unsupported`)."""
    from .fuse import fuse
    from .fuse.structure import served
    from .virt.build import fused_core_module, host_filesystem_types_path

    result = fuse(child.data, fused_core_module(progress=progress), image, host_filesystem=host_filesystem,
                  host_types=lambda: host_filesystem_types_path(progress=progress).read_bytes(), what=child.name)
    validate_fused(result.data, name)
    return _Linked(result.data, [n for n in child.type.imports if served(n)], result.trapped, result.widened)
