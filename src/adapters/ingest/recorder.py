"""Recording a beacon's visit without blocking the event loop: the asynchronous ``record_visit``.

Same rules as the core's ``record_visit`` (the site must exist, the hit must be valid), but the
site check is answered from memory, the visit joins a group commit, and its location is looked
up afterwards. ``record`` returns once the visit is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from adapters.ingest.geolocation import LocationResolver
from adapters.ingest.sites import KnownSites
from adapters.ingest.writer import GroupCommitWriter
from tracking_core.errors import SiteNotFound, VisitsRefused
from tracking_core.use_cases.visits import Hit, build_visit


class VisitIngestion:
    """Owns the writer, the site cache and the (optional) location resolver of one server."""

    def __init__(
        self,
        *,
        writer: GroupCommitWriter,
        sites: KnownSites,
        now: Callable[[], datetime],
        resolver: LocationResolver | None = None,
    ) -> None:
        self.writer = writer
        self.sites = sites
        self.resolver = resolver
        self._now = now

    async def start(self) -> None:
        await self.writer.start()
        if self.resolver is not None:
            await self.resolver.start()

    async def close(self) -> None:
        """Write every visit already accepted, then stop looking locations up."""
        await self.writer.close()
        if self.resolver is not None:
            await self.resolver.close()

    async def record(self, hit: Hit) -> None:
        """Validate and store one visit. Raises ``SiteNotFound``, ``InvalidInput``,
        ``VisitsRefused`` (the database refused it) or ``StorageUnavailable``."""
        if not await self.sites.exists(hit.site_id):
            raise SiteNotFound(hit.site_id)
        resolver = self.resolver
        location, pending = (None, False) if resolver is None else resolver.location_for(hit.ip)
        visit = build_visit(hit, now=self._now(), location=location, location_pending=pending)
        try:
            await self.writer.submit(visit)
        except VisitsRefused as error:
            if error.site_gone:
                self.sites.forget(hit.site_id)
                raise SiteNotFound(hit.site_id) from error
            raise
        if pending and resolver is not None and hit.ip is not None:
            resolver.notice(hit.ip)
