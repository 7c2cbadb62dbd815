"""Today's salt of each site, from memory: the beacon must not ask the database per request.

The ``SaltStore`` is asked once per site and local day (in a thread, once however many
requests arrive together). Only today's and yesterday's salts are held: an older one can no
longer be needed, and forgetting it here is part of forgetting it everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, timedelta

from tracking_core.ports import SaltStore
from tracking_core.reports.visitor_ids import salt_for_day

_ONE_DAY = timedelta(days=1)


class DailySalts:
    def __init__(self, salts: SaltStore) -> None:
        self._salts = salts
        self._held: dict[tuple[int, date], bytes] = {}
        self._asking: dict[tuple[int, date], asyncio.Future[bytes]] = {}
        self._oldest_day = date.min

    async def salt(self, site_id: int, day: date, now: datetime) -> bytes:
        """The salt of the site's ``day``, today at ``now``; raises ``StorageUnavailable`` if
        it cannot be had."""
        key = (site_id, day)
        held = self._held.get(key)
        if held is not None:
            return held
        asking = self._asking.get(key)
        if asking is None:
            asking = asyncio.ensure_future(
                asyncio.to_thread(
                    salt_for_day, salts=self._salts, site_id=site_id, day=key[1], now=now
                )
            )
            self._asking[key] = asking
            asking.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(asking)

    def _settle(self, key: tuple[int, date], done: asyncio.Future[bytes]) -> None:
        with contextlib.suppress(KeyError):
            del self._asking[key]
        if done.cancelled() or done.exception() is not None:
            return  # the waiting requests get the error; the next one asks again
        self._held[key] = done.result()
        self._forget_before(key[1] - _ONE_DAY)

    def _forget_before(self, day: date) -> None:
        if day <= self._oldest_day:
            return
        self._oldest_day = day
        self._held = {key: salt for key, salt in self._held.items() if key[1] >= day}
