"""The group commit's batches written by a child process, outside the serving process's GIL.

Storing a batch is mostly Python (sessions, counts, texts: tens of µs a visit). In the serving
process's writer thread it competed for the GIL with the event loop that parses and answers
the requests; in a child process it runs beside it, on the other core. The serving process
only encodes each visit as a tuple (``visit_codec``, about 2 µs), writes the batch to the
child's socket, and learns of the answer on its event loop.

The contract is the in-thread writer's: ``add_many`` returns once the batch is committed, or
raises ``VisitsRefused`` / ``StorageUnavailable`` when nothing was stored. Several batches
may be in flight (``DEPTH``): the child stores every batch waiting in its socket in one
transaction and answers each, in the order they came; the serving process reads the answers
in that order. When batches stored together are refused, each is stored on its own, so one
batch's bad visit never sinks another's. When the child dies with batches in hand, whether
they committed is unknown: each raises ``StorageUnavailable`` with ``maybe_stored`` set, so
they are answered 503 and not written twice; the next batch starts a new child.

The child ignores SIGINT and SIGTERM (they are sent to the whole process group; the server
drains through the child before telling it to stop) and exits when its pipe closes, so it
never outlives a server killed with SIGKILL by more than the batches in hand.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import socket
import struct
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
#: How many batches a serving process may have in flight to a writer at once.
DEPTH = 8
# The child's replies: a tuple whose first item is one of these.
_READY, _STORED, _UNAVAILABLE = "ready", "stored", "unavailable"
_REFUSED, _FAILED = "refused", "failed"
# ``multiprocessing.connection``'s framing, which the child reads and writes: a signed 32-bit
# length, or -1 and an unsigned 64-bit one.
_LENGTH, _LONG_LENGTH, _LONG = struct.Struct("!i"), struct.Struct("!Q"), 0x7FFFFFFF


class BatchStore(Protocol):
    """What the child stores each batch with: ``VisitRepository.add_many``, and its errors."""

    def add_many(self, visits: Sequence[Visit]) -> None: ...


#: Builds, in the child, what stores a batch; it must be importable by name (``spawn``).
StoreFactory = Callable[[str], BatchStore]


def frame(payload: bytes) -> bytes:
    """``payload`` with its length before it, as ``multiprocessing.connection`` frames it."""
    size = len(payload)
    head = _LENGTH.pack(size) if size <= _LONG else _LENGTH.pack(-1) + _LONG_LENGTH.pack(size)
    return head + payload


def take_frame(received: bytearray) -> bytes | None:
    """The first whole payload ``frame`` made in ``received``, taken out of it; None until
    one is whole."""
    if len(received) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack_from(received)
    start = _LENGTH.size
    if size == -1:
        start += _LONG_LENGTH.size
        if len(received) < start:
            return None
        (size,) = _LONG_LENGTH.unpack_from(received, _LENGTH.size)
    if len(received) < start + size:
        return None
    payload = bytes(received[start : start + size])
    del received[: start + size]
    return payload


async def receive_reply(reader: asyncio.StreamReader) -> Any:
    (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if size == -1:
        (size,) = _LONG_LENGTH.unpack(await reader.readexactly(_LONG_LENGTH.size))
    return pickle.loads(await reader.readexactly(size))  # noqa: S301 - our own writer's


class BatchChannel:
    """Batches sent to a writer on a stream, and its replies read back in the same order.

    One task reads the replies, so any number of batches may be in flight. When the stream
    ends with batches unanswered, the writer may have committed them: each raises
    ``StorageUnavailable`` with ``maybe_stored``, and ``on_lost`` is told.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_lost: Callable[[BatchChannel], None],
    ) -> None:
        self._reader, self._writer, self._on_lost = reader, writer, on_lost
        self._waiting: collections.deque[tuple[asyncio.Future[Any], int]] = collections.deque()
        self.lost = False
        self._replies = asyncio.get_running_loop().create_task(self._read_replies())

    async def store(self, payload: bytes, count: int) -> None:
        """Send a batch of ``count`` visits; return once it is committed, or raise."""
        if self.lost:  # nothing of this batch was sent
            raise StorageUnavailable("the visit writer stopped")
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((reply, count))
        self._writer.write(frame(payload))
        with contextlib.suppress(OSError):  # the reader learns of it too, and answers
            await self._writer.drain()
        raise_for(await reply)

    def send_stop(self) -> None:
        """Tell the writer to finish and exit (an empty batch)."""
        if not self.lost:
            self._writer.write(frame(b""))

    def close(self) -> None:
        self._writer.close()

    async def _read_replies(self) -> None:
        try:
            while True:
                reply = await receive_reply(self._reader)
                future, _ = self._waiting.popleft()
                future.set_result(reply)
        except (asyncio.IncompleteReadError, OSError) as error:
            self._lose(error)
        except Exception as error:  # a reply it cannot read: trust nothing more from it
            log.exception("unreadable reply from the visit writer")
            self._lose(error)

    def _lose(self, error: BaseException) -> None:
        self.lost = True
        self._writer.close()
        waiting, self._waiting = self._waiting, collections.deque()
        if waiting:
            count = sum(count for _, count in waiting)
            log.error("the visit writer went away while storing %d visits", count)
        for future, _ in waiting:
            future.set_exception(
                StorageUnavailable(
                    f"the visit writer stopped while storing: {error or 'no answer'}",
                    maybe_stored=True,
                )
            )
        self._on_lost(self)


