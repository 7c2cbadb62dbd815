"""A visit store for ``WriterProcess`` tests whose process dies on cue, as one killed by the
OOM killer would; importable by name, as a ``spawn`` child needs."""

from __future__ import annotations

import os
from collections.abc import Sequence

from adapters.sql.repositories import SqlVisitRepository, visits_at
from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable

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
