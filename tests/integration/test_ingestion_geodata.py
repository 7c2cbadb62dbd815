"""A misbehaving geodata service never slows the beacon nor puts junk in the database."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import text

from adapters.sql.engine import make_engine
from support.polling import eventually
from support.tracking_process import ServerProcess, add_site

GOOD = {"city": "Mountain View", "country_code": "US", "latitude": 37.42, "longitude": -122.08}
SLOW_SECONDS = 4.0


class _Misbehaving(BaseHTTPRequestHandler):
    """Answers according to the address asked about: see ``BEHAVIOURS``."""

    def do_GET(self) -> None:
        ip = self.path.rsplit("/", 1)[-1]
        behaviour = BEHAVIOURS.get(ip, "good")
        if behaviour == "slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, json.dumps(GOOD).encode())
        elif behaviour == "html":
            self._send(200, b"<html><body>Service unavailable</body></html>", "text/html")
        elif behaviour == "truncated":
            self._send(200, json.dumps(GOOD).encode()[:20])
        elif behaviour == "wrong-types":
            junk = {"city": 5, "country_code": ["US"], "latitude": "north", "longitude": 1e308}
            self._send(200, json.dumps(junk).encode())
        elif behaviour == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(50 * 16):  # 50 MB, unless the client hangs up first
                    self.wfile.write(chunk)
            except OSError:
                return
        elif behaviour == "redirect":
            self.send_response(302)
            self.send_header("Location", f"/json/{GOOD_IP}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(200, json.dumps(GOOD).encode())

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


GOOD_IP = "8.8.8.8"
BEHAVIOURS = {
    "1.1.1.1": "slow",
    "2.2.2.2": "html",
    "3.3.3.3": "truncated",
    "4.4.4.4": "wrong-types",
    "5.5.5.5": "huge",
    "6.6.6.6": "redirect",
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """The adapter hangs up on slow and oversized answers: broken pipes are expected."""


@pytest.fixture
def geodata_url() -> Iterator[str]:
    server = _QuietServer(("127.0.0.1", 0), _Misbehaving)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/json/{{ip}}"
    server.shutdown()
    server.server_close()


def locations(database_url: str) -> dict[str, tuple[Any, ...]]:
    """Each visit's location by the address it came from (the last part of its page's URL):
    (city, country code, latitude, longitude, pending, attempts, address kept)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT u.value, l.value, s.location_pending, s.location_attempts, "
                    "coalesce(s.ip_address, n.value) "
                    "FROM visits v JOIN visit_sessions s ON s.id = v.session_id "
                    "JOIN strings u ON u.id = v.url_id LEFT JOIN strings l ON l.id = s.location_id "
                    "LEFT JOIN strings n ON n.id = s.network_id"
                )
            )
            found = {}
            for url, location, *rest in rows:
                place = json.loads(location) if location else {}
                where = tuple(
                    place.get(k) for k in ("city", "country_code", "latitude", "longitude")
                )
                found[url.rsplit("/", 1)[-1]] = (*where, *rest)
            return found
    finally:
        engine.dispose()


def test_a_slow_down_or_garbage_geodata_service_never_slows_the_beacon_nor_stores_junk(
    database_url: str, geodata_url: str, tmp_path: Path
) -> None:
    site = add_site(database_url)
    with ServerProcess(
        database_url,
        tmp_path,
        TRACKING_GEODATA_URL=geodata_url,
        TRACKING_FLUSH_MS="0",
    ) as server:
        with httpx2.Client(base_url=server.base, timeout=30) as client:
            for ip in [*BEHAVIOURS, GOOD_IP]:
                started = time.monotonic()
                response = client.get(
                    f"/sites/{site}/visit",
                    params={"url": f"https://example.com/{ip}"},
                    headers={"x-forwarded-for": ip},
                )
                elapsed = time.monotonic() - started
                assert response.status_code == 204, ip
                # Far below the service's own delay and the adapter's 2 s timeout.
                assert elapsed < SLOW_SECONDS / 2, (ip, elapsed)

        eventually(lambda: locations(database_url)[GOOD_IP][0] == "Mountain View", timeout=20)

        # Every bad answer has been seen: a failure counted, or "unknown" for junk fields.
        def all_tried() -> bool:
            return all(
                attempts > 0 or not pending
                for *_, pending, attempts, _kept in locations(database_url).values()
            )

        eventually(all_tried, timeout=20)
    stored = locations(database_url)
    assert stored[GOOD_IP][:4] == ("Mountain View", "US", 37.42, -122.08)
    assert stored[GOOD_IP][-1] == "8.8.8.0"  # located: the address is cut to its network
    for ip in BEHAVIOURS:
        assert stored[ip][:4] == (None, None, None, None), ip
