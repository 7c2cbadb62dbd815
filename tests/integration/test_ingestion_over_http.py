"""The beacon's durability promises, over real HTTP against the real server and database:
every 204 means stored, and nothing answered otherwise is stored."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.sql.engine import make_engine
from support.polling import eventually
from support.refusing import refuse_poison_urls
from support.tracking_process import ServerProcess, add_site, stored_urls


@pytest.fixture
def site(database_url: str) -> int:
    return add_site(database_url)


@pytest.fixture(params=["1", "2"], ids=["1-worker", "2-workers"])
def workers(request: pytest.FixtureRequest) -> str:
    """``TRACKING_WORKERS``: with 2 on SQLite, the workers share one visit writer."""
    value: str = request.param
    return value


def beacon_url(base: str, site: int) -> str:
    return f"{base}/sites/{site}/visit"


def beacon_statuses(base: str, site: int, *, pages: int) -> list[int]:
    """The statuses of one beacon each to ``https://example.com/b0``, ``b1``, ... in turn."""
    return [
        httpx2.get(beacon_url(base, site), params={"url": f"https://example.com/b{n}"}).status_code
        for n in range(pages)
    ]


async def fire(base: str, site: int, urls: list[str], *, strict: bool = True) -> list[Any]:
    """All the beacons at once, one connection each; with ``strict=False``, a request that
    failed (say, refused by a server shutting down) is its exception instead of a response."""
    limits = httpx2.Limits(max_connections=len(urls))
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:
        return await asyncio.gather(
            *(client.get(beacon_url(base, site), params={"url": url}) for url in urls),
            return_exceptions=not strict,
        )


def test_concurrent_beacons_are_each_answered_after_their_commit(
    database_url: str, site: int, tmp_path: Path, workers: str
) -> None:
    urls = [f"https://example.com/{n}" for n in range(100)]
    engine = make_engine(database_url)
    stored_when_answered: list[bool] = []

    async def send_and_check(client: httpx2.AsyncClient, base: str, url: str) -> int:
        response = await client.get(beacon_url(base, site), params={"url": url})
        if response.status_code == 204:
            with engine.connect() as connection:
                found = connection.execute(
                    text(
                        "SELECT count(*) FROM visits v JOIN strings s ON s.id = v.url_id "
                        "WHERE s.value = :url"
                    ),
                    {"url": url},
                ).scalar_one()
            stored_when_answered.append(found == 1)
        return response.status_code

    async def load(base: str) -> list[int]:
        async with httpx2.AsyncClient(limits=httpx2.Limits(max_connections=100)) as client:
            return await asyncio.gather(*(send_and_check(client, base, url) for url in urls))

    try:
        settings = {"TRACKING_FLUSH_MS": "20", "TRACKING_WORKERS": workers}
        with ServerProcess(database_url, tmp_path, **settings) as server:
            statuses = asyncio.run(load(server.base))
    finally:
        engine.dispose()
    assert statuses == [204] * 100
    assert stored_when_answered == [True] * 100
    assert sorted(stored_urls(database_url)) == sorted(urls)


def test_sigterm_writes_every_waiting_visit_before_exiting(
    database_url: str, site: int, tmp_path: Path, workers: str
) -> None:
    urls = [f"https://example.com/term/{n}" for n in range(30)]
    # A long linger keeps the visits queued while the signal arrives.
    settings = {"TRACKING_FLUSH_MS": "1000", "TRACKING_WORKERS": workers}
    with ServerProcess(database_url, tmp_path, **settings) as server:
        results: list[list[httpx2.Response | BaseException]] = []
        sender = threading.Thread(
            target=lambda: results.append(asyncio.run(fire(server.base, site, urls, strict=False)))
        )
        sender.start()
        eventually(lambda: httpx2.get(server.base + "/healthz").json()["queue"]["queued"] > 0)
        server.signal(signal.SIGTERM)
        sender.join(30)
        # uvicorn shuts down gracefully, then re-raises the signal it caught.
        assert server.wait() in (0, -signal.SIGTERM)
    answered = [r for r in results[0] if isinstance(r, httpx2.Response)]
    # Requests the server had received are all answered 204 and stored; any sent after the
    # signal found the door closed (a connection error), and nothing of theirs is stored.
    assert answered
    assert [response.status_code for response in answered] == [204] * len(answered)
    acknowledged = {str(response.request.url.params["url"]) for response in answered}
    assert set(stored_urls(database_url)) == acknowledged
    assert b"Traceback" not in server.output