def encode_batch(visits: Sequence[Visit]) -> bytes:
    return pickle.dumps([encode(visit) for visit in visits], protocol=5)


def decode_batch(payload: bytes) -> list[Visit]:
    return [decode(row) for row in pickle.loads(payload)]  # noqa: S301 - our server's


class _Child:
    """A running child and the event loop's channel to it."""

    def __init__(self, process: BaseProcess, channel: BatchChannel) -> None:
        self.process, self.channel = process, channel

    def running(self) -> bool:
        return not self.channel.lost and self.process.is_alive()

    def discard(self) -> None:
        self.channel.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


class WriterProcess:
    """``add_many`` through a child process running ``store_factory(database_url).add_many``.

    It runs on the event loop: the batches go out and their answers come back on a socket
    the loop watches, so no thread of the serving process waits for them (a thread would
    have to win the GIL back from the busy loop, twice a batch).
    """

    depth = DEPTH

    def __init__(self, database_url: str, store_factory: StoreFactory) -> None:
        self._database_url = database_url
        self._store_factory = store_factory
        # ``spawn``: forking a process that runs an event loop and threads is unsafe.
        self._context = multiprocessing.get_context("spawn")
        self._child: _Child | None = None
        self._starting = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs (for tests and the health endpoint)."""
        child = self._child
        return child.process.pid if child is not None and child.process.is_alive() else None

    async def open(self) -> None:
        """Start the child now rather than on the first batch; raises ``StorageUnavailable``
        when it cannot start."""
        await self._started()

    async def add_many(self, visits: Sequence[Visit]) -> None:
        if not visits:
            return
        payload = encode_batch(visits)
        child = await self._started()
        await child.channel.store(payload, len(visits))

    async def close(self) -> None:
        """Let the child finish and exit (the group commit has written everything by now)."""
        child, self._child = self._child, None
        if child is None:
            return
        with contextlib.suppress(OSError):  # already gone
            child.channel.send_stop()
        await asyncio.get_running_loop().run_in_executor(None, child.process.join, STOP_TIMEOUT)
        if child.process.is_alive():
            log.error("the visit writer process did not stop in time; killing it")
        child.discard()

    async def _started(self) -> _Child:
        child = self._child
        if child is not None and child.running():
            return child
        async with self._starting:  # batches sent meanwhile wait for the same child
            child = self._child
            if child is not None and child.running():
                return child
            self._discard()
            self._child = await self._start()
            return self._child

    async def _start(self) -> _Child:
        ours, theirs = socket.socketpair()
        theirs_connection = multiprocessing.connection.Connection(theirs.detach())
        process = self._context.Process(
            target=serve,
            args=(self._database_url, self._store_factory, theirs_connection),
            name="tracking-visit-writer",
            daemon=True,
        )
        try:
            process.start()
        finally:
            theirs_connection.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        try:
            ready = await asyncio.wait_for(receive_reply(reader), START_TIMEOUT)
        except (asyncio.IncompleteReadError, OSError, TimeoutError):
            ready = None
        if not ready or ready[0] != _READY:
            writer.close()
            if process.is_alive():
                process.kill()
            process.join()
            detail = ready[1] if ready else "it did not start"
            raise StorageUnavailable(f"cannot start the visit writer: {detail}")
        return _Child(process, BatchChannel(reader, writer, on_lost=self._lost))

    def _lost(self, channel: BatchChannel) -> None:
        child = self._child
        if child is not None and child.channel is channel:
            self._discard()

    def _discard(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.discard()


def raise_for(reply: tuple[Any, ...]) -> None:
    """Raise what the writer's ``reply`` says went wrong, if anything."""
    kind = reply[0]
    if kind == _STORED:
        return
    if kind == _UNAVAILABLE:
        # All of it: a batch that may be stored must not be written again.
        raise StorageUnavailable(reply[1], retry_after=reply[2], maybe_stored=reply[3])
    if kind == _REFUSED:
        raise VisitsRefused(reply[1], site_gone=reply[2])
    raise RuntimeError(f"the visit writer failed: {reply[1]}")


