"""Recording a beacon's visit without blocking the event loop: the asynchronous ``record_visit``.

Same rules as the core's ``record_visit`` (the site must exist, the hit must be valid, some
hits are not to be recorded at all), but the site and its day's salt are answered from
memory, the visit joins a group commit, and its location is looked up afterwards. ``record``
returns once the visit is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from adapters.ingest.bots import BotTally
from adapters.ingest.geolocation import LocationResolver
from adapters.ingest.salts import DailySalts
from adapters.ingest.sites import KnownSites
from adapters.ingest.writer import GroupCommitWriter
from tracking_core import rules
from tracking_core.errors import SiteNotFound, VisitsRefused
from tracking_core.ports import UserAgentParser
from tracking_core.reports.local_time import local_today, zone
from tracking_core.reports.visitor_ids import visitor_id
from tracking_core.use_cases.visits import Hit, Skip, build_visit, reason_to_skip


class VisitIngestion:
    """Owns the writer, the caches and the (optional) location resolver of one server."""

    def __init__(
        self,
        *,
        writer: GroupCommitWriter,
        sites: KnownSites,
        salts: DailySalts,
        user_agents: UserAgentParser,
        bots: BotTally,
        now: Callable[[], datetime],
        resolver: LocationResolver | None = None,
    ) -> None:
        self.writer = writer
        self.sites = sites
        self.salts = salts
        self.user_agents = user_agents
        self.bots = bots
        self.resolver = resolver
        self._now = now

    async def start(self) -> None:
        await self.writer.start()
        await self.bots.start()
        if self.resolver is not None:
            await self.resolver.start()

    async def close(self) -> None:
        """Write every visit already accepted, then stop looking locations up."""
        await self.writer.close()
        await self.bots.close()
        if self.resolver is not None:
            await self.resolver.close()

    async def record(self, hit: Hit) -> Skip | None:
        """Validate and store one visit; or, for a hit not to be recorded, say why not.

        Raises ``SiteNotFound``, ``InvalidInput``, ``VisitsRefused`` (the database refused it)
        or ``StorageUnavailable``.
        """
        site = await self.sites.get(hit.site_id)
        if site is None:
            raise SiteNotFound(hit.site_id)
        now = self._now()
        tz = zone(site.timezone)
        user_agent = rules.clean_browser(hit.user_agent or "")
        agent = self.user_agents.parse(user_agent)
        skip = reason_to_skip(hit, site, agent)
        if skip is not None:
            if skip is Skip.BOT:
                self.bots.count(site.id, local_today(now, tz))
            return skip
        salt = await self.salts.salt(site.id, local_today(now, tz), now)
        resolver = self.resolver
        location, pending = (None, False) if resolver is None else resolver.location_for(hit.ip)
        visit = build_visit(
            hit,
            now=now,
            location=location,
            location_pending=pending,
            agent=agent,
            visitor_id=visitor_id(salt, site.id, hit.ip if hit.ip is not None else "", user_agent),
            site=site,
        )
        try:
            await self.writer.submit(visit)
        except VisitsRefused as error:
            if error.site_gone:
                self.sites.forget(hit.site_id)
                raise SiteNotFound(hit.site_id) from error
            raise
        if pending and resolver is not None and hit.ip is not None:
            resolver.notice(hit.ip)
        return None
