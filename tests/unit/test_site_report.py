"""The dashboard's report: for the site's owner, on the site's calendar, counted exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from ipaddress import IPv4Address
from typing import Any

import attrs
import pytest

from adapters.memory import InMemoryReportSource
from tracking_core import Hit, InvalidInput, Site, SiteNotFound
from tracking_core.entities import Location
from tracking_core.reports.agents import Agent, DeviceType
from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.ranges import RangeKind
from tracking_core.reports.report import Row
from tracking_core.use_cases.reports import SiteReport, site_report

from .fakes import Fakes

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 Firefox/140.0"
SAFARI = "Mozilla/5.0 (iPhone) Safari"


@pytest.fixture
def site(fakes: Fakes) -> Site:
    fakes.clock.current = NOON
    fakes.user_agents.known[FIREFOX] = Agent("Firefox", "140", "Linux", DeviceType.DESKTOP)
    fakes.user_agents.known[SAFARI] = Agent("Safari", "18", "iOS", DeviceType.MOBILE)
    return fakes.new_site(fakes.sign_up().user, "https://shop.example")


def _report(fakes: Fakes, site: Site, **params: str) -> SiteReport:
    owner = fakes.users.get(site.owner_id)
    assert owner is not None
    return site_report(
        sites=fakes.sites,
        reports=InMemoryReportSource(fakes.store),
        clock=fakes.clock,
        owner=owner,
        site_id=site.id,
        params=params,
    )


def _visit(fakes: Fakes, site: Site, path: str, *, minutes: int = 0, **fields: Any) -> None:
    fakes.clock.advance(timedelta(minutes=minutes))
    hit = Hit(site_id=site.id, url=f"https://shop.example{path}", **fields)
    assert fakes.record(hit) is not None


def test_a_report_counts_visitors_visits_and_pages_exactly(fakes: Fakes, site: Site) -> None:
    ada: dict[str, Any] = {"user_agent": FIREFOX, "ip": IPv4Address("8.8.8.8")}
    grace: dict[str, Any] = {"user_agent": SAFARI, "ip": IPv4Address("9.9.9.9")}
    _visit(fakes, site, "/", referrer="https://www.google.com/", **ada)
    _visit(fakes, site, "/pricing", minutes=2, **ada)
    _visit(fakes, site, "/pricing", minutes=1, event="Signup", props={"plan": "pro"}, **ada)
    _visit(fakes, site, "/blog", minutes=1, **grace)  # a bounce
    _visit(fakes, site, "/", minutes=40, **ada)  # 40 minutes later: a second visit, a bounce

    report = _report(fakes, site, range="today").report

    headline = report.headline
    assert (headline.visitors, headline.visits, headline.page_views) == (2, 3, 4)
    assert headline.bounce_rate == pytest.approx(2 / 3)
    assert headline.total_duration == timedelta(minutes=3)
    pages = report.breakdown(Dimension.PAGE)
    assert pages.rows == (Row("/", 1, 2), Row("/blog", 1, 1), Row("/pricing", 1, 1))
    assert pages.share(pages.rows[0]) == 0.5
    assert report.breakdown(Dimension.ENTRY_PAGE).rows == (Row("/", 0, 2), Row("/blog", 0, 1))
    assert report.breakdown(Dimension.SOURCE).rows == (
        Row("Direct / None", 2, 2),
        Row("Google", 1, 1),
    )
    assert report.breakdown(Dimension.EVENT).rows == (Row("Signup", 1, 1),)
    assert sum(point.page_views for point in report.series) == 4
    assert len(report.series) == 24  # hours of a UTC day


def test_a_filter_keeps_the_visits_that_match_and_counts_everything_of_them(
    fakes: Fakes, site: Site
) -> None:
    ada: dict[str, Any] = {"user_agent": FIREFOX, "ip": IPv4Address("8.8.8.8")}
    _visit(fakes, site, "/", referrer="https://www.google.com/", **ada)
    _visit(fakes, site, "/pricing", minutes=2, **ada)
    _visit(fakes, site, "/pricing", minutes=1, event="Signup", props={"plan": "pro"}, **ada)
    _visit(fakes, site, "/blog", minutes=1, user_agent=SAFARI, ip=IPv4Address("9.9.9.9"))

    by_source = _report(fakes, site, range="today", source="Google").report
    by_event = _report(fakes, site, range="today", event="Signup").report

    assert (by_source.headline.visits, by_source.headline.page_views) == (1, 2)
    assert [r.name for r in by_source.breakdown(Dimension.PAGE).rows] == ["/", "/pricing"]
    assert by_event.properties[0].value == "pro"
    assert by_event.breakdown(Dimension.BROWSER).rows == (Row("Firefox", 1, 1),)


def test_a_place_counts_once_it_is_known_for_sure(fakes: Fakes, site: Site) -> None:
    fakes.geodata.known["8.8.8.8"] = Location(country_code="US", country_name="United States")
    _visit(fakes, site, "/", ip=IPv4Address("8.8.8.8"))
    pending = attrs.evolve(
        fakes.store.visits[0],
        visitor_id=12345,
        ip_address="9.9.9.9",
        location=None,
        location_pending=True,
    )
    fakes.visits.add_many([pending])

    countries = _report(fakes, site, range="today").report.breakdown(Dimension.COUNTRY)

    assert countries.rows == (Row("United States", 1, 1),)
    assert countries.total == 2  # shares are of every visitor; one's country is not known yet


def test_the_range_is_read_on_the_sites_calendar(fakes: Fakes, site: Site) -> None:
    fakes.sites.update_settings(attrs.evolve(site, timezone="Pacific/Auckland"))

    report = _report(fakes, site, range="today").report

    assert report.query.range.kind is RangeKind.TODAY
    assert report.query.range.first_day == date(2026, 3, 11)  # already tomorrow there


def test_the_previous_period_is_reported_beside(fakes: Fakes, site: Site) -> None:
    _visit(fakes, site, "/", user_agent=FIREFOX)
    fakes.clock.advance(timedelta(days=7))

    report = _report(fakes, site, range="7d").report

    assert (report.headline.visits, report.previous.visits) == (0, 1)


def test_someone_elses_site_is_not_found(fakes: Fakes, site: Site) -> None:
    mallory = fakes.sign_up(email="mallory@example.com").user
    with pytest.raises(SiteNotFound):
        site_report(
            sites=fakes.sites,
            reports=InMemoryReportSource(fakes.store),
            clock=fakes.clock,
            owner=mallory,
            site_id=site.id,
            params={},
        )


@pytest.mark.parametrize(
    "params", [{"range": "forever"}, {"range": "custom", "from": "2026-02-30"}, {"page": ""}]
)
def test_a_bad_range_or_filter_is_invalid_input(
    fakes: Fakes, site: Site, params: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput):
        _report(fakes, site, **params)
