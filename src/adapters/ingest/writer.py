"""Group commit: many concurrent requests, one transaction, and an answer only once it is durable.

``await writer.submit(visit)`` returns once the transaction holding the visit has committed, or
raises: ``StorageUnavailable`` (queue full, or no commit within the bounded wait: the visit is
then never stored), ``VisitsRefused`` (the database refused this very visit). Batches are
formed on the event loop and written through a ``VisitBatches``: a ``WriterProcess`` that
hands them to a child process, a ``SharedWriterClient`` that hands them to the writer process
the server's workers share, or ``InThread``, the ``VisitRepository`` port itself in a thread,
so it works the same over SQL and in memory.

How many batches may be in flight at once is the ``VisitBatches``' ``depth``. ``InThread``
takes one: arrivals form the next batch while it is written. A writer process takes several:
when a write outlasts ``flush_after`` (PostgreSQL's take about 5 ms), what arrived meanwhile
goes out then, and the writer finds it waiting in its socket when it is done, instead of
waiting for the serving process to notice its reply and send more. Everything waiting there
is stored in one transaction, so the batches stay as large as before.

Why the event loop owns the queue: every decision about an entry (take it into a batch, give
up on it after the wait, drop it when its request was cancelled) happens on one thread, so an
entry answered 503 can never be written later, and an entry being written is never given up
on: its request waits for the outcome. The store only ever sees a finished list of visits.
Two traps this avoids by design: a batch is capped (a writer starved of the GIL cannot let
batches grow without bound), and a write in progress is never cancelled (shutdown waits).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import enum
import logging
import time
from collections.abc import Sequence
from typing import Protocol

import attrs

from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable, VisitsRefused
from tracking_core.ports import VisitRepository

log = logging.getLogger(__name__)

#: How long to wait before writing again after the database failed, doubling up to the max.
FIRST_BACKOFF = 0.05
MAX_BACKOFF = 1.0
#: How long a failure counts against the writer's health once nothing waits to be retried.
FAILURES_COUNT_FOR = 30.0


class VisitBatches(Protocol):
    """What stores the batches: ``add_many`` as the ``VisitRepository`` port has it, awaited
    on the event loop; and a lifecycle."""

    #: How many ``add_many`` calls may be in progress at once, each answered for its own
    #: batch (the visits of all of them together never exceed the writer's ``max_batch``).
    depth: int

    async def open(self) -> None: ...

    async def add_many(self, visits: Sequence[Visit]) -> None: ...

    async def close(self) -> None: ...


class InThread:
    """Batches stored by the repository itself, in a thread of their own."""

    #: One at a time: a second batch is better gathered while the first is written.
    depth = 1

    def __init__(self, visits: VisitRepository) -> None:
        self.visits = visits
        # One thread: batches are written in order, never two at once (SQLite has one writer).
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="visit-writer")

    async def open(self) -> None:
        return None

    async def add_many(self, visits: Sequence[Visit]) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self.visits.add_many, visits)

    async def close(self) -> None:
        self._thread.shutdown(wait=True)


class _State(enum.Enum):
    QUEUED = "queued"
    WRITING = "writing"
    DONE = "done"


class _Entry:
    """One request's visit, from the queue to its answer (a plain class: one per request)."""

    __slots__ = ("deadline", "future", "state", "visit")

    def __init__(self, visit: Visit, future: asyncio.Future[None], deadline: float) -> None:
        self.visit = visit
        self.future = future
        #: ``time.monotonic()`` after which a queued entry is given up on (answered 503).
        self.deadline = deadline
        self.state = _State.QUEUED


@attrs.frozen
class WriterStatus:
    """A snapshot for the health endpoint."""

    queued: int
    capacity: int
    writing: int
    healthy: bool
    last_error: str | None
    committed: int


