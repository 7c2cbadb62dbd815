"""The HTTP geodata adapter against a real local HTTP server that answers as each test says."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address, IPv6Address

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.geodata_http import HttpGeodata
from adapters.geodata_none import NoGeodata
from tracking_core.entities import Location

IP = IPv4Address("192.0.2.1")
FREEGEOIP_ANSWER = {
    "ip": "192.0.2.1",
    "country_code": "FR",
    "country_name": "France",
    "region_code": "ARA",
    "region_name": "Auvergne-Rhône-Alpes",
    "city": "Lyon",
    "zip_code": "69001",
    "time_zone": "Europe/Paris",
    "latitude": 45.7578,
    "longitude": 4.832,
    "metro_code": 0,
}


@dataclass
class Reply:
    """What the server answers: status, headers, body, and how slowly."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    send_length: bool = True
    declared_length: int | None = None
    delay: float = 0.0
    trickle: float = 0.0


def json_reply(answer: object) -> Reply:
    return Reply(body=json.dumps(answer).encode(), headers={"Content-Type": "application/json"})


class GeoServer(ThreadingHTTPServer):
    # Non-daemon handler threads, so server_close() waits for every one of them.
    daemon_threads = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply = Reply()
        self.routes: dict[str, Reply] = {}
        self.paths: list[str] = []
        self.stopping = threading.Event()

    def url(self, path: str = "/json/{ip}") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def handle_error(self, request: object, client_address: object) -> None:
        # The adapter hangs up on oversized and slow answers: a broken pipe here is expected.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: GeoServer

    def do_GET(self) -> None:
        server = self.server
        server.paths.append(self.path)
        reply = server.routes.get(self.path, server.reply)
        stopping = server.stopping
        if reply.delay and stopping.wait(reply.delay):
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.send_length:
            length = len(reply.body) if reply.declared_length is None else reply.declared_length
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if not reply.trickle:
            self.wfile.write(reply.body)
            return
        for byte in reply.body:
            if stopping.wait(reply.trickle):
                return
            self.wfile.write(bytes([byte]))

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def module_server() -> Iterator[GeoServer]:
    server = GeoServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.stopping.set()
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def server(module_server: GeoServer) -> Iterator[GeoServer]:
    module_server.reply = Reply()
    module_server.routes = {}
    module_server.paths = []
    module_server.stopping = threading.Event()
    yield module_server
    # Wake any handler still sleeping for this test, so it does not outlive it.
    module_server.stopping.set()


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a developer's HTTP_PROXY must not reroute 127.0.0.1
    return session


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with _session() as session:
        yield session


@pytest.fixture
def geodata(server: GeoServer, session: requests.Session) -> HttpGeodata:
    return HttpGeodata(server.url(), session=session)


@pytest.fixture(scope="module")
def module_geodata(module_server: GeoServer) -> Iterator[HttpGeodata]:
    with _session() as session:
        yield HttpGeodata(module_server.url(), session=session)


def test_a_full_freegeoip_answer_fills_every_field(server: GeoServer, geodata: HttpGeodata) -> None:
    server.reply = json_reply(FREEGEOIP_ANSWER)

    assert geodata.locate(IP) == Location(
        city="Lyon",
        zip_code="69001",
        region_name="Auvergne-Rhône-Alpes",
        country_code="FR",
        country_name="France",
        latitude=45.7578,
        longitude=4.832,
    )
    assert server.paths == ["/json/192.0.2.1"]


def test_zipcode_is_read_when_zip_code_is_absent(server: GeoServer, geodata: HttpGeodata) -> None:
    server.reply = json_reply({"zipcode": "69001", "country_code": "FR"})

    assert geodata.locate(IP) == Location(zip_code="69001", country_code="FR")


def test_a_partial_answer_leaves_the_missing_fields_unknown(
    server: GeoServer, geodata: HttpGeodata
) -> None:
    server.reply = json_reply({"country_code": "FR", "country_name": "France", "latitude": 46})

    location = geodata.locate(IP)

    assert location == Location(country_code="FR", country_name="France", latitude=46.0)
    assert location is not None
    assert isinstance(location.latitude, float)


def test_an_answer_with_only_empty_fields_is_no_location(
    server: GeoServer, geodata: HttpGeodata
) -> None:
    server.reply = json_reply(
        {
            "ip": "192.0.2.1",
            "city": "",
            "zip_code": "  ",
            "region_name": "",
            "country_code": "",
            "country_name": "\x00",
            "latitude": None,
            "longitude": None,
        }
    )

    assert geodata.locate(IP) is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html><body>Bad gateway</body></html>", id="html"),
        pytest.param(b'{"city": "Lyon", "country_co', id="truncated json"),
        pytest.param(b'[{"city": "Lyon"}]', id="json array"),
        pytest.param(b'"Lyon"', id="json string"),
        pytest.param(b"", id="empty body"),
        pytest.param('{"city": "Zürich"}'.encode("latin-1"), id="not utf-8"),
        pytest.param(b"[" * 60_000, id="deeply nested json"),
    ],
)
def test_an_answer_that_is_not_a_json_object_is_no_location(
    server: GeoServer, geodata: HttpGeodata, body: bytes
) -> None:
    server.reply = Reply(body=body)

    assert geodata.locate(IP) is None


