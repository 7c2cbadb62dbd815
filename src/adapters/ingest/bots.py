"""Counting the bot hits the beacon filters out, without a write per bot.

Nothing of a bot's hit is stored, only how many there were per site and day, so the owner
can see that filtering happens. The counts gather in memory and are added to the database
every few seconds (and at shutdown) by a background task; if the database is down they wait
for the next round. Counts are a courtesy, not a promise: a crash loses the last few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import date

from tracking_core.errors import StorageUnavailable, VisitsRefused
from tracking_core.ports import VisitRepository

log = logging.getLogger(__name__)

FLUSH_EVERY = 5.0
#: Past this many (site, day) pairs waiting, new ones are dropped: memory stays bounded.
MAX_PENDING = 10_000


class BotTally:
    def __init__(self, visits: VisitRepository, *, flush_every: float = FLUSH_EVERY) -> None:
        self._visits = visits
        self._flush_every = flush_every
        self._pending: Counter[tuple[int, date]] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def count(self, site_id: int, day: date) -> None:
        key = (site_id, day)
        if key in self._pending or len(self._pending) < MAX_PENDING:
            self._pending[key] += 1

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bot-tally")

    async def close(self) -> None:
        """Store what is counted; a write in progress is waited for, never cancelled."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        await self.flush()

    async def flush(self) -> None:
        if not self._pending:
            return
        counts, self._pending = self._pending, Counter()
        try:
            await asyncio.to_thread(self._visits.count_bots, dict(counts))
        except StorageUnavailable as error:
            log.warning("cannot store bot counts, will retry: %s", error)
            counts.update(self._pending)
            self._pending = counts
        except VisitsRefused as error:  # a site deleted meanwhile: its bots no longer matter
            log.warning("bot counts refused, dropped: %s", error)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._flush_every)
            await self.flush()
