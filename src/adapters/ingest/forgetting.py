"""Forgetting on a schedule what must not outlive its day, even on a day without visitors.

Every ``every`` seconds (an hour by default, well inside the 48 hours) and at start-up:

- salts made more than 48 hours ago are deleted (``forget_old_salts``); making a day's first
  salt deletes them too, but a site with no visit for days would keep its last ones;
- what the writer keeps to continue visitors' visits (their latest visit) is dropped for
  days that are over everywhere: a visitor id of those days cannot come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from tracking_core.errors import StorageUnavailable
from tracking_core.ports import Clock, SaltStore, VisitRepository
from tracking_core.reports.visitor_ids import forget_old_salts

log = logging.getLogger(__name__)

EVERY = 3600.0
#: A site's local day is at most a day away from UTC's: two days back, every zone's day is over.
DAYS_KEPT = timedelta(days=2)


class Forgetting:
    def __init__(
        self, salts: SaltStore, visits: VisitRepository, clock: Clock, *, every: float = EVERY
    ) -> None:
        self._salts = salts
        self._visits = visits
        self._clock = clock
        self._every = every
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="forgetting")

    async def close(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def forget_now(self) -> int:
        """Delete the expired salts and finished days' visitors; how many salts there were
        (0 if the database is unreachable: the next round tries again)."""
        try:
            deleted = await asyncio.to_thread(
                forget_old_salts, salts=self._salts, clock=self._clock
            )
            before = (self._clock.now() - DAYS_KEPT).date()
            await asyncio.to_thread(self._visits.forget_visitors_before, before)
        except StorageUnavailable as error:
            log.warning("cannot forget expired salts and visitors, will retry: %s", error)
            return 0
        return deleted

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self.forget_now()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._every)
