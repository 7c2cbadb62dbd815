"""What a page sends to the beacon, seen from the browser's network stack."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from playwright.sync_api import Page, Request

_BEACON = re.compile(r"/sites/\d+/visit(\.gif)?(\?|$)")


class BeaconLog:
    """Every request a page makes to a beacon URL, and when each one ended."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sent: list[Request] = []
        self.ended: list[Request] = []
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_end)
        page.on("requestfailed", self._on_end)

    def _on_request(self, request: Request) -> None:
        if _BEACON.search(request.url):
            self.sent.append(request)

    def _on_end(self, request: Request) -> None:
        if _BEACON.search(request.url):
            self.ended.append(request)

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON objects the script POSTed, in the order it sent them."""
        return [json.loads(r.post_data or "{}") for r in self.sent if r.method == "POST"]

    def wait_until_answered(self, count: int, *, timeout: float = 10) -> list[int]:
        """Wait for ``count`` beacon requests to end; returns their statuses (0: no response)."""
        deadline = time.monotonic() + timeout
        while (len(self.ended) < count or len(self.ended) < len(self.sent)) and (
            time.monotonic() < deadline
        ):
            self.page.wait_for_timeout(50)
        statuses = []
        for request in self.ended:
            response = request.response()
            statuses.append(response.status if response else 0)
        return statuses
