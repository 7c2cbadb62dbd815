"""The tracking script on a page of the owner's own site (another origin), in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from adapters.sql.engine import make_engine
from adapters.sql.repositories import SqlVisitRepository
from support.beacons import BeaconLog
from support.console import watch_errors
from support.other_origin import Website, allowing_localhost, page_with_snippet
from support.owner import Owner

SIGNUP_BUTTON = (
    '<button type="button" data-tracking-event="Signup" data-tracking-prop-plan="free">'
    "<span>Sign up</span></button>"
)


@pytest.fixture
def site_id(owner: Owner, website: Website) -> int:
    return owner.add_site(website.origin)


@pytest.fixture
def visitor(new_context: Callable[..., BrowserContext]) -> Page:
    """Someone reading the owner's site, in a browser of their own."""
    return new_context().new_page()


def _publish(owner: Owner, website: Website, site_id: int, path: str, body: str = "") -> str:
    return website.publish(path, page_with_snippet(owner.snippet(site_id), body))


def _wait_for_script(page: Page) -> None:
    page.wait_for_function("window.tracking && window.tracking.on === 1")


def test_page_views_and_events_from_another_origin_are_recorded_exactly_once(
    owner: Owner,
    website: Website,
    site_id: int,
    visitor: Page,
    database_url: str,
    artifacts: Path,
) -> None:
    shop = _publish(owner, website, site_id, "/shop?from=ad", SIGNUP_BUTTON)
    beacons = BeaconLog(visitor)
    errors = watch_errors(visitor)

    visitor.goto(shop, referer="https://news.example/story")
    _wait_for_script(visitor)
    visitor.evaluate("history.pushState({}, '', '/pricing')")
    visitor.evaluate("history.replaceState({step: 2}, '', '/pricing')")  # the same URL again
    visitor.evaluate("history.pushState({}, '', '/pricing#faq')")  # only the hash changes
    visitor.evaluate("history.pushState({}, '', '/checkout')")
    visitor.get_by_text("Sign up").click()  # on the button's child: found with closest()
    visitor.evaluate("tracking.event('Purchase', {plan: 'pro', amount: 9})")

    assert beacons.wait_until_answered(5) == [204] * 5
    sent = beacons.bodies()
    origin = website.origin
    assert [(body["url"], body.get("event")) for body in sent] == [
        (f"{origin}/shop?from=ad", None),
        (f"{origin}/pricing", None),
        (f"{origin}/checkout", None),
        (f"{origin}/checkout", "Signup"),
        (f"{origin}/checkout", "Purchase"),
    ]
    assert sent[3]["props"] == {"plan": "free"}
    assert sent[4]["props"] == {"plan": "pro", "amount": 9}
    assert {body["referrer"] for body in sent} == {"https://news.example/story"}
    assert all(isinstance(body["width"], int) and body["width"] > 0 for body in sent)
    for request in beacons.sent:  # a CORS simple request: no preflight was needed
        assert request.headers["content-type"] == "text/plain;charset=UTF-8"

    rows = owner.wait_for_visits(site_id, 5)
    assert sorted((row["URL"], row["Event"]) for row in rows) == sorted(
        [
            (f"{origin}/shop?from=ad", "pageview"),
            (f"{origin}/pricing", "pageview"),
            (f"{origin}/checkout", "pageview"),
            (f"{origin}/checkout", "Signup"),
            (f"{origin}/checkout", "Purchase"),
        ]
    )
    # The dashboard counts exactly those: three page views in one visit, two events.
    owner.open_site(site_id)
    dashboard = owner.page
    dashboard.get_by_role("link", name="Today", exact=True).click()
    dashboard.wait_for_load_state("load")
    metrics = dashboard.eval_on_selector_all(
        ".metric",
        "els => els.map(e => [e.querySelector('.metric-label').textContent.trim(),"
        " e.querySelector('.metric-value').textContent.trim()])",
    )
    assert dict(metrics)["Page views"] == "3"
    assert dict(metrics)["Visits"] == "1"
    events = dashboard.eval_on_selector_all(
        "#panel-event ~ table tbody tr", "rows => rows.map(r => r.cells[0].textContent.trim())"
    )
    assert sorted(events) == ["Purchase", "Signup"]
    dashboard.screenshot(path=artifacts / "dashboard-with-visits.png", full_page=True)

    engine = make_engine(database_url)
    try:
        stored = SqlVisitRepository(engine).list_for_site(site_id, offset=0, limit=10)
    finally:
        engine.dispose()
    props = {visit.event: visit.props for visit in stored}
    assert props["Signup"] == {"plan": "free"}
    assert props["Purchase"] == {"plan": "pro", "amount": "9"}
    assert errors == []


def test_back_and_forward_count_as_page_views_but_hash_changes_do_not(
    owner: Owner, website: Website, site_id: int, visitor: Page
) -> None:
    start = _publish(owner, website, site_id, "/start")
    beacons = BeaconLog(visitor)
    visitor.goto(start)
    _wait_for_script(visitor)
    visitor.evaluate("history.pushState({}, '', '/next')")
    visitor.evaluate("location.hash = 'section-2'")
    visitor.go_back()  # the hash goes: same page
    visitor.go_back()  # back to /start: a page view
    visitor.go_forward()  # /next again: a page view
    visitor.wait_for_url(f"{website.origin}/next")

    assert beacons.wait_until_answered(4) == [204] * 4
    paths = [body["url"].removeprefix(website.origin) for body in beacons.bodies()]
    assert paths == ["/start", "/next", "/start", "/next"]


