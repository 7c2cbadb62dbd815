"""One visit writer process for all the workers of a server on SQLite.

SQLite has one write lock per database: with a writer process per worker, the workers'
batches took it in turns, each paid a batch's fixed cost for half the visits, and four Python
processes shared two cores with the load. Here ``tracking serve`` starts one ``SharedWriter``
before its workers; each worker's group commit hands its batches to it through a
``SharedWriterClient`` on a Unix socket. The writer reads whatever batches the workers have
sent while it was busy and stores them in one transaction: group commit across workers.
(PostgreSQL keeps a writer per worker: it locks per site, so they overlap.)

The contract is ``WriterProcess``'s: a reply only once the batch is committed, or the error
that says nothing of it was stored; a worker may have several batches in flight, answered in
order. When batches written together are refused, each is written on its own, so one
worker's bad visit never sinks another's (its own group commit then halves its batch as
usual). When the writer dies holding batches, whether they were
committed is unknown: their workers answer ``503`` (``maybe_stored``) and write them no more.
The process that started it starts another; workers reconnect on their next batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import selectors
import signal
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from adapters.ingest.writer_process import (
    DEPTH,
    READY,
    START_TIMEOUT,
    STOP_TIMEOUT,
    BatchChannel,
    BatchStore,
    StoreFactory,
    decode_batch,
    encode_batch,
    failed_to_start,
    frame,
    store_together,
    take_frame,
)
from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable

log = logging.getLogger(__name__)

#: How long to wait before starting a writer again after one died.
RESTART_DELAY = 0.5


class SharedWriter:
    """The writer process, as the server's main process runs it: started before the workers,
    started again when it dies, and stopped once they are gone."""

    def __init__(self, database_url: str, store_factory: StoreFactory, address: Path) -> None:
        self.address = address
        self._database_url = database_url
        self._store_factory = store_factory
        self._context = multiprocessing.get_context("spawn")
        self._process: multiprocessing.process.BaseProcess | None = None
        self._control: multiprocessing.connection.Connection | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def start(self) -> None:
        """Start the writer and wait until it listens; raises ``StorageUnavailable`` if it
        cannot. Then keep it running until ``stop``."""
        self._launch()
        self._watcher = threading.Thread(target=self._watch, name="visit-writer-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """Let the writer finish the batches in hand and exit (the workers are gone by now)."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        process, control = self._process, self._control
        if control is not None:
            with contextlib.suppress(OSError):  # already gone
                control.send_bytes(b"")
        if process is not None:
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                log.error("the visit writer process did not stop in time; killing it")
                process.kill()
                process.join()
        if control is not None:
            control.close()
        self.address.unlink(missing_ok=True)

    def _launch(self) -> None:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=serve_shared,
            args=(self._database_url, self._store_factory, str(self.address), theirs),
            name="tracking-visit-writer",
            daemon=True,
        )
        process.start()
        theirs.close()
        ready: Any = None
        if ours.poll(START_TIMEOUT):
            try:
                ready = pickle.loads(ours.recv_bytes())  # noqa: S301 - our own child
            except (EOFError, OSError):
                ready = None
        if ready != READY:
            ours.close()
            if process.is_alive():
                process.kill()
            process.join()
            detail = ready[1] if ready else "it did not start"
            raise StorageUnavailable(f"cannot start the visit writer: {detail}")
        self._process, self._control = process, ours

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            if process is None or process.is_alive():
                self._stopping.wait(RESTART_DELAY)
                continue
            if self._stopping.is_set():
                return
            log.error("the visit writer process stopped (exit code %s); starting another",
                      process.exitcode)  # fmt: skip
            if self._control is not None:
                self._control.close()
            self._process = self._control = None
            try:
                self._launch()
            except StorageUnavailable as error:
                log.error("%s; trying again", error)
                self._stopping.wait(RESTART_DELAY)