def test_kill_9_under_load_loses_no_acknowledged_visit(
    database_url: str, site: int, tmp_path: Path, workers: str
) -> None:
    acknowledged: list[str] = []
    stop = threading.Event()

    def keep_sending(worker: int, base: str) -> None:
        with httpx2.Client(timeout=10) as client:
            for n in range(100_000):
                if stop.is_set():
                    return
                url = f"https://example.com/{worker}/{n}"
                try:
                    response = client.get(beacon_url(base, site), params={"url": url})
                except httpx2.TransportError:
                    return
                if response.status_code == 204:
                    acknowledged.append(url)

    with ServerProcess(database_url, tmp_path, TRACKING_WORKERS=workers) as server:
        senders = [
            threading.Thread(target=keep_sending, args=(worker, server.base)) for worker in range(8)
        ]
        for sender in senders:
            sender.start()
        try:
            eventually(lambda: len(acknowledged) >= 300, timeout=60)
            if workers == "1":
                server.signal(signal.SIGKILL)  # its writer process exits once it is gone
            else:
                server.kill_group()
            server.wait()
        finally:
            stop.set()
            for sender in senders:
                sender.join(30)
    stored = set(stored_urls(database_url))
    assert len(acknowledged) >= 300
    assert set(acknowledged) <= stored


def test_a_writer_process_that_dies_is_replaced_and_no_visit_is_acknowledged_unstored(
    database_url: str, site: int, tmp_path: Path
) -> None:
    with ServerProcess(database_url, tmp_path) as server:
        assert httpx2.get(beacon_url(server.base, site), params={"url": "https://example.com/a"})
        (writer,) = server.writers()
        os.kill(writer, signal.SIGKILL)
        eventually(lambda: writer not in server.writers())
        statuses = beacon_statuses(server.base, site, pages=3)
        assert statuses == [204] * 3
        (replacement,) = server.writers()
        assert replacement != writer
    assert sorted(stored_urls(database_url)) == [
        "https://example.com/a",
        *(f"https://example.com/b{n}" for n in range(3)),
    ]


