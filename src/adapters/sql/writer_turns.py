"""Turns between the SQLite visit writers of several processes, handed over at once.

SQLite lets one transaction write at a time. A second writer waits in SQLite's busy handler,
which sleeps between tries for 1, 2, 5, 10, ... up to 100 ms: with two worker processes whose
writers each hold the lock for a few milliseconds per batch, those sleeps, not the work,
became the latency (p99 over 100 ms at half the peak rate) and two workers stored fewer visits
than one. So the visit writers take turns on an advisory file lock beside the database before
they begin: the waiting one tries again every ``POLL`` seconds, and the busy handler is left
to the rare other writers (accounts, sites, locations found late).

The lock is the kernel's (``flock``): it goes with the process that held it, however it died.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import URL

from tracking_core.errors import StorageUnavailable

#: How often a waiting writer tries again: short beside a batch's few milliseconds.
POLL = 0.0003


def turns_for(url: URL, *, timeout: float) -> WriterTurns | None:
    """The turns of the SQLite database at ``url``; None for a server database or an
    in-memory one (one process only)."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a URI names an in-memory or shared-cache database too
        return None
    return WriterTurns(Path(f"{database}-writer.lock"), timeout=timeout)


class WriterTurns:
    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        # The file lock is the open file's: threads sharing it take turns here first.
        self._threads = threading.Lock()

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the turn for the block; raise ``StorageUnavailable`` after ``timeout`` s."""
        if not self._threads.acquire(timeout=self.timeout):
            raise StorageUnavailable("the database is locked: another visit writer holds it")
        try:
            with self._held():
                yield
        finally:
            self._threads.release()

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        fd = self._open()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StorageUnavailable(
                        "the database is locked: another visit writer holds it"
                    ) from None
                time.sleep(POLL)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as error:
                raise StorageUnavailable(f"cannot open the writers' lock: {error}") from error
        return self._fd
