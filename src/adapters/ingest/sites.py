"""Which site ids exist, answered from memory so the beacon does not ask the database each time."""

from __future__ import annotations

import asyncio
import time

from tracking_core.ports import SiteRepository

#: Sites are rarely deleted, and a visit to a deleted one is refused by the database anyway
#: (then ``forget`` drops it here), so a known id is remembered without expiry.
MAX_KNOWN = 100_000
#: An unknown id is asked about again after this long: a site may be created meanwhile.
UNKNOWN_FOR = 2.0
MAX_UNKNOWN = 10_000


class KnownSites:
    """A cache of site ids over the ``SiteRepository`` port.

    An id seen for the first time is looked up in a thread (off the event loop), once however
    many requests ask at the same moment.
    """

    def __init__(self, sites: SiteRepository, *, unknown_for: float = UNKNOWN_FOR) -> None:
        self._sites = sites
        self._known: set[int] = set()
        self._unknown: dict[int, float] = {}
        self._unknown_for = unknown_for
        self._asking: dict[int, asyncio.Future[bool]] = {}

    async def exists(self, site_id: int) -> bool:
        if site_id in self._known:
            return True
        until = self._unknown.get(site_id)
        if until is not None and until > time.monotonic():
            return False
        asking = self._asking.get(site_id)
        if asking is None:
            asking = asyncio.ensure_future(self._ask(site_id))
            self._asking[site_id] = asking
        return await asyncio.shield(asking)

    def forget(self, site_id: int) -> None:
        """The database says the site is gone."""
        self._known.discard(site_id)
        self._remember_unknown(site_id)

    async def _ask(self, site_id: int) -> bool:
        try:
            site = await asyncio.to_thread(self._sites.get, site_id)
        finally:
            del self._asking[site_id]
        if site is None:
            self._remember_unknown(site_id)
            return False
        if len(self._known) >= MAX_KNOWN:
            self._known.clear()
        self._known.add(site_id)
        self._unknown.pop(site_id, None)
        return True

    def _remember_unknown(self, site_id: int) -> None:
        now = time.monotonic()
        if len(self._unknown) >= MAX_UNKNOWN:
            self._unknown = {k: until for k, until in self._unknown.items() if until > now}
            if len(self._unknown) >= MAX_UNKNOWN:
                self._unknown.clear()
        self._unknown[site_id] = now + self._unknown_for
