"""The package's layer contract: imports point down, never up, and never in a cycle.

Each module of ``neuroplast`` belongs to one layer (``LAYERS``, lowest first); a module
may import from its own layer and the layers below it.  The few imports that still point
up are listed in ``KNOWN_UPWARD`` with the reason each is left, and the list may only
shrink: an entry that no longer occurs fails the test too, so that it is deleted.  Both
module-level and function-level imports count.  Read from the source with ``ast``;
nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "neuroplast"

#: Layers, lowest first: module names (a name also covers the modules under it).  Each
#: layer above the foundation is a sub-package.
LAYERS = (
    ("", "units", "schema", "paths"),  # foundation ("": the package, its __version__)
    ("model",),  # mechanisms: equations, config sections, namespaces, records
    ("config",),  # what a run is
    ("simulation",),  # config -> brian2 network -> recording
    ("analysis",),  # read-outs of recorded runs
    ("studies",),  # experiments and sweeps: many runs, resumed, analysed, reported
    ("plots",),  # drawing
    ("cli", "__main__"),  # the command line
)

#: Imports that still point up, (importer, imported): each is to be removed.
KNOWN_UPWARD = {
    # studies write their figures as they go
    ("studies.run", "plots.run"),
    ("studies.analyse", "plots.connectivity"),
    ("studies.analyse", "plots.experiment"),
}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package that ``path`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "neuroplast" or node.module.startswith("neuroplast."):
                base = node.module.removeprefix("neuroplast").removeprefix(".")
                for alias in node.names:
                    # `from neuroplast.model import bdnf` imports the module model.bdnf;
                    # `from neuroplast.config.experiment import load_config`, a name of config
                    sub = f"{base}.{alias.name}".lstrip(".")
                    names.append(sub if sub in modules else base)
        elif isinstance(node, ast.Import):
            names = [
                a.name.removeprefix("neuroplast").removeprefix(".")
                for a in node.names
                if a.name == "neuroplast" or a.name.startswith("neuroplast.")
            ]
        found.update(name for name in names if name in modules)
    return found


def _layer(module: str) -> int:
    best = None
    for k, names in enumerate(LAYERS):
        for name in names:
            covers = module == name or (name and module.startswith(name + "."))
            if covers and (best is None or len(name) > best[1]):
                best = (k, len(name))
    if best is None:
        raise AssertionError(f"neuroplast.{module} is in no layer: add it to LAYERS")
    return best[0]


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_every_module_has_a_layer(graph):
    for module in graph:
        _layer(module)


def test_imports_point_down_except_the_known_ones(graph):
    upward = {
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if _layer(target) > _layer(module)
    }
    new = sorted(upward - KNOWN_UPWARD)
    assert not new, f"imports that point up a layer: {new}"
    gone = sorted(KNOWN_UPWARD - upward)
    assert not gone, f"no longer imported: delete from KNOWN_UPWARD: {gone}"


def test_the_package_has_no_import_cycle(graph):
    # depth-first search for a back edge
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycle = stack[stack.index(target) :] + [target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
