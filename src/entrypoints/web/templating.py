"""Rendering pages: one Jinja2 environment, autoescaped, with what every page needs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from entrypoints.web.csrf import CsrfProtection

TEMPLATES = Path(__file__).parent / "templates"
_FLASHES = "flashes"


def flash(request: Request, message: str) -> None:
    """Show ``message`` on the next page this visitor sees."""
    request.session[_FLASHES] = [*request.session.get(_FLASHES, []), message]


class Pages:
    def __init__(self, csrf: CsrfProtection) -> None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,  # every tracked field is hostile: escape by default, everywhere
            undefined=jinja2.StrictUndefined,
        )
        self.templates = Jinja2Templates(env=env)
        self.templates.env.globals["csrf_token"] = csrf.token
        self.templates.env.globals["csrf_field"] = "csrf_token"

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Render ``name``. The user shown in the navigation is whoever auth already resolved."""
        flashes = request.session.pop(_FLASHES, []) if "session" in request.scope else []
        full_context = {
            "current_user": getattr(request.state, "user", None),
            "flashes": [str(message) for message in flashes],
            "values": {},
            "errors": {},
            **(context or {}),
        }
        return self.templates.TemplateResponse(
            request, name, full_context, status_code=status_code, headers=headers
        )
