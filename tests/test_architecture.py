"""The package's shape, checked: layers import one way, no import circles, project imports at
module top, no module over 400 lines. A failure names the file and the import."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "dephn"
# bottom to top: a module may import its own layer or any layer below it, never one above
LAYERS = (
    ("dephn", "dephn.errors", "dephn.fileio", "dephn.config"),
    ("dephn.data",),
    ("dephn.layers",),
    ("dephn.virtual_gradient",),
    ("dephn.models",),
    ("dephn.train",),
    ("dephn.experiments",),
    ("dephn.plotting",),
    ("dephn.report",),
    ("dephn.study",),
    ("dephn.cli", "dephn.__main__"),
)
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported project module, line, at module top) for every import of a dephn module."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:          # `from pkg import module` imports the module
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in MODULES else base)
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for t in targets:
            if t == "dephn" or t.startswith("dephn."):
                found.append((t, node.lineno, id(node) in top))
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    best = None
    for i, names in enumerate(LAYERS):
        for n in names:
            if (module == n or module.startswith(n + ".")) and (best is None or len(n) > best[1]):
                best = (i, len(n))
    assert best is not None, f"{module} is in no layer of tests/test_architecture.py"
    return best[0]


def test_every_module_has_a_layer():
    for name in MODULES:
        _layer(name)


def test_layers_import_one_way():
    up = [f"{MODULES[m].relative_to(REPO)}:{line} imports {t} (a layer above)"
          for m, imps in GRAPH.items() for t, line, _ in imps if _layer(t) > _layer(m)]
    assert not up, "\n".join(up)


def test_project_imports_are_at_module_top():
    hidden = [f"{MODULES[m].relative_to(REPO)}:{line} imports {t} inside a function"
              for m, imps in GRAPH.items() for t, line, at_top in imps if not at_top]
    assert not hidden, "\n".join(hidden)


def test_no_import_circles():
    edges = {m: {t for t, _, _ in imps if t in MODULES and t != m} for m, imps in GRAPH.items()}
    # a package's __init__ importing its own modules is how packages export names, not a circle
    for m in edges:
        edges[m] = {t for t in edges[m] if not (MODULES[m].name == "__init__.py" and t.startswith(m + "."))}
    index, low, stack, on, circles, counter = {}, {}, [], set(), [], [0]

    def visit(v):                     # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    assert not circles, circles


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(REPO)} has {lines} lines (> {MAX_LINES}): split it"
