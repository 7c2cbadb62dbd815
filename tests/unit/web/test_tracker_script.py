"""The tracking script as the app serves it, and the snippet that loads it."""

from __future__ import annotations

import gzip
import hashlib
import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import attrs
import pytest
from starlette.testclient import TestClient

from entrypoints.bootstrap import Services
from entrypoints.settings import DEFAULT_SCRIPT_PATH, Settings
from entrypoints.web.app import create_app
from entrypoints.web.snippet import tracking_snippet
from entrypoints.web.tracker_script import SCRIPT_FILE
from support.browser import Browser

BUDGET = 1024
SCRIPT = SCRIPT_FILE.read_bytes()
VERSION = hashlib.sha256(SCRIPT).hexdigest()[:12]
IDENTITY = {"accept-encoding": "identity"}


def test_the_served_script_stays_within_1_kib_gzipped() -> None:
    size = len(gzip.compress(SCRIPT, 9))
    assert size <= BUDGET, f"tracker.js is {size} bytes gzipped, over the {BUDGET}-byte budget"


def test_the_script_is_served_as_javascript_at_the_default_path(client: TestClient) -> None:
    response = client.get(DEFAULT_SCRIPT_PATH, headers=IDENTITY)
    assert response.status_code == 200
    assert response.content == SCRIPT
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "content-encoding" not in response.headers


def test_the_default_path_avoids_words_ad_block_lists_match() -> None:
    for word in ("track", "analytics", "stats", "pixel", "ga", "count", "beacon"):
        assert word not in DEFAULT_SCRIPT_PATH.lower(), word


def test_the_versioned_url_is_cached_for_a_year(client: TestClient) -> None:
    response = client.get(f"{DEFAULT_SCRIPT_PATH}?v={VERSION}")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("query", ["", "?v=", "?v=0123456789ab", f"?v={VERSION}x"])
def test_any_other_url_is_cached_briefly(client: TestClient, query: str) -> None:
    response = client.get(DEFAULT_SCRIPT_PATH + query)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"


