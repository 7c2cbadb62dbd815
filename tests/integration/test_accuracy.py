"""Every number on the dashboard and in its export is the truth of a known traffic log.

The log (``support.traffic_log``) is sent through the real beacon of a real server process,
request by request, on SQLite and on PostgreSQL, with a geodata service that knows its
addresses. The server's clock is a file the test moves before each request
(``TRACKING_TEST_CLOCK_FILE``), so three days of traffic, a daylight-saving change among
them, take seconds. Then the dashboard and the CSV export are read as an owner would, and
compared with what the log's plan says, counted by the test itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest

from entrypoints.web import formats
from support.dashboard_page import DashboardPage, read_dashboard
from support.polling import eventually
from support.tracking_process import ServerProcess
from support.traffic_log import (
    DAYS,
    SITE,
    TZ,
    TrafficLog,
    Truth,
    geodata_answer,
    traffic_log,
    truth,
)

RANGE = {"range": "custom", "from": str(DAYS[0]), "to": str(DAYS[-1])}
PANELS = (
    "page",
    "entry",
    "exit",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "country",
    "region",
    "city",
    "browser",
    "os",
    "device",
    "event",
)


class _Geodata(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = geodata_answer(self.path.rsplit("/", 1)[-1])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def geodata_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Geodata)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/json/{{ip}}"
    server.shutdown()
    server.server_close()


def _owner_with_a_site(client: httpx2.Client) -> int:
    def submit(path: str, data: dict[str, str]) -> httpx2.Response:
        form = client.get(path).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, path
        return client.post(path, data={**data, "csrf_token": token.group(1)})

    assert (
        submit(
            "/register/", {"name": "Ada", "email": "ada@example.com", "password": "correct horse"}
        ).status_code
        == 303
    )
    assert submit("/sites", {"base_url": SITE}).status_code == 303
    site_id = int(re.findall(r'href="/sites/(\d+)"', client.get("/sites").text)[-1])
    saved = submit(f"/sites/{site_id}/settings", {"timezone": str(TZ), "honour_dnt": "on"})
    assert saved.status_code == 303
    return site_id


def _send(client: httpx2.Client, site_id: int, log: TrafficLog, clock: Path) -> None:
    for request in log.requests:
        clock.write_text(request.at.isoformat())
        headers = {
            "user-agent": request.user_agent,
            "x-forwarded-for": request.ip,  # the test talks from 127.0.0.1, a trusted proxy
            **request.headers,
        }
        fields = request.fields
        if request.as_json:
            response = client.post(
                f"/sites/{site_id}/visit",
                content=json.dumps(fields),
                headers={**headers, "content-type": "text/plain;charset=UTF-8"},
            )
        else:
            params = {
                k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in fields.items()
            }
            response = client.get(f"/sites/{site_id}/visit", params=params, headers=headers)
        assert response.status_code == 204, (request, response.text)


def _dashboard(client: httpx2.Client, site_id: int, **query: str) -> DashboardPage:
    response = client.get(f"/sites/{site_id}", params={**RANGE, **query})
    assert response.status_code == 200, response.text
    return read_dashboard(response.text)


def _export(client: httpx2.Client, site_id: int, **query: str) -> list[list[str]]:
    response = client.get(f"/sites/{site_id}/export.csv", params={**RANGE, **query})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.text)))


def test_the_dashboard_and_its_export_count_a_known_log_exactly(
    database_url: str, geodata_url: str, tmp_path: Path
) -> None:
    log = traffic_log()
    expected = truth(log)
    clock = tmp_path / "clock"
    clock.write_text((log.requests[0].at - timedelta(hours=1)).isoformat())
    settings = {
        "TRACKING_TEST_CLOCK_FILE": str(clock),
        "TRACKING_GEODATA_URL": geodata_url,
        "TRACKING_GEODATA_RETRY_S": "1",
    }
    with (
        ServerProcess(database_url, tmp_path, **settings) as server,
        httpx2.Client(base_url=server.base, timeout=10) as client,
    ):
        site_id = _owner_with_a_site(client)
        _send(client, site_id, log, clock)

        # Places are looked up in the background, and bots counted every few seconds.
        def settled() -> DashboardPage | None:
            page = _dashboard(client, site_id)
            known = sum(int(row[1]) for row in page.panels["country"])
            return page if known == expected.visitors and page.bots == expected.bots else None

        page = eventually(settled, timeout=20)
        assert page is not None
        _assert_dashboard(page, expected)
        _assert_export(_export(client, site_id), expected)

        by_google = _dashboard(client, site_id, source="Google")
        google_visits = expected.panels["source"]["Google"][1]
        assert by_google.metrics["Visits"] == formats.number(google_visits)

        signup = _export(client, site_id, event="Signup")
        start = signup.index(["Properties of Signup", "Value", "Events"])
        shown = {(row[0], row[1]): int(row[2]) for row in signup[start + 1 :] if row}
        assert shown == expected.properties


def _assert_dashboard(page: DashboardPage, expected: Truth) -> None:
    duration = timedelta(seconds=expected.duration_seconds / expected.visits)
    assert page.metrics == {
        "Unique visitors": formats.number(expected.visitors),
        "Visits": formats.number(expected.visits),
        "Page views": formats.number(expected.page_views),
        "Views per visit": formats.number(round(expected.page_views / expected.visits, 1)),
        "Bounce rate": formats.percent(expected.bounces / expected.visits),
        "Visit duration": formats.duration(duration),
    }
    assert page.series == [
        [f"{day:%b} {day.day}", str(visitors), str(views)]
        for day, (visitors, views) in expected.days.items()
    ]
    for name in PANELS:
        truth_rows = expected.panels[name]
        if not truth_rows and name.startswith("utm"):
            assert name not in page.panels  # an empty campaign panel is not shown
            continue
        shown = {row[0]: row[1:] for row in page.panels[name]}
        counts_visits = name in ("entry", "exit")
        total = expected.visits if counts_visits else expected.visitors
        wanted = {}
        for item, (visitors, count) in truth_rows.items():
            value = count if counts_visits else visitors
            cells = [formats.number(count), formats.percent(value / total)]
            if not counts_visits:
                cells.insert(0, formats.number(visitors))
            wanted[item.capitalize() if name == "device" else item] = cells
        assert shown == wanted, name
    assert page.bots == expected.bots


def _assert_export(rows: list[list[str]], expected: Truth) -> None:
    assert ["Unique visitors", str(expected.visitors), "0"] in rows
    assert ["Visits", str(expected.visits), "0"] in rows
    assert ["Page views", str(expected.page_views), "0"] in rows
    assert ["Bots filtered out", str(expected.bots), ""] in rows
    series_start = rows.index(["Start (UTC)", "Visitors", "Page views"]) + 1
    series = rows[series_start : series_start + len(DAYS)]
    assert [(int(r[1]), int(r[2])) for r in series] == list(expected.days.values())
    pages = rows.index(["Pages", "Visitors", "Page views", "Share"]) + 1
    shown = {}
    for row in rows[pages:]:
        if not row:
            break
        shown[row[0]] = (int(row[1]), int(row[2]))
    assert shown == expected.panels["page"]