def test_a_body_cut_short_of_its_content_length_is_no_location(
    server: GeoServer, geodata: HttpGeodata
) -> None:
    body = json.dumps(FREEGEOIP_ANSWER).encode()
    server.reply = Reply(body=body[:20], declared_length=len(body))

    assert geodata.locate(IP) is None


def test_fields_of_the_wrong_type_or_out_of_range_are_unknown(
    server: GeoServer, geodata: HttpGeodata
) -> None:
    server.reply = json_reply(
        {
            "city": 42,
            "zip_code": 69001,
            "region_name": ["Auvergne"],
            "country_code": "FR",
            "country_name": {"name": "France"},
            "latitude": "45.7",
            "longitude": 500,
        }
    )

    assert geodata.locate(IP) == Location(country_code="FR")


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        ("NaN", "Infinity"),
        ("-Infinity", "1e999"),
        ("true", "false"),
        ("90.000001", "-180.5"),
        ("1" + "0" * 400, "-1" + "0" * 400),
    ],
)
def test_coordinates_that_are_not_finite_numbers_in_range_are_unknown(
    server: GeoServer, geodata: HttpGeodata, latitude: str, longitude: str
) -> None:
    raw = f'{{"country_code": "FR", "latitude": {latitude}, "longitude": {longitude}}}'
    server.reply = Reply(body=raw.encode())

    assert geodata.locate(IP) == Location(country_code="FR")


def test_coordinates_on_the_edge_of_the_range_are_kept(
    server: GeoServer, geodata: HttpGeodata
) -> None:
    server.reply = json_reply({"latitude": -90, "longitude": 180.0})

    assert geodata.locate(IP) == Location(latitude=-90.0, longitude=180.0)


def test_hostile_strings_come_back_without_control_characters_and_capped(
    server: GeoServer, geodata: HttpGeodata
) -> None:
    server.reply = Reply(
        body=json.dumps(
            {
                "city": "\x00Ly\non\x1b\u202e\x7f\x85 ",
                "region_name": "A" * 1000,
                "country_name": "<script>alert(1)</script>",
                "country_code": "\r\n",
            }
        ).encode()[:-1]
        # A lone surrogate, which json.dumps would not write and PostgreSQL could not store.
        + b', "zip_code": "69\\ud80001"}'
    )

    assert geodata.locate(IP) == Location(
        city="Lyon",
        zip_code="6901",
        region_name="A" * 100,
        country_name="<script>alert(1)</script>",
    )


