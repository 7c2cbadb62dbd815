"""A plain static web server: the owner's own website, on another origin than the app."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Website:
    """Pages served at ``http://localhost:<port>``: the app itself is reached as 127.0.0.1."""

    def __init__(self) -> None:
        self.origin = ""  # known once the server has a port
        self.pages: dict[str, str] = {}

    def publish(self, path: str, html: str) -> str:
        """Serve ``html`` at ``path`` (any query string is ignored); returns the page's URL."""
        self.pages[urlsplit(path).path] = html
        return self.origin + path


def _handler(site: Website) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = site.pages.get(urlsplit(self.path).path)
            body = (page if page is not None else "<h1>Not found</h1>").encode()
            self.send_response(200 if page is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    return Handler


@contextlib.contextmanager
def serving_website() -> Iterator[Website]:
    website = Website()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(website))
    website.origin = f"http://localhost:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield website
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def allowing_localhost(snippet: str) -> str:
    """The snippet, told to send from localhost (where the test sites run) too."""
    tag = snippet.replace("<script defer ", "<script defer data-allow-localhost ", 1)
    assert tag != snippet, snippet
    return tag


def page_with_snippet(snippet: str, body: str = "") -> str:
    """An HTML page of the owner's site, with the snippet pasted just before ``</body>``."""
    tag = allowing_localhost(snippet)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
        '<link rel="icon" href="data:,"></head>'
        f"<body>{body}\n{tag}\n</body></html>"
    )
