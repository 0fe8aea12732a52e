"""Imports go down the floors of shared/ARCHITECTURE.md, never up (walked with `ast`, nothing imported)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "widget2code"

#: Top-level part of the package -> its floor. A module may import its own floor or below.
FLOORS = {
    "files": 0, "task": 0, "entry": 0, "quiet": 0, "banner": 0, "__init__": 0, "render": 0, "llm": 0,
    "models": 1, "rewards": 1,
    "data": 2, "inference": 2,
    "training": 3, "evaluation": 3,
    "demo": 4,
}  # fmt: skip
#: Same-floor arrows that are forbidden all the same.
FORBIDDEN = {
    ("models", "rewards"), ("rewards", "models"),
    ("data", "inference"),
    ("evaluation", "training"),
}  # fmt: skip
GROUND = {"files", "task", "entry", "quiet", "banner", "__init__"}


def _part(module: str) -> str | None:
    names = module.split(".")
    if names[0] != "widget2code":
        return None
    return names[1] if len(names) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if node.module == "widget2code"]
    return found


def violations(package: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        own = relative.parts[0].removesuffix(".py")
        if own not in FLOORS:
            problems.append(f"{relative}: widget2code/{own} has no floor in tests/test_import_floors.py")
            continue
        for line, module in _imports(path):
            if module.startswith("scripts"):
                problems.append(f"{relative}:{line} imports {module}: nothing imports scripts/")
            target = _part(module)
            if target is None or target == own:
                continue
            if target not in FLOORS:
                continue  # a name imported from the package root, checked through its module
            if own in GROUND and target not in GROUND:
                problems.append(f"{relative}:{line} imports {module}: the ground floor imports nothing above it")
            elif FLOORS[target] > FLOORS[own] or (own, target) in FORBIDDEN:
                problems.append(f"{relative}:{line} imports {module}: {own} (floor {FLOORS[own]}) may not "
                                f"import {target} (floor {FLOORS[target]})")
    return problems


def test_imports_point_down() -> None:
    assert violations() == []


def test_the_walk_catches_an_upward_import(tmp_path: Path) -> None:
    package = tmp_path / "widget2code"
    (package / "render").mkdir(parents=True)
    (package / "render" / "cache.py").write_text("from widget2code.data.manifest import read_manifest\n")
    (package / "models").mkdir()
    (package / "models" / "x.py").write_text("import widget2code.rewards.base\nfrom widget2code.task import X\n")
    (package / "task.py").write_text("from widget2code.models import y\n")
    found = violations(package)
    assert len(found) == 3, found
    assert any("render/cache.py:1" in p and "data" in p for p in found)
    assert any("models/x.py:1" in p for p in found)
    assert any("task.py:1" in p and "ground" in p for p in found)
