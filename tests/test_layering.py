"""Imports run one way (ingest <- index <- service <- eval, cli on top) and never in a circle.

Every module's `ast` is walked, imports inside functions and TYPE_CHECKING blocks included.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a package may import its own layer and the layers before it.
LAYERS = ("ingest", "index", "service", "eval", "cli")


def module_name(path: Path) -> str:
    """`index/encoders/onnx.py` -> `index.encoders.onnx`; a package's __init__ is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The project modules `path` imports, anywhere in the file."""
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                anchor = (package or module_name(path)).split(".")
                base = ".".join(anchor[: len(anchor) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in LAYERS}


def project_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (names that are not modules are dropped)."""
    paths = sorted(p for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))
    modules = {module_name(p): p for p in paths}
    return {
        name: {m for m in imported_modules(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every `a -> b` where b's layer is above a's."""
    rank = {layer: n for n, layer in enumerate(LAYERS)}
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if rank[target.split(".")[0]] > rank[module.split(".")[0]]
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_package_imports_a_higher_one() -> None:
    assert upward_imports(project_graph()) == []


def test_no_import_cycles_between_modules() -> None:
    assert cycles(project_graph()) == []


def test_nothing_imports_the_command_line() -> None:
    graph = project_graph()
    assert not [
        m
        for m, targets in graph.items()
        if not m.startswith("cli") and "cli" in {t.split(".")[0] for t in targets}
    ]


def test_the_checks_see_what_they_must_refuse() -> None:
    """The walk finds imports hidden in functions and TYPE_CHECKING blocks, and both checks
    fail on a graph with an upward import and a circle."""
    graph = project_graph()
    assert "index.hybrid" in graph["service.answer"]  # imported under TYPE_CHECKING only
    assert "index.encoders.onnx" in graph["index.embed"]  # imported inside a method
    bad = {"ingest.a": {"service.b"}, "service.b": {"ingest.a"}}
    assert upward_imports(bad) == ["ingest.a -> service.b"]
    assert cycles(bad) == [["ingest.a", "service.b"]]
