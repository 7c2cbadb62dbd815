"""The app factory: routes, middleware and error handlers around the services it is given."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from adapters.ingest.forgetting import Forgetting
from entrypoints.bootstrap import Services, ingestion
from entrypoints.settings import Settings
from entrypoints.web.accounts import AccountPages
from entrypoints.web.auth import Auth
from entrypoints.web.beacon import Beacon
from entrypoints.web.context import WebContext
from entrypoints.web.csrf import CsrfProtection
from entrypoints.web.dashboard import DashboardPages
from entrypoints.web.errors import exception_handlers
from entrypoints.web.health import Health
from entrypoints.web.home import HomePage
from entrypoints.web.middleware import BodySizeLimit, SecurityHeaders, SessionCookies
from entrypoints.web.sites import SitePages
from entrypoints.web.templating import Pages
from entrypoints.web.tracker_script import ScriptFile, TrackerScript

MAX_BODY_BYTES = 64 * 1024
SESSION_MAX_AGE = 14 * 24 * 3600
STATIC = Path(__file__).parent / "static"


class TrackingApp(Starlette):
    """Starlette, but the beacon's paths go straight to its lean handler: it is the hot path."""

    def __init__(self, *, beacon: Beacon, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beacon = beacon

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.beacon.handles(scope["path"]):
            await self.beacon(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings, services: Services) -> Starlette:
    beacon_machinery = ingestion(settings, services)
    beacon = Beacon(beacon_machinery, settings)
    forgetting = Forgetting(services.salts, services.visits, services.clock)
    csrf = CsrfProtection(settings.secret_key, max_age=SESSION_MAX_AGE)
    pages = Pages(csrf)
    web = WebContext(services, settings, pages, csrf, Auth(services))
    script = TrackerScript(settings.script_path, ScriptFile.read())
    routes: list[BaseRoute] = [
        *HomePage(web).routes(),
        *AccountPages(web).routes(),
        *SitePages(web, script_url=script.url, known_sites=beacon_machinery.sites).routes(),
        *DashboardPages(web).routes(),
        *beacon.routes(),
        *Health(services, beacon_machinery.writer).routes(),
        *script.routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await beacon_machinery.start()
        await forgetting.start()
        # What is loaded by now (user agent rules, SQL metadata, templates) lives as long as
        # the process: the garbage collector's full passes need not walk it again. They
        # took 60-80 ms each under load, a pause every request in flight waited out (p99).
        gc.freeze()
        try:
            yield
        finally:
            try:
                await forgetting.close()
                # Every visit already accepted is written before the database is let go.
                await beacon_machinery.close()
            finally:
                services.close()

    return TrackingApp(
        beacon=beacon,
        routes=routes,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
            Middleware(SecurityHeaders),
            Middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES),
            Middleware(
                SessionCookies,
                secret_key=settings.secret_key,
                max_age=SESSION_MAX_AGE,
                trusted_proxies=settings.trusted_proxies,
            ),
        ],
        exception_handlers=exception_handlers(pages),
        lifespan=lifespan,
    )
