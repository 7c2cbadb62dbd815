"""The owner's pages: their list of sites, and each site's tracking code and settings (its
dashboard and visits are in ``dashboard``)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from adapters.ingest.sites import KnownSites
from entrypoints.web.context import WebContext
from entrypoints.web.forms import INVALID_FORM, form_text
from entrypoints.web.snippet import tracking_snippet
from entrypoints.web.templating import flash
from tracking_core.errors import InvalidInput
from tracking_core.reports.local_time import zone_names
from tracking_core.use_cases.sites import add_site, change_site_settings, get_owned_site, list_sites


class SitePages:
    def __init__(self, web: WebContext, *, script_url: str, known_sites: KnownSites) -> None:
        self.web = web
        self.services = web.services
        #: The tracking script's versioned path, for the snippet.
        self.script_url = script_url
        #: The beacon's copy of each site, told at once when its settings change.
        self.known_sites = known_sites

    def routes(self) -> list[Route]:
        return [
            Route("/sites", self.index, methods=["GET", "POST"]),
            Route("/sites/{site_id:int}/settings", self.settings, methods=["GET", "POST"]),
        ]

    async def index(self, request: Request) -> Response:
        user = await self.web.auth.require_user(request)
        values: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            form = await self.web.csrf.verified_form(request)
            values["base_url"] = form_text(form.get("base_url"))
            try:
                await run_in_threadpool(
                    add_site,
                    sites=self.services.sites,
                    clock=self.services.clock,
                    owner=user,
                    base_url=values["base_url"],
                )
            except InvalidInput as exc:
                errors = exc.errors
            else:
                flash(request, "Added site")
                return RedirectResponse("/sites", status_code=303)
        sites = await run_in_threadpool(list_sites, sites=self.services.sites, owner=user)
        return self.web.pages.render(
            request,
            "sites.html",
            {"sites": sites, "values": values, "errors": errors},
            status_code=INVALID_FORM if errors else 200,
        )

    async def settings(self, request: Request) -> Response:
        """The site's settings form (owner only): time zone, Do Not Track, full addresses."""
        user = await self.web.auth.require_user(request)
        site_id = request.path_params["site_id"]
        site = await run_in_threadpool(
            get_owned_site, sites=self.services.sites, owner=user, site_id=site_id
        )
        timezone, honour_dnt, keep_full_ip = site.timezone, site.honour_dnt, site.keep_full_ip
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            form = await self.web.csrf.verified_form(request)
            timezone = form_text(form.get("timezone"))
            honour_dnt = form.get("honour_dnt") == "on"
            keep_full_ip = form.get("keep_full_ip") == "on"
            try:
                saved = await run_in_threadpool(
                    change_site_settings,
                    sites=self.services.sites,
                    owner=user,
                    site_id=site_id,
                    timezone=timezone,
                    honour_dnt=honour_dnt,
                    keep_full_ip=keep_full_ip,
                )
            except InvalidInput as exc:
                errors = exc.errors
            else:
                self.known_sites.remember(saved)
                flash(request, "Settings saved")
                return RedirectResponse(f"/sites/{site_id}/settings", status_code=303)
        chosen = {"timezone": timezone, "honour_dnt": honour_dnt, "keep_full_ip": keep_full_ip}
        public_base = self.web.settings.public_url or str(request.base_url)
        context = {
            "site": site,
            "chosen": chosen,
            "zones": zone_names(),
            "errors": errors,
            "snippet": tracking_snippet(public_base, site.id, self.script_url),
            "tab": "settings",
        }
        return self.web.pages.render(
            request,
            "site_settings.html",
            context,
            status_code=INVALID_FORM if errors else 200,
        )
