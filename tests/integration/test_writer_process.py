"""``WriterProcess``: the group commit's batches stored by a child process, with the same
contract as storing them in the server's own thread, and a child that dies handled."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any, TypeVar

import pytest

from adapters.ingest.writer_process import WriterProcess
from adapters.sql.repositories import visits_at
from support.dying_store import (
    DIE_AFTER_COMMIT,
    LOST_DURING_COMMIT,
    SLOW,
    batch_sizes_file,
    broken_store,
    dying_visits_at,
    recording_visits_at,
    visit_to,
)
from support.polling import eventually
from support.tracking_process import add_site, stored_urls
from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable, VisitsRefused

Result = TypeVar("Result")


class Driven:
    """A ``WriterProcess`` driven from a test on an event loop of its own, as the group
    commit drives it on the server's."""

    def __init__(self, writer: WriterProcess) -> None:
        self.writer = writer
        self.loop = asyncio.new_event_loop()

    def run(self, work: Coroutine[Any, Any, Result]) -> Result:
        return self.loop.run_until_complete(work)

    def open(self) -> None:
        self.run(self.writer.open())

    def add_many(self, visits: Sequence[Visit]) -> None:
        self.run(self.writer.add_many(visits))

    def close(self) -> None:
        try:
            self.run(self.writer.close())
        finally:
            self.loop.close()

    @property
    def pid(self) -> int | None:
        return self.writer.pid


def visit(site: int, path: str) -> Visit:
    return visit_to(site, path, visitor_id=7)


@pytest.fixture
def writer(database_url: str) -> Iterator[Driven]:
    process = Driven(WriterProcess(database_url, dying_visits_at))
    process.open()
    yield process
    process.close()


def test_batches_are_stored_by_the_child(writer: Driven, database_url: str) -> None:
    site = add_site(database_url)
    writer.add_many([visit(site, "a"), visit(site, "b")])
    writer.add_many([visit(site, "c")])
    assert sorted(stored_urls(database_url)) == [f"https://example.com/{p}" for p in "abc"]
    assert writer.pid is not None


def test_a_refused_batch_raises_as_the_repository_does(writer: Driven, database_url: str) -> None:
    site = add_site(database_url)
    with pytest.raises(VisitsRefused) as refused:
        writer.add_many([visit(site, "a"), visit(site + 1, "gone")])
    assert refused.value.site_gone
    writer.add_many([visit(site, "b")])
    assert stored_urls(database_url) == ["https://example.com/b"]


def test_a_child_dying_with_a_batch_in_hand_means_maybe_stored_and_is_replaced(
    writer: Driven, database_url: str
) -> None:
    site = add_site(database_url)
    first = writer.pid
    with pytest.raises(StorageUnavailable) as lost:
        writer.add_many([visit(site, DIE_AFTER_COMMIT)])
    assert lost.value.maybe_stored
    writer.add_many([visit(site, "after")])
    assert writer.pid not in (None, first)
    # It had committed: a 503 for a stored visit, never a 204 for a lost one.
    assert sorted(stored_urls(database_url)) == [
        "https://example.com/after",
        f"https://example.com/{DIE_AFTER_COMMIT}",
    ]


def test_a_commit_the_child_may_have_made_stays_maybe_stored_across_the_process_boundary(
    writer: Driven, database_url: str
) -> None:
    """The repository says ``maybe_stored`` when it lost the database during the commit: the
    group commit must not write that batch again (it may be stored), so the flag must reach
    it from the child."""
    site = add_site(database_url)
    with pytest.raises(StorageUnavailable) as lost:
        writer.add_many([visit(site, LOST_DURING_COMMIT)])
    assert lost.value.maybe_stored
    assert stored_urls(database_url) == [f"https://example.com/{LOST_DURING_COMMIT}"]


def test_a_child_killed_between_batches_is_replaced_and_the_next_batch_stored(
    writer: Driven, database_url: str
) -> None:
    site = add_site(database_url)
    writer.add_many([visit(site, "before")])
    first = writer.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    eventually(lambda: not _running(first))
    writer.add_many([visit(site, "after")])
    assert writer.pid not in (None, first)
    assert sorted(stored_urls(database_url)) == [
        "https://example.com/after",
        "https://example.com/before",
    ]


