"""A person's first visit to the app: sign up, log in, add a site, copy its tracking code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, expect

from support.console import watch_errors
from support.owner import Owner


def test_a_person_signs_up_logs_in_adds_a_site_and_copies_its_snippet(
    new_context: Callable[..., BrowserContext], app: str, artifacts: Path
) -> None:
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors = watch_errors(page)
    owner = Owner(page, app)

    owner.register()
    owner.log_out()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    owner.log_in()
    site_id = owner.add_site("https://shop.example")
    page.get_by_role("link", name="https://shop.example", exact=True).click()
    page.wait_for_url(f"{app}/sites/{site_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("https://shop.example")
    expect(page.get_by_role("heading", name="Visitors and page views")).to_be_visible()
    page.get_by_role("link", name="Tracking code & settings").click()
    page.wait_for_url(f"{app}/sites/{site_id}/settings")

    snippet = page.get_by_label("Tracking code").input_value()
    assert snippet.startswith(f'<script defer src="{app}/js/site.js?v=')
    assert f'data-site="{site_id}" data-api="{app}"></script>' in snippet
    assert f'<noscript><img src="{app}/sites/{site_id}/visit.gif"' in snippet

    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == snippet

    page.screenshot(path=artifacts / "site-settings.png", full_page=True)
    assert errors == []