def test_it_is_gzipped_for_clients_that_accept_gzip(client: TestClient) -> None:
    response = client.get(DEFAULT_SCRIPT_PATH, headers={"accept-encoding": "br, gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == SCRIPT  # decoded by the client
    assert int(response.headers["content-length"]) <= BUDGET


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("*", True),
        ("deflate, br", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("gzip;q=junk", False),
        ("", False),
    ],
)
def test_accept_encoding_decides_the_encoding(
    client: TestClient, accept: str, gzipped: bool
) -> None:
    response = client.get(DEFAULT_SCRIPT_PATH, headers={"accept-encoding": accept})
    assert ("content-encoding" in response.headers) is gzipped
    assert response.content == SCRIPT


def test_each_encoding_has_its_own_etag(client: TestClient) -> None:
    plain = client.get(DEFAULT_SCRIPT_PATH, headers=IDENTITY).headers["etag"]
    zipped = client.get(DEFAULT_SCRIPT_PATH, headers={"accept-encoding": "gzip"}).headers["etag"]
    assert plain == f'"{VERSION}"'
    assert zipped == f'"{VERSION}-gzip"'


@pytest.mark.parametrize(
    "if_none_match",
    [f'"{VERSION}"', f'W/"{VERSION}-gzip"', f'"stale", "{VERSION}-gzip"', "*"],
)
def test_a_current_etag_gets_304_without_a_body(client: TestClient, if_none_match: str) -> None:
    response = client.get(
        f"{DEFAULT_SCRIPT_PATH}?v={VERSION}", headers={"if-none-match": if_none_match}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "etag" in response.headers


def test_a_stale_etag_gets_the_script(client: TestClient) -> None:
    response = client.get(DEFAULT_SCRIPT_PATH, headers={"if-none-match": '"0123456789ab"'})
    assert response.status_code == 200
    assert response.content == SCRIPT


def test_the_script_sends_no_cors_headers(client: TestClient) -> None:
    # A <script src> needs none; only the beacon speaks CORS.
    response = client.get(DEFAULT_SCRIPT_PATH, headers={"origin": "https://example.com"})
    assert "access-control-allow-origin" not in response.headers


@pytest.fixture
def custom_path_client(settings: Settings, services: Services) -> Iterator[TestClient]:
    app = create_app(attrs.evolve(settings, script_path="/assets/app.js"), services)
    with TestClient(app) as client:
        yield client


def test_the_script_path_is_configurable_and_the_snippet_follows(
    custom_path_client: TestClient,
) -> None:
    assert custom_path_client.get("/assets/app.js").content == SCRIPT
    assert custom_path_client.get(DEFAULT_SCRIPT_PATH).status_code == 404
    browser = Browser(custom_path_client)
    browser.register()
    site_id = browser.add_site()
    snippet = _snippet_on_page(custom_path_client.get(f"/sites/{site_id}/settings").text)
    assert f'src="http://testserver/assets/app.js?v={VERSION}"' in snippet


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(markup)
    parser.close()
    return parser.tags


def test_the_snippet_is_a_deferred_script_tag_and_a_noscript_pixel() -> None:
    snippet = tracking_snippet("https://stats.example.com/", 7, f"/js/site.js?v={VERSION}")
    assert _tags(snippet) == [
        (
            "script",
            {
                "defer": None,
                "src": f"https://stats.example.com/js/site.js?v={VERSION}",
                "data-site": "7",
                "data-api": "https://stats.example.com",
            },
        ),
        ("noscript", {}),
        (
            "img",
            {
                "src": "https://stats.example.com/sites/7/visit.gif",
                "width": "1",
                "height": "1",
                "alt": "",
                "referrerpolicy": "no-referrer-when-downgrade",
            },
        ),
    ]


def test_a_hostile_public_url_stays_inside_its_attributes() -> None:
    hostile = "https://x.example/\"><script>alert(1)</script><x a='"
    snippet = tracking_snippet(hostile, 1, "/js/site.js?v=abc")
    assert "<script>alert" not in snippet
    tags = _tags(snippet)
    assert [tag for tag, _ in tags] == ["script", "noscript", "img"]
    assert tags[0][1]["data-api"] == hostile.rstrip("/")
    assert tags[0][1]["src"] == hostile + "/js/site.js?v=abc"
    assert tags[2][1]["src"] == hostile + "/sites/1/visit.gif"


_TEXTAREA = re.compile(r'<textarea id="snippet"[^>]*>(.*?)</textarea>', re.DOTALL)


def _snippet_on_page(page: str) -> str:
    match = _TEXTAREA.search(page)
    assert match, "no snippet textarea on the page"
    return html.unescape(match.group(1))


def test_the_site_page_shows_the_snippet_with_a_copy_button(browser: Browser) -> None:
    browser.register()
    site_id = browser.add_site()
    page = browser.client.get(f"/sites/{site_id}/settings").text
    expected = tracking_snippet("http://testserver", site_id, f"/js/site.js?v={VERSION}")
    assert _snippet_on_page(page) == expected
    assert 'data-copy="snippet"' in page
    assert 'aria-live="polite"' in page
    # The CSP allows no inline script: every script on the page is a file of this app.
    scripts = [attrs for tag, attrs in _tags(page) if tag == "script"]
    assert scripts == [{"src": "/static/copy.js", "defer": None}]
    assert browser.client.get("/static/copy.js").status_code == 200


@pytest.fixture
def public_url_client(settings: Settings, services: Services) -> Iterator[TestClient]:
    public = attrs.evolve(settings, public_url='https://stats.example.com/t"><script>x()</script>')
    with TestClient(create_app(public, services)) as client:
        yield client


def test_the_snippet_uses_the_public_url_when_set_and_escapes_it(
    public_url_client: TestClient,
) -> None:
    browser = Browser(public_url_client)
    browser.register()
    site_id = browser.add_site()
    page = public_url_client.get(f"/sites/{site_id}/settings").text
    assert "<script>x()" not in page
    assert "testserver" not in _snippet_on_page(page)
    script = _tags(_snippet_on_page(page))[0][1]
    assert script["data-api"] == 'https://stats.example.com/t"><script>x()</script>'
    assert script["src"] == (
        f'https://stats.example.com/t"><script>x()</script>/js/site.js?v={VERSION}'
    )
