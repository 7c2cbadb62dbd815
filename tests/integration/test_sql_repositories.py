"""The SQL repositories, against real SQLite and PostgreSQL databases, behave like the fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, StatementError

from adapters.memory import InMemoryStore, InMemoryVisitRepository
from adapters.sql import (
    SqlSessionRepository,
    SqlSiteRepository,
    SqlUserRepository,
    SqlVisitRepository,
    make_engine,
)
from adapters.sql.visit_writer import last_arrivals
from tracking_core.entities import Location, Site, User, Visit
from tracking_core.errors import EmailTaken, StorageUnavailable, VisitsRefused
from tracking_core.ports import SessionRepository, SiteRepository, UserRepository, VisitRepository
from tracking_core.reports.agents import DeviceType
from tracking_core.reports.sources import classify

T0 = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
FULL_LOCATION = Location(
    city="Lyon",
    zip_code="69001",
    region_name="Auvergne-Rhône-Alpes",
    country_code="FR",
    country_name="France",
    latitude=45.767299,
    longitude=4.834329,
)
HOSTILE_STRINGS = [
    pytest.param('Robert\'); DROP TABLE users;-- "quoted" \\ `tick`', id="quotes"),
    pytest.param("<script>alert('x')</script><img src=x onerror=alert(1)>", id="markup"),
    pytest.param(
        "Zoë \U0001f469\U0001f3fd\u200d\U0001f4bb 東京 مرحبا \u202egnp.exe \U0001d518\u0301 \ufeff",
        id="unicode",
    ),
    pytest.param("%s %(name)s {0} ? :name $1", id="placeholders"),
    pytest.param("ä" * 100_000, id="very-long"),
]


@pytest.fixture
def users(engine: Engine) -> UserRepository:
    """Typed as the core's port, like its siblings: mypy checks the SQL class satisfies it."""
    return SqlUserRepository(engine)


@pytest.fixture
def sessions(engine: Engine) -> SessionRepository:
    return SqlSessionRepository(engine)


@pytest.fixture
def sites(engine: Engine) -> SiteRepository:
    return SqlSiteRepository(engine)


@pytest.fixture
def visits(engine: Engine) -> VisitRepository:
    return SqlVisitRepository(engine)


def add_user(users: UserRepository, email: str = "ada@example.com") -> User:
    return users.add(email=email, name="Ada", password_hash="hash$1", created_at=T0)


def add_site(sites: SiteRepository, owner: User, base_url: str = "https://ada.example") -> Site:
    return sites.add(owner_id=owner.id, base_url=base_url, created_at=T0)


#: Visits are kept to the second.
VISIT_T0 = T0.replace(microsecond=0)


def visit(site: Site, *, at: datetime = VISIT_T0, url: str = "https://ada.example/") -> Visit:
    return Visit(site_id=site.id, created_at=at, url=url, event="pageview", browser="Firefox")


def test_an_added_user_reads_back_unchanged_by_id_and_by_email(users: UserRepository) -> None:
    added = add_user(users)

    assert users.get(added.id) == added
    assert users.get_by_email("ada@example.com") == added
    assert (added.email, added.name, added.password_hash) == ("ada@example.com", "Ada", "hash$1")


def test_timestamps_read_back_as_the_same_instant_in_utc(users: UserRepository) -> None:
    paris_summer = datetime(2025, 7, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))

    added = users.add(email="a@b.example", name="A", password_hash="h", created_at=paris_summer)
    stored = users.get(added.id)

    assert stored is not None
    assert stored.created_at == paris_summer
    assert stored.created_at.tzinfo == UTC
    assert stored.created_at.hour == 10


def test_a_naive_timestamp_is_refused_rather_than_guessed(users: UserRepository) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        users.add(email="a@b.example", name="A", password_hash="h", created_at=datetime(2025, 1, 1))


def test_unknown_users_read_back_as_none(users: UserRepository) -> None:
    assert users.get(12345) is None
    assert users.get_by_email("nobody@example.com") is None


def test_adding_a_user_with_a_taken_email_raises_email_taken(users: UserRepository) -> None:
    first = add_user(users)

    with pytest.raises(EmailTaken):
        add_user(users)

    assert users.get_by_email("ada@example.com") == first


def test_emails_are_stored_as_given_so_case_variants_are_different_users(
    users: UserRepository,
) -> None:
    lower = add_user(users, "ada@example.com")
    upper = add_user(users, "Ada@Example.com")

    assert lower.id != upper.id
    assert users.get_by_email("Ada@Example.com") == upper


