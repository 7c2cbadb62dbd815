"""What the beacon answers from memory: sites and their settings, the day's salts; and what
runs beside it: bot counts and the expiry of salts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from adapters.ingest.bots import BotTally
from adapters.ingest.forgetting import Forgetting
from adapters.ingest.salts import DailySalts
from adapters.ingest.sites import KnownSites
from adapters.memory import (
    FixedClock,
    InMemorySaltStore,
    InMemorySiteRepository,
    InMemoryStore,
    InMemoryVisitRepository,
)
from tracking_core.errors import StorageUnavailable

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = date(2026, 3, 10)


class CountingSalts(InMemorySaltStore):
    def __init__(self) -> None:
        super().__init__()
        self.asked = 0
        self.down = False

    def get(self, site_id: int, day: date) -> bytes | None:
        self.asked += 1
        if self.down:
            raise StorageUnavailable("down")
        return super().get(site_id, day)


def test_the_days_salt_is_asked_for_once_however_many_requests_need_it() -> None:
    store = CountingSalts()
    salts = DailySalts(store)

    async def test() -> None:
        answers = await asyncio.gather(*(salts.salt(1, DAY, T0) for _ in range(20)))
        assert len(set(answers)) == 1
        assert await salts.salt(1, DAY, T0) == answers[0]

    asyncio.run(test())
    assert store.asked == 1
    assert store.salts[1, DAY].salt is not None


def test_a_new_day_gets_a_new_salt_and_the_day_before_yesterday_is_forgotten() -> None:
    salts = DailySalts(InMemorySaltStore())

    async def test() -> None:
        first = await salts.salt(1, DAY, T0)
        second = await salts.salt(1, DAY + timedelta(days=1), T0 + timedelta(days=1))
        third = await salts.salt(1, DAY + timedelta(days=2), T0 + timedelta(days=2))
        assert len({first, second, third}) == 3
        assert sorted(day for _, day in salts._held) == [
            DAY + timedelta(days=1),
            DAY + timedelta(days=2),
        ]

    asyncio.run(test())


def test_a_salt_that_cannot_be_had_is_an_error_and_the_next_request_asks_again() -> None:
    store = CountingSalts()
    store.down = True
    salts = DailySalts(store)

    async def test() -> None:
        try:
            await salts.salt(1, DAY, T0)
        except StorageUnavailable:
            pass
        else:
            raise AssertionError("expected StorageUnavailable")
        store.down = False
        assert len(await salts.salt(1, DAY, T0)) == 32

    asyncio.run(test())
    assert store.asked == 2


def test_a_known_site_is_read_again_in_the_background_once_its_copy_is_old() -> None:
    store = InMemoryStore()
    repository = InMemorySiteRepository(store)
    site = repository.add(owner_id=1, base_url="https://a.example", created_at=T0)
    now = [0.0]
    known = KnownSites(repository, refresh_after=5, clock=lambda: now[0])

    async def test() -> None:
        assert await known.get(site.id) == site
        repository.update_settings(attrs.evolve(site, honour_dnt=False))
        now[0] = 4.0
        assert (await known.get(site.id)) == site  # still fresh: no read
        now[0] = 6.0
        assert (await known.get(site.id)) == site  # stale: served, and read again meanwhile
        await asyncio.sleep(0.05)
        refreshed = await known.get(site.id)
        assert refreshed is not None
        assert not refreshed.honour_dnt

    asyncio.run(test())


def test_a_site_saved_by_this_worker_is_used_at_once() -> None:
    store = InMemoryStore()
    repository = InMemorySiteRepository(store)
    site = repository.add(owner_id=1, base_url="https://a.example", created_at=T0)
    known = KnownSites(repository, refresh_after=3600)

    async def test() -> None:
        await known.get(site.id)
        known.remember(attrs.evolve(site, timezone="Europe/Paris"))
        cached = await known.get(site.id)
        assert cached is not None
        assert cached.timezone == "Europe/Paris"

    asyncio.run(test())


def test_the_site_cache_asks_the_repository_once_per_site() -> None:
    store = InMemoryStore()
    InMemorySiteRepository(store).add(owner_id=1, base_url="https://a.example", created_at=T0)
    asked: list[int] = []

    class CountingSites(InMemorySiteRepository):
        def get(self, site_id: int) -> Any:
            asked.append(site_id)
            return super().get(site_id)

    known = KnownSites(CountingSites(store), unknown_for=60)

    async def test() -> None:
        answers = await asyncio.gather(*(known.exists(1) for _ in range(10)))
        assert answers == [True] * 10
        assert await known.exists(1)
        assert not await known.exists(99)
        assert not await known.exists(99)
        known.forget(1)
        assert not await known.exists(1)

    asyncio.run(test())
    assert asked == [1, 99]


def test_bot_counts_are_added_up_and_stored_at_the_latest_when_closing() -> None:
    store = InMemoryStore()
    site = InMemorySiteRepository(store).add(owner_id=1, base_url="https://a", created_at=T0)
    tally = BotTally(InMemoryVisitRepository(store), flush_every=3600)

    async def test() -> None:
        await tally.start()
        for _ in range(3):
            tally.count(site.id, DAY)
        tally.count(site.id, DAY + timedelta(days=1))
        tally.count(site.id + 1000, DAY)  # a site deleted meanwhile: dropped
        await tally.close()

    asyncio.run(test())
    assert store.bot_counts == {(site.id, DAY): 3, (site.id, DAY + timedelta(days=1)): 1}


def test_expired_salts_are_deleted_at_start_up_and_on_schedule() -> None:
    salts, clock = InMemorySaltStore(), FixedClock(T0)
    salts.add(1, DAY - timedelta(days=3), b"old" * 11, created_at=T0 - timedelta(days=3))
    salts.add(1, DAY, b"new" * 11, created_at=T0)
    expiry = Forgetting(salts, InMemoryVisitRepository(InMemoryStore()), clock, every=0.01)

    async def test() -> None:
        await expiry.start()
        await asyncio.sleep(0.02)
        assert list(salts.salts) == [(1, DAY)]
        clock.advance(timedelta(hours=49))
        await asyncio.sleep(0.05)
        await expiry.close()

    asyncio.run(test())
    assert salts.salts == {}
