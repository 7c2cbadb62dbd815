"""Visits waiting for a location, and filling it in later: SQL on both backends, and the fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest
from sqlalchemy import Engine

from adapters.memory import InMemorySiteRepository, InMemoryStore, InMemoryVisitRepository
from adapters.sql import (
    SqlSiteRepository,
    SqlUserRepository,
    SqlVisitRepository,
    make_engine,
)
from support.refusing import refuse_poison_urls
from tracking_core.entities import Location, Site, Visit
from tracking_core.errors import StorageUnavailable, VisitsRefused
from tracking_core.ports import SiteRepository, VisitRepository

T0 = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
LYON = Location(city="Lyon", country_code="FR", latitude=45.76, longitude=4.83)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def repositories(request: pytest.FixtureRequest) -> Iterator[tuple[VisitRepository, Site]]:
    """A visit repository and a site to visit, over the fake and over each database."""
    if request.param == "memory":
        store = InMemoryStore()
        site = InMemorySiteRepository(store).add(
            owner_id=1, base_url="https://a.example", created_at=T0
        )
        yield InMemoryVisitRepository(store), site
        return
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    owner = SqlUserRepository(engine).add(
        email="a@b.example", name="A", password_hash="h", created_at=T0
    )
    site = SqlSiteRepository(engine).add(
        owner_id=owner.id, base_url="https://a.example", created_at=T0
    )
    yield SqlVisitRepository(engine), site
    engine.dispose()


def visit(
    site: Site, ip: str | None, *, pending: bool = True, url: str = "https://a.example/"
) -> Visit:
    return Visit(
        site_id=site.id,
        created_at=T0,
        url=url,
        event="pageview",
        browser="Firefox",
        ip_address=ip,
        location_pending=pending,
    )


def test_only_pending_addresses_are_listed_once_each(
    repositories: tuple[VisitRepository, Site],
) -> None:
    visits, site = repositories
    visits.add_many(
        [
            visit(site, "8.8.8.8"),
            visit(site, "8.8.8.8"),
            visit(site, "1.1.1.1"),
            visit(site, "9.9.9.9", pending=False),
        ]
    )

    assert sorted(visits.ips_missing_location(10)) == ["1.1.1.1", "8.8.8.8"]
    assert len(visits.ips_missing_location(1)) == 1


def test_a_found_location_fills_every_pending_visit_from_that_address(
    repositories: tuple[VisitRepository, Site],
) -> None:
    visits, site = repositories
    visits.add_many([visit(site, "8.8.8.8"), visit(site, "8.8.8.8"), visit(site, "1.1.1.1")])

    visits.set_locations({"8.8.8.8": LYON})

    stored = visits.list_for_site(site.id, offset=0, limit=10)
    by_ip = sorted((v.ip_address or "", v.location, v.location_pending) for v in stored)
    # Located: the address is cut to its network; still pending: kept whole for the lookup.
    assert by_ip == [("1.1.1.1", None, True), ("8.8.8.0", LYON, False), ("8.8.8.0", LYON, False)]
    assert visits.ips_missing_location(10) == ["1.1.1.1"]


def test_an_unknown_address_stops_pending_without_a_location(
    repositories: tuple[VisitRepository, Site],
) -> None:
    visits, site = repositories
    visits.add_many([visit(site, "8.8.8.8")])

    visits.set_locations({"8.8.8.8": None})

    [stored] = visits.list_for_site(site.id, offset=0, limit=10)
    assert (stored.location, stored.location_pending, stored.ip_address) == (None, False, "8.8.8.0")
    assert visits.ips_missing_location(10) == []


def test_a_location_never_overwrites_one_already_stored(
    repositories: tuple[VisitRepository, Site],
) -> None:
    visits, site = repositories
    paris = Location(city="Paris")
    visits.add_many([attrs_evolve(visit(site, "8.8.8.8", pending=False), paris)])

    visits.set_locations({"8.8.8.8": LYON})

    assert visits.list_for_site(site.id, offset=0, limit=1)[0].location == paris


def test_a_site_that_keeps_full_addresses_keeps_them_once_located(
    repositories: tuple[VisitRepository, Site],
) -> None:
    visits, site = repositories
    sites = _sites_like(visits)
    sites.update_settings(attrs.evolve(site, keep_full_ip=True))
    visits.add_many([visit(site, "8.8.8.8"), visit(site, "2606:4700:4700::1111")])

    visits.set_locations({"8.8.8.8": LYON})
    visits.location_lookup_failed(["2606:4700:4700::1111"], give_up_after=1)

    stored = sorted(v.ip_address or "" for v in visits.list_for_site(site.id, offset=0, limit=9))
    assert stored == ["2606:4700:4700::1111", "8.8.8.8"]


def test_an_ipv6_address_is_cut_to_its_48_once_located(
    repositories: tuple[VisitRepository, Site],
) -> None:
    visits, site = repositories
    visits.add_many([visit(site, "2606:4700:4700::1111")])

    visits.set_locations({"2606:4700:4700::1111": LYON})

    assert visits.list_for_site(site.id, offset=0, limit=1)[0].ip_address == "2606:4700:4700::"


def _sites_like(visits: VisitRepository) -> SiteRepository:
    """The site repository over the same storage as ``visits``."""
    if isinstance(visits, InMemoryVisitRepository):
        return InMemorySiteRepository(visits.store)
    assert isinstance(visits, SqlVisitRepository)
    return SqlSiteRepository(visits.engine)


def attrs_evolve(sent: Visit, location: Location) -> Visit:
    return attrs.evolve(sent, location=location)


def test_failed_lookups_are_counted_and_given_up_on(
    repositories: tuple[VisitRepository, Site],
) -> None:
    visits, site = repositories
    visits.add_many([visit(site, "8.8.8.8"), visit(site, "1.1.1.1")])

    for _ in range(2):
        visits.location_lookup_failed(["8.8.8.8"], give_up_after=3)
    assert sorted(visits.ips_missing_location(10)) == ["1.1.1.1", "8.8.8.8"]
    assert visits.ips_missing_location(1) == ["1.1.1.1"]  # fewest failures first

    visits.location_lookup_failed(["8.8.8.8"], give_up_after=3)

    assert visits.ips_missing_location(10) == ["1.1.1.1"]
    stored = {v.ip_address: v for v in visits.list_for_site(site.id, offset=0, limit=10)}
    assert stored["8.8.8.0"].location is None  # given up on: no location, and cut all the same
    assert not stored["8.8.8.0"].location_pending


def test_a_visit_to_a_missing_site_is_refused_as_site_gone(
    repositories: tuple[VisitRepository, Site],
) -> None:
    visits, site = repositories
    orphan = Visit(site_id=site.id + 1000, created_at=T0, url="u", event="e", browser="b")

    with pytest.raises(VisitsRefused) as refused:
        visits.add_many([visit(site, None), orphan])

    assert refused.value.site_gone
    assert visits.count_for_site(site.id) == 0


def test_a_check_constraint_refusal_is_not_site_gone(engine: Engine) -> None:
    owner = SqlUserRepository(engine).add(
        email="a@b.example", name="A", password_hash="h", created_at=T0
    )
    site = SqlSiteRepository(engine).add(
        owner_id=owner.id, base_url="https://a.example", created_at=T0
    )
    refuse_poison_urls(engine.url.render_as_string(hide_password=False))
    visits = SqlVisitRepository(engine)

    with pytest.raises(VisitsRefused) as refused:
        visits.add_many([visit(site, None, url="https://a.example/poison")])

    assert not refused.value.site_gone


def test_a_locked_sqlite_database_is_storage_unavailable(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    owner = SqlUserRepository(engine).add(
        email="a@b.example", name="A", password_hash="h", created_at=T0
    )
    site = SqlSiteRepository(engine).add(
        owner_id=owner.id, base_url="https://a.example", created_at=T0
    )
    impatient = make_engine(sqlite_url)
    with impatient.connect() as connection:
        connection.exec_driver_sql("PRAGMA busy_timeout=50")
    holder = make_engine(sqlite_url)
    try:
        with holder.connect() as locker:
            locker.exec_driver_sql("BEGIN EXCLUSIVE")
            with pytest.raises(StorageUnavailable):
                SqlVisitRepository(impatient).add_many([visit(site, None)])
            locker.exec_driver_sql("ROLLBACK")
    finally:
        for each in (engine, impatient, holder):
            each.dispose()