def test_a_shared_writer_that_dies_is_replaced_and_no_visit_is_acknowledged_unstored(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Workers on SQLite share one visit writer, which the server starts again when it dies;
    each worker reconnects on its next batch."""
    site = add_site(sqlite_url)
    with ServerProcess(sqlite_url, tmp_path, TRACKING_WORKERS="2") as server:
        first = httpx2.get(beacon_url(server.base, site), params={"url": "https://example.com/a"})
        assert first.status_code == 204
        writer = server.listening_on("writer.sock")
        assert writer is not None
        os.kill(writer, signal.SIGKILL)
        eventually(lambda: server.listening_on("writer.sock") not in (None, writer))
        statuses = beacon_statuses(server.base, site, pages=6)
        assert statuses == [204] * 6
    assert sorted(stored_urls(sqlite_url)) == [
        "https://example.com/a",
        *(f"https://example.com/b{n}" for n in range(6)),
    ]


def test_a_full_queue_answers_503_with_retry_after(
    database_url: str, site: int, tmp_path: Path
) -> None:
    urls = [f"https://example.com/full/{n}" for n in range(6)]
    settings = {"TRACKING_FLUSH_MS": "1000", "TRACKING_QUEUE_SIZE": "2"}
    with ServerProcess(database_url, tmp_path, **settings) as server:
        responses = asyncio.run(fire(server.base, site, urls))
    statuses = [response.status_code for response in responses]
    # Two fit in the queue (lingering for a second); the others find it full.
    assert set(statuses) == {204, 503}
    assert statuses.count(204) >= 2
    refused = [response for response in responses if response.status_code == 503]
    assert all(int(response.headers["retry-after"]) >= 1 for response in refused)
    assert all(response.headers["access-control-allow-origin"] == "*" for response in refused)
    assert all("errors" in response.json() for response in refused)
    answered = {str(r.request.url.params["url"]) for r in responses if r.status_code == 204}
    assert set(stored_urls(database_url)) == answered


def test_a_refused_row_is_answered_400_and_the_rest_of_its_batch_is_stored(
    database_url: str, site: int, tmp_path: Path
) -> None:
    refuse_poison_urls(database_url)
    urls = [f"https://example.com/ok/{n}" for n in range(20)] + ["https://example.com/poison"]
    with ServerProcess(database_url, tmp_path, TRACKING_FLUSH_MS="300") as server:
        responses = asyncio.run(fire(server.base, site, urls))
    statuses = [response.status_code for response in responses]
    assert statuses == [204] * 20 + [400]
    assert responses[-1].json() == {"errors": {"visit": ["This visit cannot be stored."]}}
    assert sorted(stored_urls(database_url)) == sorted(urls[:20])


def test_a_visit_to_a_site_deleted_meanwhile_is_a_404_and_spares_its_batch(
    database_url: str, site: int, tmp_path: Path
) -> None:
    doomed = add_site(database_url, "https://doomed.example")
    with ServerProcess(database_url, tmp_path, TRACKING_FLUSH_MS="300") as server:
        # The server now knows both sites (and keeps knowing them without asking again).
        asyncio.run(fire(server.base, doomed, ["https://doomed.example/first"]))
        delete_site(database_url, doomed)

        async def both() -> list[httpx2.Response]:
            good = fire(server.base, site, [f"https://example.com/{n}" for n in range(10)])
            bad = fire(server.base, doomed, ["https://doomed.example/after"])
            first, second = await asyncio.gather(good, bad)
            return first + second

        responses = asyncio.run(both())
    assert [r.status_code for r in responses] == [204] * 10 + [404]
    assert responses[-1].json() == {"errors": {"site": [f"No such site: {doomed}"]}}
    assert len(stored_urls(database_url)) == 10


def test_a_locked_sqlite_database_answers_503_then_recovers(
    sqlite_url: str, tmp_path: Path
) -> None:
    site = add_site(sqlite_url)
    settings = {"TRACKING_COMMIT_TIMEOUT_MS": "300", "TRACKING_FLUSH_MS": "0"}
    with ServerProcess(sqlite_url, tmp_path, **settings) as server:
        url = beacon_url(server.base, site)
        assert httpx2.get(url, params={"url": "https://example.com/before"}).status_code == 204
        locker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            locker.execute("BEGIN EXCLUSIVE")
            locked = httpx2.get(url, params={"url": "https://example.com/locked"}, timeout=30)
            assert locked.status_code == 503
            assert "retry-after" in locked.headers
            assert httpx2.get(server.base + "/healthz", timeout=30).status_code == 503
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        eventually(
            lambda: httpx2.get(url, params={"url": "https://example.com/after"}).status_code == 204
        )
        assert httpx2.get(server.base + "/healthz").status_code == 200
    assert "https://example.com/locked" not in stored_urls(sqlite_url)


@pytest.mark.postgres
def test_an_unavailable_postgres_answers_503_then_recovers(
    postgres_url: str, tmp_path: Path
) -> None:
    site = add_site(postgres_url)
    settings = {"TRACKING_COMMIT_TIMEOUT_MS": "500", "TRACKING_FLUSH_MS": "0"}
    with ServerProcess(postgres_url, tmp_path, **settings) as server:
        url = beacon_url(server.base, site)
        assert httpx2.get(url, params={"url": "https://example.com/before"}).status_code == 204
        with postgres_closed(postgres_url):
            down = httpx2.get(url, params={"url": "https://example.com/down"}, timeout=30)
            assert down.status_code == 503
            assert "retry-after" in down.headers
            assert httpx2.get(server.base + "/healthz", timeout=30).status_code == 503
        eventually(
            lambda: httpx2.get(url, params={"url": "https://example.com/back"}).status_code == 204
        )
        assert httpx2.get(server.base + "/healthz").status_code == 200
    stored = stored_urls(postgres_url)
    assert "https://example.com/down" not in stored
    assert "https://example.com/back" in stored


@pytest.mark.postgres
def test_a_postgres_table_locked_elsewhere_answers_503_then_recovers(
    postgres_url: str, tmp_path: Path
) -> None:
    """A batch waiting on a lock held elsewhere gives up after the lock timeout: its visits
    are answered 503 (not left hanging for as long as the lock), and writing resumes."""
    site = add_site(postgres_url)
    settings = {"TRACKING_COMMIT_TIMEOUT_MS": "500", "TRACKING_FLUSH_MS": "0"}
    with ServerProcess(postgres_url, tmp_path, **settings) as server:
        url = beacon_url(server.base, site)
        assert httpx2.get(url, params={"url": "https://example.com/before"}).status_code == 204
        locker = make_engine(postgres_url, lock_timeout=False)
        try:
            with locker.connect() as connection:
                connection.execute(text("LOCK TABLE visits IN ACCESS EXCLUSIVE MODE"))
                locked = httpx2.get(url, params={"url": "https://example.com/locked"}, timeout=60)
                assert locked.status_code == 503
                assert "retry-after" in locked.headers
                connection.rollback()
        finally:
            locker.dispose()
        eventually(
            lambda: httpx2.get(url, params={"url": "https://example.com/after"}).status_code == 204
        )
    stored = stored_urls(postgres_url)
    assert "https://example.com/locked" not in stored
    assert "https://example.com/after" in stored


@contextlib.contextmanager
def postgres_closed(database_url: str) -> Iterator[None]:
    """The server's database refuses connections, and its open ones are cut, for a while."""
    name = make_url(database_url).database
    admin = make_engine(os.environ["TRACKING_TEST_POSTGRES_URL"])
    try:
        with admin.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
                {"db": name},
            )
            try:
                yield
            finally:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    finally:
        admin.dispose()


def delete_site(database_url: str, site: int) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM sites WHERE id = :id"), {"id": site})
    finally:
        engine.dispose()
