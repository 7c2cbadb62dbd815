"""In-memory adapters with real behaviour, for tests and for other Python code."""

from adapters.memory.clock import FixedClock
from adapters.memory.geodata import StaticGeodata
from adapters.memory.passwords import PlainTextHasherForTests
from adapters.memory.repositories import (
    InMemorySessionRepository,
    InMemorySiteRepository,
    InMemoryStore,
    InMemoryUserRepository,
    InMemoryVisitRepository,
)

__all__ = [
    "FixedClock",
    "InMemorySessionRepository",
    "InMemorySiteRepository",
    "InMemoryStore",
    "InMemoryUserRepository",
    "InMemoryVisitRepository",
    "PlainTextHasherForTests",
    "StaticGeodata",
]
