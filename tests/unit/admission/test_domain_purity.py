"""Mechanical rules for admission/domain (architecture A, D, G), as cheap AST checks."""

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[3] / "admission" / "domain"
FILES = sorted(DOMAIN.glob("*.py"))
ALLOWED_IMPORTS = {"holidays", "admission"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_it_imports_only_the_stdlib_holidays_and_itself(path: Path) -> None:
    import sys

    for node in ast.walk(_tree(path)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            assert top in ALLOWED_IMPORTS or top in sys.stdlib_module_names, (path.name, name)
            assert not name.startswith("django"), (path.name, name)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_it_never_reads_the_clock_and_builds_timedelta_by_keyword(path: Path) -> None:
    for node in ast.walk(_tree(path)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        assert name not in {"now", "today", "utcnow"}, (path.name, node.lineno)
        if name == "timedelta":
            assert not node.args, (path.name, node.lineno)
