from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from adapters.memory import StaticGeodata
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from support.browser import Browser
from support.polling import eventually
from tracking_core.entities import Location


@pytest.fixture
def site_id(browser: Browser) -> int:
    browser.register()
    return browser.add_site()


def _only_visit(services: Services, site_id: int) -> object:
    visits = services.visits.list_for_site(site_id, offset=0, limit=10)
    assert len(visits) == 1
    return visits[0]


def test_a_get_beacon_records_the_visit_and_answers_204(
    client: TestClient, services: Services, site_id: int
) -> None:
    response = client.get(
        f"/sites/{site_id}/visit",
        params={"url": "https://example.com/a", "event": "signup"},
        headers={"user-agent": "Mozilla/5.0 Firefox/140.0", "origin": "https://example.com"},
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    visit = services.visits.list_for_site(site_id, offset=0, limit=1)[0]
    assert (visit.url, visit.event, visit.browser, visit.browser_version) == (
        "https://example.com/a",
        "signup",
        "Firefox",
        "140",
    )
    assert visit.ip_address == "203.0.113.0"  # not looked up (not global): cut at once


def test_a_post_beacon_reads_the_form_body(
    client: TestClient, services: Services, site_id: int
) -> None:
    response = client.post(f"/sites/{site_id}/visit", data={"url": "https://example.com/b"})
    assert response.status_code == 204
    assert services.visits.list_for_site(site_id, offset=0, limit=1)[0].url == (
        "https://example.com/b"
    )


def test_the_referer_header_is_the_page_when_no_url_is_given(
    client: TestClient, services: Services, site_id: int
) -> None:
    response = client.get(
        f"/sites/{site_id}/visit", headers={"referer": "https://example.com/from-header"}
    )
    assert response.status_code == 204
    visit = services.visits.list_for_site(site_id, offset=0, limit=1)[0]
    assert visit.url == "https://example.com/from-header"
    assert visit.event == "pageview"


def test_a_beacon_without_a_url_is_a_400_naming_the_url(
    client: TestClient, services: Services, site_id: int
) -> None:
    response = client.get(f"/sites/{site_id}/visit")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["url"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert services.visits.count_for_site(site_id) == 0


def test_invalid_fields_are_all_reported(client: TestClient, site_id: int) -> None:
    response = client.get(
        f"/sites/{site_id}/visit", params={"url": "javascript:alert(1)", "event": "x" * 101}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"url", "event"}


def test_an_unknown_site_is_a_json_404(client: TestClient) -> None:
    response = client.get("/sites/4242/visit", params={"url": "https://example.com/"})
    assert response.status_code == 404
    assert response.json() == {"errors": {"site": ["No such site: 4242"]}}


def test_a_post_body_cannot_forge_server_derived_fields(
    client: TestClient, services: Services, site_id: int
) -> None:
    response = client.post(
        f"/sites/{site_id}/visit",
        data={
            "url": "https://example.com/c",
            "site_id": "999",
            "browser": "forged",
            "ip_address": "1.2.3.4",
            "created_at": "2000-01-01",
        },
        headers={"user-agent": "Real/1.0"},
    )
    assert response.status_code == 204
    visit = services.visits.list_for_site(site_id, offset=0, limit=1)[0]
    assert (visit.site_id, visit.browser, visit.ip_address) == (site_id, "Unknown", "203.0.113.0")
    assert visit.created_at == services.clock.now()


def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    client: TestClient, services: Services, site_id: int
) -> None:
    client.get(
        f"/sites/{site_id}/visit",
        params={"url": "https://example.com/"},
        headers={"x-forwarded-for": "8.8.8.8"},
    )
    assert services.visits.list_for_site(site_id, offset=0, limit=1)[0].ip_address == (
        "203.0.113.0"
    )


@pytest.fixture
def behind_proxy(settings: Settings, services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(settings, services), client=("127.0.0.1", 40000)) as client:
        yield client


def test_forwarded_for_from_a_trusted_proxy_gives_the_client_and_its_location(
    behind_proxy: TestClient, services: Services, geodata: StaticGeodata, site_id: int
) -> None:
    geodata.known["2001:db8::1"] = Location(city="Nowhere")  # documentation range: not global
    geodata.known["9.9.9.9"] = Location(city="Berkeley", country_code="US")
    response = behind_proxy.get(
        f"/sites/{site_id}/visit",
        params={"url": "https://example.com/"},
        headers={"x-forwarded-for": "6.6.6.6, 9.9.9.9"},
    )
    assert response.status_code == 204
    assert services.visits.list_for_site(site_id, offset=0, limit=1)[0].ip_address in (
        "9.9.9.9",  # whole while its location is looked up...
        "9.9.9.0",  # ...which may be done already
    )
    # The location is looked up after the visit is stored, off the beacon's path.
    located = eventually(
        lambda: services.visits.list_for_site(site_id, offset=0, limit=1)[0].location
    )
    assert located == Location(city="Berkeley", country_code="US")
    assert services.visits.list_for_site(site_id, offset=0, limit=1)[0].ip_address == "9.9.9.0"


def test_junk_forwarded_for_never_breaks_the_beacon(
    behind_proxy: TestClient, services: Services, site_id: int
) -> None:
    for junk in ("", "not-an-ip", "::::", "[", "1.2.3.4.5", "\u00e9", "2001:db8::1%eth0"):
        response = behind_proxy.get(
            f"/sites/{site_id}/visit",
            params={"url": "https://example.com/"},
            headers=[(b"x-forwarded-for", junk.encode("utf-8"))],
        )
        assert response.status_code == 204, junk


def test_a_failing_lookup_stores_no_location(
    client: TestClient, services: Services, site_id: int
) -> None:
    client.get(f"/sites/{site_id}/visit", params={"url": "https://example.com/"})
    assert services.visits.list_for_site(site_id, offset=0, limit=1)[0].location is None


def test_the_beacon_answers_a_cors_preflight(client: TestClient, site_id: int) -> None:
    response = client.options(
        f"/sites/{site_id}/visit",
        headers={"origin": "https://example.com", "access-control-request-method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


def test_the_beacon_needs_no_csrf_token_and_no_login(
    client: TestClient, services: Services, site_id: int
) -> None:
    client.cookies.clear()
    response = client.post(f"/sites/{site_id}/visit", data={"url": "https://example.com/"})
    assert response.status_code == 204


def test_a_text_plain_json_body_like_send_beacon_sends_is_recorded(
    client: TestClient, services: Services, site_id: int
) -> None:
    body = {
        "url": "https://example.com/pricing",
        "referrer": "https://search.example/?q=x",
        "event": "Purchase",
        "width": 1280,
        "props": {"plan": "pro", "amount": 9, "trial": False},
    }
    response = client.post(
        f"/sites/{site_id}/visit",
        content=json.dumps(body),
        headers={"content-type": "text/plain;charset=UTF-8"},
    )
    assert response.status_code == 204, response.text
    visit = services.visits.list_for_site(site_id, offset=0, limit=1)[0]
    assert (visit.url, visit.referrer, visit.event, visit.screen_width) == (
        "https://example.com/pricing",
        "https://search.example/?q=x",
        "Purchase",
        1280,
    )
    assert visit.props == {"plan": "pro", "amount": "9", "trial": "false"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "body"),
        ("[1, 2]", "body"),
        ('{"url": 5}', "url"),
        ('{"url": "https://example.com/", "width": "wide"}', "width"),
        ('{"url": "https://example.com/", "props": [1]}', "props"),
        ('{"url": "https://example.com/", "props": {"a": {"nested": 1}}}', "props"),
        (
            json.dumps({"url": "https://example.com/", "props": {str(i): i for i in range(11)}}),
            "props",
        ),
        (json.dumps({"url": "https://example.com/", "props": {"k": "v" * 201}}), "props"),
    ],
)
def test_a_bad_json_body_is_a_400_naming_the_field(
    client: TestClient, services: Services, site_id: int, body: str, field: str
) -> None:
    response = client.post(
        f"/sites/{site_id}/visit", content=body, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert services.visits.count_for_site(site_id) == 0


def test_the_pixel_answers_a_transparent_gif_that_is_never_cached(
    client: TestClient, services: Services, site_id: int
) -> None:
    response = client.get(
        f"/sites/{site_id}/visit.gif", headers={"referer": "https://example.com/no-js"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-store" in response.headers["cache-control"]
    assert services.visits.list_for_site(site_id, offset=0, limit=1)[0].url == (
        "https://example.com/no-js"
    )


def test_a_pixel_for_an_unknown_site_is_a_404(client: TestClient) -> None:
    response = client.get("/sites/4242/visit.gif", params={"url": "https://example.com/"})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"
