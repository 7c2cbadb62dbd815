"""Serving the tracking script: read and gzipped once, cached for a year when its URL is versioned.

The served file is built from ``js/tracker.js`` (``make tracker-js``); its URL carries a hash of
its content (``?v=``), so a new release is fetched at once and an unchanged one never again.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import attrs
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SCRIPT_FILE = Path(__file__).parent / "static" / "tracker.js"
MEDIA_TYPE = "text/javascript; charset=utf-8"
#: For the versioned URL: its content never changes, a new version gets a new URL.
CACHE_FOREVER = "public, max-age=31536000, immutable"
#: For any other URL (an old snippet, a missing or stale version): pick up a release soon.
CACHE_BRIEFLY = "public, max-age=300"


@attrs.frozen
class ScriptFile:
    """The script's bytes, gzipped once, and the content hash that versions its URL."""

    body: bytes
    gzipped: bytes
    version: str

    @classmethod
    def read(cls, path: Path = SCRIPT_FILE) -> ScriptFile:
        body = path.read_bytes()
        return cls(
            body=body,
            gzipped=gzip.compress(body, compresslevel=9, mtime=0),
            version=hashlib.sha256(body).hexdigest()[:12],
        )


class TrackerScript:
    """The route that serves the script at ``path`` (``TRACKING_SCRIPT_PATH``)."""

    def __init__(self, path: str, script: ScriptFile) -> None:
        self.path = path
        self.script = script

    @property
    def url(self) -> str:
        """The versioned path snippets use: cached by browsers for a year."""
        return f"{self.path}?v={self.script.version}"

    def routes(self) -> list[Route]:
        return [Route(self.path, self.serve, methods=["GET"])]

    async def serve(self, request: Request) -> Response:
        version = self.script.version
        versioned = request.query_params.get("v") == version
        gzipped = _accepts_gzip(request.headers.get("accept-encoding", ""))
        # Each encoding is its own representation, so each gets its own strong validator.
        etag = f'"{version}-gzip"' if gzipped else f'"{version}"'
        headers = {
            "Cache-Control": CACHE_FOREVER if versioned else CACHE_BRIEFLY,
            "ETag": etag,
            "Vary": "Accept-Encoding",
            # Pages that isolate themselves (COEP: require-corp) may still load it.
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        if _is_current(request.headers.get("if-none-match", ""), version):
            return Response(status_code=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        body = self.script.gzipped if gzipped else self.script.body
        return Response(body, media_type=MEDIA_TYPE, headers=headers)


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip: named, or ``*``, with a quality above 0."""
    qualities: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[coding] = quality
    return qualities.get("gzip", qualities.get("x-gzip", qualities.get("*", 0.0))) > 0


def _is_current(if_none_match: str, version: str) -> bool:
    """Whether the client already holds this version, in either encoding (weak comparison)."""
    if if_none_match.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return bool(tags & {f'"{version}"', f'"{version}-gzip"'})