def test_updating_a_user_saves_their_name_and_password_hash(users: UserRepository) -> None:
    user = add_user(users)

    users.update(attrs.evolve(user, name="Ada Lovelace", password_hash="hash$2"))

    assert users.get(user.id) == attrs.evolve(user, name="Ada Lovelace", password_hash="hash$2")


def test_deleting_a_user_removes_their_sites_visits_and_sessions_only(
    users: UserRepository,
    sessions: SessionRepository,
    sites: SiteRepository,
    visits: VisitRepository,
) -> None:
    ada, bob = add_user(users, "ada@example.com"), add_user(users, "bob@example.com")
    ada_site, bob_site = add_site(sites, ada), add_site(sites, bob)
    visits.add_many([visit(ada_site), visit(bob_site)])
    sessions.add(token_hash="ada-token", user_id=ada.id, created_at=T0)
    sessions.add(token_hash="bob-token", user_id=bob.id, created_at=T0)

    users.delete(ada.id)

    assert users.get(ada.id) is None
    assert sites.get(ada_site.id) is None
    assert visits.count_for_site(ada_site.id) == 0
    assert sessions.user_id_for("ada-token") is None
    assert users.get(bob.id) == bob
    assert sites.list_for_owner(bob.id) == [bob_site]
    assert visits.count_for_site(bob_site.id) == 1
    assert sessions.user_id_for("bob-token") == bob.id


def test_the_ids_of_deleted_users_and_sites_are_never_given_again(
    users: UserRepository, sites: SiteRepository
) -> None:
    """A deleted site's pages may still send beacons to its id: a new site given that id
    would receive, and show its owner, another person's visitors."""
    owner = add_user(users)
    site = add_site(sites, owner)
    users.delete(owner.id)

    newcomer = add_user(users, "grace@example.com")
    new_site = add_site(sites, newcomer)

    assert newcomer.id != owner.id
    assert new_site.id != site.id


def test_a_session_token_hash_leads_to_its_user(
    users: UserRepository, sessions: SessionRepository
) -> None:
    user = add_user(users)

    sessions.add(token_hash="abc", user_id=user.id, created_at=T0)

    assert sessions.user_id_for("abc") == user.id
    assert sessions.user_id_for("unknown") is None


def test_deleting_a_session_forgets_that_token_only(
    users: UserRepository, sessions: SessionRepository
) -> None:
    user = add_user(users)
    sessions.add(token_hash="first", user_id=user.id, created_at=T0)
    sessions.add(token_hash="second", user_id=user.id, created_at=T0)

    sessions.delete("first")
    sessions.delete("never-existed")

    assert sessions.user_id_for("first") is None
    assert sessions.user_id_for("second") == user.id


def test_deleting_a_users_sessions_keeps_other_users_sessions(
    users: UserRepository, sessions: SessionRepository
) -> None:
    ada, bob = add_user(users, "ada@example.com"), add_user(users, "bob@example.com")
    sessions.add(token_hash="ada-1", user_id=ada.id, created_at=T0)
    sessions.add(token_hash="ada-2", user_id=ada.id, created_at=T0)
    sessions.add(token_hash="bob-1", user_id=bob.id, created_at=T0)

    sessions.delete_for_user(ada.id)

    assert [sessions.user_id_for(t) for t in ("ada-1", "ada-2", "bob-1")] == [None, None, bob.id]


def test_an_added_site_reads_back_unchanged(users: UserRepository, sites: SiteRepository) -> None:
    owner = add_user(users)

    site = add_site(sites, owner)

    assert sites.get(site.id) == site
    assert (site.owner_id, site.base_url, site.created_at) == (owner.id, "https://ada.example", T0)
    assert sites.get(site.id + 1000) is None


def test_listing_sites_returns_only_the_owners_sites_oldest_first(
    users: UserRepository, sites: SiteRepository
) -> None:
    ada, bob = add_user(users, "ada@example.com"), add_user(users, "bob@example.com")
    first = add_site(sites, ada, "https://one.example")
    add_site(sites, bob, "https://bob.example")
    second = add_site(sites, ada, "https://two.example")

    assert sites.list_for_owner(ada.id) == [first, second]
    assert sites.list_for_owner(bob.id + ada.id + 1000) == []


