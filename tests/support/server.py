"""The real app server for page-level tests: `tracking serve` with the given settings."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from support.tracking_process import ServerProcess


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *args]


@contextlib.contextmanager
def running_server(settings: Mapping[str, str]) -> Iterator[str]:
    """Serve with ``settings`` (TRACKING_* variables, the database and data folder included)
    on a free port; yields the base URL. On exit, stops the server and fails if it printed a
    traceback.
    """
    extra = dict(settings)
    database_url = extra.pop("TRACKING_DATABASE_URL")
    data_dir = Path(extra.pop("TRACKING_DATA_DIR"))
    with ServerProcess(database_url, data_dir, **extra) as server:
        yield server.base
    assert b"Traceback" not in server.output, server.output.decode(errors="replace")
