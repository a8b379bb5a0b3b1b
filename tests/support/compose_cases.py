"""The data-driven corpus of composer errors: `tests/compose_cases/<case>/`.

Each case directory holds WAT files and `case.json`, the steps to run through the
library; `expected.json` is the `CompositionError` they must raise: its class, its
one-line message and the fields it carries (`node`, `import_name`, `export`). Run with
`BLESS=1` to (re)write `expected.json` from what the code raises now, then read the diff.

`case.json`:

    {"components": {"a": "a.wat", ...},          # read with compose._reader (WAT via wasm-tools)
     "steps": [...],                              # run in order; the last one must raise
     "note": "..."}                               # optional, for the reader of the case

Steps (a node is named after its component unless `"as"` says otherwise):

    {"instantiate": "a", "as": "x", "graph": "other"}    # graph: "main" by default
    {"connect": ["x", "import name"], "to": SOURCE}      # SOURCE: {"export": ["node", "name"]}
    {"export": SOURCE, "as": "name"}                     #      or {"import": "outer name"}
    {"outer_import": "name"}                             # an explicit outer import
    {"encode": {"implicit_imports": false}}              # encode the main graph
    {"plug": {"socket": "s", "plugs": ["p", ...]}}       # compose._plug
    {"trap_stub": {"of": "a", "imports": ["name", ...]}} # compose._stub.trap_stub
    {"skeleton": "a"}                                    # compose._stub.skeleton
    {"check_child": "a"}                                 # virt.wiring.check_child
    {"virtualize": {"child": "a", "virtualizer": "v"}}   # virt.wiring.virtualize, encoded

Every site that raises a `CompositionError` has a case, except two guards no input can
reach (the graph's "depends on itself" and the stub's "needs ... before it is
imported"): a type can only refer to types defined before it, so the imports' types are
acyclic and already in order; the guards keep that invariant explicit.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.cbuild import CACHE

CASES = Path(__file__).resolve().parent.parent / "compose_cases"


def wat_to_wasm(path: Path) -> bytes:
    """`wasm-tools parse` of a WAT file, cached by content."""
    from wasivirt_component import toolchain

    text = path.read_bytes()
    out = CACHE / f"{hashlib.sha256(b'wasm-tools-parse-v1' + text).hexdigest()[:24]}-{path.stem}.wasm"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp.wasm")
        subprocess.run([toolchain.wasm_tools(), "parse", str(path), "-o", str(tmp)], check=True,
                       capture_output=True)
        os.replace(tmp, out)
    return out.read_bytes()


@dataclass
class Outcome:
    """What the last step raised, as `expected.json` records it."""

    error: str
    message: str
    node: str | None
    import_name: str | None
    export: str | None

    def to_json(self) -> dict[str, Any]:
        return {"error": self.error, "message": self.message, "node": self.node,
                "import_name": self.import_name, "export": self.export}


class CaseRunner:
    """Runs one case's steps against the library."""

    def __init__(self, case: Path) -> None:
        from wasivirt_component.compose._graph import CompositionGraph
        from wasivirt_component.compose._reader import read_component

        self.case = case
        spec = json.loads((case / "case.json").read_text())
        self.spec = spec
        self.components = {name: read_component(wat_to_wasm(case / file), name)
                           for name, file in spec.get("components", {}).items()}
        self.graphs = {"main": CompositionGraph(), "other": CompositionGraph()}
        self.packages: dict[tuple[str, str], Any] = {}
        self.nodes: dict[str, Any] = {}

    def _package(self, graph: str, component: str) -> Any:
        key = (graph, component)
        if key not in self.packages:
            self.packages[key] = self.graphs[graph].add_component(self.components[component], component)
        return self.packages[key]

    def _source(self, graph: str, source: dict[str, Any]) -> Any:
        if "import" in source:
            return self.graphs[graph].import_(source["import"])
        node, name = source["export"]
        return self.graphs[graph].export_of(self.nodes[node], name)

    def run(self) -> Outcome:
        from wasivirt_component.errors import CompositionError

        steps = self.spec["steps"]
        for number, step in enumerate(steps, 1):
            try:
                self.step(step)
            except CompositionError as exc:
                if number != len(steps):
                    raise AssertionError(f"{self.case.name}: step {number} of {len(steps)} raised {exc!r}") from exc
                return Outcome(type(exc).__name__, str(exc), exc.node, exc.import_name, exc.export)
        raise AssertionError(f"{self.case.name}: no step raised a CompositionError")

    def step(self, step: dict[str, Any]) -> None:  # noqa: C901 - one branch per step kind
        from wasivirt_component.compose._plug import plug
        from wasivirt_component.compose._stub import skeleton, trap_stub
        from wasivirt_component.virt.wiring import check_child, virtualize

        graph = step.get("graph", "main")
        if "instantiate" in step:
            component = step["instantiate"]
            name = step.get("as", component)
            self.nodes[name] = self.graphs[graph].instantiate(self._package(graph, component), name)
        elif "connect" in step:
            node, import_name = step["connect"]
            self.graphs[graph].connect(self.nodes[node], import_name, self._source(graph, step["to"]))
        elif "export" in step:
            self.graphs[graph].export(self._source(graph, step["export"]), step["as"])
        elif "outer_import" in step:
            self.graphs[graph].import_(step["outer_import"])
        elif "encode" in step:
            self.graphs[graph].encode(**step["encode"])
        elif "plug" in step:
            args = step["plug"]
            plug(self.components[args["socket"]], [self.components[p] for p in args["plugs"]])
        elif "trap_stub" in step:
            args = step["trap_stub"]
            trap_stub(self.components[args["of"]].type, args["imports"])
        elif "skeleton" in step:
            skeleton(self.components[step["skeleton"]].type)
        elif "check_child" in step:
            check_child(self.components[step["check_child"]])
        elif "virtualize" in step:
            args = step["virtualize"]
            virtualize(self.components[args["child"]], self.components[args["virtualizer"]]).encode()
        else:
            raise AssertionError(f"{self.case.name}: unknown step {step}")


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file())


def check_case(name: str) -> None:
    """Run case `name`; compare with (or, under BLESS=1, write) its expected.json."""
    case = CASES / name
    outcome = CaseRunner(case).run().to_json()
    expected_file = case / "expected.json"
    if os.environ.get("BLESS") == "1":
        expected_file.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
        return
    if not expected_file.is_file():
        raise AssertionError(f"{name}: no expected.json; run with BLESS=1 to write it")
    assert outcome == json.loads(expected_file.read_text()), f"{name}: outcome differs (BLESS=1 rewrites)"
    assert "\n" not in outcome["message"], f"{name}: the message is not one line"
