"""The public beacon: any page on any origin reports a visit here, without logging in."""

from __future__ import annotations

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
CLIENT_FIELDS = ("url", "event", "referrer")
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
        ]

    async def visit(self, request: Request) -> Response:
        params = await _client_fields(request)
        hit = Hit(
            site_id=request.path_params["site_id"],
            url=params.get("url"),
            referer_header=request.headers.get("referer"),
            referrer=params.get("referrer"),
            event=params.get("event"),
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
        return Response(status_code=204, headers=BEACON_CORS)

    async def preflight(self, request: Request) -> Response:
        return Response(status_code=204, headers=_PREFLIGHT)


async def _client_fields(request: Request) -> dict[str, str]:
    """``url``, ``event`` and ``referrer`` from the query, overridden by a POSTed form body."""
    fields = {
        key: request.query_params[key] for key in CLIENT_FIELDS if key in request.query_params
    }
    if request.method == "POST":
        form = await request.form()
        for key in CLIENT_FIELDS:
            value = form.get(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise InvalidInput({key: ["Send this field as text, not as a file."]})
            fields[key] = value
    return fields
