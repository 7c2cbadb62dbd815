"""The dashboard page and its CSV export: for the owner, exact, filterable, and inert."""

from __future__ import annotations

import csv
import io
import re

import pytest
from starlette.testclient import TestClient

from support.browser import Browser

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def site_id(browser: Browser) -> int:
    browser.register()
    return browser.add_site("https://shop.example")


def beacon(client: TestClient, site_id: int, agent: str = FIREFOX, **fields: str) -> None:
    response = client.get(f"/sites/{site_id}/visit", params=fields, headers={"user-agent": agent})
    assert response.status_code == 204, response.text


def _some_visits(client: TestClient, site_id: int) -> None:
    beacon(client, site_id, url="https://shop.example/", referrer="https://www.google.com/")
    beacon(client, site_id, url="https://shop.example/pricing")
    beacon(
        client, site_id, url="https://shop.example/pricing", event="Signup", props='{"plan": "pro"}'
    )
    beacon(client, site_id, IPHONE, url="https://shop.example/blog?utm_source=newsletter")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_dashboard_shows_the_headline_numbers_chart_and_breakdowns(
    browser: Browser, site_id: int
) -> None:
    _some_visits(browser.client, site_id)

    response = browser.client.get(f"/sites/{site_id}", params={"range": "today"})

    assert response.status_code == 200
    page = _text(response.text)
    assert "Unique visitors 2" in page  # one address, two browsers: two visitors
    assert "Page views 3" in page
    assert '<svg class="chart"' in response.text
    assert 'role="img" aria-labelledby="chart-svg-title chart-svg-desc"' in response.text
    assert "<caption>Visitors and page views by hour" in response.text
    for title in ("Pages", "Entry pages", "Sources", "Countries", "Browsers", "Devices", "Events"):
        assert f">{title}</h2>" in response.text
    assert "Google" in page
    assert "Signup" in page


def test_an_item_links_to_the_dashboard_filtered_by_it_and_a_chip_removes_it(
    browser: Browser, site_id: int
) -> None:
    _some_visits(browser.client, site_id)
    dashboard = browser.client.get(f"/sites/{site_id}", params={"range": "today"}).text
    assert f'href="/sites/{site_id}?range=today&amp;source=Google"' in dashboard

    filtered = browser.client.get(
        f"/sites/{site_id}", params={"range": "today", "source": "Google"}
    )

    assert "Page views 2" in _text(filtered.text)
    assert 'class="chip"' in filtered.text
    assert f'href="/sites/{site_id}?range=today" class="chip-remove"' in filtered.text
    # The range links keep the filter; the custom range form keeps it too.
    assert f'href="/sites/{site_id}?range=7d&amp;source=Google"' in filtered.text
    assert '<input type="hidden" name="source" value="Google">' in filtered.text


def test_filtering_by_an_event_shows_its_properties(browser: Browser, site_id: int) -> None:
    _some_visits(browser.client, site_id)

    page = browser.client.get(f"/sites/{site_id}", params={"range": "today", "event": "Signup"})

    assert "Properties of “Signup”" in page.text
    assert '<td>plan</td><td class="value">pro</td>' in page.text


def test_hostile_values_are_text_and_only_in_query_strings(browser: Browser, site_id: int) -> None:
    evil = '"><script>window.pwned=1</script>'
    beacon(browser.client, site_id, url="https://shop.example/x", event=evil)
    beacon(browser.client, site_id, url="https://shop.example/?utm_source=javascript:alert(1)")

    page = browser.client.get(f"/sites/{site_id}", params={"range": "today"}).text

    assert "<script>window.pwned" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert 'href="javascript' not in page
    assert "utm_source=javascript%3Aalert%281%29" in page
    assert " style=" not in page  # the CSP allows no inline style: shares are classes
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []


def test_someone_elses_or_a_missing_site_is_not_found(
    browser: Browser, other_browser: Browser, site_id: int
) -> None:
    other_browser.register("grace@example.com")
    for path in ("", "/export.csv", "/visits", "/settings"):
        assert other_browser.client.get(f"/sites/{site_id}{path}").status_code == 404, path
    assert browser.client.get(f"/sites/{site_id + 1000}").status_code == 404


def test_a_bad_range_is_a_400_saying_what_to_pick(browser: Browser, site_id: int) -> None:
    response = browser.client.get(f"/sites/{site_id}", params={"range": "forever"})

    assert response.status_code == 400
    assert "Pick one of" in response.text


def test_the_csv_export_has_what_is_shown_and_runs_no_formula(
    browser: Browser, site_id: int
) -> None:
    # (Event names are trimmed, so a leading tab cannot arrive this way; csv_export's own
    # tests cover it.)
    for formula in ("=HYPERLINK(1)", "+1", "-2", "@SUM(A1)"):
        beacon(browser.client, site_id, url="https://shop.example/", event=formula)
    beacon(browser.client, site_id, url="https://shop.example/")

    response = browser.client.get(f"/sites/{site_id}/export.csv", params={"range": "today"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert ["Page views", "1", "0"] in rows
    events = rows[rows.index(["Events", "Visitors", "Events", "Share"]) + 1 :][:4]
    assert sorted(row[0] for row in events) == sorted(["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)"])


def test_the_export_follows_the_dashboards_filters(browser: Browser, site_id: int) -> None:
    _some_visits(browser.client, site_id)

    rows = list(
        csv.reader(
            io.StringIO(
                browser.client.get(
                    f"/sites/{site_id}/export.csv", params={"range": "today", "browser": "Safari"}
                ).text
            )
        )
    )

    assert ["Filter", "Browser", "Safari"] in rows
    assert ["Page views", "1", "0"] in rows
