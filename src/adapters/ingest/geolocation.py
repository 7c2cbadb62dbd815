"""Locations, looked up in the background and filled in on visits already stored.

The beacon never waits for the geodata service. It asks ``location_for(ip)``: a cached answer
goes straight into the visit; otherwise the visit is stored with its location pending, and
once committed, ``notice(ip)`` queues the address. A background task looks queued addresses
up (a few at a time, in threads of its own, each bounded by the adapter's timeout), caches the
answers, and writes them to the stored visits through the ``VisitRepository`` port. A circuit
breaker stops asking a failing service; a periodic sweep of the database finds the visits
recorded meanwhile (or before a restart) once the service is back.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Sequence

from adapters.ingest.breaker import CircuitBreaker
from tracking_core.client_ip import parse_ip
from tracking_core.entities import Location
from tracking_core.errors import GeodataUnavailable, StorageUnavailable
from tracking_core.ports import Geodata, IPAddress, VisitRepository
from tracking_core.use_cases.visits import is_locatable

log = logging.getLogger(__name__)

#: Each address is asked about at most this many times before it is given up on.
GIVE_UP_AFTER = 5
#: How many addresses to take from the database per sweep.
SWEEP_BATCH = 500
MAX_QUEUED = 10_000


class LocationResolver:
    """Fills in visits' locations off the request path; see the module's docstring."""

    def __init__(
        self,
        visits: VisitRepository,
        geodata: Geodata,
        *,
        concurrency: int = 4,
        cache_ttl: float = 24 * 3600.0,
        cache_size: int = 50_000,
        retry_every: float = 30.0,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._visits = visits
        self._geodata = geodata
        self._concurrency = concurrency
        self._cache_ttl = cache_ttl
        self._cache_size = cache_size
        self._retry_every = retry_every
        self._breaker = breaker or CircuitBreaker(open_for=retry_every)
        #: Address -> (expires at, location or None when unknown or not public).
        self._cache: dict[IPAddress, tuple[float, Location | None]] = {}
        self._queued: dict[str, None] = {}
        self._wake = asyncio.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(concurrency, thread_name_prefix="geo")
        self._task: asyncio.Task[None] | None = None

    # -- the beacon's side ------------------------------------------------------------------

    def location_for(self, ip: IPAddress | None) -> tuple[Location | None, bool]:
        """``(location, pending)`` for a new visit from ``ip``, without waiting for anything."""
        if ip is None:
            return None, False
        cached = self._cache.get(ip)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], False
        if not is_locatable(ip):
            self._remember(ip, None, forever=True)
            return None, False
        return None, True

    def notice(self, ip: IPAddress) -> None:
        """A visit from ``ip`` with its location pending is now stored: look it up soon."""
        if len(self._queued) < MAX_QUEUED and not self._breaker.is_open:
            self._queued[str(ip)] = None
            self._wake.set()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="location-resolver")
        self._task.add_done_callback(_report_crash)

    async def close(self) -> None:
        """Stop looking up: what is still pending is found by the next run's first sweep."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- the background task ----------------------------------------------------------------

    async def _run(self) -> None:
        next_sweep = 0.0
        while True:
            if time.monotonic() >= next_sweep and not self._breaker.is_open:
                await self._sweep()
                next_sweep = time.monotonic() + self._retry_every
            while self._queued and self._breaker.allow():
                # A breaker that lets a call through after being open wants a single trial.
                await self._resolve(self._take(1 if self._breaker.trying else self._concurrency))
            wait = next_sweep - time.monotonic()
            if self._breaker.is_open:
                self._queued.clear()  # the sweep finds them again in the database
                wait = min(wait, self._breaker.seconds_until_trial())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))

    def _take(self, count: int) -> list[str]:
        taken = []
        for ip in self._queued:
            taken.append(ip)
            if len(taken) == count:
                break
        for ip in taken:
            del self._queued[ip]
        return taken

    async def _sweep(self) -> None:
        try:
            pending = await asyncio.to_thread(self._visits.ips_missing_location, SWEEP_BATCH)
        except StorageUnavailable as error:
            log.warning("cannot read the visits waiting for a location: %s", error)
            return
        for ip in pending:
            if len(self._queued) >= MAX_QUEUED:
                break
            self._queued[ip] = None

    async def _resolve(self, ips: Sequence[str]) -> None:
        loop = asyncio.get_running_loop()
        answers = await asyncio.gather(
            *(loop.run_in_executor(self._pool, self._lookup, ip) for ip in ips)
        )
        found: dict[str, Location | None] = {}
        failed: list[str] = []
        for ip, answer in zip(ips, answers, strict=True):
            if isinstance(answer, GeodataUnavailable):
                log.warning("%s", answer)
                self._breaker.failed()
                failed.append(ip)
                continue
            self._breaker.succeeded()
            found[ip] = answer
            address = parse_ip(ip)
            if address is not None:
                self._remember(address, answer)
        try:
            if found:
                await asyncio.to_thread(self._visits.set_locations, found)
            if failed:
                await asyncio.to_thread(
                    self._visits.location_lookup_failed, failed, give_up_after=GIVE_UP_AFTER
                )
        except StorageUnavailable as error:
            log.warning("cannot store looked-up locations, will retry: %s", error)

    def _lookup(self, text: str) -> Location | GeodataUnavailable | None:
        """In a thread of the pool: the cache, else the service. Touches no shared state but
        reads the cache: the loop records the outcome (breaker, cache)."""
        ip = parse_ip(text)
        if ip is None or not is_locatable(ip):
            return None  # junk or private in the database: nothing to ask, stop pending
        cached = self._cache.get(ip)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            location = self._geodata.lookup(ip)
        except GeodataUnavailable as error:
            return error
        return None if location is None or location.is_empty() else location

    def _remember(self, ip: IPAddress, location: Location | None, *, forever: bool = False) -> None:
        cache = self._cache
        if len(cache) >= self._cache_size:
            # Drop the oldest tenth: dicts keep insertion order.
            for stale in list(cache)[: self._cache_size // 10 or 1]:
                del cache[stale]
        cache[ip] = (float("inf") if forever else time.monotonic() + self._cache_ttl, location)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the location resolver stopped", exc_info=task.exception())
