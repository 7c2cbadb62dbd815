"""Debian's Chromium, headless, against the real server and the owner's site on another origin.

Playwright drives the browser; its own browser download is not used (it cannot work on these
machines), so the tests skip, saying why, where the `chromium` package is not installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from adapters.sql.migrate import upgrade
from support.other_origin import Website, serving_website
from support.owner import Owner
from support.server import running_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: What the visitors' browsers say they are. Headless Chromium says "HeadlessChrome", which the
#: beacon rightly takes for a bot (scripted browsers are not people) and does not record.
PERSON_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One browser per test module; every test gets fresh contexts (cookies, storage) in it."""
    executable = _chromium()
    if executable is None:
        pytest.skip("browser tests need Chromium at /usr/bin/chromium: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def database_url(data_dir: Path) -> str:
    url = f"sqlite:///{data_dir / 'tracking.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def app(chromium: Browser, database_url: str, data_dir: Path) -> Iterator[str]:
    """The real server on http://127.0.0.1:<port>, over a SQLite file.

    A module's tests share it (starting one takes a second or two); each test signs up its own
    owner and adds its own site, so none sees another's visits.
    """
    settings = {
        "TRACKING_DATA_DIR": str(data_dir),
        "TRACKING_DATABASE_URL": database_url,
        "TRACKING_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    with running_server(settings) as base:
        yield base


@pytest.fixture
def website() -> Iterator[Website]:
    """The owner's own site, on http://localhost:<another port>: another origin than the app."""
    with serving_website() as site:
        yield site


@pytest.fixture
def new_context(chromium: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts (each its own cookies and settings); closes them all afterwards."""
    contexts: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        context = chromium.new_context(**{"user_agent": PERSON_USER_AGENT, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def owner(chromium: Browser, app: str) -> Iterator[Owner]:
    """A site owner, signed up and logged in, in a browser of their own; shared by a module's
    tests (signing up hashes a password the slow, safe way), each of which adds its own site."""
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    owner = Owner(context.new_page(), app)
    owner.register()
    yield owner
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go for a person to look at (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
