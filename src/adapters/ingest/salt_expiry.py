"""Deleting expired salts on a schedule, so they go even on a day without visitors.

Making a day's first salt deletes the expired ones too (``reports.visitor_ids``), but a site
with no visit for days would keep its last salts: this task runs ``forget_old_salts`` at
start-up and then every ``every`` seconds (an hour by default, well inside the 48 hours).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tracking_core.errors import StorageUnavailable
from tracking_core.ports import Clock, SaltStore
from tracking_core.reports.visitor_ids import forget_old_salts

log = logging.getLogger(__name__)

EVERY = 3600.0


class SaltExpiry:
    def __init__(self, salts: SaltStore, clock: Clock, *, every: float = EVERY) -> None:
        self._salts = salts
        self._clock = clock
        self._every = every
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="salt-expiry")

    async def close(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def forget_now(self) -> int:
        """Delete the expired salts; how many there were (0 if the database is unreachable)."""
        try:
            return await asyncio.to_thread(forget_old_salts, salts=self._salts, clock=self._clock)
        except StorageUnavailable as error:
            log.warning("cannot delete expired salts, will retry: %s", error)
            return 0

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self.forget_now()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._every)
