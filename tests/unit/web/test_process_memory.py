"""The serving process's memory and its garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from entrypoints.web.app import create_app


@pytest.fixture
def nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("nothing_frozen")
def test_what_the_app_loads_at_start_is_left_out_of_full_collections(
    settings: Settings, services: Services
) -> None:
    """A full pass of the collector walked every object loaded at start (the user agent
    rules, SQL metadata, templates): 60-80 ms under load, which every request waited out."""
    app = create_app(settings, services)
    assert gc.get_freeze_count() == 0

    with TestClient(app):
        assert gc.get_freeze_count() > 10_000
