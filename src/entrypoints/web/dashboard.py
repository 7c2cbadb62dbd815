"""A site's dashboard, its export as CSV, and the list of its visits (owner only)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from entrypoints.web import export
from entrypoints.web.context import WebContext
from entrypoints.web.dashboard_view import Links, dashboard
from tracking_core.reports.csv_export import csv_lines
from tracking_core.use_cases.reports import SiteReport, site_report
from tracking_core.use_cases.visits import list_visits

VISITS_PER_PAGE = 50


class DashboardPages:
    def __init__(self, web: WebContext) -> None:
        self.web = web
        self.services = web.services

    def routes(self) -> list[Route]:
        return [
            Route("/sites/{site_id:int}", self.dashboard, methods=["GET"]),
            Route("/sites/{site_id:int}/export.csv", self.export, methods=["GET"]),
            Route("/sites/{site_id:int}/visits", self.visits, methods=["GET"]),
        ]

    async def dashboard(self, request: Request) -> Response:
        shown = await self._report(request)
        links = Links.of(request.url.path, request.query_params)
        view = dashboard(shown.report, links, shown.site.base_url)
        return self.web.pages.render(
            request, "dashboard.html", {"site": shown.site, "view": view, "tab": "dashboard"}
        )

    async def export(self, request: Request) -> Response:
        shown = await self._report(request)
        span = shown.report.query.range
        name = f"tracking-site-{shown.site.id}-{span.first_day}-{span.last_day}.csv"
        return StreamingResponse(
            csv_lines(export.rows(shown.site, shown.report)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def visits(self, request: Request) -> Response:
        user = await self.web.auth.require_user(request)
        page = await run_in_threadpool(
            list_visits,
            sites=self.services.sites,
            visits=self.services.visits,
            owner=user,
            site_id=request.path_params["site_id"],
            page=_page_number(request.query_params.get("page")),
            per_page=VISITS_PER_PAGE,
        )
        return self.web.pages.render(
            request, "visits.html", {"site": page.site, "page": page, "tab": "visits"}
        )

    async def _report(self, request: Request) -> SiteReport:
        user = await self.web.auth.require_user(request)
        return await run_in_threadpool(
            site_report,
            sites=self.services.sites,
            reports=self.services.reports,
            clock=self.services.clock,
            owner=user,
            site_id=request.path_params["site_id"],
            params=dict(request.query_params),
        )


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 9 else 1
