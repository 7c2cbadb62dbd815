"""Every tracked field is hostile: the dashboard shows injected markup as text, runs none of it."""

from __future__ import annotations

import json

import httpx2

from support.console import watch_errors
from support.owner import Owner

IMG = '"><img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=1</script>"
# URLs may hold no spaces, so the URL payloads are written without any.
URL_IMG = 'https://evil.example/"><img/src=x/onerror=window.__pwned=1>'
URL_SCRIPT = f"https://evil.example/?q={SCRIPT}"
SNIFF_VIOLATIONS = """
  window.__violations = [];
  document.addEventListener("securitypolicyviolation", (e) =>
    window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


def test_injected_urls_referrers_events_and_props_never_run_on_the_dashboard(
    owner: Owner, app: str
) -> None:
    site_id = owner.add_site("https://evil.example")
    beacon = f"{app}/sites/{site_id}/visit"
    hostile_visits = [
        # The tracking script's own form: JSON as text/plain.
        {"url": URL_IMG, "referrer": URL_SCRIPT, "event": IMG, "props": {IMG[:40]: SCRIPT}},
        {"url": URL_SCRIPT, "referrer": URL_IMG, "event": SCRIPT, "props": {"x": IMG}},
    ]
    for visit in hostile_visits:
        response = httpx2.post(
            beacon,
            content=json.dumps(visit),
            headers={"content-type": "text/plain;charset=UTF-8", "user-agent": SCRIPT},
        )
        assert response.status_code == 204, response.text
    # The plain query-string form, as an <img> beacon sends it.
    response = httpx2.get(beacon, params={"url": URL_IMG, "event": SCRIPT, "referrer": URL_IMG})
    assert response.status_code == 204, response.text

    page = owner.page
    page.add_init_script(SNIFF_VIOLATIONS)
    errors = watch_errors(page)
    rows = owner.wait_for_visits(site_id, 3)

    assert {row["Event"] for row in rows} == {IMG, SCRIPT}  # shown, as text
    assert {row["URL"] for row in rows} == {URL_IMG, URL_SCRIPT}
    for shown in ("visits", "dashboard", "dashboard, filtered by the hostile event"):
        if shown == "dashboard":
            owner.open_site(site_id)
            assert page.get_by_role("link", name=SCRIPT, exact=True).count() == 1  # as text
        elif shown.startswith("dashboard, filtered"):
            page.get_by_role("link", name=SCRIPT, exact=True).click()
            page.wait_for_load_state("load")
            assert page.get_by_text("Remove the filter Event").count() == 1
        assert page.evaluate("window.__pwned") is None, shown
        # Escaping, not the CSP, is what stops them: no injected element exists at all...
        assert page.locator("img[src=x]").count() == 0, shown
        scripts = page.eval_on_selector_all("script", "elements => elements.map(e => e.src)")
        assert scripts == [], shown
        # ...so the CSP never had anything to block.
        assert page.evaluate("window.__violations") == [], shown
    assert errors == []
