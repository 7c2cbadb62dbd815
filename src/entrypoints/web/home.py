from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from entrypoints.web.context import WebContext


class HomePage:
    def __init__(self, web: WebContext) -> None:
        self.web = web

    def routes(self) -> list[Route]:
        return [Route("/", self.index, methods=["GET"])]

    async def index(self, request: Request) -> Response:
        """Welcome strangers; send people who are logged in straight to their sites."""
        if await self.web.auth.current_user(request) is not None:
            return RedirectResponse("/sites", status_code=303)
        return self.web.pages.render(request, "index.html")
