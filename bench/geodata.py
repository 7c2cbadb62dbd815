"""A local freegeoip-style service for the benchmark: answering at once, or after 10 s."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    delay = 0.0

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that gave up on a slow answer hang up: expected."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        time.sleep(self.server.delay)
        ip = self.path.rsplit("/", 1)[-1]
        body = json.dumps({"ip": ip, "city": "Mountain View", "country_code": "US"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextlib.contextmanager
def geodata_service(delay: float) -> Iterator[str]:
    """The service's URL template; every answer takes ``delay`` seconds."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.delay = delay
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/json/{{ip}}"
    finally:
        server.shutdown()
        server.server_close()
