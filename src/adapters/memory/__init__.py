"""In-memory adapters with real behaviour, for tests and for other Python code."""

from adapters.memory.clock import FixedClock
from adapters.memory.geodata import StaticGeodata
from adapters.memory.passwords import PlainTextHasherForTests
from adapters.memory.reports import InMemoryReportSource
from adapters.memory.repositories import (
    InMemorySessionRepository,
    InMemorySiteRepository,
    InMemoryStore,
    InMemoryUserRepository,
    InMemoryVisitRepository,
)
from adapters.memory.salts import InMemorySaltStore
from adapters.memory.user_agents import StaticUserAgentParser

__all__ = [
    "FixedClock",
    "InMemoryReportSource",
    "InMemorySaltStore",
    "InMemorySessionRepository",
    "InMemorySiteRepository",
    "InMemoryStore",
    "InMemoryUserRepository",
    "InMemoryVisitRepository",
    "PlainTextHasherForTests",
    "StaticGeodata",
    "StaticUserAgentParser",
]
