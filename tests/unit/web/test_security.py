from __future__ import annotations

from starlette.routing import Route
from starlette.testclient import TestClient

from entrypoints.bootstrap import Services
from support.browser import Browser

BEACON = "/sites/{site_id:int}/visit"


def test_every_state_changing_route_but_the_beacon_refuses_a_missing_csrf_token(
    browser: Browser, services: Services
) -> None:
    browser.register()
    site_id = browser.add_site()
    users_before = len(services.sites.list_for_owner(1)), services.users.get(1)
    routes = [
        route
        for route in browser.client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and "POST" in (route.methods or ()) and route.path != BEACON
    ]
    assert {route.path for route in routes} >= {"/register/", "/login/", "/logout/", "/sites"}
    for route in routes:
        path = route.path.replace("{site_id:int}", str(site_id))
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
            response = browser.client.post(
                path, data={**data, "base_url": "https://x.example", "name": "Mallory"}
            )
            assert response.status_code == 403, (path, data)
    assert (len(services.sites.list_for_owner(1)), services.users.get(1)) == users_before


def test_a_csrf_token_from_another_session_is_refused(
    browser: Browser, other_browser: Browser
) -> None:
    browser.register("ada@example.com")
    other_browser.register("grace@example.com")
    stolen = other_browser.csrf("/sites")
    response = browser.client.post(
        "/sites", data={"base_url": "https://x.example", "csrf_token": stolen}
    )
    assert response.status_code == 403


def test_a_body_over_64_kib_is_refused_with_413(browser: Browser) -> None:
    browser.register()
    site_id = browser.add_site()
    big = "https://example.com/?" + "a" * (65 * 1024)
    response = browser.client.post(f"/sites/{site_id}/visit", data={"url": big})
    assert response.status_code == 413


def test_a_streamed_body_over_64_kib_is_refused_with_413(client: TestClient) -> None:
    def chunks() -> object:
        for _ in range(80):
            yield b"a" * 1024

    response = client.post(
        "/sites/1/visit",
        content=chunks(),  # type: ignore[arg-type]
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_an_unknown_host_header_is_refused(client: TestClient) -> None:
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400


def test_html_pages_carry_the_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_error_pages_carry_their_real_status(client: TestClient) -> None:
    assert client.get("/no/such/page").status_code == 404
    assert client.put("/sites").status_code == 405
    assert "<h1>404" in client.get("/no/such/page").text


def test_the_layout_title_feeds_both_title_and_heading(client: TestClient) -> None:
    page = client.get("/login/").text
    assert "<title>Log in · Tracking</title>" in page
    assert "<h1>Log in</h1>" in page


def test_the_stylesheet_is_served_locally(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/static/style.css"' in page
    assert "http" not in page.split('rel="stylesheet"')[1].split(">")[0]
    assert client.get("/static/style.css").status_code == 200
