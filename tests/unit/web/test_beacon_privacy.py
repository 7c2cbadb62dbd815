"""The beacon records nobody who asked not to be, no prefetch and no bot, and answers all of
them as usual (so a page cannot tell)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from support.browser import Browser

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
PAGE = {"url": "https://example.com/a"}


@pytest.fixture
def site_id(browser: Browser) -> int:
    browser.register()
    return browser.add_site()


def _stored(services: Services, site_id: int) -> int:
    return services.visits.count_for_site(site_id)


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_do_not_track_and_global_privacy_control_store_nothing(
    client: TestClient, services: Services, site_id: int, header: dict[str, str]
) -> None:
    answered = client.get(f"/sites/{site_id}/visit", params=PAGE, headers=header)
    pixel = client.get(f"/sites/{site_id}/visit.gif", params=PAGE, headers=header)
    posted = client.post(
        f"/sites/{site_id}/visit",
        content='{"url": "https://example.com/b"}',
        headers={**header, "content-type": "text/plain"},
    )

    assert (answered.status_code, posted.status_code) == (204, 204)
    assert (pixel.status_code, pixel.headers["content-type"]) == (200, "image/gif")
    assert _stored(services, site_id) == 0


@pytest.mark.parametrize("header", [{"DNT": "0"}, {"Sec-GPC": "0"}, {}])
def test_a_browser_that_does_not_object_is_recorded(
    client: TestClient, services: Services, site_id: int, header: dict[str, str]
) -> None:
    assert client.get(f"/sites/{site_id}/visit", params=PAGE, headers=header).status_code == 204
    assert _stored(services, site_id) == 1


def test_a_site_that_turned_do_not_track_off_records_such_visits(
    browser: Browser, services: Services, site_id: int
) -> None:
    saved = browser.submit(f"/sites/{site_id}/settings", {"timezone": "UTC", "keep_full_ip": "on"})
    assert saved.status_code == 303

    response = browser.client.get(f"/sites/{site_id}/visit", params=PAGE, headers={"DNT": "1"})

    assert response.status_code == 204
    [visit] = services.visits.list_for_site(site_id, offset=0, limit=5)
    assert visit.ip_address == "203.0.113.7"  # and the full address is kept, as chosen


@pytest.mark.parametrize(
    "header",
    [
        {"Sec-Purpose": "prefetch"},
        {"Sec-Purpose": "prefetch;prerender"},
        {"Purpose": "prefetch"},
        {"X-Moz": "prefetch"},
        {"X-Purpose": "preview"},
    ],
)
def test_a_prefetch_or_prerender_is_no_page_view(
    client: TestClient, services: Services, site_id: int, header: dict[str, str]
) -> None:
    assert client.get(f"/sites/{site_id}/visit", params=PAGE, headers=header).status_code == 204
    assert _stored(services, site_id) == 0


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/140.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.32.3",
    ],
)
def test_a_bot_is_answered_as_usual_and_not_stored(
    client: TestClient, services: Services, site_id: int, agent: str
) -> None:
    response = client.get(f"/sites/{site_id}/visit", params=PAGE, headers={"user-agent": agent})

    assert response.status_code == 204
    assert _stored(services, site_id) == 0


def test_filtered_bots_are_counted_per_day(settings: Settings, services: Services) -> None:
    with TestClient(create_app(settings, services)) as client:
        browser = Browser(client)
        browser.register()
        site_id = browser.add_site()
        for _ in range(3):
            client.get(f"/sites/{site_id}/visit", params=PAGE, headers={"user-agent": "curl/8"})
        client.get(f"/sites/{site_id}/visit", params=PAGE, headers={"user-agent": FIREFOX})
    # Counted in memory, stored every few seconds and when the server stops.

    store = services.visits.store  # type: ignore[attr-defined]
    assert store.bot_counts == {(site_id, services.clock.now().date()): 3}
    assert _stored(services, site_id) == 1


def test_one_browser_is_one_visitor_and_the_user_agent_is_not_kept(
    client: TestClient, services: Services, site_id: int
) -> None:
    for path in ("/a", "/b"):
        client.get(
            f"/sites/{site_id}/visit",
            params={"url": f"https://example.com{path}"},
            headers={"user-agent": FIREFOX},
        )
    client.get(f"/sites/{site_id}/visit", params=PAGE, headers={"user-agent": "Other/1.0"})

    visits = services.visits.list_for_site(site_id, offset=0, limit=5)
    ids = [visit.visitor_id for visit in visits]
    assert None not in ids
    assert len(set(ids)) == 2
    assert all(FIREFOX not in repr(visit) for visit in visits)
    assert {(v.browser, v.browser_version, v.os) for v in visits} >= {("Firefox", "140", "Linux")}
