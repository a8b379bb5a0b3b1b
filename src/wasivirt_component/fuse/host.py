"""What the fused virtualizer's host imports are bound to.

The fused core module imports `wasivirt-host:*` functions (the WASI packages renamed),
called with its own memory. Each is bound the way the composed mode binds the
virtualizer's host imports (`virt/wiring.py`): to the host's function when the child can
make the virtualizer call it (stdio for a child using stdio, the filesystem only with host
mounts), else to a trapping function, so the output imports nothing it does not need.

Fused, the host's functions come from the child's own imports (its `wasi:*` instances), so
only what they declare can be lowered; whatever else the virtualizer imports traps if
called (counted in `HostPlan.missing`). A host function is lowered with the virtualizer's
memory, and with its `cabi_realloc` when results hold strings or lists. An import named
`[caller-memory]NAME` (`glue.lowered.forward_import_name`: the core forwards a host
stream's reads and writes to it) is the host's `NAME` lowered with the *caller's* memory
and realloc instead (`Binding.caller`), so the host reads and writes the program's buffer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..compose import abi, children, import_dependencies
from ..compose.types import ComponentType, FuncType, InstanceType, ListType, MapType, Resource, TypeItem
from ..names import compat_key, split_name
from ..virt.glue.lowered import FORWARD_MARK
from ..virt.names import HOST_PACKAGE
from ..virt.wiring import HOST_FILESYSTEM, HOST_NEEDS
from .coretypes import Signature
from .items import Unsupported

DROP = "[resource-drop]"
# What the virtualizer calls on a host mount whatever the child asks for (the path walk and
# opening the mount: virt/c/paths.c, mount.c; `readlink-at` to follow a symlink itself, on
# a path with `..` or in a mount with hidden paths). Fused, it can call only what the
# child's own import declares: one lacking them is widened to declare them (`widen.py`).
MOUNT_NEEDS = ("filesystem/types", ("[method]descriptor.open-at", "[method]descriptor.stat-at",
                                    "[method]descriptor.readlink-at"))


@dataclass(frozen=True)
class Binding:
    """One host import of the fused core: `lower` the child's import `source` function
    `name` (with the caller's memory and realloc when `caller`), `drop` its resource
    `name`, or `trap`."""

    module: str
    field: str
    kind: str
    sig: Signature
    source: str | None = None      # the child's import (instance) name
    name: str | None = None        # the function or resource in it
    memory: bool = False
    realloc: bool = False
    utf8: bool = False
    caller: bool = False


@dataclass
class HostPlan:
    bindings: list[Binding]
    host: list[str] = field(default_factory=list)      # child imports the virtualizer uses
    missing: list[str] = field(default_factory=list)   # wanted, but the child's import lacks it
    widen: dict[str, dict[str, FuncType]] = field(default_factory=dict)  # import -> functions to declare


def wanted_imports(child: ComponentType, served: list[str], host_filesystem: bool) -> set[str]:
    """The child's imports the virtualizer may call for it: what serving `served` needs
    (`wiring.HOST_NEEDS`), the host filesystem with mounts, and their type dependencies."""
    interfaces = {need for n in served for need in HOST_NEEDS.get(split_name(n)[0], ())}
    if host_filesystem:
        interfaces |= set(HOST_FILESYSTEM)
    names = {n for n in child.imports if split_name(n)[0].removeprefix("wasi:") in interfaces}
    return names | import_dependencies(child, sorted(names))


def plan_host(imports: dict[tuple[str, str], Signature], child: ComponentType, wanted: set[str],
               full_filesystem: Callable[[], InstanceType]) -> HostPlan:
    """A binding for each `wasivirt-host:*` import of the fused core (`imports`: its
    function imports and their core signatures). A `MOUNT_NEEDS` function the child's
    import lacks is bound all the same, with its type from `full_filesystem()` (the host's
    whole interface), and listed in `HostPlan.widen` for the splice to declare."""
    by_key = {compat_key(n): n for n in child.imports}
    plan = HostPlan([])
    used: set[str] = set()
    for (module, fname), sig in imports.items():
        if not module.startswith(HOST_PACKAGE):
            continue
        source = by_key.get(compat_key("wasi:" + module[len(HOST_PACKAGE):]))
        instance = child.imports.get(source) if source in wanted else None
        binding = _bind(module, fname, sig, source, instance) if isinstance(instance, InstanceType) else None
        if binding is None and source is not None and isinstance(instance, InstanceType) \
                and _mount_need(source, fname):
            added = full_filesystem().exports.get(fname)
            if isinstance(added, FuncType):
                binding = _bind(module, fname, sig, source, InstanceType({fname: added}))
                plan.widen.setdefault(source, {})[fname] = added
        if binding is None:
            if source in wanted:
                plan.missing.append(f"{module.removeprefix(HOST_PACKAGE)} {fname}")
            binding = Binding(module, fname, "trap", sig)
        else:
            used.add(source)  # type: ignore[arg-type]
        plan.bindings.append(binding)
    plan.host = sorted(used)
    return plan


def _mount_need(source: str, fname: str) -> bool:
    return split_name(source)[0] == "wasi:" + MOUNT_NEEDS[0] and fname in MOUNT_NEEDS[1]


def _bind(module: str, field: str, sig: Signature, source: str | None,
          instance: InstanceType) -> Binding | None:
    caller = field.startswith(FORWARD_MARK)
    fname = field.removeprefix(FORWARD_MARK)
    if fname.startswith(DROP):
        if caller:
            return None
        item = instance.exports.get(fname[len(DROP):])
        if not (isinstance(item, TypeItem) and isinstance(item.type, Resource)):
            return None
        return Binding(module, fname, "drop", sig, source, fname[len(DROP):])
    ft = instance.exports.get(fname)
    if not isinstance(ft, FuncType):
        return None
    params, results = abi.lowered_core_signature(ft)
    if (tuple(params), tuple(results)) != sig:
        raise Unsupported(f"the host's {source} {fname} lowers to {params} -> {results}, the virtualizer "
                          f"imports it as {list(sig[0])} -> {list(sig[1])}")
    flat = [f for _, t in ft.params for f in abi.flatten(t)]
    result_flat = abi.flatten(ft.result) if ft.result is not None else []
    values = [t for _, t in ft.params] + ([ft.result] if ft.result is not None else [])
    memory = (any(_has(t, _pointer) for t in values) or len(flat) > abi.MAX_FLAT_PARAMS
              or len(result_flat) > abi.MAX_FLAT_RESULTS)
    realloc = ft.result is not None and _has(ft.result, _pointer)
    return Binding(module, field, "lower", sig, source, fname, memory, realloc,
                   any(_has(t, lambda x: x == "string") for t in values), caller)


def _pointer(t: Any) -> bool:
    return t == "string" or isinstance(t, MapType) or (isinstance(t, ListType) and t.length is None)


def _has(t: Any, test: Any) -> bool:
    """Whether `t` or a value type inside it passes `test` (resources are opaque)."""
    stack, seen = [t], set()
    while stack:
        x = stack.pop()
        if x is None or id(x) in seen or isinstance(x, Resource):
            continue
        seen.add(id(x))
        if test(x):
            return True
        stack.extend(children(x))
    return False
