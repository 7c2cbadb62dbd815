"""What went wrong inside a page: console errors (CSP violations among them) and exceptions."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page


def watch_errors(page: Page) -> list[str]:
    """A list that fills with every console error and uncaught exception ``page`` reports."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors
