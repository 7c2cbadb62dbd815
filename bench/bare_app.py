"""The baseline: a bare Starlette app answering 204 on the beacon's path, and nothing else."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def visit(request: Request) -> Response:
    return Response(status_code=204)


app = Starlette(routes=[Route("/sites/{site_id:int}/visit", visit, methods=["GET", "POST"])])
