"""The web app over in-memory services, driven in-process like a browser would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from adapters.memory import FixedClock, StaticGeodata
from adapters.user_agents import UaParserUserAgentParser
from entrypoints.bootstrap import Services, in_memory_services
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from support.browser import Browser


@pytest.fixture
def geodata() -> StaticGeodata:
    return StaticGeodata()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture(scope="session")
def user_agents() -> UaParserUserAgentParser:
    """The real parser, built once: its rules take a third of a second to load."""
    return UaParserUserAgentParser()


@pytest.fixture
def services(
    clock: FixedClock, geodata: StaticGeodata, user_agents: UaParserUserAgentParser
) -> Services:
    return in_memory_services(clock=clock, geodata=geodata, user_agents=user_agents)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url="sqlite://",
        secret_key="test-secret-key-" + "x" * 32,
        allowed_hosts=("testserver", "localhost"),
    )


def _client(settings: Settings, services: Services, peer: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings, services), client=(peer, 50000)) as client:
        yield client


@pytest.fixture
def client(settings: Settings, services: Services) -> Iterator[TestClient]:
    yield from _client(settings, services, "203.0.113.7")


@pytest.fixture
def browser(client: TestClient) -> Browser:
    return Browser(client)


@pytest.fixture
def other_browser(settings: Settings, services: Services) -> Iterator[Browser]:
    """A second person, with their own cookies, on the same app and data."""
    for client in _client(settings, services, "198.51.100.9"):
        yield Browser(client)
