"""The package's module-level imports form no cycle: data flows one way (docs/architecture.md).
Lazy imports inside functions and type-only imports (``if TYPE_CHECKING:``) do not count."""

from __future__ import annotations

import ast
from pathlib import Path

import fcnn

ROOT = Path(fcnn.__file__).parent


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return mods


def _edges(mods: dict[str, Path]) -> set[tuple[str, str]]:
    """(importer, imported) for every module-level import of one fcnn module by another;
    ``from pkg import name`` points at ``pkg.name`` where that is a module, else at ``pkg``."""
    edges = set()
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + [node.module or ""]).strip(".")
                target = target if node.level else (node.module or "")
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    edges.add((name, full if full in mods else target))
            elif isinstance(node, ast.Import):
                edges.update((name, alias.name) for alias in node.names)
    return {(a, b) for a, b in edges if b in mods and a != b}


def _cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(v: str, path: list[str]) -> list[str] | None:
        state[v] = 1
        for w in graph.get(v, []):
            if state.get(w) == 1:
                return path[path.index(w) :] + [w]
            if w not in state and (found := visit(w, path + [w])):
                return found
        state[v] = 2
        return None

    for v in list(graph):
        if v not in state and (found := visit(v, [v])):
            return found
    return None


def test_module_level_imports_form_no_cycle():
    edges = _edges(_modules())
    assert len(edges) > 100  # the walk did find the package's imports
    assert _cycle(edges) is None, " -> ".join(_cycle(edges))


def test_the_cycle_finder_finds_a_cycle():
    found = _cycle({("a", "b"), ("b", "c"), ("c", "a")})
    assert found[0] == found[-1] and sorted(found[:-1]) == ["a", "b", "c"]
    assert _cycle({("a", "b"), ("b", "c")}) is None


def test_the_math_core_imports_no_subpackage_above_it():
    """network, losses, activations, optim and init need only NumPy and each other."""
    edges = _edges(_modules())
    core = {"fcnn.network", "fcnn.losses", "fcnn.activations", "fcnn.optim", "fcnn.init"}
    # fcnn._fast.sparse: the first layer's products for a scipy.sparse batch (scipy imported
    # only when X is one)
    allowed = core | {"fcnn._checks", "fcnn._inputs", "fcnn._fast.workspace", "fcnn.errors"}
    allowed |= {
        "fcnn._layout",
        "fcnn.memory",
        "fcnn.batched",
        "fcnn._fast.sparse",
    }  # layout, memory bounds
    for a, b in edges:
        if a in core:
            assert b in allowed, f"{a} imports {b}"
