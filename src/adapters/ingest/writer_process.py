"""The group commit's batches written by a child process, outside the serving process's GIL.

Storing a batch is mostly Python (sessions, counts, texts: tens of µs a visit). In the serving
process's writer thread it competed for the GIL with the event loop that parses and answers
the requests; in a child process it runs beside it, on the other core. The serving process
only encodes each visit as a tuple (``visit_codec``, about 2 µs) and waits for the answer
without holding the GIL.

The contract is the in-thread writer's: ``add_many`` returns once the batch is committed, or
raises ``VisitsRefused`` / ``StorageUnavailable`` when nothing was stored. When the child
dies with a batch in hand, whether it committed is unknown: that raises ``StorageUnavailable``
with ``maybe_stored`` set, so the batch is answered 503 and not written twice; the next batch
starts a new child.

The child ignores SIGINT and SIGTERM (they are sent to the whole process group; the server
drains through the child before telling it to stop) and exits when its pipe closes, so it
never outlives a server killed with SIGKILL by more than the batch in hand.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from adapters.ingest.visit_codec import decode, encode
from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable, VisitsRefused

log = logging.getLogger(__name__)

#: How long a new child may take to import the database code and connect.
START_TIMEOUT = 60.0
#: How long a stopping child may take to finish and exit before it is killed.
STOP_TIMEOUT = 10.0
# The child's replies: a tuple whose first item is one of these.
_READY, _STORED, _UNAVAILABLE = "ready", "stored", "unavailable"
_REFUSED, _FAILED = "refused", "failed"


class BatchStore(Protocol):
    """What the child stores each batch with: ``VisitRepository.add_many``, and its errors."""

    def add_many(self, visits: Sequence[Visit]) -> None: ...


#: Builds, in the child, what stores a batch; it must be importable by name (``spawn``).
StoreFactory = Callable[[str], BatchStore]


class WriterProcess:
    """``add_many`` through a child process running ``store_factory(database_url).add_many``.

    One batch at a time: the group commit's writer thread is its only caller.
    """

    def __init__(self, database_url: str, store_factory: StoreFactory) -> None:
        self._database_url = database_url
        self._store_factory = store_factory
        # ``spawn``: forking a process that runs an event loop and threads is unsafe.
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._pipe: multiprocessing.connection.Connection | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (for tests and the health endpoint)."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def open(self) -> None:
        """Start the child now rather than on the first batch; raises ``StorageUnavailable``
        when it cannot start."""
        with self._lock:
            self._started()

    def add_many(self, visits: Sequence[Visit]) -> None:
        if not visits:
            return
        payload = pickle.dumps([encode(visit) for visit in visits], protocol=5)
        with self._lock:
            pipe = self._started()
            try:
                pipe.send_bytes(payload)
            except OSError as error:
                # It died between batches: nothing of this one was sent, so try a new child.
                self._discard()
                log.warning("the visit writer process had stopped (%s); starting another", error)
                pipe = self._started()
                pipe.send_bytes(payload)
            try:
                reply = pickle.loads(pipe.recv_bytes())  # noqa: S301 - our own child's reply
            except (EOFError, OSError) as error:
                self._discard()
                log.error("the visit writer process died while storing %d visits", len(visits))
                raise StorageUnavailable(
                    f"the visit writer stopped while storing: {error or 'no answer'}",
                    maybe_stored=True,
                ) from error
        _raise_for(reply)

    def close(self) -> None:
        """Let the child finish and exit (the group commit has written everything by now)."""
        with self._lock:
            process, pipe = self._process, self._pipe
            self._process = self._pipe = None
            if process is None or pipe is None:
                return
            with contextlib.suppress(OSError):  # already gone
                pipe.send_bytes(b"")
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                log.error("the visit writer process did not stop in time; killing it")
                process.kill()
                process.join()
            pipe.close()

    def _started(self) -> multiprocessing.connection.Connection:
        if self._pipe is not None and self._process is not None and self._process.is_alive():
            return self._pipe
        self._discard()
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=serve,
            args=(self._database_url, self._store_factory, theirs),
            name="tracking-visit-writer",
            daemon=True,
        )
        process.start()
        theirs.close()
        try:
            ready = ours.poll(START_TIMEOUT) and pickle.loads(ours.recv_bytes())  # noqa: S301
        except (EOFError, OSError):
            ready = False
        if not ready or ready[0] != _READY:
            process.kill()
            process.join()
            ours.close()
            detail = ready[1] if ready else "it did not start"
            raise StorageUnavailable(f"cannot start the visit writer: {detail}")
        self._process, self._pipe = process, ours
        return ours

    def _discard(self) -> None:
        process, pipe = self._process, self._pipe
        self._process = self._pipe = None
        if pipe is not None:
            pipe.close()
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join()


def _raise_for(reply: tuple[Any, ...]) -> None:
    kind = reply[0]
    if kind == _STORED:
        return
    if kind == _UNAVAILABLE:
        raise StorageUnavailable(reply[1])
    if kind == _REFUSED:
        raise VisitsRefused(reply[1], site_gone=reply[2])
    raise RuntimeError(f"the visit writer failed: {reply[1]}")


def serve(
    database_url: str, store_factory: StoreFactory, pipe: multiprocessing.connection.Connection
) -> None:
    """The child: store each batch it is sent and answer how it went, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        store = store_factory(database_url)
    except Exception as error:  # the parent reports it
        pipe.send_bytes(pickle.dumps((_FAILED, f"{type(error).__name__}: {error}")))
        return
    pipe.send_bytes(pickle.dumps((_READY,)))
    while True:
        try:
            payload = pipe.recv_bytes()
        except (EOFError, OSError):  # the server is gone
            return
        if not payload:
            return
        visits = [decode(row) for row in pickle.loads(payload)]  # noqa: S301 - our parent's
        try:
            store.add_many(visits)
            reply: tuple[Any, ...] = (_STORED,)
        except StorageUnavailable as error:
            reply = (_UNAVAILABLE, str(error))
        except VisitsRefused as error:
            reply = (_REFUSED, str(error), error.site_gone)
        except Exception as error:  # a bug: the parent's requests learn of it, the child lives
            log.exception("storing %d visits failed unexpectedly", len(visits))
            reply = (_FAILED, f"{type(error).__name__}: {error}")
        try:
            pipe.send_bytes(pickle.dumps(reply))
        except OSError:
            return
