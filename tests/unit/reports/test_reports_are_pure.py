"""The report calculations stay in the core: the user-agent library only in its adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import adapters.user_agents
import tracking_core

CORE = Path(tracking_core.__path__[0])
ADAPTER = Path(adapters.user_agents.__file__)


def _imports(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_core_module_imports_the_user_agent_library() -> None:
    importers = [path.name for path in CORE.rglob("*.py") if "ua_parser" in _imports(path)]

    assert importers == []


def test_the_check_finds_the_library_where_it_is_used() -> None:
    assert "ua_parser" in _imports(ADAPTER)
    assert (CORE / "reports" / "agents.py") in set(CORE.rglob("*.py"))
