"""The in-memory fakes the unit tests drive the use cases with, bundled as one value."""

from __future__ import annotations

import attrs

from adapters.memory import (
    FixedClock,
    InMemorySessionRepository,
    InMemorySiteRepository,
    InMemoryStore,
    InMemoryUserRepository,
    InMemoryVisitRepository,
    PlainTextHasherForTests,
    StaticGeodata,
)
from tracking_core import LoggedIn, Site, User, add_site, register


@attrs.define
class Fakes:
    """Every port the core needs, backed by one shared in-memory store."""

    store: InMemoryStore
    users: InMemoryUserRepository
    sessions: InMemorySessionRepository
    sites: InMemorySiteRepository
    visits: InMemoryVisitRepository
    hasher: PlainTextHasherForTests
    clock: FixedClock
    geodata: StaticGeodata

    @classmethod
    def create(cls) -> Fakes:
        """A fresh bundle; property tests call this per example instead of using the fixture."""
        store = InMemoryStore()
        return cls(
            store=store,
            users=InMemoryUserRepository(store),
            sessions=InMemorySessionRepository(store),
            sites=InMemorySiteRepository(store),
            visits=InMemoryVisitRepository(store),
            hasher=PlainTextHasherForTests(),
            clock=FixedClock(),
            geodata=StaticGeodata(),
        )

    def sign_up(
        self, email: str = "ada@example.com", password: str = "correct horse", name: str = "Ada"
    ) -> LoggedIn:
        return register(
            users=self.users,
            sessions=self.sessions,
            hasher=self.hasher,
            clock=self.clock,
            name=name,
            email=email,
            password=password,
        )

    def new_site(self, owner: User, base_url: str = "https://example.com") -> Site:
        return add_site(sites=self.sites, clock=self.clock, owner=owner, base_url=base_url)
