"""Choices the composition root makes from the settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.bootstrap import workers_share_a_writer
from entrypoints.settings import Settings


@pytest.mark.parametrize(
    ("database_url", "workers", "shared"),
    [
        ("sqlite:///data/tracking.db", 1, False),
        ("sqlite:///data/tracking.db", 2, True),
        ("sqlite:///data/tracking.db", 8, True),
        ("postgresql+psycopg://tracking@db/tracking", 1, False),
        ("postgresql+psycopg://tracking@db/tracking", 2, False),
        ("postgresql://tracking@db/tracking", 4, False),
    ],
)
def test_workers_share_one_visit_writer_on_sqlite_only(
    database_url: str, workers: int, *, shared: bool
) -> None:
    """SQLite takes one writer at a time; PostgreSQL's writers lock per site and overlap."""
    settings = Settings(
        data_dir=Path("data"), database_url=database_url, secret_key="k" * 40, workers=workers
    )
    assert workers_share_a_writer(settings) is shared


def test_a_visit_writer_process_loads_neither_the_web_stack_nor_alembic() -> None:
    """Each visit writer process (a worker's own, or the one SQLite's workers share: both
    multiprocessing's ``spawn``) imports the command's module again, then what it runs; the
    web stack and Alembic cost it about 20 MB for nothing."""
    imports = (
        "entrypoints.cli, adapters.ingest.writer_process, adapters.ingest.shared_writer, "
        "adapters.sql.repositories"
    )
    code = f"import sys, {imports}; print(' '.join(sorted(sys.modules)))"

    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()

    heavy = {"alembic", "jinja2", "requests", "starlette", "ua_parser", "uvicorn"}
    assert heavy & {name.partition(".")[0] for name in loaded} == set()
