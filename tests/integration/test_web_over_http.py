"""The whole product as a newcomer meets it: the real server, a real database, real HTTP."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest

from support.browser import Browser
from support.polling import eventually
from support.server import cli, running_server

LOCATION = {
    "city": "Mountain View",
    "region_name": "California",
    "country_code": "US",
    "country_name": "United States",
    "zip_code": "94043",
    "latitude": 37.42,
    "longitude": -122.08,
}


class _GeodataHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"ip": self.path.rsplit("/", 1)[-1], **LOCATION}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def geodata_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GeodataHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/json/{{ip}}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def server(database_url: str, geodata_url: str, tmp_path: Path) -> Iterator[str]:
    with running_server(
        {
            "TRACKING_DATA_DIR": str(tmp_path / "data"),
            "TRACKING_DATABASE_URL": database_url,
            "TRACKING_GEODATA_URL": geodata_url,
        }
    ) as base:
        yield base


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def test_a_newcomer_registers_adds_a_site_fires_the_beacon_and_sees_the_visit(
    server: str, tmp_path: Path
) -> None:
    with httpx2.Client(base_url=server) as client:
        browser = Browser(client)  # type: ignore[arg-type]
        browser.register("ada@example.com")
        site_id = browser.add_site("https://example.com")
        code_page = client.get(f"/sites/{site_id}/settings").text
        assert f"/sites/{site_id}/visit.gif" in code_page

        beacon = client.get(
            f"/sites/{site_id}/visit",
            params={"url": "https://example.com/hello", "event": "signup"},
            # The test talks from 127.0.0.1, a trusted proxy by default, on behalf of 8.8.8.8.
            headers={"user-agent": FIREFOX, "x-forwarded-for": "8.8.8.8"},
        )
        assert beacon.status_code == 204
        assert beacon.content == b""
        # A bot is answered the same, and not recorded.
        bot = client.get(
            f"/sites/{site_id}/visit",
            params={"url": "https://example.com/bot"},
            headers={"user-agent": "curl/8.0", "x-forwarded-for": "8.8.4.4"},
        )
        assert bot.status_code == 204

        page = client.get(f"/sites/{site_id}/visits").text
        assert "https://example.com/hello" in page
        assert "signup" in page
        assert "Firefox 140" in page
        assert FIREFOX not in page  # the user agent itself is not kept
        assert "/bot" not in page
        # The location is looked up in the background, after the visit is stored; then the
        # address is cut to its network.
        located = "Mountain View, California, United States"
        eventually(lambda: located in client.get(f"/sites/{site_id}/visits").text)
        page = client.get(f"/sites/{site_id}/visits").text
        assert "8.8.8.0" in page
        assert "8.8.8.8" not in page
        # The dashboard counts the visit, in the country its address turned out to be in.
        dashboard = client.get(f"/sites/{site_id}", params={"range": "today"}).text
        assert "United States" in dashboard
        assert ">signup</a>" in dashboard

    key = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_wrong_host_header_and_an_unknown_site_get_their_statuses(server: str) -> None:
    assert httpx2.get(server + "/", headers={"host": "evil.example"}).status_code == 400
    response = httpx2.get(server + "/sites/999/visit", params={"url": "https://example.com/"})
    assert response.status_code == 404
    assert response.json() == {"errors": {"site": ["No such site: 999"]}}


def test_migrate_creates_the_sqlite_database_in_the_data_folder(tmp_path: Path) -> None:
    env = {**os.environ, "TRACKING_DATA_DIR": str(tmp_path / "data")}
    env.pop("TRACKING_DATABASE_URL", None)
    result = subprocess.run(cli("migrate"), env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "tracking.db").exists()
