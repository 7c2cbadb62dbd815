"""The composition root: the one place that turns settings into adapters.

Tests build ``Services`` from in-memory fakes instead and hand them to the same app factory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import attrs
import requests
from sqlalchemy.engine import make_url

from adapters.clock import FileClock, SystemClock
from adapters.geodata_http import HttpGeodata
from adapters.geodata_none import NoGeodata
from adapters.ingest.bots import BotTally
from adapters.ingest.breaker import CircuitBreaker
from adapters.ingest.geolocation import LocationResolver
from adapters.ingest.recorder import VisitIngestion
from adapters.ingest.salts import DailySalts
from adapters.ingest.shared_writer import SharedWriter, SharedWriterClient
from adapters.ingest.sites import KnownSites
from adapters.ingest.writer import GroupCommitWriter, InThread, VisitBatches
from adapters.ingest.writer_process import WriterProcess
from adapters.memory import (
    FixedClock,
    InMemoryReportSource,
    InMemorySaltStore,
    InMemorySessionRepository,
    InMemorySiteRepository,
    InMemoryStore,
    InMemoryUserRepository,
    InMemoryVisitRepository,
    PlainTextHasherForTests,
    StaticUserAgentParser,
)
from adapters.sql.engine import make_engine, ping
from adapters.sql.reports import SqlReportSource
from adapters.sql.repositories import (
    SqlSessionRepository,
    SqlSiteRepository,
    SqlUserRepository,
    SqlVisitRepository,
    visits_at,
)
from adapters.sql.salts import SqlSaltStore
from adapters.user_agents import UaParserUserAgentParser
from entrypoints.settings import Settings
from tracking_core.passwords import Pbkdf2PasswordHasher
from tracking_core.ports import (
    Clock,
    Geodata,
    PasswordHasher,
    ReportSource,
    SaltStore,
    SessionRepository,
    SiteRepository,
    UserAgentParser,
    UserRepository,
    VisitRepository,
)

log = logging.getLogger(__name__)


def _nothing() -> None:
    return None


@attrs.frozen
class Services:
    users: UserRepository
    sessions: SessionRepository
    sites: SiteRepository
    visits: VisitRepository
    reports: ReportSource
    salts: SaltStore
    user_agents: UserAgentParser
    geodata: Geodata
    clock: Clock
    hasher: PasswordHasher
    #: Releases what the adapters hold (connection pools, HTTP sessions).
    close: Callable[[], None] = _nothing
    #: Raises ``StorageUnavailable`` when the database cannot be reached (for ``/healthz``).
    check_database: Callable[[], None] = _nothing
    #: Whether a geodata service is configured, so visits' locations are worth looking up.
    locate_visits: bool = True
    #: What stores the beacon's batches; by default ``visits`` itself, in the writer thread.
    visit_batches: Callable[[], VisitBatches] | None = None


def in_memory_services(
    *,
    clock: Clock | None = None,
    geodata: Geodata | None = None,
    hasher: PasswordHasher | None = None,
    user_agents: UserAgentParser | None = None,
) -> Services:
    """Services over in-memory adapters: for tests, demos, and trying the app without a database.

    Without ``user_agents``, every agent is an unknown browser (no bots): pass a
    ``UaParserUserAgentParser`` for real parsing (it takes a third of a second to build).
    """
    store = InMemoryStore()
    return Services(
        users=InMemoryUserRepository(store),
        sessions=InMemorySessionRepository(store),
        sites=InMemorySiteRepository(store),
        visits=InMemoryVisitRepository(store),
        reports=InMemoryReportSource(store),
        salts=InMemorySaltStore(),
        user_agents=user_agents or StaticUserAgentParser(),
        geodata=geodata or NoGeodata(),
        clock=clock or FixedClock(),
        hasher=hasher or PlainTextHasherForTests(),
        locate_visits=geodata is not None,
    )


def bootstrap(settings: Settings) -> Services:
    engine = make_engine(settings.database_url)
    clock: Clock = SystemClock()
    if settings.test_clock_file is not None:
        log.warning("the time is read from %s: for tests only", settings.test_clock_file)
        clock = FileClock(settings.test_clock_file)
    http = requests.Session()
    geodata: Geodata = (
        HttpGeodata(settings.geodata_url, session=http) if settings.geodata_url else NoGeodata()
    )

    def close() -> None:
        http.close()
        engine.dispose()

    return Services(
        users=SqlUserRepository(engine),
        sessions=SqlSessionRepository(engine),
        sites=SqlSiteRepository(engine),
        visits=SqlVisitRepository(engine),
        reports=SqlReportSource(engine),
        salts=SqlSaltStore(engine),
        user_agents=UaParserUserAgentParser(),
        geodata=geodata,
        clock=clock,
        hasher=Pbkdf2PasswordHasher(),
        close=close,
        check_database=lambda: ping(engine),
        locate_visits=settings.geodata_url is not None,
        # A child process writes the batches: their Python runs beside the event loop's. With
        # several workers on SQLite, one for all of them, which ``tracking serve`` started.
        visit_batches=lambda: (
            SharedWriterClient(settings.writer_socket)
            if settings.writer_socket
            else WriterProcess(settings.database_url, visits_at)
        ),
    )


def workers_share_a_writer(settings: Settings) -> bool:
    """Whether the server's workers share one visit writer (``shared_writer``) rather than
    each starting its own.

    Shared on SQLite with several workers: SQLite has one write lock per database, which a
    writer per worker could only take in turns. On PostgreSQL, writers of several workers
    take a lock per site, so they write different sites at once and overlap what they do
    outside the lock (one writer for all did no better there).
    """
    backend = make_url(settings.database_url).get_backend_name()
    return settings.workers > 1 and backend == "sqlite"


def shared_writer(settings: Settings, address: Path) -> SharedWriter:
    """The visit writer the server's workers share, to listen at ``address``."""
    return SharedWriter(settings.database_url, visits_at, address)


def ingestion(settings: Settings, services: Services) -> VisitIngestion:
    """The beacon's machinery for one server (one event loop): group commit, site cache, and a
    background location resolver when a geodata service is configured."""
    batches = services.visit_batches or (lambda: InThread(services.visits))
    writer = GroupCommitWriter(
        batches(),
        flush_after=settings.flush_ms / 1000,
        max_queue=settings.queue_size,
        commit_timeout=settings.commit_timeout_ms / 1000,
    )
    resolver = (
        LocationResolver(
            services.visits,
            services.geodata,
            retry_every=settings.geodata_retry_s,
            breaker=CircuitBreaker(open_for=settings.geodata_retry_s),
        )
        if services.locate_visits
        else None
    )
    return VisitIngestion(
        writer=writer,
        sites=KnownSites(services.sites),
        salts=DailySalts(services.salts),
        user_agents=services.user_agents,
        bots=BotTally(services.visits),
        now=services.clock.now,
        resolver=resolver,
    )
