"""Sites and their settings, answered from memory so the beacon does not ask the database
each time.

A site's settings (time zone, Do Not Track, full addresses) can change in another worker
process, so a known site is read again in the background once its copy is ``refresh_after``
seconds old: meanwhile the beacon goes on with the copy it has, and a change reaches every
worker within that time. The worker where the owner saved the change is told at once
(``remember``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from tracking_core.entities import Site
from tracking_core.errors import StorageUnavailable
from tracking_core.ports import SiteRepository

log = logging.getLogger(__name__)

#: A visit to a site deleted meanwhile is refused by the database anyway (then ``forget``
#: drops it here), so a known site is kept until it is deleted or the cache is full.
MAX_KNOWN = 100_000
#: A known site is read again, in the background, once its copy is this old (seconds).
REFRESH_AFTER = 5.0
#: An unknown id is asked about again after this long: a site may be created meanwhile.
UNKNOWN_FOR = 2.0
MAX_UNKNOWN = 10_000


class KnownSites:
    """A cache of sites over the ``SiteRepository`` port.

    An id seen for the first time is looked up in a thread (off the event loop), once however
    many requests ask at the same moment.
    """

    def __init__(
        self,
        sites: SiteRepository,
        *,
        unknown_for: float = UNKNOWN_FOR,
        refresh_after: float = REFRESH_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sites = sites
        #: Site id -> (the site, when it was read).
        self._known: dict[int, tuple[Site, float]] = {}
        self._unknown: dict[int, float] = {}
        self._unknown_for = unknown_for
        self._refresh_after = refresh_after
        self._clock = clock
        self._asking: dict[int, asyncio.Future[Site | None]] = {}

    async def get(self, site_id: int) -> Site | None:
        """The site, or None if there is no such site."""
        known = self._known.get(site_id)
        if known is not None:
            site, read_at = known
            if self._clock() - read_at >= self._refresh_after and site_id not in self._asking:
                self._ask_in_background(site_id)
            return site
        until = self._unknown.get(site_id)
        if until is not None and until > self._clock():
            return None
        return await asyncio.shield(self._asking.get(site_id) or self._start_asking(site_id))

    async def exists(self, site_id: int) -> bool:
        return await self.get(site_id) is not None

    def remember(self, site: Site) -> None:
        """This worker just saved ``site``: use the new settings at once."""
        self._store(site)

    def forget(self, site_id: int) -> None:
        """The database says the site is gone."""
        self._known.pop(site_id, None)
        self._remember_unknown(site_id)

    def _start_asking(self, site_id: int) -> asyncio.Future[Site | None]:
        asking = asyncio.ensure_future(self._ask(site_id))
        self._asking[site_id] = asking
        return asking

    def _ask_in_background(self, site_id: int) -> None:
        def settle(done: asyncio.Future[Site | None]) -> None:
            # A failing database leaves the copy in use; the next request tries again.
            if not done.cancelled() and isinstance(done.exception(), StorageUnavailable):
                log.warning("cannot refresh site %d: %s", site_id, done.exception())

        self._start_asking(site_id).add_done_callback(settle)

    async def _ask(self, site_id: int) -> Site | None:
        try:
            site = await asyncio.to_thread(self._sites.get, site_id)
        finally:
            with contextlib.suppress(KeyError):
                del self._asking[site_id]
        if site is None:
            self.forget(site_id)
            return None
        self._store(site)
        return site

    def _store(self, site: Site) -> None:
        if len(self._known) >= MAX_KNOWN and site.id not in self._known:
            self._known.clear()
        self._known[site.id] = (site, self._clock())
        self._unknown.pop(site.id, None)

    def _remember_unknown(self, site_id: int) -> None:
        now = self._clock()
        if len(self._unknown) >= MAX_UNKNOWN:
            self._unknown = {k: until for k, until in self._unknown.items() if until > now}
            if len(self._unknown) >= MAX_UNKNOWN:
                self._unknown.clear()
        self._unknown[site_id] = now + self._unknown_for