def test_close_stops_the_child(database_url: str) -> None:
    writer = Driven(WriterProcess(database_url, visits_at))
    writer.open()
    pid = writer.pid
    writer.close()
    assert pid is not None
    assert not _running(pid)
    assert writer.pid is None


def test_a_child_that_cannot_start_is_storage_unavailable(database_url: str) -> None:
    writer = Driven(WriterProcess(database_url, broken_store))
    with pytest.raises(StorageUnavailable, match="cannot start the visit writer: RuntimeError"):
        writer.open()
    assert writer.pid is None
    writer.close()


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a reaped child's entry is gone from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def in_flight_together(
    writer: WriterProcess, *batches: list[Visit]
) -> list[BaseException | None]:
    """The first batch at once (slow to store, it keeps the child busy), the others while it
    is being stored: all in flight at once, as the group commit sends them under load."""

    async def send(visits: list[Visit], after: float) -> None:
        await asyncio.sleep(after)
        await writer.add_many(visits)

    await writer.open()
    try:
        return list(
            await asyncio.gather(
                *(send(visits, 0.0 if n == 0 else 0.1) for n, visits in enumerate(batches)),
                return_exceptions=True,
            )
        )
    finally:
        await writer.close()


def test_batches_in_flight_while_the_child_is_busy_are_stored_together_and_each_answered(
    sqlite_url: str,
) -> None:
    site = add_site(sqlite_url)

    outcomes = asyncio.run(
        in_flight_together(
            WriterProcess(sqlite_url, recording_visits_at),
            [visit_to(site, SLOW)],
            [visit_to(site, "b1"), visit_to(site, "b2")],
            [visit_to(site, f"c{n}") for n in range(3)],
        )
    )

    assert outcomes == [None, None, None]
    assert batch_sizes(sqlite_url) == [1, 5]
    assert len(stored_urls(sqlite_url)) == 6


def test_a_refused_batch_stored_with_others_in_flight_spares_them(sqlite_url: str) -> None:
    site = add_site(sqlite_url)

    outcomes = asyncio.run(
        in_flight_together(
            WriterProcess(sqlite_url, recording_visits_at),
            [visit_to(site, SLOW)],
            [visit_to(site, "kept")],
            [visit_to(site, "also"), visit_to(site + 1, "gone")],
            [visit_to(site, "kept too")],
        )
    )

    assert outcomes[:2] == [None, None]
    assert isinstance(outcomes[2], VisitsRefused)
    assert outcomes[2].site_gone
    assert outcomes[3] is None
    assert sorted(stored_urls(sqlite_url)) == [
        "https://example.com/kept",
        "https://example.com/kept too",
        f"https://example.com/{SLOW}",
    ]


def test_a_child_killed_with_several_batches_in_flight_answers_each_maybe_stored(
    sqlite_url: str,
) -> None:
    site = add_site(sqlite_url)

    async def killed_while_storing() -> None:
        writer = WriterProcess(sqlite_url, recording_visits_at)
        await writer.open()
        first = writer.pid
        assert first is not None
        storing = [
            asyncio.ensure_future(writer.add_many([visit_to(site, SLOW)])),
            asyncio.ensure_future(writer.add_many([visit_to(site, "waiting")])),
        ]
        await asyncio.sleep(0.3)
        os.kill(first, signal.SIGKILL)
        for lost in await asyncio.gather(*storing, return_exceptions=True):
            assert isinstance(lost, StorageUnavailable)
            assert lost.maybe_stored
        await writer.add_many([visit_to(site, "after")])  # a new child
        assert writer.pid not in (None, first)
        await writer.close()

    asyncio.run(killed_while_storing())

    assert stored_urls(sqlite_url) == ["https://example.com/after"]


def batch_sizes(sqlite_url: str) -> list[int]:
    return [int(line) for line in batch_sizes_file(sqlite_url).read_text().split()]
