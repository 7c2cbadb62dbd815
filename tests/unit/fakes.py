"""The in-memory fakes the unit tests drive the use cases with, bundled as one value."""

from __future__ import annotations

import attrs

from adapters.memory import (
    FixedClock,
    InMemorySaltStore,
    InMemorySessionRepository,
    InMemorySiteRepository,
    InMemoryStore,
    InMemoryUserRepository,
    InMemoryVisitRepository,
    PlainTextHasherForTests,
    StaticGeodata,
    StaticUserAgentParser,
)
from tracking_core import Hit, LoggedIn, Site, User, Visit, add_site, record_visit, register


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
    salts: InMemorySaltStore
    user_agents: StaticUserAgentParser

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
            salts=InMemorySaltStore(),
            user_agents=StaticUserAgentParser(),
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

    def record(self, hit: Hit) -> Visit | None:
        """Record ``hit`` through the core's use case, with every fake it needs."""
        return record_visit(
            sites=self.sites,
            visits=self.visits,
            geodata=self.geodata,
            clock=self.clock,
            user_agents=self.user_agents,
            salts=self.salts,
            hit=hit,
        )
