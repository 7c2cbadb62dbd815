"""Every error the app answers with, mapped to an HTTP response in this one place."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from urllib.parse import quote

import attrs
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ExceptionHandler

from entrypoints.web.exceptions import CsrfRejected, LoginRequired
from entrypoints.web.templating import Pages
from tracking_core.errors import (
    InvalidInput,
    NotFound,
    SiteNotFound,
    StorageUnavailable,
    TrackingError,
    VisitsRefused,
)

log = logging.getLogger(__name__)

_JSON_PATHS = re.compile(r"^/(sites/[^/]+/visit(\.gif)?|healthz|api/.*)$")
_BEACON_PATHS = re.compile(r"^/sites/[^/]+/visit(\.gif)?$")
BEACON_CORS = {"Access-Control-Allow-Origin": "*"}


@attrs.frozen
class ErrorAnswer:
    """What to answer for a domain error, whichever part of the app answers it."""

    status: int
    message: str
    errors: dict[str, list[str]] | None = None
    headers: dict[str, str] = attrs.field(factory=dict)

    def json_body(self) -> dict[str, dict[str, list[str]]]:
        return {"errors": self.errors or {"request": [self.message]}}


def answer_for(exc: TrackingError) -> ErrorAnswer:
    """The one mapping from the core's errors to HTTP statuses."""
    if isinstance(exc, InvalidInput):
        return ErrorAnswer(400, "Invalid input", exc.errors)
    if isinstance(exc, NotFound):
        field = "site" if isinstance(exc, SiteNotFound) else "request"
        return ErrorAnswer(404, "Not found", {field: [str(exc)]})
    if isinstance(exc, StorageUnavailable):
        message = "The visit could not be stored right now; try again shortly."
        return ErrorAnswer(503, message, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, VisitsRefused):
        # A site deleted meanwhile is turned into SiteNotFound (404) before it gets here.
        log.warning("the database refused a visit: %s", exc)
        return ErrorAnswer(400, "Invalid input", {"visit": ["This visit cannot be stored."]})
    return ErrorAnswer(400, str(exc))


def exception_handlers(pages: Pages) -> dict[type[Exception] | int, ExceptionHandler]:
    async def tracking_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TrackingError)
        answer = answer_for(exc)
        return _answer(pages, request, answer.status, answer.message, answer.errors, answer.headers)

    async def login_required(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login/?next={quote(target, safe='/')}", status_code=303)

    async def csrf_rejected(request: Request, exc: Exception) -> Response:
        message = "This form has expired or was not sent by this site. Reload the page and retry."
        return _answer(pages, request, 403, message)

    async def http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _answer(pages, request, exc.status_code, exc.detail, headers=exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _answer(pages, request, 500, "Something went wrong on our side.")

    return {
        TrackingError: tracking_error,
        LoginRequired: login_required,
        CsrfRejected: csrf_rejected,
        HTTPException: http_exception,
        Exception: server_error,
    }


def _answer(
    pages: Pages,
    request: Request,
    status: int,
    message: str,
    errors: dict[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if _JSON_PATHS.match(request.url.path):
        body = {"errors": errors or {"request": [message]}}
        cors = BEACON_CORS if _BEACON_PATHS.match(request.url.path) else {}
        return JSONResponse(body, status_code=status, headers={**(headers or {}), **cors})
    if status in (204, 304):
        return Response(status_code=status, headers=headers)
    return pages.render(
        request,
        "error.html",
        {"status": status, "message": message, "errors": errors or {}},
        status_code=status,
        headers=headers,
    )
