"""The public beacon: any page on any origin reports a visit here, without logging in.

It is the product's hot path, so it is a small ASGI handler that the app calls before
Starlette's middleware and router (see ``TrackingApp``), doing for its two paths exactly what
those would: the Host check, the 64 KiB body limit, JSON errors through ``errors.answer_for``,
a CORS header on every answer, and the security headers. The same handler is also in the
router, so the app works without the shortcut, only slower.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from adapters.ingest.recorder import VisitIngestion
from entrypoints.settings import Settings
from entrypoints.web.errors import ErrorAnswer, answer_for
from entrypoints.web.hosts import HostCheck
from entrypoints.web.middleware import SECURITY_HEADERS
from tracking_core.client_ip import client_ip
from tracking_core.errors import InvalidInput, SiteNotFound, TrackingError
from tracking_core.ports import IPAddress
from tracking_core.use_cases.visits import Hit

log = logging.getLogger(__name__)

#: The only values a client may supply; everything else is derived by the server.
CLIENT_FIELDS = ("url", "event", "referrer", "width", "props")
TEXT_FIELDS = ("url", "event", "referrer")
MAX_BODY_BYTES = 64 * 1024
MAX_REMEMBERED_CLIENTS = 10_000
#: Site ids are 32-bit integers in the database: a larger one cannot exist.
MAX_SITE_ID = 2**31 - 1
#: The smallest transparent GIF: answered to ``<img>`` beacons in pages without JavaScript.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PATH = re.compile(r"/sites/([0-9]+)/visit(\.gif)?")


def _headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Raw ASGI headers, each beacon answer carrying CORS and the usual security headers."""
    every = [("access-control-allow-origin", "*"), *SECURITY_HEADERS.items(), *pairs]
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in every]


_NO_CONTENT = _headers([])
_PIXEL = _headers(
    [
        ("content-type", "image/gif"),
        ("content-length", str(len(PIXEL))),
        ("cache-control", "no-store, no-cache, must-revalidate, max-age=0"),
        ("pragma", "no-cache"),
        ("expires", "0"),
    ]
)
_PREFLIGHT = _headers(
    [
        ("access-control-allow-methods", "GET, POST, OPTIONS"),
        ("access-control-allow-headers", "Content-Type"),
        ("access-control-max-age", "86400"),
    ]
)


class _Refused(Exception):
    """Refused before the core is asked: wrong method, body too large, unknown Host."""

    def __init__(self, answer: ErrorAnswer) -> None:
        self.answer = answer


