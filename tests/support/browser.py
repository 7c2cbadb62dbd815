"""Test helpers shared across suites."""

from __future__ import annotations

import re

import httpx2
from starlette.testclient import TestClient

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A TestClient with the few gestures a person makes: open a form, fill it, send it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def csrf(self, path: str = "/register/") -> str:
        match = _CSRF.search(self.client.get(path).text)
        assert match, f"no CSRF field on {path}"
        return match.group(1)

    def submit(
        self, path: str, data: dict[str, str], *, form_path: str | None = None
    ) -> httpx2.Response:
        token = self.csrf(form_path or path)
        return self.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)

    def register(self, email: str = "ada@example.com", password: str = "correct horse") -> None:
        response = self.submit("/register/", {"name": "Ada", "email": email, "password": password})
        assert response.status_code == 303, response.text

    def login(self, email: str, password: str = "correct horse") -> httpx2.Response:
        return self.submit("/login/", {"email": email, "password": password})

    def add_site(self, base_url: str = "https://example.com") -> int:
        response = self.submit("/sites", {"base_url": base_url})
        assert response.status_code == 303, response.text
        ids = re.findall(r'href="/sites/(\d+)"', self.client.get("/sites").text)
        return int(ids[-1])

    def logout(self) -> httpx2.Response:
        return self.submit("/logout/", {}, form_path="/sites")
