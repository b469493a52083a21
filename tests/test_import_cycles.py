"""Modules import in one direction (issue 37): the generator's people → scenario → each
rule's plants and the faults → day, writers beside them; and no cycle anywhere in the
package. An import inside a function counts too: it hides a cycle from the interpreter,
not from the reader."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "timpora"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph(under: str) -> dict[str, set[str]]:
    """Each module of ``under`` with the modules of ``under`` it imports."""
    graph: dict[str, set[str]] = {}
    folder = PACKAGE.joinpath(*under.split(".")[1:])
    modules = {_module_name(path): path for path in folder.rglob("*.py")}
    for name, path in modules.items():
        graph[name] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hidden = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in hidden:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from package import module`` imports the module, not the package's names
                targets = [
                    f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                    for alias in node.names
                ]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


@pytest.mark.parametrize("package", ["timpora.generator", "timpora.rules", "timpora"])
def test_no_import_cycle(package: str) -> None:
    try:
        tuple(graphlib.TopologicalSorter(import_graph(package)).static_order())
    except graphlib.CycleError as cycle:
        pytest.fail(f"import cycle in {package}: " + " → ".join(cycle.args[1]))


def test_generator_layers_import_one_way() -> None:
    graph = import_graph("timpora.generator")
    assert "timpora.generator.scenario" in graph["timpora.generator.faults"]
    assert "timpora.generator.faults" in graph["timpora.generator.day"]
    assert not graph["timpora.generator.scenario"] & {
        "timpora.generator.day",
        "timpora.generator.faults",
        "timpora.generator.writers",
    }
