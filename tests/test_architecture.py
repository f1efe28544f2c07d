"""House rules that code review would otherwise have to remember.

* ``surveyapp/analysis`` (and the other pure modules) import no web or database library and
  no other ``surveyapp`` module, relative imports included: arrays in, dataclasses out.
* Blueprints are leaves: no blueprint imports another, and nothing below them (models,
  domain, pipeline, jobs, extensions, the CLI) imports a blueprint; only ``create_app``
  registers them. Each blueprint declares its routes in ``routes.py`` and keeps its
  logic in ``services.py``.
* No import cycle inside ``surveyapp`` (imports under ``if TYPE_CHECKING:`` excepted).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "surveyapp"
PURE_PACKAGES = ("analysis",)
PURE_MODULES = (
    "categories.py",
    "demo/synthetic.py",
    "demo/tree.py",
    "demo/margins.py",
    "privacy.py",
    "collation.py",
    "demo/questionnaire.py",
    "domain/records.py",
    "domain/reasons.py",
    "domain/paging.py",
    "demo/parameters.py",
)
FORBIDDEN = ("flask", "flask_babel", "flask_login", "sqlalchemy", "werkzeug")
BLUEPRINTS = (
    "account",
    "admin",
    "api",
    "citizen",
    "dashboard",
    "fieldwork",
    "operations",
    "posters",
    "questionnaires",
    "research",
    "results",
    "units",
)
APP_FACTORY = "surveyapp"  # surveyapp/__init__.py: create_app registers the blueprints

ROUTE_DECORATOR = re.compile(r"^@bp\.(route|get|post|put|patch|delete)\(", re.M)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Ids of the nodes under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(sub) for sub in ast.walk(node))
    return skipped


def imported(module: str) -> Iterator[tuple[str, str]]:
    """``(kind, name)`` of every import of ``module``: ``("external", "flask")`` for a
    library (its top-level name), ``("internal", "surveyapp.x.y")`` for a module of ours,
    relative imports resolved."""
    path = modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _classify(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            submodules = [f"{target}.{alias.name}" for alias in node.names]
            named = [name for name in submodules if name in modules()]
            if node.module or not named:
                yield _classify(target)
            for name in named:
                yield ("internal", name)


def _classify(name: str) -> tuple[str, str]:
    if name == "surveyapp" or name.startswith("surveyapp."):
        return ("internal", name)
    return ("external", name.split(".")[0])


def internal_imports(module: str) -> set[str]:
    return {name for kind, name in imported(module) if kind == "internal" and name != module}


def blueprint_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in BLUEPRINTS else None


def test_pure_code_imports_no_web_or_database_library_and_nothing_of_ours() -> None:
    pure = [
        module
        for module, path in modules().items()
        if any(path.is_relative_to(PACKAGE / package) for package in PURE_PACKAGES)
    ] + [module_name(PACKAGE / path) for path in PURE_MODULES]
    offenders = {}
    for module in pure:
        names = set(imported(module))
        libraries = {name for kind, name in names if kind == "external"} & set(FORBIDDEN)
        ours = {
            name
            for kind, name in names
            if kind == "internal" and not name.startswith("surveyapp.analysis")
        }
        if module.startswith("surveyapp.analysis") and (libraries or ours):
            offenders[module] = sorted(libraries | ours)
        elif libraries:
            offenders[module] = sorted(libraries)
    assert offenders == {}


def test_blueprints_are_leaves() -> None:
    offenders = {}
    for module in modules():
        if module == APP_FACTORY:
            continue
        own = blueprint_of(module)
        foreign = {
            name for name in internal_imports(module) if blueprint_of(name) not in (None, own)
        }
        if foreign:
            offenders[module] = sorted(foreign)
    assert offenders == {}


def test_each_blueprint_declares_its_routes_in_routes_py() -> None:
    missing = [
        name
        for name in BLUEPRINTS
        for required in ("routes.py", "services.py")
        if not (PACKAGE / name / required).is_file()
    ]
    assert missing == []
    elsewhere = [
        str(path.relative_to(PACKAGE))
        for name in BLUEPRINTS
        for path in (PACKAGE / name).rglob("*.py")
        if path.name != "routes.py" and ROUTE_DECORATOR.search(path.read_text(encoding="utf-8"))
    ]
    assert elsewhere == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_inside_the_package() -> None:
    graph = {
        module: {name for name in internal_imports(module) if name in modules()}
        for module in modules()
    }
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_create_all_is_never_called_outside_migration_tests() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "create_all(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
