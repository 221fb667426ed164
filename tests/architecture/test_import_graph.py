"""The import graph of the project's packages: core at the bottom, the stages above it, the orchestrator on top.

Every import statement of every module is read (with ``ast``, so imports inside functions and under
``TYPE_CHECKING`` count too) and reduced to the top-level packages it links.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = "core"
STAGES = ("ingestion", "extractors", "pricing", "decisions", "store", "handoff", "workflow")
ORCHESTRATOR = ("pipeline", "flows", "cli", "quote_review", "web")
TOOLS = ("corpusgen",)
PACKAGES = (CORE, *STAGES, *ORCHESTRATOR, *TOOLS)
# Stage to stage: what each stage may import besides core (anything else is a new dependency to justify here).
ALLOWED_BETWEEN_STAGES = {
    "ingestion": set(),
    "extractors": {"ingestion"},
    "pricing": set(),
    "decisions": set(),
    "handoff": set(),
    "store": {"handoff"},
    # The service layer over the store: the rules of deciding and of the reviewers' actions.
    "workflow": {"decisions", "handoff", "store"},
}


def _imports(path: Path) -> set[str]:
    """The project packages a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.add(path.relative_to(REPO).parts[0])  # a relative import stays in its package
    return {name.split(".")[0] for name in names} & set(PACKAGES)


def _graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the modules that import it."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for imported in _imports(path) - {package}:
                graph[package][imported].append(str(path.relative_to(REPO)))
    return graph


def _cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every elementary cycle found by a depth-first walk (one per back edge)."""
    found, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_the_packages_import_each_other_without_a_cycle():
    graph = _graph()
    cycles = _cycles(graph)
    described = [" -> ".join(cycle) + f" ({graph[cycle[0]][cycle[1]][0]} ...)" for cycle in cycles]
    assert not cycles, "import cycles between packages: " + "; ".join(described)


def test_core_imports_nothing_of_the_project():
    assert dict(_graph().get(CORE, {})) == {}


@pytest.mark.parametrize("stage", STAGES + TOOLS)
def test_a_stage_never_imports_the_orchestrator(stage):
    imported = _graph().get(stage, {})
    wrong = {package: modules for package, modules in imported.items() if package in ORCHESTRATOR}
    assert not wrong, f"{stage} imports the orchestrator: {wrong}"


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_core_and_the_stages_it_is_allowed(stage):
    imported = _graph().get(stage, {})
    allowed = {CORE} | ALLOWED_BETWEEN_STAGES[stage]
    wrong = {package: modules for package, modules in imported.items() if package not in allowed}
    assert not wrong, f"{stage} may import {sorted(allowed)} only, not: {wrong}"


def test_the_walk_sees_imports_inside_functions_and_type_checking_blocks(tmp_path, monkeypatch):
    """The guard itself: a cycle hidden in a function or under TYPE_CHECKING is still a cycle."""
    (tmp_path / "core").mkdir()
    (tmp_path / "store").mkdir()
    (tmp_path / "core" / "a.py").write_text("def f():\n    from store import x\n")
    (tmp_path / "store" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import core.a\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["REPO"]), "REPO", tmp_path)
    graph = _graph()
    assert set(graph["core"]) == {"store"} and set(graph["store"]) == {"core"}
    assert _cycles(graph) == [["core", "store", "core"]]
