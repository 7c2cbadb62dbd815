"""Locations looked up off the beacon's path, and the site cache, over in-memory adapters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any

from adapters.ingest.breaker import CircuitBreaker
from adapters.ingest.geolocation import LocationResolver
from adapters.memory import (
    InMemorySiteRepository,
    InMemoryStore,
    InMemoryVisitRepository,
    StaticGeodata,
)
from tracking_core.entities import Location, Visit

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BERKELEY = Location(city="Berkeley", country_code="US")


def store_with_a_site() -> InMemoryStore:
    store = InMemoryStore()
    InMemorySiteRepository(store).add(owner_id=1, base_url="https://a.example", created_at=T0)
    return store


def pending_visit(ip: str) -> Visit:
    return Visit(
        site_id=1,
        created_at=T0,
        url="https://a.example/",
        event="pageview",
        browser="b",
        ip_address=ip,
        location_pending=True,
    )


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


def run_with(resolver: LocationResolver, test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    async def main() -> None:
        await resolver.start()
        try:
            await test()
        finally:
            await resolver.close()

    asyncio.run(main())


def test_a_stored_visit_gets_its_location_and_the_next_one_gets_it_from_the_cache() -> None:
    store = store_with_a_site()
    visits, geodata = InMemoryVisitRepository(store), StaticGeodata({"9.9.9.9": BERKELEY})
    resolver = LocationResolver(visits, geodata)
    ip = ip_address("9.9.9.9")

    async def test() -> None:
        assert resolver.location_for(ip) == (None, True)
        visits.add_many([pending_visit("9.9.9.9")])
        resolver.notice(ip)
        await until(lambda: store.visits[0].location == BERKELEY)
        assert not store.visits[0].location_pending
        assert resolver.location_for(ip) == (BERKELEY, False)

    run_with(resolver, test)
    assert geodata.asked == ["9.9.9.9"]


def test_private_and_reserved_addresses_are_never_looked_up() -> None:
    geodata = StaticGeodata()
    resolver = LocationResolver(InMemoryVisitRepository(store_with_a_site()), geodata)
    for private in ("10.1.2.3", "127.0.0.1", "192.168.1.1", "::1", "2001:db8::1", "100.64.0.1"):
        assert resolver.location_for(ip_address(private)) == (None, False)
    assert resolver.location_for(None) == (None, False)
    assert geodata.asked == []


def test_an_unknown_address_stops_pending_without_a_location() -> None:
    store = store_with_a_site()
    visits = InMemoryVisitRepository(store)
    resolver = LocationResolver(visits, StaticGeodata())

    async def test() -> None:
        visits.add_many([pending_visit("8.8.8.8")])
        resolver.notice(ip_address("8.8.8.8"))
        await until(lambda: not store.visits[0].location_pending)
        assert store.visits[0].location is None

    run_with(resolver, test)


def test_visits_stored_while_the_service_is_down_are_located_once_it_is_back() -> None:
    store = store_with_a_site()
    visits, geodata = InMemoryVisitRepository(store), StaticGeodata({"9.9.9.9": BERKELEY})
    geodata.failing = True
    breaker = CircuitBreaker(threshold=2, open_for=0.2)
    resolver = LocationResolver(visits, geodata, retry_every=0.2, breaker=breaker)

    async def test() -> None:
        visits.add_many([pending_visit("9.9.9.9"), pending_visit("9.9.9.9")])
        resolver.notice(ip_address("9.9.9.9"))
        await until(lambda: breaker.is_open)
        asked_while_down = len(geodata.asked)
        await asyncio.sleep(0.1)
        assert len(geodata.asked) == asked_while_down  # the breaker stops the asking
        assert all(visit.location_pending for visit in store.visits)
        geodata.failing = False
        await until(lambda: all(visit.location == BERKELEY for visit in store.visits))

    run_with(resolver, test)


def test_an_address_that_keeps_failing_is_given_up_on() -> None:
    store = store_with_a_site()
    visits, geodata = InMemoryVisitRepository(store), StaticGeodata()
    geodata.failing = True
    breaker = CircuitBreaker(threshold=1000, open_for=0.01)
    resolver = LocationResolver(visits, geodata, retry_every=0.01, breaker=breaker)

    async def test() -> None:
        visits.add_many([pending_visit("8.8.4.4")])
        await until(lambda: not store.visits[0].location_pending)

    run_with(resolver, test)
    assert store.visits[0].ip_address == "8.8.4.0"  # given up on: the address is cut all the same
    assert len(geodata.asked) == 5