@pytest.mark.parametrize(
    "privacy_signal",
    [
        "Object.defineProperty(navigator, 'doNotTrack', {get: () => '1'})",
        "Object.defineProperty(window, 'doNotTrack', {get: () => '1'})",
        "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})",
    ],
    ids=["navigator.doNotTrack", "window.doNotTrack", "globalPrivacyControl"],
)
def test_nothing_is_sent_when_the_visitor_asks_not_to_be_tracked(
    owner: Owner,
    website: Website,
    site_id: int,
    new_context: Callable[..., BrowserContext],
    privacy_signal: str,
) -> None:
    page_url = _publish(owner, website, site_id, "/private", SIGNUP_BUTTON)
    context = new_context()
    context.add_init_script(privacy_signal)
    private = context.new_page()
    beacons = BeaconLog(private)
    errors = watch_errors(private)

    private.goto(page_url)
    private.wait_for_load_state("load")  # the deferred script has run by now
    assert private.evaluate("typeof tracking.event") == "function"  # safe to call regardless
    private.evaluate("tracking.event('Purchase', {plan: 'pro'})")
    private.evaluate("history.pushState({}, '', '/elsewhere')")
    private.get_by_text("Sign up").click()

    # A visitor who sends no signal is counted: once their visit shows, the other never will.
    control = new_context().new_page()
    control_beacons = BeaconLog(control)
    control.goto(page_url)
    assert control_beacons.wait_until_answered(1) == [204]
    rows = owner.wait_for_visits(site_id, 1)
    assert len(rows) == 1
    assert beacons.sent == []
    assert errors == []


def test_the_noscript_pixel_records_a_visit_when_javascript_is_off(
    owner: Owner, website: Website, site_id: int, new_context: Callable[..., BrowserContext]
) -> None:
    page_url = _publish(owner, website, site_id, "/no-js")
    reader = new_context(java_script_enabled=False).new_page()
    beacons = BeaconLog(reader)
    reader.goto(page_url)

    assert beacons.wait_until_answered(1) == [200]
    response = beacons.sent[0].response()
    assert response is not None
    assert response.headers["content-type"] == "image/gif"
    assert "no-cache" in response.headers["cache-control"]
    rows = owner.wait_for_visits(site_id, 1)
    assert [(row["URL"], row["Event"]) for row in rows] == [(f"{website.origin}/no-js", "pageview")]


def test_a_prerendered_page_is_counted_only_once_it_is_shown(
    owner: Owner, website: Website, site_id: int, new_context: Callable[..., BrowserContext]
) -> None:
    page_url = _publish(owner, website, site_id, "/prerendered")
    context = new_context()
    # What a browser that prerenders a link shows the page until the person opens it.
    context.add_init_script(
        """
        let prerendering = true;
        Object.defineProperty(document, "prerendering", {get: () => prerendering});
        window.__show = () => {
          prerendering = false;
          document.dispatchEvent(new Event("prerenderingchange"));
        };
        """
    )
    page = context.new_page()
    beacons = BeaconLog(page)
    page.goto(page_url)
    _wait_for_script(page)
    page.evaluate("history.pushState({}, '', '/prerendered?tab=2')")
    assert beacons.sent == []

    page.evaluate("window.__show()")
    assert beacons.wait_until_answered(1) == [204]
    assert [body["url"] for body in beacons.bodies()] == [f"{website.origin}/prerendered?tab=2"]


def test_the_script_stays_quiet_on_localhost_unless_allowed_and_never_throws(
    owner: Owner, website: Website, site_id: int, visitor: Page
) -> None:
    snippet = owner.snippet(site_id)
    # Host code calling the API unconditionally, after the snippet: deferred scripts run in order.
    call = "<script defer src='/call.js'></script>"
    website.publish("/call.js", "tracking.event('Early', {a: 1}); window.__called = true;")
    cases = {
        "/as-pasted": snippet,  # no data-allow-localhost: a developer's own machine
        "/no-site": snippet.replace("data-site=", "data-nothing="),
        "/no-attributes": f"<script defer src='{owner.app}/js/site.js'></script>",
    }
    beacons = BeaconLog(visitor)
    errors = watch_errors(visitor)
    for path, markup in cases.items():
        website.publish(path, f'<!doctype html><link rel="icon" href="data:,">{markup}\n{call}')
        visitor.goto(website.origin + path)
        visitor.wait_for_load_state("load")
        assert visitor.evaluate("window.__called") is True, path
        visitor.evaluate("tracking.event('Later', {b: 2})")

    doubled = page_with_snippet(snippet, body=allowing_localhost(snippet))
    visitor.goto(website.publish("/pasted-twice", doubled))
    _wait_for_script(visitor)
    visitor.evaluate("history.pushState({}, '', '/pasted-twice/next')")
    assert beacons.wait_until_answered(2) == [204, 204]
    assert [body["url"] for body in beacons.bodies()] == [
        f"{website.origin}/pasted-twice",
        f"{website.origin}/pasted-twice/next",
    ]
    assert errors == []
