"""The SQL read model gives exactly the numbers the in-memory one counts from every hit, on
SQLite and PostgreSQL; and the counts it keeps as visits arrive are those it recounts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from adapters.memory import InMemoryReportSource, InMemoryStore, InMemoryVisitRepository
from adapters.memory.repositories import InMemorySiteRepository
from adapters.sql import SqlSiteRepository, SqlUserRepository, SqlVisitRepository
from adapters.sql.reports import SqlReportSource
from adapters.sql.strings import StringIds
from adapters.sql.tally_rebuild import rebuild_counts
from tracking_core.entities import Location, Site, Visit
from tracking_core.reports.agents import DeviceType
from tracking_core.reports.dimensions import Dimension, Filter
from tracking_core.reports.ranges import DateRange, RangeKind
from tracking_core.reports.report import Report, ReportQuery
from tracking_core.reports.sources import classify

FIRST_DAY = date(2026, 1, 20)
DAYS = 45  # across two month ends: whole months and loose days both get read
PAGES = ("/", "/pricing", "/blog/a", "/blog/b", "/ünïcode")
REFERRERS = (None, "https://www.google.com/", "https://news.example/x", "https://t.co/y")
AGENTS = (
    ("Firefox", "140", "Linux", DeviceType.DESKTOP),
    ("Safari", "18", "iOS", DeviceType.MOBILE),
    ("Chrome", "139", "Android", DeviceType.TABLET),
)
PLACES = (
    None,
    Location(
        city="Lyon", region_name="Auvergne-Rhône-Alpes", country_code="FR", country_name="France"
    ),
    Location(city="Paris", region_name="Île-de-France", country_code="FR", country_name="France"),
    Location(country_code="DE"),
)
EVENTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("Signup", {"plan": "pro"}),
    ("Signup", {"plan": "free"}),
    ("Download", {}),
)


@st.composite
def visits_of_a_site(draw: st.DrawFn) -> tuple[str, list[Visit], dict[str, Location | None]]:
    """A site's time zone, its hits in the order the beacon receives them, and the places of
    the addresses still pending (found later)."""
    tz_name = draw(st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]))
    tz = ZoneInfo(tz_name)
    hits: list[Visit] = []
    pending: dict[str, Location | None] = {}
    for n in range(draw(st.integers(1, 14))):
        day = FIRST_DAY + timedelta(days=draw(st.integers(0, DAYS - 1)))
        visitor = (day - FIRST_DAY).days * 10 + draw(st.integers(0, 2))  # ids are a day's own
        at = datetime.combine(day, datetime.min.time(), tz) + timedelta(
            minutes=draw(st.integers(0, 23 * 60 + 50))
        )
        browser, version, system, device = draw(st.sampled_from(AGENTS))
        place = draw(st.sampled_from(PLACES))
        waits = draw(st.booleans())
        ip = f"8.8.{n}.{visitor % 200}"
        if waits:
            pending[ip] = place
        referrer = draw(st.sampled_from(REFERRERS))
        tagged = draw(st.sampled_from(["", "?utm_source=news&utm_medium=mail", "?utm_campaign=x"]))
        for position in range(draw(st.integers(1, 5))):
            page = draw(st.sampled_from(PAGES))
            url = f"https://shop.example{page}{tagged if position == 0 else ''}"
            event, props = "pageview", dict[str, str]()
            if position and draw(st.integers(0, 3)) == 0:
                event, props = draw(st.sampled_from(EVENTS))
            local = at.astimezone(tz)
            if local.date() != day:  # the visit ran past midnight: a new day, a new visitor
                break
            hits.append(
                Visit(
                    site_id=0,
                    created_at=at.astimezone(UTC),
                    url=url,
                    event=event,
                    browser=browser,
                    browser_version=version,
                    os=system,
                    device_type=device,
                    visitor_id=visitor,
                    source=classify(referrer if position == 0 else None, url),
                    ip_address=ip,
                    location=None if waits else place,
                    location_pending=waits,
                    props=dict(props),
                )
            )
            at += timedelta(minutes=draw(st.sampled_from([0, 1, 5, 29, 30, 45])))
    hits.sort(key=lambda h: (h.created_at, h.event != "pageview", h.url, h.event))
    return tz_name, hits, pending


def _sites(engine: Engine, tz: str) -> tuple[Site, Site, InMemoryStore]:
    owner = SqlUserRepository(engine).add(
        email=f"{uuid.uuid4().hex}@example.com", name="A", password_hash="h", created_at=T0
    )
    sql_sites = SqlSiteRepository(engine)
    sql_site = sql_sites.add(owner_id=owner.id, base_url="https://shop.example", created_at=T0)
    sql_sites.update_settings(attrs.evolve(sql_site, timezone=tz))
    store = InMemoryStore()
    memory_sites = InMemorySiteRepository(store)
    memory_site = memory_sites.add(owner_id=1, base_url="https://shop.example", created_at=T0)
    memory_sites.update_settings(attrs.evolve(memory_site, timezone=tz))
    return attrs.evolve(sql_site, timezone=tz), attrs.evolve(memory_site, timezone=tz), store


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _queries(site_id: int, tz: ZoneInfo, hits: list[Visit]) -> list[ReportQuery]:
    days = sorted({h.created_at.astimezone(tz).date() for h in hits})
    everything = DateRange(RangeKind.CUSTOM, FIRST_DAY, FIRST_DAY + timedelta(days=DAYS), tz)
    one_day = DateRange(RangeKind.CUSTOM, days[0], days[0], tz)
    late = DateRange(RangeKind.CUSTOM, days[-1] - timedelta(days=9), days[-1], tz)
    first = hits[0]
    filters = [
        (Filter(Dimension.PAGE, "/pricing"),),
        (Filter(Dimension.SOURCE, first.source.name),),
        (Filter(Dimension.BROWSER, first.browser), Filter(Dimension.EVENT, "Signup")),
        (Filter(Dimension.COUNTRY, "France"),),
        (Filter(Dimension.ENTRY_PAGE, "/"), Filter(Dimension.DEVICE, "mobile")),
        (Filter(Dimension.EVENT, "Signup"),),
        (Filter(Dimension.UTM_MEDIUM, "mail"),),
        (Filter(Dimension.PAGE, "/never-seen"),),
    ]
    queries = [ReportQuery(site_id, span, limit=3) for span in (everything, one_day, late)]
    queries += [ReportQuery(site_id, everything, f, limit=4) for f in filters]
    queries.append(ReportQuery(site_id, one_day, filters[0], limit=4))
    return queries


def _same_site(report: Report, site_id: int) -> Report:
    return attrs.evolve(report, query=attrs.evolve(report.query, site_id=site_id))


def counts_of(engine: Engine, site_id: int) -> set[tuple[object, ...]]:
    """Every stored count of the site. A row left at 0 is none (an exit page a visit moved on
    from keeps its row)."""
    with engine.connect() as connection:
        return {
            (table, *row)
            for table in ("daily_counts", "monthly_counts")
            for row in connection.execute(
                text(
                    f"SELECT * FROM {table} WHERE site_id = :s "  # noqa: S608 - constants
                    "AND (visitors <> 0 OR visits <> 0 OR views <> 0 OR bounces <> 0 "
                    "OR duration <> 0)"
                ),
                {"s": site_id},
            )
        }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=visits_of_a_site(), batch=st.integers(1, 7))
def test_sql_and_in_memory_reports_agree_and_kept_counts_equal_a_recount(
    engine: Engine, data: tuple[str, list[Visit], dict[str, Location | None]], batch: int
) -> None:
    tz_name, hits, pending = data
    sql_site, memory_site, store = _sites(engine, tz_name)
    sql_visits, memory_visits = SqlVisitRepository(engine), InMemoryVisitRepository(store)
    for start in range(0, len(hits), batch):
        chunk = hits[start : start + batch]
        sql_visits.add_many([attrs.evolve(h, site_id=sql_site.id) for h in chunk])
        memory_visits.add_many([attrs.evolve(h, site_id=memory_site.id) for h in chunk])
    found = dict(list(pending.items())[: len(pending) // 2])  # the rest stays pending
    for repository in (sql_visits, memory_visits):
        repository.set_locations(found)

    sql_reports, memory_reports = SqlReportSource(engine), InMemoryReportSource(store)
    for query in _queries(sql_site.id, ZoneInfo(tz_name), hits):
        expected = memory_reports.report(attrs.evolve(query, site_id=memory_site.id))
        assert sql_reports.report(query) == _same_site(expected, sql_site.id), query

    kept = counts_of(engine, sql_site.id)
    with engine.connect() as connection:
        strings = StringIds()
        with strings.transaction():
            rebuild_counts(connection, strings, sql_site.id)
            connection.commit()
    assert counts_of(engine, sql_site.id) == kept


def test_a_new_time_zone_recounts_the_days_and_the_reports_follow(engine: Engine) -> None:
    sql_site, memory_site, store = _sites(engine, "UTC")
    late = datetime(2026, 2, 1, 3, 30, tzinfo=UTC)  # in New York, still January 31st
    hits = [
        Visit(
            site_id=0,
            created_at=late + timedelta(minutes=m),
            url="https://shop.example/",
            event="pageview",
            browser="Firefox",
            visitor_id=7,
        )
        for m in (0, 5)
    ]
    SqlVisitRepository(engine).add_many([attrs.evolve(h, site_id=sql_site.id) for h in hits])
    InMemoryVisitRepository(store).add_many([attrs.evolve(h, site_id=memory_site.id) for h in hits])
    new_york = ZoneInfo("America/New_York")

    SqlSiteRepository(engine).update_settings(attrs.evolve(sql_site, timezone="America/New_York"))
    InMemorySiteRepository(store).update_settings(
        attrs.evolve(memory_site, timezone="America/New_York")
    )

    january = DateRange(RangeKind.CUSTOM, date(2026, 1, 1), date(2026, 1, 31), new_york)
    query = ReportQuery(sql_site.id, january)
    report = SqlReportSource(engine).report(query)
    expected = InMemoryReportSource(store).report(attrs.evolve(query, site_id=memory_site.id))
    assert report == _same_site(expected, sql_site.id)
    assert report.headline.page_views == 2


def _recount(engine: Engine, site_id: int) -> set[tuple[object, ...]]:
    with engine.connect() as connection:
        strings = StringIds()
        with strings.transaction():
            rebuild_counts(connection, strings, site_id)
            connection.commit()
    return counts_of(engine, site_id)


def test_a_writer_that_outlives_a_new_time_zone_counts_as_a_recount_does(engine: Engine) -> None:
    """Days move with the time zone: a writer that remembered anything of the site's days
    (a cache of who was counted when) would count from stale days (a visitor met on the 31st
    in UTC is met on the 1st in Kolkata). A guard for such caches: a tried one failed it."""
    site, _, _ = _sites(engine, "UTC")
    visits = SqlVisitRepository(engine)  # one writer throughout, as in a writer process

    def hit(at: datetime) -> Visit:
        url = "https://shop.example/"
        return Visit(
            site_id=site.id, created_at=at, url=url, event="pageview", browser="Firefox",
            visitor_id=7,
        )  # fmt: skip

    visits.add_many([hit(datetime(2026, 1, 31, 23, 30, tzinfo=UTC))])  # Kolkata: Feb 1st
    SqlSiteRepository(engine).update_settings(attrs.evolve(site, timezone="Asia/Kolkata"))
    visits.add_many([hit(datetime(2026, 1, 31, 12, 0, tzinfo=UTC))])  # Kolkata: Jan 31st
    kept = counts_of(engine, site.id)
    assert _recount(engine, site.id) == kept


def test_a_writer_that_outlives_a_deleted_site_counts_the_next_site_right(engine: Engine) -> None:
    """Before migration 0010, SQLite gave a deleted site's id to the next site: anything a
    writer remembered of the old site must not serve the new one, whatever its id."""
    users = SqlUserRepository(engine)
    visits = SqlVisitRepository(engine)

    def site_and_visit(created: datetime) -> tuple[int, int, Visit]:
        owner = users.add(
            email=f"{uuid.uuid4().hex}@example.com", name="A", password_hash="h", created_at=T0
        )
        site = SqlSiteRepository(engine).add(
            owner_id=owner.id, base_url="https://shop.example", created_at=created
        )
        visit = Visit(
            site_id=site.id, created_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
            url="https://shop.example/pricing", event="pageview", browser="Firefox", visitor_id=7,
        )  # fmt: skip
        return owner.id, site.id, visit

    # Sites are told apart by their creation (to the microsecond) when their ids are equal.
    first_owner, _, first_visit = site_and_visit(T0)
    visits.add_many([first_visit])
    users.delete(first_owner)
    _, second_site, second_visit = site_and_visit(T0 + timedelta(seconds=1))
    visits.add_many([second_visit])

    assert visits.count_for_site(second_site) == 1
    kept = counts_of(engine, second_site)
    assert any(row[0] == "daily_counts" for row in kept)
    assert _recount(engine, second_site) == kept
