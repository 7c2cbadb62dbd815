"""The app factory: routes, middleware and error handlers around the services it is given."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from entrypoints.web.accounts import AccountPages
from entrypoints.web.auth import Auth
from entrypoints.web.beacon import Beacon
from entrypoints.web.context import WebContext
from entrypoints.web.csrf import CsrfProtection
from entrypoints.web.errors import exception_handlers
from entrypoints.web.home import HomePage
from entrypoints.web.middleware import BodySizeLimit, SecurityHeaders, SessionCookies
from entrypoints.web.sites import SitePages
from entrypoints.web.templating import Pages

MAX_BODY_BYTES = 64 * 1024
SESSION_MAX_AGE = 14 * 24 * 3600
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, services: Services) -> Starlette:
    csrf = CsrfProtection(settings.secret_key, max_age=SESSION_MAX_AGE)
    pages = Pages(csrf)
    web = WebContext(services, settings, pages, csrf, Auth(services))
    routes: list[BaseRoute] = [
        *HomePage(web).routes(),
        *AccountPages(web).routes(),
        *SitePages(web).routes(),
        *Beacon(web).routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            services.close()

    return Starlette(
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