@pytest.mark.parametrize(
    "location",
    [
        pytest.param(FULL_LOCATION, id="full"),
        pytest.param(Location(country_code="FR", latitude=0.0, longitude=-0.5), id="partial"),
        pytest.param(None, id="absent"),
    ],
)
def test_a_visit_round_trips_with_its_location(
    users: UserRepository,
    sites: SiteRepository,
    visits: VisitRepository,
    location: Location | None,
) -> None:
    site = add_site(sites, add_user(users))
    sent = Visit(
        site_id=site.id,
        created_at=VISIT_T0,
        url="https://ada.example/page?q=1#top",
        event="signup",
        browser="Firefox",
        browser_version="133",
        os="Linux",
        device_type=DeviceType.DESKTOP,
        visitor_id=-(2**63),
        source=classify("https://search.example/?q=ada", "https://ada.example/?utm_medium=x"),
        referrer="https://search.example/?q=ada",
        ip_address="2001:db8::1",
        location=location,
        screen_width=1440,
        props={"plan": "pro", "n": "3"},
    )

    visits.add_many([sent])

    # Everything but the full referrer, of which the visit's source keeps the domain.
    assert visits.list_for_site(site.id, offset=0, limit=10) == [attrs.evolve(sent, referrer=None)]


def test_visits_list_newest_first_a_page_at_a_time(
    users: UserRepository, sites: SiteRepository, visits: VisitRepository
) -> None:
    site = add_site(sites, add_user(users))
    sent = [
        visit(site, at=VISIT_T0 + timedelta(minutes=n), url=f"https://a.example/{n}")
        for n in range(7)
    ]
    visits.add_many(sent[::2] + sent[1::2])
    newest_first = sent[::-1]

    pages = [visits.list_for_site(site.id, offset=offset, limit=3) for offset in (0, 3, 6, 9)]

    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:7], []]
    assert visits.count_for_site(site.id) == 7


def test_visits_from_the_same_instant_list_as_the_in_memory_fake_does(
    users: UserRepository, sites: SiteRepository, visits: VisitRepository
) -> None:
    """Ties go to the later arrival; the fake and both databases must agree on every page."""
    site = add_site(sites, add_user(users))
    second = timedelta(seconds=1)
    instants = [VISIT_T0, VISIT_T0 + second, VISIT_T0, VISIT_T0, VISIT_T0 + second, VISIT_T0]
    batches = [
        [visit(site, at=at, url=f"https://a.example/{n}") for n, at in enumerate(instants[:3])],
        [visit(site, at=at, url=f"https://a.example/{n + 3}") for n, at in enumerate(instants[3:])],
    ]
    fake = InMemoryVisitRepository(InMemoryStore(sites={site.id: site}))
    for batch in batches:
        visits.add_many(batch)
        fake.add_many(batch)

    for offset in range(7):
        expected = fake.list_for_site(site.id, offset=offset, limit=2)
        assert visits.list_for_site(site.id, offset=offset, limit=2) == expected


def test_a_batch_over_more_seconds_than_one_lookup_takes_numbers_every_arrival_after_the_last(
    users: UserRepository, sites: SiteRepository, visits: VisitRepository
) -> None:
    """The writer looks up the arrival numbers already taken a few hundred seconds at a time:
    a batch spanning more seconds, all of them already holding hits, stores every hit."""
    site = add_site(sites, add_user(users))
    seconds = [VISIT_T0 + timedelta(seconds=n) for n in range(1_100)]
    visits.add_many([visit(site, at=at, url="https://a.example/first") for at in seconds])
    visits.add_many([visit(site, at=at, url="https://a.example/second") for at in seconds])

    listed = visits.list_for_site(site.id, offset=0, limit=4)

    assert visits.count_for_site(site.id) == 2_200
    # Ties go to the later arrival, as everywhere.
    assert [v.url for v in listed] == ["https://a.example/second", "https://a.example/first"] * 2


@pytest.mark.postgres
def test_finding_the_last_arrival_of_a_busy_second_reads_one_index_entry_on_postgresql(
    postgres_url: str,
) -> None:
    """Each batch asks for the last arrival number of its seconds, which under load already
    hold thousands of hits; given one second, ``max(seq)`` read every one of them."""
    engine = make_engine(postgres_url)
    try:
        site = add_site(SqlSiteRepository(engine), add_user(SqlUserRepository(engine)))
        SqlVisitRepository(engine).add_many([visit(site) for _ in range(300)])
        second = int(VISIT_T0.timestamp())
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + last_arrivals("%s", 1), (site.id, second)
            ).scalar_one()
            found = connection.exec_driver_sql(last_arrivals("%s", 1), (site.id, second)).all()
    finally:
        engine.dispose()

    assert found == [(second, 299)]
    assert _rows_read_from(plan[0]["Plan"], "visits") == 1


