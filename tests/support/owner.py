"""A site owner using the app in a real browser, the way a person would: labels and buttons."""

from __future__ import annotations

import time
import uuid

from playwright.sync_api import Page

PASSWORD = "correct horse battery"

_VISIT_ROWS = """() => {
  const table = [...document.querySelectorAll("table")].find(
    (t) => [...t.querySelectorAll("thead th")].some((th) => th.textContent.trim() === "URL"));
  if (!table) return [];
  const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  return [...table.querySelectorAll("tbody tr")].map((tr) =>
    Object.fromEntries([...tr.cells].map((td, i) => [heads[i], td.textContent.trim()])));
}"""


class Owner:
    def __init__(self, page: Page, app: str) -> None:
        self.page = page
        self.app = app
        #: Unique, so tests can share a server without sharing an account.
        self.email = f"ada-{uuid.uuid4().hex[:12]}@example.com"

    def register(self) -> None:
        self.page.goto(self.app + "/register/")
        self.page.get_by_label("Name (optional)").fill("Ada")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password (at least 8 characters)").fill(PASSWORD)
        self.page.get_by_role("button", name="Create account").click()
        self.page.wait_for_url(self.app + "/sites")

    def log_out(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        self.page.wait_for_url(self.app + "/")

    def log_in(self) -> None:
        self.page.goto(self.app + "/login/")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(self.app + "/sites")

    def add_site(self, base_url: str) -> int:
        """Add the site from the sites page; returns its id, read from its link."""
        if self.page.url != self.app + "/sites":
            self.page.goto(self.app + "/sites")
        self.page.get_by_label("Site address (http:// or https://)").fill(base_url)
        self.page.get_by_role("button", name="Add site").click()
        self.page.get_by_role("status").filter(has_text="Added site").wait_for()
        href = self.page.get_by_role("link", name=base_url, exact=True).get_attribute("href")
        assert href is not None
        return int(href.rsplit("/", 1)[1])

    def open_site(self, site_id: int, tab: str = "") -> None:
        """The site's dashboard, or one of its other tabs ("visits", "settings")."""
        self.page.goto(f"{self.app}/sites/{site_id}" + (f"/{tab}" if tab else ""))

    def snippet(self, site_id: int) -> str:
        self.open_site(site_id, "settings")
        return self.page.get_by_label("Tracking code").input_value()

    def visits(self, site_id: int) -> list[dict[str, str]]:
        """The table of the site's visits tab, one dict per row keyed by column heading."""
        self.open_site(site_id, "visits")
        rows: list[dict[str, str]] = self.page.evaluate(_VISIT_ROWS)
        return rows

    def wait_for_visits(
        self, site_id: int, count: int, *, timeout: float = 10
    ) -> list[dict[str, str]]:
        """Reload the visits tab until it lists at least ``count`` visits (or time runs out)."""
        deadline = time.monotonic() + timeout
        rows = self.visits(site_id)
        while len(rows) < count and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            rows = self.visits(site_id)
        return rows