class GroupCommitWriter:
    """Batches visits from concurrent requests into one transaction each.

    ``flush_after`` (seconds) is how long the first visit of a batch may wait for company.
    While a write is in progress, arrivals form the next batch: it goes out when the write is
    done or, if the ``VisitBatches``' depth allows another batch in flight, after
    ``flush_after``, whichever is first.
    """

    def __init__(
        self,
        visits: VisitBatches,
        *,
        max_batch: int = 1000,
        flush_after: float = 0.002,
        max_queue: int = 10_000,
        commit_timeout: float = 2.0,
        failures_count_for: float = FAILURES_COUNT_FOR,
    ) -> None:
        self._visits = visits
        self._failures_count_for = failures_count_for
        self._max_batch = max_batch
        self._flush_after = flush_after
        self._max_queue = max_queue
        self._commit_timeout = commit_timeout
        self._queue: collections.deque[_Entry] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        #: The batches in flight, each with the task that writes it.
        self._writing: dict[asyncio.Task[list[BaseException | None]], list[_Entry]] = {}
        #: Their visits, counted as they come and go: ``_schedule`` runs for every request.
        self._writing_count = 0
        self._flush_timer: asyncio.TimerHandle | None = None
        self._expiry_timer: asyncio.TimerHandle | None = None
        self._retry_at = 0.0
        self._backoff = FIRST_BACKOFF
        self._last_error: str | None = None
        self._last_error_at = 0.0
        self._committed = 0
        self._closing = False
        self._closed = False
        self._idle = asyncio.Event()

    # -- requests' side ---------------------------------------------------------------------

    async def submit(self, visit: Visit) -> None:
        """Return once ``visit`` is committed; raise if it was not and never will be."""
        loop = self._loop
        if loop is None or self._closing:
            raise StorageUnavailable("the server is shutting down", retry_after=1)
        if len(self._queue) >= self._max_queue:
            raise StorageUnavailable("too many visits are waiting to be stored", retry_after=1)
        entry = _Entry(visit, loop.create_future(), time.monotonic() + self._commit_timeout)
        self._queue.append(entry)
        self._schedule()
        try:
            await entry.future
        except asyncio.CancelledError:
            # The request is gone: drop its visit unless it is already being written.
            if entry.state is _State.QUEUED:
                entry.state = _State.DONE
            raise

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._visits.open()
        self._idle.set()

    async def close(self) -> None:
        """Stop taking visits, write every queued one (or give up on it after the usual wait),
        and wait for the write in progress: it is never cancelled."""
        self._closing = True
        if self._loop is not None:
            while self._queue or self._writing:
                self._idle.clear()
                self._schedule(now=True)
                if self._queue or self._writing:
                    await self._idle.wait()
        for timer in (self._flush_timer, self._expiry_timer):
            if timer is not None:
                timer.cancel()
        if self._loop is not None and not self._closed:
            self._closed = True
            await self._visits.close()

    def status(self) -> WriterStatus:
        return WriterStatus(
            queued=len(self._queue),
            capacity=self._max_queue,
            writing=self._writing_count,
            healthy=self._last_error is None or self._failure_is_stale(),
            last_error=self._last_error,
            committed=self._committed,
        )

    def _failure_is_stale(self) -> bool:
        """Whether the last failure no longer says anything: nothing waits to be retried, and
        it is older than ``failures_count_for`` (an unhealthy server behind a load balancer
        gets no beacons, so only time can show it healthy again)."""
        idle = not self._queue and not self._writing
        return idle and time.monotonic() - self._last_error_at > self._failures_count_for

    # -- the loop's side: forming batches ---------------------------------------------------

    def _schedule(self, *, now: bool = False) -> None:
        """Start a write if one is due; otherwise make sure a timer will start it."""
        if not self._queue:
            return
        self._arm_expiry()
        if len(self._writing) >= self._visits.depth or self._writing_count >= self._max_batch:
            return
        loop = self._running_loop()
        wait = self._retry_at - loop.time()
        if wait <= 0 and (now or self._closing or len(self._queue) >= self._max_batch):
            self._write_batch()
            return
        if self._flush_timer is None:
            # Not at the loop's next turn while a batch is in flight: a batch per turn cost
            # the serving process more (a frame each) than the writer gained (SQLite, 1
            # worker: 0.435 of the bare app vs 0.449, 4 alternating rounds).
            delay = max(wait, 0 if (now or self._closing) else self._flush_after)
            self._flush_timer = loop.call_later(delay, self._on_flush_timer)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the writer was not started")
        return self._loop

    def _on_flush_timer(self) -> None:
        self._flush_timer = None
        self._schedule(now=True)

    def _write_batch(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        batch: list[_Entry] = []
        queue = self._queue
        room = self._max_batch - self._writing_count
        while queue and len(batch) < room:
            entry = queue.popleft()
            if entry.state is _State.QUEUED:
                entry.state = _State.WRITING
                batch.append(entry)
        if not batch:
            self._schedule()
            self._wake_closer()
            return
        task = self._running_loop().create_task(
            _write(self._visits, [entry.visit for entry in batch])
        )
        # Held here too: the loop keeps only a weak reference to a task.
        self._writing[task] = batch
        self._writing_count += len(batch)
        task.add_done_callback(self._on_written)

    def _on_written(self, done: asyncio.Task[list[BaseException | None]]) -> None:
        batch = self._writing.pop(done)
        self._writing_count -= len(batch)
        try:
            outcomes = done.result()
        except BaseException as error:  # a bug in an adapter: every request learns of it
            log.exception("storing %d visits failed unexpectedly", len(batch))
            outcomes = [error] * len(batch)
        retry: list[_Entry] = []
        answered: list[tuple[_Entry, BaseException | None]] = []
        for entry, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, StorageUnavailable) and not outcome.maybe_stored:
                entry.state = _State.QUEUED  # nothing was stored: it may try again in time
                retry.append(entry)
            else:
                entry.state = _State.DONE
                answered.append((entry, outcome))
        stored = sum(1 for outcome in outcomes if outcome is None)
        self._committed += stored
        lost = next((o for o in outcomes if isinstance(o, StorageUnavailable)), None)
        if retry:
            self._note_failure(retry, outcomes)
        elif lost is not None:  # may be stored, so not written again: a failure all the same
            self._note_error(lost)
        elif stored:
            self._note_success()
        self._expire(time.monotonic())
        # The next batch is sent before this one's requests are answered: its write task
        # then runs ahead of their responses on the loop, and the writer does not sit idle
        # while they go out (it waited about 0.6 ms a batch at 32 visits).
        self._schedule(now=True)
        for entry, outcome in answered:
            if entry.future.done():  # cancelled meanwhile: its visit is stored all the same
                continue
            if outcome is None:
                entry.future.set_result(None)
            else:
                entry.future.set_exception(outcome)
        self._wake_closer()

    def _note_failure(self, retry: list[_Entry], outcomes: Sequence[BaseException | None]) -> None:
        error = next(o for o in outcomes if isinstance(o, StorageUnavailable))
        self._note_error(error)
        self._queue.extendleft(reversed(retry))
        self._retry_at = self._running_loop().time() + self._backoff
        self._backoff = min(self._backoff * 2, MAX_BACKOFF)

    def _note_error(self, error: StorageUnavailable) -> None:
        if self._last_error is None:
            log.warning("cannot store visits: %s", error)
        self._last_error = str(error)
        self._last_error_at = time.monotonic()

    def _note_success(self) -> None:
        if self._last_error is not None:
            log.warning("storing visits again")
        self._last_error = None
        self._backoff = FIRST_BACKOFF

    # -- giving up on queued visits after the bounded wait ----------------------------------

    def _arm_expiry(self) -> None:
        """One timer for the oldest queued entry: entries expire in arrival order."""
        if self._expiry_timer is not None or not self._queue:
            return
        delay = max(0.0, self._queue[0].deadline - time.monotonic()) + 0.001
        self._expiry_timer = self._running_loop().call_later(delay, self._on_expiry_timer)

    def _on_expiry_timer(self) -> None:
        self._expiry_timer = None
        self._expire(time.monotonic())
        self._arm_expiry()
        self._wake_closer()

    def _expire(self, now: float) -> None:
        queue = self._queue
        while queue and (queue[0].deadline <= now or queue[0].state is not _State.QUEUED):
            entry = queue.popleft()
            if entry.state is _State.QUEUED:
                entry.state = _State.DONE
                if not entry.future.done():
                    message = "the database did not store the visit in time"
                    entry.future.set_exception(StorageUnavailable(message, retry_after=2))

    def _wake_closer(self) -> None:
        if not self._queue and not self._writing:
            self._idle.set()


async def _write(visits: VisitBatches, batch: list[Visit]) -> list[BaseException | None]:
    """Store the batch; if the database refuses it, find the bad rows.

    Returns one outcome per visit: None when stored, else the error for that visit.
    """
    try:
        await visits.add_many(batch)
    except StorageUnavailable as error:
        return [error] * len(batch)
    except VisitsRefused as error:
        if len(batch) == 1:
            return [error]
        # Halve until the refused rows are alone; every good half commits on its own.
        middle = len(batch) // 2
        return await _write(visits, batch[:middle]) + await _write(visits, batch[middle:])
    return [None] * len(batch)
