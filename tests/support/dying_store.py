"""Visit stores for the writer process tests, importable by name as a ``spawn`` child needs:
one whose process dies on cue, as one killed by the OOM killer would, and one that notes the
size of each batch."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from adapters.sql.repositories import SqlVisitRepository, visits_at
from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable

#: When the writer tests' visits happened.
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def visit_to(site: int, path: str, *, visitor_id: int | None = None) -> Visit:
    """A page view of ``https://example.com/<path>`` on ``site``, for the writer tests."""
    return Visit(
        site_id=site,
        created_at=T0,
        url=f"https://example.com/{path}",
        event="pageview",
        browser="Firefox",
        visitor_id=visitor_id,
    )


#: A batch with a visit to a URL holding this is stored, then its process exits at once.
DIE_AFTER_COMMIT = "die-after-commit"
#: A batch with a visit to a URL holding this is stored, then reported as the repository
#: reports a connection lost during the commit itself.
LOST_DURING_COMMIT = "lost-during-commit"


class DyingVisits:
    def __init__(self, visits: SqlVisitRepository) -> None:
        self.visits = visits

    def add_many(self, visits: Sequence[Visit]) -> None:
        self.visits.add_many(visits)
        if any(DIE_AFTER_COMMIT in visit.url for visit in visits):
            os._exit(1)
        if any(LOST_DURING_COMMIT in visit.url for visit in visits):
            raise StorageUnavailable("lost the database during the commit", maybe_stored=True)


def dying_visits_at(database_url: str) -> DyingVisits:
    return DyingVisits(visits_at(database_url))


def broken_store(database_url: str) -> DyingVisits:
    raise RuntimeError(f"cannot open {database_url}")


#: A batch with a visit to a URL holding this takes 1.5 s to store: long enough for batches
#: sent meanwhile to be waiting when it is done, however loaded the machine.
SLOW = "slow-batch"


class RecordingVisits:
    """Stores batches, noting each one's size in a file beside the SQLite database."""

    def __init__(self, visits: SqlVisitRepository, sizes: Path) -> None:
        self.visits, self.sizes = visits, sizes

    def add_many(self, visits: Sequence[Visit]) -> None:
        if any(SLOW in visit.url for visit in visits):
            time.sleep(1.5)
        self.visits.add_many(visits)
        with self.sizes.open("a") as sizes:
            sizes.write(f"{len(visits)}\n")


def batch_sizes_file(database_url: str) -> Path:
    database = make_url(database_url).database
    assert database is not None
    return Path(database).with_suffix(".batches")


def recording_visits_at(database_url: str) -> RecordingVisits:
    return RecordingVisits(visits_at(database_url), batch_sizes_file(database_url))
