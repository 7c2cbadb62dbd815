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

import attrs

from adapters.sql.engine import make_engine
from adapters.sql.repositories import SqlSiteRepository, SqlUserRepository, SqlVisitRepository
from bench.synthetic import SITE, Traffic
from tracking_core.entities import Visit
from tracking_core.passwords import Pbkdf2PasswordHasher

BATCH = 5000


#: The bench's owner logs in to time the dashboard over HTTP.
EMAIL, PASSWORD = "bench@example.com", "bench password"


def add_site(database_url: str) -> int:
    """The bench's owner and their site; the site's id."""
    engine = make_engine(database_url)
    try:
        now = datetime.now(UTC)
        owner = SqlUserRepository(engine).add(
            email=EMAIL,
            name="Bench",
            password_hash=Pbkdf2PasswordHasher().hash(PASSWORD),
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
    # Ending today, so that the dashboard's "last 30 days" and "last 12 months" are full.
    traffic = Traffic(end=datetime.now(UTC)).visits(count)
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


def _for_site(visit: Visit, site_id: int) -> Visit:
    return attrs.evolve(visit, site_id=site_id)
