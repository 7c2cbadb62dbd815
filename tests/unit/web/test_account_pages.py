from __future__ import annotations

import base64
import json

from starlette.testclient import TestClient

from entrypoints.bootstrap import Services
from support.browser import Browser


def test_home_welcomes_strangers(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Create an account" in response.text


def test_home_sends_a_logged_in_user_to_their_sites(browser: Browser) -> None:
    browser.register()
    response = browser.client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sites"


def test_registering_logs_the_new_user_in(browser: Browser) -> None:
    browser.register("grace@example.com")
    page = browser.client.get("/sites")
    assert page.status_code == 200
    assert "Log out" in page.text


def test_registering_a_taken_email_shows_the_form_again_with_an_error(
    browser: Browser, other_browser: Browser
) -> None:
    browser.register("taken@example.com")
    response = other_browser.submit(
        "/register/", {"name": "", "email": "TAKEN@example.com", "password": "long enough"}
    )
    assert response.status_code == 422
    assert "An account with this email already exists." in response.text
    assert 'value="TAKEN@example.com"' in response.text


def test_registration_errors_never_echo_the_password(browser: Browser) -> None:
    response = browser.submit("/register/", {"email": "bad", "password": "s3cret-ish"})
    assert response.status_code == 422
    assert "s3cret-ish" not in response.text


def test_password_fields_are_password_inputs(client: TestClient) -> None:
    for path in ("/register/", "/login/"):
        assert 'name="password" type="password"' in client.get(path).text


def test_login_goes_to_a_local_next_path(browser: Browser, other_browser: Browser) -> None:
    browser.register("ada@example.com")
    token = other_browser.csrf("/login/?next=/sites/1")
    response = other_browser.client.post(
        "/login/?next=/sites/1",
        data={"email": "ada@example.com", "password": "correct horse", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/sites/1"


def test_login_ignores_a_next_that_leaves_the_site(
    browser: Browser, other_browser: Browser
) -> None:
    browser.register("ada@example.com")
    for target in ("https://evil.example", "//evil.example", "/\\evil.example", "/\t/evil.example"):
        response = other_browser.submit(
            "/login/",
            {"email": "ada@example.com", "password": "correct horse", "next": target},
        )
        assert response.headers["location"] == "/sites", target
        other_browser.logout()


def test_login_failure_says_the_same_for_unknown_email_and_wrong_password(
    browser: Browser, other_browser: Browser
) -> None:
    browser.register("ada@example.com")
    wrong_password = other_browser.login("ada@example.com", "not the password")
    unknown_email = other_browser.login("nobody@example.com", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 422
    assert "Invalid email or password" in wrong_password.text
    assert "Invalid email or password" in unknown_email.text


def test_logout_needs_a_post_with_a_csrf_token(browser: Browser) -> None:
    browser.register()
    assert browser.client.get("/logout/").status_code == 405
    assert browser.client.post("/logout/").status_code == 403
    assert browser.client.get("/sites", follow_redirects=False).status_code == 200


def test_a_cookie_copied_before_logout_is_anonymous_after_it(browser: Browser) -> None:
    browser.register()
    copied = dict(browser.client.cookies)
    assert browser.logout().status_code == 303
    browser.client.cookies.clear()
    browser.client.cookies.update(copied)
    response = browser.client.get("/sites", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login/")


def test_the_session_cookie_holds_no_email_or_password_hash(browser: Browser) -> None:
    browser.register("ada@example.com", "correct horse")
    cookie = browser.client.cookies["tracking"]
    payload = base64.b64decode(cookie.split(".")[0] + "==").decode()
    session = json.loads(payload)
    assert "ada@example.com" not in payload
    assert "correct horse" not in payload
    assert set(session) <= {"auth", "csrf", "flashes"}


def test_the_session_cookie_is_http_only_and_same_site_lax(client: TestClient) -> None:
    response = client.get("/register/")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_the_session_cookie_is_secure_over_https(settings: object, services: Services) -> None:
    from entrypoints.settings import Settings
    from entrypoints.web.app import create_app

    assert isinstance(settings, Settings)
    with TestClient(create_app(settings, services), base_url="https://testserver") as client:
        cookie = client.get("/register/").headers["set-cookie"].lower()
    assert "secure" in cookie


def test_a_tampered_cookie_is_anonymous_not_an_error(browser: Browser) -> None:
    browser.register()
    cookie = browser.client.cookies["tracking"]
    browser.client.cookies.clear()
    browser.client.cookies.set("tracking", "x" + cookie[1:])
    response = browser.client.get("/sites", follow_redirects=False)
    assert response.status_code == 303
    assert browser.client.get("/").status_code == 200


def test_changing_the_password_logs_out_other_sessions(
    browser: Browser, other_browser: Browser
) -> None:
    browser.register("ada@example.com", "correct horse")
    assert other_browser.login("ada@example.com").status_code == 303
    response = browser.submit(
        "/account/password",
        {"current_password": "correct horse", "new_password": "battery staple"},
        form_path="/account",
    )
    assert response.status_code == 303
    assert browser.client.get("/account").status_code == 200
    assert other_browser.client.get("/account", follow_redirects=False).status_code == 303
    assert other_browser.login("ada@example.com", "battery staple").status_code == 303


def test_renaming_shows_the_new_name(browser: Browser) -> None:
    browser.register()
    browser.submit("/account/name", {"name": "Countess Lovelace"}, form_path="/account")
    assert "Countess Lovelace" in browser.client.get("/account").text


def test_deleting_the_account_needs_the_password_and_removes_everything(
    browser: Browser, services: Services
) -> None:
    browser.register("ada@example.com")
    browser.add_site()
    refused = browser.submit("/account/delete", {"password": "wrong"}, form_path="/account")
    assert refused.status_code == 422
    deleted = browser.submit("/account/delete", {"password": "correct horse"}, form_path="/account")
    assert deleted.status_code == 303
    assert services.users.get_by_email("ada@example.com") is None
    assert browser.client.get("/sites", follow_redirects=False).status_code == 303
