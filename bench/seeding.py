"""Filling a database with synthetic visits through the product's own storage code.

Not through HTTP: the beacon's throughput is measured elsewhere, and a year of traffic at
its rate would take hours. The visits go through ``SqlVisitRepository.add_many``, the same
code the beacon's writer calls, in batches of ``BATCH`` in time order, so the visits
(sessions), the stored texts and everything derived from them are what the beacon would
have produced.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from adapters.sql.engine import make_engine
from adapters.sql.repositories import SqlSiteRepository, SqlUserRepository, SqlVisitRepository
from bench.synthetic import SITE, Traffic

BATCH = 5000


def add_site(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        now = datetime.now(UTC)
        owner = SqlUserRepository(engine).add(
            email="bench@example.com",
            name="Bench",
            password_hash="-",  # noqa: S106 - nobody logs in
            created_at=now,
        )
        return SqlSiteRepository(engine).add(owner_id=owner.id, base_url=SITE, created_at=now).id
    finally:
        engine.dispose()


def seed(
    database_url: str,
    count: int,
    *,
    site_id: int = 1,
    progress: Callable[[int, float], None] | None = None,
) -> float:
    """Store ``count`` synthetic visits for ``site_id``; returns the seconds it took."""
    engine = make_engine(database_url)
    visits = SqlVisitRepository(engine)
    traffic = Traffic().visits(count)
    started = time.monotonic()
    done = 0
    forgotten = None
    try:
        while batch := list(itertools.islice(traffic, BATCH)):
            if site_id != 1:
                batch = [_for_site(visit, site_id) for visit in batch]
            visits.add_many(batch)
            done += len(batch)
            # As the server does every hour: the latest visits of days gone by are let go.
            day = batch[-1].created_at.date() - timedelta(days=2)
            if day != forgotten:
                visits.forget_visitors_before(day)
                forgotten = day
            if progress is not None:
                progress(done, time.monotonic() - started)
    finally:
        engine.dispose()
    return time.monotonic() - started


def _for_site(visit: object, site_id: int) -> object:
    import attrs

    return attrs.evolve(visit, site_id=site_id)  # type: ignore[misc]
