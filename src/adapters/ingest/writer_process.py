"""The group commit's batches written by a child process, outside the serving process's GIL.

Storing a batch is mostly Python (sessions, counts, texts: tens of µs a visit). In the serving
process's writer thread it competed for the GIL with the event loop that parses and answers
the requests; in a child process it runs beside it, on the other core. The serving process
only encodes each visit as a tuple (``visit_codec``, about 2 µs), writes the batch to the
child's socket, and learns of the answer on its event loop.

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

import asyncio
import contextlib
import gc
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


async def send_frame(writer: asyncio.StreamWriter, payload: bytes) -> None:
    writer.write(frame(payload))
    await writer.drain()


async def receive_reply(reader: asyncio.StreamReader) -> Any:
    (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if size == -1:
        (size,) = _LONG_LENGTH.unpack(await reader.readexactly(_LONG_LENGTH.size))
    return pickle.loads(await reader.readexactly(size))  # noqa: S301 - our own writer's


async def receive_outcome(
    reader: asyncio.StreamReader, count: int, *, forget: Callable[[], None]
) -> None:
    """Wait for the writer's reply to a batch of ``count`` visits and raise what it says went
    wrong. A writer lost meanwhile (``forget`` it) may have committed: ``maybe_stored``."""
    try:
        reply = await receive_reply(reader)
    except (asyncio.IncompleteReadError, OSError) as error:
        forget()
        log.error("the visit writer went away while storing %d visits", count)
        raise StorageUnavailable(
            f"the visit writer stopped while storing: {error or 'no answer'}",
            maybe_stored=True,
        ) from error
    raise_for(reply)


def encode_batch(visits: Sequence[Visit]) -> bytes:
    return pickle.dumps([encode(visit) for visit in visits], protocol=5)


def decode_batch(payload: bytes) -> list[Visit]:
    return [decode(row) for row in pickle.loads(payload)]  # noqa: S301 - our server's


class _Child:
    """A running child and the event loop's stream to it."""

    def __init__(
        self, process: BaseProcess, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.process, self.reader, self.writer = process, reader, writer

    async def send(self, payload: bytes) -> None:
        await send_frame(self.writer, payload)

    async def receive(self) -> Any:
        return await receive_reply(self.reader)

    def discard(self) -> None:
        self.writer.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


class WriterProcess:
    """``add_many`` through a child process running ``store_factory(database_url).add_many``.

    It runs on the event loop: the batch goes out and its answer comes back on a socket the
    loop watches, so no thread of the serving process waits for it (a thread would have to
    win the GIL back from the busy loop, twice a batch). One batch at a time: the group
    commit is its only caller.
    """

    def __init__(self, database_url: str, store_factory: StoreFactory) -> None:
        self._database_url = database_url
        self._store_factory = store_factory
        # ``spawn``: forking a process that runs an event loop and threads is unsafe.
        self._context = multiprocessing.get_context("spawn")
        self._child: _Child | None = None

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
        try:
            await child.send(payload)
        except OSError as error:
            # It died between batches: nothing of this one was sent, so try a new child.
            self._discard()
            log.warning("the visit writer process had stopped (%s); starting another", error)
            child = await self._started()
            await child.send(payload)
        await receive_outcome(child.reader, len(visits), forget=self._discard)

    async def close(self) -> None:
        """Let the child finish and exit (the group commit has written everything by now)."""
        child, self._child = self._child, None
        if child is None:
            return
        with contextlib.suppress(OSError):  # already gone
            await child.send(b"")
        await asyncio.get_running_loop().run_in_executor(None, child.process.join, STOP_TIMEOUT)
        if child.process.is_alive():
            log.error("the visit writer process did not stop in time; killing it")
        child.discard()

    async def _started(self) -> _Child:
        child = self._child
        if child is not None and child.process.is_alive():
            return child
        self._discard()
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
        child = _Child(process, reader, writer)
        try:
            ready = await asyncio.wait_for(child.receive(), START_TIMEOUT)
        except (asyncio.IncompleteReadError, OSError, TimeoutError):
            ready = None
        if not ready or ready[0] != _READY:
            child.discard()
            detail = ready[1] if ready else "it did not start"
            raise StorageUnavailable(f"cannot start the visit writer: {detail}")
        self._child = child
        return child

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
    """The child: store each batch it is sent and answer how it went, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        store = store_factory(database_url)
    except Exception as error:  # the parent reports it
        pipe.send_bytes(pickle.dumps(failed_to_start(error)))
        return
    gc.freeze()  # as the serving process does (``create_app``): shorter full collections
    pipe.send_bytes(pickle.dumps(READY))
    while True:
        try:
            payload = pipe.recv_bytes()
        except (EOFError, OSError):  # the server is gone
            return
        if not payload:
            return
        reply = store_batch(store, decode_batch(payload))
        try:
            pipe.send_bytes(pickle.dumps(reply))
        except OSError:
            return


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
