"""The core stays framework-free: readable by someone who knows only Python."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import tracking_core

FRAMEWORKS = {
    "starlette",
    "sqlalchemy",
    "requests",
    "jinja2",
    "alembic",
    "uvicorn",
    "psycopg",
    "ua_parser",
}
OUTER_LAYERS = {"adapters", "entrypoints"}

CORE_MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(tracking_core.__path__, prefix=f"{tracking_core.__name__}.")
)
CORE_SOURCES = sorted(Path(tracking_core.__path__[0]).rglob("*.py"))


def _imported_top_level_names(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), filename=str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_core_has_modules_and_sources_to_check() -> None:
    assert "tracking_core.use_cases.accounts" in CORE_MODULES
    assert len(CORE_SOURCES) >= len(CORE_MODULES)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_every_core_module_imports_on_its_own(module: str) -> None:
    assert importlib.import_module(module).__name__ == module


@pytest.mark.parametrize("source", CORE_SOURCES, ids=lambda path: path.name)
def test_core_source_imports_no_framework_nor_outer_layer(source: Path) -> None:
    imported = _imported_top_level_names(source)

    assert imported.isdisjoint(FRAMEWORKS), imported & FRAMEWORKS
    assert imported.isdisjoint(OUTER_LAYERS), imported & OUTER_LAYERS


@pytest.mark.parametrize("source", CORE_SOURCES, ids=lambda path: path.name)
def test_core_source_reads_no_environment(source: Path) -> None:
    text = source.read_text(encoding="utf-8")

    assert "os.environ" not in text
    assert "getenv" not in text
    assert "environ" not in _imported_names(source)


def _imported_names(source: Path) -> set[str]:
    """Every name an ``import`` or ``from ... import`` binds, e.g. ``environ`` from ``os``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update(alias.name for alias in node.names)
    return names
