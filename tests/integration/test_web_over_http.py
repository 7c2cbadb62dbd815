"""The whole product as a newcomer meets it: the real server, a real database, real HTTP."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest

from support.browser import Browser

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *args]


@pytest.fixture
def server(database_url: str, geodata_url: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "TRACKING_DATA_DIR": str(tmp_path / "data"),
        "TRACKING_DATABASE_URL": database_url,
        "TRACKING_PORT": str(port),
        "TRACKING_GEODATA_URL": geodata_url,
    }
    env.pop("TRACKING_SECRET_KEY", None)
    process = subprocess.Popen(
        _cli("serve"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
        assert b"Traceback" not in output, output.decode(errors="replace")


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server exited: {process.stdout.read() if process.stdout else ''!r}"
            )
        try:
            httpx2.get(base + "/", timeout=1)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not start within 30 s")


def test_a_newcomer_registers_adds_a_site_fires_the_beacon_and_sees_the_visit(
    server: str, tmp_path: Path
) -> None:
    with httpx2.Client(base_url=server) as client:
        browser = Browser(client)  # type: ignore[arg-type]
        browser.register("ada@example.com")
        site_id = browser.add_site("https://example.com")
        site_page = client.get(f"/sites/{site_id}").text
        assert f"/sites/{site_id}/visit" in site_page

        beacon = client.get(
            f"/sites/{site_id}/visit",
            params={"url": "https://example.com/hello", "event": "signup"},
            # The test talks from 127.0.0.1, a trusted proxy by default, on behalf of 8.8.8.8.
            headers={"user-agent": "curl/8.0", "x-forwarded-for": "8.8.8.8"},
        )
        assert beacon.status_code == 204
        assert beacon.content == b""

        page = client.get(f"/sites/{site_id}").text
        assert "https://example.com/hello" in page
        assert "signup" in page
        assert "curl/8.0" in page
        assert "8.8.8.8" in page
        assert "Mountain View, California, United States" in page

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
    result = subprocess.run(_cli("migrate"), env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "tracking.db").exists()