def serve(
    database_url: str, store_factory: StoreFactory, pipe: multiprocessing.connection.Connection
) -> None:
    """The child: store the batches it is sent and answer how each went, until told to stop.

    Whatever has arrived while it was storing is stored together, in one transaction."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        store = store_factory(database_url)
    except Exception as error:  # the parent reports it
        pipe.send_bytes(pickle.dumps(failed_to_start(error)))
        return
    gc.freeze()  # as the serving process does (``create_app``): shorter full collections
    pipe.send_bytes(pickle.dumps(READY))
    stopping = False
    while not stopping:
        payloads: list[bytes] = []
        try:
            # Block for one batch, then take the others already waiting (the server sends
            # each batch whole, so a readable pipe holds a whole one, or will at once).
            while not payloads or pipe.poll(0):
                payload = pipe.recv_bytes()
                if not payload:
                    stopping = True
                    break
                payloads.append(payload)
        except (EOFError, OSError):  # the server is gone: it awaits no answer
            return
        if not payloads:
            return
        replies = store_together(store, [decode_batch(payload) for payload in payloads])
        try:
            for reply in replies:
                pipe.send_bytes(pickle.dumps(reply))
        except OSError:
            return


def store_together(store: BatchStore, batches: Sequence[Sequence[Visit]]) -> list[tuple[Any, ...]]:
    """Store ``batches`` in one transaction; the reply for each. When they are refused
    together, each is stored on its own: one batch's bad visit never sinks another."""
    if len(batches) == 1:
        return [store_batch(store, batches[0])]
    # In time order: each batch is, and the sessions are worked out hit by hit.
    together = sorted(itertools.chain.from_iterable(batches), key=lambda visit: visit.created_at)
    reply = store_batch(store, together)
    if refused(reply):
        return [store_batch(store, visits) for visits in batches]
    return [reply] * len(batches)


def store_batch(store: BatchStore, visits: Sequence[Visit]) -> tuple[Any, ...]:
    """Store ``visits``; the reply that says how it went (``raise_for`` reads it)."""
    try:
        store.add_many(visits)
    except StorageUnavailable as error:
        return (_UNAVAILABLE, str(error), error.retry_after, error.maybe_stored)
    except VisitsRefused as error:
        return (_REFUSED, str(error), error.site_gone)
    except Exception as error:  # a bug: the requests learn of it, the writer lives on
        log.exception("storing %d visits failed unexpectedly", len(visits))
        return (_FAILED, f"{type(error).__name__}: {error}")
    return STORED


def refused(reply: tuple[Any, ...]) -> bool:
    return bool(reply[0] == _REFUSED)


#: The reply for a batch committed.
STORED: tuple[Any, ...] = (_STORED,)
#: The first reply of a writer ready for batches.
READY: tuple[Any, ...] = (_READY,)


def failed_to_start(error: Exception) -> tuple[Any, ...]:
    return (_FAILED, f"{type(error).__name__}: {error}")
