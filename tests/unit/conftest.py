"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from .fakes import Fakes


@pytest.fixture
def fakes() -> Fakes:
    return Fakes.create()
