"""The public beacon: any page on any origin reports a visit here, without logging in."""

from __future__ import annotations

import base64
import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from entrypoints.web.context import WebContext
from entrypoints.web.errors import BEACON_CORS
from tracking_core.client_ip import client_ip
from tracking_core.errors import InvalidInput
from tracking_core.use_cases.visits import Hit, record_visit

#: The only values a client may supply; everything else is derived by the server.
CLIENT_FIELDS = ("url", "event", "referrer", "width", "props")
TEXT_FIELDS = ("url", "event", "referrer")
#: The smallest transparent GIF: answered to ``<img>`` beacons in pages without JavaScript.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_PIXEL_HEADERS = {
    **BEACON_CORS,
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
}
_PREFLIGHT = {
    **BEACON_CORS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}


class Beacon:
    def __init__(self, web: WebContext) -> None:
        self.web = web
        self.services = web.services

    def routes(self) -> list[Route]:
        return [
            Route("/sites/{site_id:int}/visit", self.visit, methods=["GET", "POST"]),
            Route("/sites/{site_id:int}/visit", self.preflight, methods=["OPTIONS"]),
            Route("/sites/{site_id:int}/visit.gif", self.pixel, methods=["GET"]),
        ]

    async def visit(self, request: Request) -> Response:
        await self._record(request)
        return Response(status_code=204, headers=BEACON_CORS)

    async def pixel(self, request: Request) -> Response:
        await self._record(request)
        return Response(PIXEL, media_type="image/gif", headers=_PIXEL_HEADERS)

    async def preflight(self, request: Request) -> Response:
        return Response(status_code=204, headers=_PREFLIGHT)

    async def _record(self, request: Request) -> None:
        params = await _client_fields(request)
        text = {key: value for key, value in params.items() if isinstance(value, str)}
        not_text = [key for key in TEXT_FIELDS if key in params and key not in text]
        if not_text:
            raise InvalidInput({key: ["Send this field as text."] for key in not_text})
        hit = Hit(
            site_id=request.path_params["site_id"],
            url=text.get("url"),
            referer_header=request.headers.get("referer"),
            referrer=text.get("referrer"),
            event=text.get("event"),
            width=params.get("width"),
            props=params.get("props"),
            user_agent=request.headers.get("user-agent"),
            ip=client_ip(
                request.client.host if request.client else None,
                request.headers.get("x-forwarded-for"),
                self.web.settings.trusted_proxies,
            ),
        )
        await run_in_threadpool(
            record_visit,
            sites=self.services.sites,
            visits=self.services.visits,
            geodata=self.services.geodata,
            clock=self.services.clock,
            hit=hit,
        )


async def _client_fields(request: Request) -> dict[str, object]:
    """The client's fields from the query string, overridden by a POSTed body.

    A body is a form, or a JSON object sent as ``text/plain`` (what ``navigator.sendBeacon``
    sends for a string, so no CORS preflight is needed) or ``application/json``.
    """
    fields: dict[str, object] = {
        key: request.query_params[key] for key in CLIENT_FIELDS if key in request.query_params
    }
    if isinstance(fields.get("props"), str):
        fields["props"] = _json_object(str(fields["props"]), field="props")
    if request.method != "POST":
        return fields
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for key in CLIENT_FIELDS:
            value = form.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise InvalidInput({key: ["Send this field as text."]})
            fields[key] = _json_object(value, field="props") if key == "props" else value
        return fields
    body = await request.body()
    if body.strip():
        sent = _json_object(body.decode("utf-8", errors="replace"), field="body")
        fields.update({key: sent[key] for key in CLIENT_FIELDS if key in sent})
    return fields


def _json_object(text: str, *, field: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput({field: ["Send a JSON object."]}) from None
    if not isinstance(value, dict):
        raise InvalidInput({field: ["Send a JSON object."]})
    return value