def test_a_body_over_the_cap_with_its_length_declared_is_refused_quickly(
    server: GeoServer, geodata: HttpGeodata, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply = Reply(body=b" " * 1024 * 1024 + b"{}")

    started = time.monotonic()
    assert geodata.locate(IP) is None
    assert time.monotonic() - started < 1
    assert "declared body is over 65536 bytes" in caplog.text


def test_a_body_over_the_cap_without_a_length_is_refused_quickly(
    server: GeoServer, geodata: HttpGeodata, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply = Reply(body=b" " * 1024 * 1024 + b"{}", send_length=False)

    started = time.monotonic()
    assert geodata.locate(IP) is None
    assert time.monotonic() - started < 1
    assert "body is over 65536 bytes" in caplog.text


def test_a_body_just_under_the_cap_is_read(server: GeoServer, geodata: HttpGeodata) -> None:
    answer = json.dumps({"country_code": "FR"}).encode()
    server.reply = Reply(body=b" " * (64 * 1024 - len(answer)) + answer, send_length=False)

    assert geodata.locate(IP) == Location(country_code="FR")


def test_a_redirect_is_not_followed(server: GeoServer, geodata: HttpGeodata) -> None:
    server.reply = Reply(status=302, headers={"Location": "/elsewhere"}, body=b"")
    server.routes["/elsewhere"] = json_reply(FREEGEOIP_ANSWER)

    assert geodata.locate(IP) is None
    assert server.paths == ["/json/192.0.2.1"]


@pytest.mark.parametrize("status", [500, 404, 204, 201])
def test_a_status_other_than_200_is_no_location(
    server: GeoServer, geodata: HttpGeodata, status: int
) -> None:
    server.reply = json_reply(FREEGEOIP_ANSWER)
    server.reply.status = status

    assert geodata.locate(IP) is None


def test_a_server_slower_than_the_timeout_is_no_location_within_about_the_timeout(
    server: GeoServer, session: requests.Session
) -> None:
    server.reply = json_reply(FREEGEOIP_ANSWER)
    server.reply.delay = 5
    geodata = HttpGeodata(server.url(), session=session, timeout=0.3)

    started = time.monotonic()
    assert geodata.locate(IP) is None
    assert time.monotonic() - started < 1


def test_a_server_that_trickles_its_body_is_cut_off_near_the_timeout(
    server: GeoServer, session: requests.Session
) -> None:
    # Each byte arrives well within the read timeout; only the overall deadline stops it.
    server.reply = json_reply(FREEGEOIP_ANSWER)
    server.reply.trickle = 0.05
    geodata = HttpGeodata(server.url(), session=session, timeout=0.3)

    started = time.monotonic()
    assert geodata.locate(IP) is None
    assert time.monotonic() - started < 1


def test_a_refused_connection_is_no_location(session: requests.Session) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    geodata = HttpGeodata(f"http://127.0.0.1:{closed_port}/json/{{ip}}", session=session)

    assert geodata.locate(IP) is None


def test_failures_are_logged_as_one_warning_line_with_ip_and_status(
    server: GeoServer, geodata: HttpGeodata, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply = Reply(status=500, body=b"oops")

    with caplog.at_level(logging.WARNING, logger="adapters.geodata_http"):
        geodata.locate(IP)

    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "\n" not in record.getMessage()
    assert "192.0.2.1" in record.getMessage()
    assert "status 500" in record.getMessage()


def test_an_ipv6_address_is_requested_at_the_path_the_template_says(
    server: GeoServer, geodata: HttpGeodata
) -> None:
    server.reply = json_reply({"country_code": "DE"})

    assert geodata.locate(IPv6Address("2001:db8::1")) == Location(country_code="DE")
    assert server.paths == ["/json/2001:db8::1"]


def test_the_address_can_go_in_the_query_string(
    server: GeoServer, session: requests.Session
) -> None:
    server.reply = json_reply({"country_code": "DE"})
    geodata = HttpGeodata(server.url("/lookup?format=json&ip={ip}"), session=session)

    assert geodata.locate(IP) == Location(country_code="DE")
    assert server.paths == ["/lookup?format=json&ip=192.0.2.1"]


@pytest.mark.parametrize(
    "template",
    [
        "http://geo.example/json/",
        "http://geo.example/json/{address}",
        "ftp://geo.example/json/{ip}",
        "file:///etc/{ip}",
        "geo.example/json/{ip}",
        "http:///json/{ip}",
        "http://[::1/json/{ip}",
    ],
)
def test_the_constructor_rejects_a_template_that_cannot_work(template: str) -> None:
    with pytest.raises(ValueError, match="geodata URL"):
        HttpGeodata(template)


class _RecordingSession(requests.Session):
    closed = False

    def close(self) -> None:
        self.closed = True
        super().close()


def test_close_leaves_a_borrowed_session_open() -> None:
    borrowed = _RecordingSession()

    HttpGeodata("http://geo.example/json/{ip}", session=borrowed).close()

    assert not borrowed.closed
    borrowed.close()


def test_an_adapter_given_no_session_makes_its_own_and_closes_it(server: GeoServer) -> None:
    server.reply = json_reply({"country_code": "FR"})
    geodata = HttpGeodata(server.url())

    assert geodata.locate(IP) == Location(country_code="FR")
    # Warnings are errors: a socket left open by close() would fail this test.
    geodata.close()


def test_no_geodata_knows_no_location() -> None:
    assert NoGeodata().locate(IP) is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = (
    "city",
    "zip_code",
    "zipcode",
    "region_name",
    "country_code",
    "country_name",
    "latitude",
    "longitude",
)


@settings(max_examples=50, deadline=None)
@given(answer=st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, JSON_VALUES)))
def test_any_answer_gives_no_location_or_only_well_formed_fields(
    module_server: GeoServer, module_geodata: HttpGeodata, answer: dict[str, object]
) -> None:
    module_server.reply = json_reply(answer)

    location = module_geodata.locate(IP)

    if location is None:
        return
    assert not location.is_empty()
    texts = (
        location.city,
        location.zip_code,
        location.region_name,
        location.country_code,
        location.country_name,
    )
    for text in texts:
        assert text is None or isinstance(text, str)
        if text is not None:
            assert 0 < len(text) <= 100
            assert text == text.strip()
            assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in text)
    for value, limit in ((location.latitude, 90), (location.longitude, 180)):
        assert value is None or (isinstance(value, float) and -limit <= value <= limit)