class Beacon:
    def __init__(self, ingestion: VisitIngestion, settings: Settings) -> None:
        self.ingestion = ingestion
        self.trusted_proxies = settings.trusted_proxies
        self.hosts = HostCheck(settings.allowed_hosts)
        #: (peer, X-Forwarded-For) -> client address: parsing addresses is the costly part.
        self._clients: dict[tuple[str | None, str | None], IPAddress | None] = {}

    def routes(self) -> list[Route]:
        return [
            Route("/sites/{site_id:int}/visit", self, methods=["GET", "POST", "OPTIONS"]),
            Route("/sites/{site_id:int}/visit.gif", self, methods=["GET"]),
        ]

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith("/sites/") and PATH.fullmatch(path) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, headers, body = await self._answer(scope, receive)
        except (TrackingError, _Refused) as error:
            answer = error.answer if isinstance(error, _Refused) else answer_for(error)
            status, headers, body = _error(answer)
        except Exception:
            log.exception("Unhandled error on the beacon %s", scope["path"])
            status, headers, body = _error(ErrorAnswer(500, "Something went wrong on our side."))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(
        self, scope: Scope, receive: Receive
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        head = _Head(scope["headers"])
        if not self.hosts.allows(head.host):
            raise _Refused(ErrorAnswer(400, "Invalid host header"))
        match = PATH.fullmatch(scope["path"])
        if match is None:
            raise _Refused(ErrorAnswer(404, "Not found"))
        pixel = match[2] is not None
        method = scope["method"]
        if method == "OPTIONS" and not pixel:
            return 204, _PREFLIGHT, b""
        if method not in ("GET", "HEAD") and (pixel or method != "POST"):
            allow = "GET, HEAD" if pixel else "GET, HEAD, POST, OPTIONS"
            raise _Refused(ErrorAnswer(405, "Method Not Allowed", headers={"Allow": allow}))
        site_id = int(match[1])
        if site_id > MAX_SITE_ID:
            raise SiteNotFound(site_id)
        fields = _query_fields(scope["query_string"])
        if method == "POST":
            body = await _read_body(receive, head.content_length)
            await _add_body_fields(fields, head.content_type, body, scope)
        await self.ingestion.record(self._hit(site_id, fields, head, scope))
        if pixel:
            return 200, _PIXEL, PIXEL
        return 204, _NO_CONTENT, b""

    def _hit(self, site_id: int, fields: dict[str, object], head: _Head, scope: Scope) -> Hit:
        text = {key: value for key, value in fields.items() if isinstance(value, str)}
        not_text = [key for key in TEXT_FIELDS if key in fields and key not in text]
        if not_text:
            raise InvalidInput({key: ["Send this field as text."] for key in not_text})
        peer = scope.get("client")
        return Hit(
            site_id=site_id,
            url=text.get("url"),
            referer_header=head.referer,
            referrer=text.get("referrer"),
            event=text.get("event"),
            width=fields.get("width"),
            props=fields.get("props"),
            user_agent=head.user_agent,
            ip=self._client_ip(peer[0] if peer else None, head.forwarded_for),
            do_not_track=head.do_not_track,
            prefetch=head.prefetch,
        )

    def _client_ip(self, peer: str | None, forwarded_for: str | None) -> IPAddress | None:
        key = (peer, forwarded_for)
        try:
            return self._clients[key]
        except KeyError:
            pass
        if len(self._clients) >= MAX_REMEMBERED_CLIENTS:
            self._clients.clear()
        address = self._clients[key] = client_ip(peer, forwarded_for, self.trusted_proxies)
        return address


#: Headers by which browsers say a request is made ahead of time, for a page nobody may see:
#: ``Sec-Purpose: prefetch`` (also ``prefetch;prerender``), ``Purpose: prefetch`` (Chrome,
#: Safari), ``X-Moz: prefetch`` (Firefox), ``X-Purpose: preview`` (Safari's link previews).
_AHEAD_OF_TIME = {
    b"sec-purpose": (b"prefetch", b"prerender"),
    b"purpose": (b"prefetch", b"prerender", b"preview"),
    b"x-moz": (b"prefetch",),
    b"x-purpose": (b"preview", b"prefetch"),
}


class _Head:
    """The few request headers the beacon reads, found in one pass."""

    __slots__ = (
        "content_length",
        "content_type",
        "do_not_track",
        "forwarded_for",
        "host",
        "prefetch",
        "referer",
        "user_agent",
    )

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self.host: str | None = None
        self.user_agent: str | None = None
        self.referer: str | None = None
        self.forwarded_for: str | None = None
        self.content_type = ""
        self.content_length: str | None = None
        self.do_not_track = False
        self.prefetch = False
        for name, value in raw:
            if name == b"host":
                self.host = value.decode("latin-1")
            elif name == b"user-agent":
                self.user_agent = value.decode("latin-1")
            elif name == b"referer":
                self.referer = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                # Several headers are one comma-separated list, as Starlette joins them.
                text = value.decode("latin-1")
                self.forwarded_for = (
                    text if self.forwarded_for is None else (f"{self.forwarded_for},{text}")
                )
            elif name == b"content-type":
                self.content_type = value.decode("latin-1")
            elif name == b"content-length":
                self.content_length = value.decode("latin-1")
            elif name in (b"dnt", b"sec-gpc"):
                self.do_not_track = self.do_not_track or value.strip() == b"1"
            elif name in _AHEAD_OF_TIME:
                words = value.lower()
                self.prefetch = self.prefetch or any(w in words for w in _AHEAD_OF_TIME[name])


def _query_fields(query_string: bytes) -> dict[str, object]:
    """The client's fields from the query string; the last of repeated ones wins."""
    if not query_string:
        return {}
    fields: dict[str, object] = dict(_client_pairs(query_string.decode("latin-1")))
    if isinstance(fields.get("props"), str):
        fields["props"] = _json_object(str(fields["props"]), field="props")
    return fields


def _client_pairs(encoded: str) -> Iterator[tuple[str, str]]:
    """``parse_qsl(encoded, keep_blank_values=True)`` for the client's fields only, decoding a
    name or value only when it has something to decode (most have not): the hot path's share."""
    for pair in encoded.split("&"):
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = _unquote(name)
        if name not in CLIENT_FIELDS:
            continue
        if "%" in value or "+" in value:
            value = _unquote(value)
        yield name, value


#: The same pages come back again and again: their decoding is remembered.
_unquote = functools.lru_cache(maxsize=4096)(unquote_plus)


async def _read_body(receive: Receive, declared: str | None) -> bytes:
    """The whole body, refusing more than 64 KiB whether declared or streamed."""
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _Refused(_too_large())
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Refused(_too_large())
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _too_large() -> ErrorAnswer:
    return ErrorAnswer(413, f"Request body too large: at most {MAX_BODY_BYTES // 1024} KiB.")


async def _add_body_fields(
    fields: dict[str, object], content_type: str, body: bytes, scope: Scope
) -> None:
    """A POSTed body overrides the query string. It is a form, or a JSON object sent as
    ``text/plain`` (what ``navigator.sendBeacon`` sends for a string, so no CORS preflight is
    needed) or ``application/json``."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        sent = dict(_client_pairs(body.decode("latin-1")))
        _add_form_fields(fields, sent)
    elif kind == "multipart/form-data":
        _add_form_fields(fields, await _multipart(scope, body))
    elif body.strip():
        obj = _json_object(body.decode("utf-8", errors="replace"), field="body")
        fields.update({key: obj[key] for key in CLIENT_FIELDS if key in obj})


def _add_form_fields(fields: dict[str, object], form: Mapping[str, object]) -> None:
    for key in CLIENT_FIELDS:
        value = form.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput({key: ["Send this field as text."]})
        fields[key] = _json_object(value, field="props") if key == "props" else value


async def _multipart(scope: Scope, body: bytes) -> dict[str, object]:
    """Multipart bodies (``sendBeacon`` with a ``FormData``) are rare: Starlette parses them."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async with Request(scope, replay).form() as form:
        return {key: form.get(key) for key in form}


def _json_object(text: str, *, field: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput({field: ["Send a JSON object."]}) from None
    if not isinstance(value, dict):
        raise InvalidInput({field: ["Send a JSON object."]})
    return value


def _error(answer: ErrorAnswer) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(answer.json_body()).encode()
    extra = [
        ("content-type", "application/json"),
        ("content-length", str(len(body))),
        *answer.headers.items(),
    ]
    return answer.status, _headers(extra), body