class SharedWriterClient:
    """``VisitBatches`` through the shared writer: what a worker's group commit drives."""

    depth = DEPTH

    def __init__(self, address: str) -> None:
        self.address = address
        self._channel: BatchChannel | None = None
        self._connecting = asyncio.Lock()

    async def open(self) -> None:
        """Connect now if the writer listens; if not (it is being started again), the first
        batch connects: a worker that starts meanwhile must not fail to start for it."""
        try:
            await self._connected()
        except StorageUnavailable as error:
            log.warning("%s; connecting with the first batch", error)

    async def add_many(self, visits: Sequence[Visit]) -> None:
        if not visits:
            return
        payload = encode_batch(visits)
        channel = await self._connected()
        await channel.store(payload, len(visits))

    async def close(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()

    async def _connected(self) -> BatchChannel:
        if self._channel is not None and not self._channel.lost:
            return self._channel
        async with self._connecting:  # batches sent meanwhile wait for the same connection
            if self._channel is None or self._channel.lost:
                try:
                    reader, writer = await asyncio.open_unix_connection(self.address)
                except OSError as error:
                    message = f"the visit writer is not running: {error}"
                    raise StorageUnavailable(message) from error
                self._channel = BatchChannel(reader, writer, on_lost=self._lost)
            return self._channel

    def _lost(self, channel: BatchChannel) -> None:
        if self._channel is channel:
            self._channel = None


def serve_shared(
    database_url: str,
    store_factory: StoreFactory,
    address: str,
    control: multiprocessing.connection.Connection,
) -> None:
    """The writer: store the batches its clients send, together, until told to stop or its
    parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        store = store_factory(database_url)
        listener = _listen(address)
    except Exception as error:  # the parent reports it
        control.send_bytes(pickle.dumps(failed_to_start(error)))
        return
    gc.freeze()  # as the serving processes do: shorter full collections
    control.send_bytes(pickle.dumps(READY))
    _Server(store, listener, control).run()


def _whole_frames(received: bytearray) -> Iterator[bytes]:
    """The whole batches in ``received``, in the order they came, taken out of it."""
    while (payload := take_frame(received)) is not None:
        yield payload


def _listen(address: str) -> socket.socket:
    # A writer that died left its socket file behind: nothing listens on it any more.
    Path(address).unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    os.chmod(address, 0o600)
    listener.listen(64)
    listener.setblocking(False)  # accepts whatever is pending, and no more
    return listener


class _Server:
    def __init__(
        self,
        store: BatchStore,
        listener: socket.socket,
        control: multiprocessing.connection.Connection,
    ) -> None:
        self.store = store
        self.listener = listener
        self.control = control
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ, "listener")
        self.selector.register(control.fileno(), selectors.EVENT_READ, "control")
        #: What each client has sent that is not a whole batch yet.
        self.received: dict[socket.socket, bytearray] = {}

    def run(self) -> None:
        while True:
            # Wait for something, then take everything else that has arrived meanwhile
            # (connections and batches sent while a write was in progress) before writing.
            timeout = None
            while events := self.selector.select(timeout):
                for key, _ in events:
                    if key.data == "listener":
                        self._accept()
                    elif key.data == "control":
                        return  # told to stop (its workers are gone), or its parent died
                    else:
                        self._receive(key.fileobj)  # type: ignore[arg-type]
                timeout = 0
            batches = [
                (client, batch)
                for client, received in list(self.received.items())
                for batch in _whole_frames(received)
            ]
            if batches:
                self._store(batches)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except BlockingIOError:
                return
            client.setblocking(True)
            self.selector.register(client, selectors.EVENT_READ, "client")
            self.received[client] = bytearray()

    def _receive(self, client: socket.socket) -> None:
        try:
            data = client.recv(1 << 20)
        except OSError:
            data = b""
        if data:
            self.received[client] += data
        else:
            self._forget(client)

    def _forget(self, client: socket.socket) -> None:
        self.selector.unregister(client)
        self.received.pop(client, None)
        client.close()

    def _store(self, batches: list[tuple[socket.socket, bytes]]) -> None:
        replies = store_together(self.store, [decode_batch(payload) for _, payload in batches])
        answers: dict[socket.socket, list[bytes]] = {}
        for (client, _), reply in zip(batches, replies, strict=True):
            answers.setdefault(client, []).append(frame(pickle.dumps(reply)))
        for client, frames in answers.items():
            try:
                client.sendall(b"".join(frames))
            except OSError:  # its worker is gone
                self._forget(client)
