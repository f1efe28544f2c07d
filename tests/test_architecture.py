"""House rules that code review would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "surveyapp"
PURE_PACKAGES = ("analysis",)
PURE_MODULES = (
    "categories.py",
    "demo/synthetic.py",
    "demo/questionnaire.py",
    "demo/tree.py",
    "demo/margins.py",
    "privacy.py",
)
FORBIDDEN = ("flask", "flask_babel", "flask_login", "sqlalchemy", "werkzeug")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_pure_code_imports_no_web_or_database_library() -> None:
    files = [path for package in PURE_PACKAGES for path in (PACKAGE / package).rglob("*.py")]
    files += [PACKAGE / module for module in PURE_MODULES]
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(_imports(path) & set(FORBIDDEN)) for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_create_all_is_never_called_outside_migration_tests() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "create_all(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
