"""``SharedWriter``: one visit writer process for the workers of a server on SQLite, storing
together the batches they send while it is busy, with ``WriterProcess``'s contract."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.ingest.shared_writer import SharedWriter, SharedWriterClient
from support.dying_store import SLOW, batch_sizes_file, broken_store, recording_visits_at, visit_to
from support.polling import eventually
from support.tracking_process import add_site, stored_urls
from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable, VisitsRefused


@pytest.fixture
def writer(sqlite_url: str, tmp_path: Path) -> Iterator[SharedWriter]:
    shared = SharedWriter(sqlite_url, recording_visits_at, tmp_path / "writer.sock")
    shared.start()
    yield shared
    shared.stop()


async def workers_send(address: Path, *batches: list[Visit]) -> list[BaseException | None]:
    """Each batch from a worker of its own, connected beforehand as workers are: the first at
    once (slow to store, it keeps the writer busy), the others while it is being stored."""
    clients = [SharedWriterClient(str(address)) for _ in batches]
    for client in clients:
        await client.open()

    async def send(client: SharedWriterClient, visits: list[Visit], after: float) -> None:
        await asyncio.sleep(after)
        await client.add_many(visits)

    try:
        return list(
            await asyncio.gather(
                *(
                    send(client, visits, 0.0 if n == 0 else 0.1)
                    for n, (client, visits) in enumerate(zip(clients, batches, strict=True))
                ),
                return_exceptions=True,
            )
        )
    finally:
        for client in clients:
            await client.close()


def sizes(sqlite_url: str) -> list[int]:
    return [int(line) for line in batch_sizes_file(sqlite_url).read_text().split()]


def test_batches_sent_while_the_writer_is_busy_are_stored_together(
    writer: SharedWriter, sqlite_url: str
) -> None:
    site = add_site(sqlite_url)

    outcomes = asyncio.run(
        workers_send(
            writer.address,
            [visit_to(site, SLOW)],
            [visit_to(site, "b1"), visit_to(site, "b2")],
            [visit_to(site, f"c{n}") for n in range(3)],
        )
    )

    assert outcomes == [None, None, None]
    assert sizes(sqlite_url) == [1, 5]
    assert len(stored_urls(sqlite_url)) == 6


def test_a_workers_batches_in_flight_while_the_writer_is_busy_are_stored_together(
    writer: SharedWriter, sqlite_url: str
) -> None:
    site = add_site(sqlite_url)

    async def one_worker() -> list[BaseException | None]:
        client = SharedWriterClient(str(writer.address))
        await client.open()

        async def send(visits: list[Visit], after: float) -> None:
            await asyncio.sleep(after)
            await client.add_many(visits)

        try:
            return list(
                await asyncio.gather(
                    send([visit_to(site, SLOW)], 0.0),
                    send([visit_to(site, "b1"), visit_to(site, "b2")], 0.1),
                    send([visit_to(site, "c")], 0.1),
                    return_exceptions=True,
                )
            )
        finally:
            await client.close()

    assert asyncio.run(one_worker()) == [None, None, None]
    assert sizes(sqlite_url) == [1, 3]
    assert len(stored_urls(sqlite_url)) == 4


def test_a_refused_batch_written_together_spares_the_others(
    writer: SharedWriter, sqlite_url: str
) -> None:
    site = add_site(sqlite_url)

    outcomes = asyncio.run(
        workers_send(
            writer.address,
            [visit_to(site, SLOW)],
            [visit_to(site, "kept")],
            [visit_to(site, "also"), visit_to(site + 1, "gone")],
        )
    )

    assert outcomes[:2] == [None, None]
    assert isinstance(outcomes[2], VisitsRefused)
    assert outcomes[2].site_gone
    assert sorted(stored_urls(sqlite_url)) == [
        "https://example.com/kept",
        f"https://example.com/{SLOW}",
    ]


def test_a_writer_killed_with_a_batch_in_hand_means_maybe_stored_and_is_started_again(
    writer: SharedWriter, sqlite_url: str
) -> None:
    site = add_site(sqlite_url)
    first = writer.pid
    assert first is not None

    async def killed_while_storing() -> None:
        client = SharedWriterClient(str(writer.address))
        await client.open()
        storing = asyncio.ensure_future(client.add_many([visit_to(site, SLOW)]))
        await asyncio.sleep(0.2)
        os.kill(first, signal.SIGKILL)
        with pytest.raises(StorageUnavailable) as lost:
            await storing
        assert lost.value.maybe_stored
        await asyncio.to_thread(eventually, lambda: writer.pid not in (None, first))
        await client.add_many([visit_to(site, "after")])  # the same client connects again
        await client.close()

    asyncio.run(killed_while_storing())

    assert stored_urls(sqlite_url) == ["https://example.com/after"]


def test_stop_lets_the_writer_exit_and_removes_its_socket(sqlite_url: str, tmp_path: Path) -> None:
    shared = SharedWriter(sqlite_url, recording_visits_at, tmp_path / "writer.sock")
    shared.start()
    pid = shared.pid
    assert pid is not None
    assert shared.address.exists()

    shared.stop()

    assert shared.pid is None
    assert not shared.address.exists()
    assert not Path(f"/proc/{pid}").exists()


def test_a_client_without_a_writer_opens_and_its_batches_are_storage_unavailable(
    tmp_path: Path,
) -> None:
    """A worker that starts while the writer is being started again must start all the same;
    its visits are answered 503 (and never stored) until the writer listens."""
    client = SharedWriterClient(str(tmp_path / "nobody.sock"))

    async def without_writer() -> None:
        await client.open()
        with pytest.raises(StorageUnavailable) as unavailable:
            await client.add_many([visit_to(1, "a")])
        assert not unavailable.value.maybe_stored
        await client.close()

    asyncio.run(without_writer())


def test_a_writer_that_cannot_start_is_storage_unavailable(sqlite_url: str, tmp_path: Path) -> None:
    shared = SharedWriter(sqlite_url, broken_store, tmp_path / "writer.sock")
    with pytest.raises(StorageUnavailable, match="cannot start the visit writer: RuntimeError"):
        shared.start()
    assert shared.pid is None
