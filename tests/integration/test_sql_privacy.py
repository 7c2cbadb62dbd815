"""Salts, bot counts, site settings and the conversion of visits stored before them, on
SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from alembic import command
from sqlalchemy import Engine, text

from adapters.sql import SqlSiteRepository, SqlUserRepository, SqlVisitRepository, make_engine
from adapters.sql.migrate import alembic_config
from adapters.sql.reports import SqlReportSource
from adapters.sql.salts import SqlSaltStore
from support.server import cli
from tracking_core.entities import Site
from tracking_core.reports.ranges import DateRange, RangeKind
from tracking_core.reports.report import ReportQuery

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = date(2026, 3, 10)


@pytest.fixture
def site(engine: Engine) -> Site:
    owner = SqlUserRepository(engine).add(
        email="ada@example.com", name="Ada", password_hash="h", created_at=T0
    )
    return SqlSiteRepository(engine).add(
        owner_id=owner.id, base_url="https://ada.example", created_at=T0
    )


def test_site_settings_default_and_read_back_as_saved(engine: Engine, site: Site) -> None:
    sites = SqlSiteRepository(engine)
    assert (site.timezone, site.honour_dnt, site.keep_full_ip) == ("UTC", True, False)

    sites.update_settings(
        attrs.evolve(site, timezone="Pacific/Chatham", honour_dnt=False, keep_full_ip=True)
    )

    stored = sites.get(site.id)
    assert stored is not None
    assert (stored.timezone, stored.honour_dnt, stored.keep_full_ip) == (
        "Pacific/Chatham",
        False,
        True,
    )
    assert stored.base_url == site.base_url


def test_a_salt_is_stored_once_per_site_and_day(engine: Engine, site: Site) -> None:
    salts = SqlSaltStore(engine)
    assert salts.get(site.id, DAY) is None

    first = salts.add(site.id, DAY, b"a" * 32, created_at=T0)
    second = salts.add(site.id, DAY, b"b" * 32, created_at=T0)

    assert first == second == b"a" * 32
    assert salts.get(site.id, DAY) == b"a" * 32
    assert salts.get(site.id, DAY + timedelta(days=1)) is None


def test_workers_racing_for_the_first_salt_of_a_day_agree(engine: Engine, site: Site) -> None:
    salts = SqlSaltStore(engine)
    answers: list[bytes] = []
    start = threading.Barrier(6)

    def race(n: int) -> None:
        start.wait()
        answers.append(salts.add(site.id, DAY, bytes([n]) * 32, created_at=T0))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 6
    assert len(set(answers)) == 1


def test_salts_older_than_the_cutoff_are_deleted(engine: Engine, site: Site) -> None:
    salts = SqlSaltStore(engine)
    salts.add(site.id, DAY - timedelta(days=2), b"o" * 32, created_at=T0 - timedelta(hours=49))
    salts.add(site.id, DAY, b"n" * 32, created_at=T0)

    assert salts.delete_created_before(T0 - timedelta(hours=48)) == 1
    assert salts.get(site.id, DAY - timedelta(days=2)) is None
    assert salts.get(site.id, DAY) == b"n" * 32


def test_bot_counts_add_up_per_site_and_day(engine: Engine, site: Site) -> None:
    visits = SqlVisitRepository(engine)
    visits.count_bots({(site.id, DAY): 2, (site.id, DAY + timedelta(days=1)): 1})
    visits.count_bots({(site.id, DAY): 5, (site.id + 1000, DAY): 7})  # a deleted site: dropped

    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT site_id, day, bots FROM bot_counts ORDER BY day")
        ).all()
    assert [(r[0], _day(r[1]), r[2]) for r in rows] == [
        (site.id, DAY, 7),
        (site.id, DAY + timedelta(days=1), 1),
    ]


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def test_the_forget_salts_command_deletes_expired_salts(tmp_path: Path, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        owner = SqlUserRepository(engine).add(
            email="a@b.example", name="A", password_hash="h", created_at=T0
        )
        site = SqlSiteRepository(engine).add(
            owner_id=owner.id, base_url="https://a.example", created_at=T0
        )
        now = datetime.now(UTC)
        SqlSaltStore(engine).add(site.id, DAY, b"o" * 32, created_at=now - timedelta(hours=49))
        SqlSaltStore(engine).add(site.id, DAY + timedelta(days=9), b"n" * 32, created_at=now)
    finally:
        engine.dispose()
    env = {**os.environ, "TRACKING_DATA_DIR": str(tmp_path), "TRACKING_DATABASE_URL": sqlite_url}

    result = subprocess.run(cli("forget-salts"), env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert "Deleted 1 expired salt." in result.stdout


# Visits stored before these columns existed


@pytest.fixture
def database_before_0006(empty_database_url: str) -> str:
    command.upgrade(alembic_config(empty_database_url), "0005")
    return empty_database_url


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def test_visits_stored_before_are_converted_and_their_user_agents_dropped(
    database_before_0006: str,
) -> None:
    engine = make_engine(database_before_0006)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, created_at) "
                    "VALUES (1, 'a@b.example', 'A', 'h', :t)"
                ),
                {"t": T0},
            )
            connection.execute(
                text(
                    "INSERT INTO sites (id, owner_id, base_url, created_at) "
                    "VALUES (1, 1, 'https://ada.example', :t)"
                ),
                {"t": T0},
            )
            legacy = [
                (FIREFOX, "203.0.113.77", False, "https://www.google.com/", 1280),
                (FIREFOX, "203.0.113.77", False, "https://ada.example/", 1280),
                (FIREFOX, "8.8.8.8", True, None, None),
                ("Mozilla/5.0 (compatible; Googlebot/2.1)", "66.249.66.1", False, None, None),
            ]
            for agent, ip, pending, referrer, width in legacy:
                connection.execute(
                    text(
                        "INSERT INTO visits (site_id, created_at, url, event, browser, "
                        "referrer, ip_address, location_pending, screen_width) VALUES "
                        "(1, :t, 'https://ada.example/?utm_medium=mail', 'pageview', :agent, "
                        ":referrer, :ip, :pending, :width)"
                    ),
                    {
                        "t": T0,
                        "agent": agent,
                        "referrer": referrer,
                        "ip": ip,
                        "pending": pending,
                        "width": width,
                    },
                )

        command.upgrade(alembic_config(database_before_0006), "head")

        visits = SqlVisitRepository(engine).list_for_site(1, offset=0, limit=10)
        with engine.connect() as connection:
            bots = connection.execute(text("SELECT bots FROM bot_counts")).scalars().all()
        day = DateRange(RangeKind.CUSTOM, T0.date(), T0.date())
        counted = SqlReportSource(engine).report(ReportQuery(1, day)).headline
    finally:
        engine.dispose()
    assert bots == [1]
    assert len(visits) == 3
    assert {(v.browser, v.browser_version, v.os) for v in visits} == {("Firefox", "140", "Linux")}
    assert sorted(v.ip_address or "" for v in visits) == ["203.0.113.0", "203.0.113.0", "8.8.8.8"]
    assert len({v.visitor_id for v in visits}) == 2  # the same browser and address: one visitor
    assert None not in {v.visitor_id for v in visits}
    # The first two are one visit (one visitor, in the same minute): it came from Google.
    assert sorted(v.source.name for v in visits) == ["Direct / None", "Google", "Google"]
    assert {v.source.utm_medium for v in visits} == {"mail"}
    # The dashboard's counts were made from them too.
    assert (counted.visitors, counted.visits, counted.page_views) == (2, 2, 3)