def _rows_read_from(node: dict[str, Any], table: str) -> int:
    """Rows a query plan's scans of ``table`` returned, over all their loops."""
    read = 0
    if node.get("Relation Name") == table:
        read += int(node["Actual Rows"] * node["Actual Loops"])
    return read + sum(_rows_read_from(child, table) for child in node.get("Plans", []))


def test_counting_visits_counts_only_that_sites_visits(
    users: UserRepository, sites: SiteRepository, visits: VisitRepository
) -> None:
    owner = add_user(users)
    mine, other = add_site(sites, owner), add_site(sites, owner, "https://other.example")
    visits.add_many([visit(mine), visit(other), visit(mine)])

    assert visits.count_for_site(mine.id) == 2
    assert visits.count_for_site(other.id) == 1
    assert [v.site_id for v in visits.list_for_site(other.id, offset=0, limit=10)] == [other.id]


def test_a_batch_with_one_invalid_visit_stores_none_of_them(
    users: UserRepository, sites: SiteRepository, visits: VisitRepository
) -> None:
    site = add_site(sites, add_user(users))
    orphan = Visit(site_id=site.id + 1000, created_at=T0, url="u", event="e", browser="b")

    with pytest.raises(VisitsRefused) as refused:
        visits.add_many([visit(site), visit(site), orphan, visit(site)])

    assert refused.value.site_gone

    assert visits.count_for_site(site.id) == 0
    assert visits.list_for_site(site.id, offset=0, limit=10) == []


def test_adding_an_empty_batch_of_visits_stores_nothing(
    users: UserRepository, sites: SiteRepository, visits: VisitRepository
) -> None:
    site = add_site(sites, add_user(users))

    visits.add_many([])

    assert visits.count_for_site(site.id) == 0


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_strings_are_stored_and_read_back_unchanged(
    users: UserRepository,
    sessions: SessionRepository,
    sites: SiteRepository,
    visits: VisitRepository,
    hostile: str,
) -> None:
    """Indexed strings (email, token hash) stay short: a PostgreSQL index entry holds about 2.7 kB,
    and the core caps emails at 254 characters while token hashes are fixed-length."""
    email, token_hash = f"{hostile[:100]}@example.com", hostile[:100]
    user = users.add(email=email, name=hostile, password_hash=hostile, created_at=T0)
    site = sites.add(owner_id=user.id, base_url=hostile, created_at=T0)
    sessions.add(token_hash=token_hash, user_id=user.id, created_at=T0)
    sent = Visit(
        site_id=site.id,
        created_at=VISIT_T0,
        url=hostile,
        event=hostile,
        browser=hostile,
        referrer=hostile,
        ip_address=hostile,
        location=Location(city=hostile, region_name=hostile, country_name=hostile),
    )
    visits.add_many([sent])
    kept = attrs.evolve(sent, referrer=None)

    assert users.get_by_email(email) == user
    assert (user.email, user.name, user.password_hash) == (email, hostile, hostile)
    assert sites.get(site.id) == Site(site.id, user.id, hostile, T0)
    assert sessions.user_id_for(token_hash) == user.id
    assert visits.list_for_site(site.id, offset=0, limit=1) == [kept]


@pytest.mark.postgres
def test_postgres_timestamps_read_back_in_utc_whatever_the_session_time_zone(
    postgres_url: str,
) -> None:
    url = make_url(postgres_url).update_query_dict({"options": "-c timezone=Asia/Kolkata"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW timezone")).scalar_one() == "Asia/Kolkata"
        users = SqlUserRepository(engine)
        added = add_user(users)
        stored = users.get(added.id)
    finally:
        engine.dispose()

    assert stored is not None
    assert stored.created_at == T0
    assert stored.created_at.tzinfo == UTC


def test_a_connection_lost_during_the_commit_means_maybe_stored(
    users: UserRepository,
    sites: SiteRepository,
    visits: VisitRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server committed, then the connection went before it said so: retrying the batch
    would store it twice, so the error says it may be stored."""
    site = add_site(sites, add_user(users))
    commit = Connection.commit

    def commit_then_lose_the_connection(self: Connection) -> None:
        commit(self)
        lost = OSError("server closed the connection unexpectedly")
        raise OperationalError("COMMIT", None, lost, connection_invalidated=True)

    monkeypatch.setattr(Connection, "commit", commit_then_lose_the_connection)
    with pytest.raises(StorageUnavailable) as error:
        visits.add_many([visit(site)])
    monkeypatch.undo()
    assert error.value.maybe_stored
    assert visits.count_for_site(site.id) == 1
