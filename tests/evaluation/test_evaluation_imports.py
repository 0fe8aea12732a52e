"""The modules of widget2code/evaluation import each other without a circle (walked with `ast`: imports
inside functions and under TYPE_CHECKING count too, since they only hide a circle)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "widget2code" / "evaluation"


def _graph(package: Path) -> dict[str, set[str]]:
    own = {path.stem for path in package.glob("*.py")}
    prefix = f"widget2code.{package.name}."
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            targets |= {name.removeprefix(prefix).split(".")[0] for name in names if name.startswith(prefix)}
        graph[path.stem] = (targets & own) - {path.stem}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as err:
        return list(err.args[1])
    return None


def test_evaluation_modules_import_without_a_circle() -> None:
    assert _cycle(_graph(PACKAGE)) is None


def test_the_walk_finds_a_circle_hidden_in_a_function(tmp_path: Path) -> None:
    package = tmp_path / "evaluation"
    package.mkdir()
    (package / "a.py").write_text("from widget2code.evaluation.b import thing\n")
    (package / "b.py").write_text("def f():\n    from widget2code.evaluation import a\n")
    cycle = _cycle(_graph(package))
    assert cycle is not None and set(cycle) == {"a", "b"}
