"""``GET /healthz``: whether this server can store visits, for load balancers and monitoring."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.ingest.writer import GroupCommitWriter
from entrypoints.bootstrap import Services
from tracking_core.errors import StorageUnavailable

#: A database that takes longer than this to answer ``SELECT 1`` counts as unreachable.
PING_TIMEOUT = 3.0


class Health:
    def __init__(self, services: Services, writer: GroupCommitWriter) -> None:
        self.services = services
        self.writer = writer

    def routes(self) -> list[Route]:
        return [Route("/healthz", self.healthz, methods=["GET"])]

    async def healthz(self, request: Request) -> JSONResponse:
        """200 when the database answers and the writer commits; 503 otherwise."""
        database = "ok"
        try:
            await asyncio.wait_for(
                asyncio.to_thread(self.services.check_database), timeout=PING_TIMEOUT
            )
        except StorageUnavailable as error:
            database = str(error)
        except TimeoutError:
            database = f"no answer within {PING_TIMEOUT:g} s"
        writer = self.writer.status()
        healthy = database == "ok" and writer.healthy
        body = {
            "status": "ok" if healthy else "unavailable",
            "database": database,
            "writer": {
                "healthy": writer.healthy,
                "last_error": writer.last_error,
                "committed": writer.committed,
            },
            "queue": {
                "queued": writer.queued,
                "writing": writer.writing,
                "capacity": writer.capacity,
            },
        }
        headers = {} if healthy else {"Retry-After": "5"}
        return JSONResponse(body, status_code=200 if healthy else 503, headers=headers)
