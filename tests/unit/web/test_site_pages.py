from __future__ import annotations

from starlette.testclient import TestClient

from support.browser import Browser


def test_sites_need_a_login_and_come_back_after_it(client: TestClient) -> None:
    response = client.get("/sites", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/?next=/sites"


def test_a_site_page_redirect_keeps_its_query(client: TestClient) -> None:
    response = client.get("/sites/5?page=2", follow_redirects=False)
    assert response.headers["location"] == "/login/?next=/sites/5%3Fpage%3D2"


def test_adding_a_site_flashes_and_redirects_back(browser: Browser) -> None:
    browser.register()
    response = browser.submit("/sites", {"base_url": "https://example.com"})
    assert response.status_code == 303
    assert response.headers["location"] == "/sites"
    page = browser.client.get("/sites").text
    assert "Added site" in page
    assert "https://example.com" in page
    assert "Added site" not in browser.client.get("/sites").text


def test_adding_a_site_refuses_what_is_not_an_http_url(browser: Browser) -> None:
    browser.register()
    for bad in ("javascript:alert(1)", "ftp://example.com", "example.com", ""):
        response = browser.submit("/sites", {"base_url": bad})
        assert response.status_code == 422, bad
        assert 'class="errors"' in response.text
    assert 'href="/sites/' not in browser.client.get("/sites").text


def test_people_see_only_their_own_sites(browser: Browser, other_browser: Browser) -> None:
    browser.register("ada@example.com")
    site_id = browser.add_site("https://ada.example")
    other_browser.register("grace@example.com")
    other_browser.add_site("https://grace.example")
    listing = other_browser.client.get("/sites").text
    assert "https://grace.example" in listing
    assert "https://ada.example" not in listing
    assert other_browser.client.get(f"/sites/{site_id}").status_code == 404


def test_a_missing_site_is_a_404_page(browser: Browser) -> None:
    browser.register()
    response = browser.client.get("/sites/999")
    assert response.status_code == 404
    assert "<h1>404" in response.text


def test_the_settings_page_shows_the_tracking_snippet(browser: Browser) -> None:
    browser.register()
    site_id = browser.add_site()
    assert f'href="/sites/{site_id}/settings"' in browser.client.get(f"/sites/{site_id}").text
    page = browser.client.get(f"/sites/{site_id}/settings").text
    assert "&lt;script defer src=&#34;http://testserver/js/site.js?v=" in page
    assert f"data-site=&#34;{site_id}&#34; data-api=&#34;http://testserver&#34;" in page
    assert f"&lt;noscript&gt;&lt;img src=&#34;http://testserver/sites/{site_id}/visit.gif" in page


def test_visits_are_listed_newest_first_and_paginated(browser: Browser) -> None:
    browser.register()
    site_id = browser.add_site()
    for number in range(55):
        response = browser.client.get(
            f"/sites/{site_id}/visit", params={"url": f"https://example.com/p{number}"}
        )
        assert response.status_code == 204
    first = browser.client.get(f"/sites/{site_id}/visits").text
    assert "Page 1 of 2" in first
    assert first.count("<tr>") == 51
    second = browser.client.get(f"/sites/{site_id}/visits?page=2").text
    assert second.count("<tr>") == 6
    assert "https://example.com/p0<" in second
    assert browser.client.get(f"/sites/{site_id}/visits?page=junk").status_code == 200


def test_hostile_visit_fields_render_as_text(browser: Browser) -> None:
    browser.register()
    site_id = browser.add_site()
    payload = "<script>window.pwned=1</script>"
    response = browser.client.get(
        f"/sites/{site_id}/visit",
        params={"url": f"https://example.com/?q={payload}", "event": f'"><img src=x>{payload}'},
        headers={"user-agent": f"Mozilla {payload}"},
    )
    assert response.status_code == 204
    for path in (f"/sites/{site_id}/visits", f"/sites/{site_id}?range=today"):
        page = browser.client.get(path).text
        assert payload not in page, path
        assert "<img src=x>" not in page, path
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page, path


def test_the_settings_page_shows_the_sites_settings_to_its_owner_only(
    browser: Browser, other_browser: Browser
) -> None:
    browser.register("ada@example.com")
    site_id = browser.add_site()
    page = browser.client.get(f"/sites/{site_id}/settings").text

    assert '<option value="UTC" selected>' in page
    assert '<option value="Europe/Paris">' in page
    assert 'name="honour_dnt" type="checkbox" checked' in page
    assert 'name="keep_full_ip" type="checkbox">' in page
    other_browser.register("grace@example.com")
    assert other_browser.client.get(f"/sites/{site_id}/settings").status_code == 404
    stolen = other_browser.submit(
        f"/sites/{site_id}/settings",
        {"timezone": "Asia/Tokyo"},
        form_path="/sites",
    )
    assert stolen.status_code == 404
    assert '<option value="UTC" selected>' in browser.client.get(f"/sites/{site_id}/settings").text


def test_saving_settings_keeps_them_and_flashes(browser: Browser) -> None:
    browser.register()
    site_id = browser.add_site()

    response = browser.submit(
        f"/sites/{site_id}/settings", {"timezone": "Europe/Paris", "keep_full_ip": "on"}
    )

    assert response.status_code == 303
    page = browser.client.get(f"/sites/{site_id}/settings").text
    assert "Settings saved" in page
    assert '<option value="Europe/Paris" selected>' in page
    assert 'name="honour_dnt" type="checkbox">' in page  # unticked boxes are sent as nothing
    assert 'name="keep_full_ip" type="checkbox" checked' in page


def test_an_unknown_time_zone_is_refused_with_a_message(browser: Browser) -> None:
    browser.register()
    site_id = browser.add_site()

    response = browser.submit(
        f"/sites/{site_id}/settings", {"timezone": "<script>Mars</script>", "honour_dnt": "on"}
    )

    assert response.status_code == 422
    assert "Pick a time zone from the list" in response.text
    assert "<script>Mars" not in response.text
    assert '<option value="UTC" selected>' in browser.client.get(f"/sites/{site_id}/settings").text


def test_settings_need_a_csrf_token(browser: Browser) -> None:
    browser.register()
    site_id = browser.add_site()

    response = browser.client.post(f"/sites/{site_id}/settings", data={"timezone": "Asia/Tokyo"})

    assert response.status_code == 403
