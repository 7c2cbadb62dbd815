"""Recording what the beacon saw, and showing it to the site's owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracking_core import (
    Hit,
    InvalidInput,
    Location,
    Site,
    SiteNotFound,
    Visit,
    build_visit,
    list_visits,
)
from tracking_core.client_ip import network_of
from tracking_core.reports.agents import Agent, DeviceType

from .fakes import Fakes

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
PAGE = "https://example.com/page"
LYON = Location(city="Lyon", region_name="Auvergne-Rhône-Alpes", country_code="FR")


def _record(fakes: Fakes, hit: Hit) -> Visit:
    visit = fakes.record(hit)
    assert visit is not None, "the hit was skipped"
    return visit


@pytest.fixture
def site(fakes: Fakes) -> Site:
    return fakes.new_site(fakes.sign_up().user)


# build_visit


def test_build_visit_records_the_page_time_and_address() -> None:
    visit = build_visit(Hit(site_id=7, url=PAGE, ip=IPv4Address("203.0.113.9")), now=NOW)

    assert visit == Visit(
        site_id=7,
        created_at=NOW,
        url=PAGE,
        event="pageview",
        browser="Unknown",
        referrer=None,
        ip_address="203.0.113.9",
        location=None,
    )


def test_the_url_parameter_wins_over_the_referer_header() -> None:
    hit = Hit(site_id=1, url=PAGE, referer_header="https://example.com/other")

    assert build_visit(hit, now=NOW).url == PAGE


@pytest.mark.parametrize("url", [None, ""])
def test_the_referer_header_is_the_page_when_no_url_is_given(url: str | None) -> None:
    hit = Hit(site_id=1, url=url, referer_header="https://example.com/from-header")

    assert build_visit(hit, now=NOW).url == "https://example.com/from-header"


def test_a_hit_with_neither_url_nor_referer_is_refused_under_url() -> None:
    with pytest.raises(InvalidInput) as raised:
        build_visit(Hit(site_id=1), now=NOW)

    assert raised.value.errors == {"url": ["Enter a URL."]}


@pytest.mark.parametrize(
    ("hit", "message"),
    [
        (Hit(site_id=1, url="javascript:alert(1)"), "Use an http:// or https:// URL."),
        (Hit(site_id=1, url="data:text/html,hi"), "Use an http:// or https:// URL."),
        (Hit(site_id=1, url="/just/a/path"), "Use an http:// or https:// URL."),
        (
            Hit(site_id=1, url="javascript:alert(1)", referer_header=PAGE),
            "Use an http:// or https:// URL.",
        ),
        (Hit(site_id=1, referer_header="file:///etc/passwd"), "Use an http:// or https:// URL."),
        (
            Hit(site_id=1, url="https://exa mple.com/"),
            "A URL cannot contain spaces or control characters.",
        ),
    ],
)
def test_a_page_url_that_is_not_http_is_refused_under_url(hit: Hit, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        build_visit(hit, now=NOW)

    assert raised.value.errors == {"url": [message]}


def test_the_event_defaults_to_pageview() -> None:
    assert build_visit(Hit(site_id=1, url=PAGE, event=None), now=NOW).event == "pageview"
    assert build_visit(Hit(site_id=1, url=PAGE, event=""), now=NOW).event == "pageview"


def test_a_named_event_is_kept_trimmed() -> None:
    assert build_visit(Hit(site_id=1, url=PAGE, event="  signup "), now=NOW).event == "signup"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("e" * 101, "Use at most 100 characters."),
        ("sign\x00up", "An event name cannot contain control characters."),
        ("sign\u200dup", "An event name cannot contain control characters."),
        ("   ", "Enter an event name."),
    ],
)
def test_a_bad_event_is_refused_under_event(event: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        build_visit(Hit(site_id=1, url=PAGE, event=event), now=NOW)

    assert raised.value.errors == {"event": [message]}


def test_an_event_of_one_hundred_characters_is_accepted() -> None:
    assert build_visit(Hit(site_id=1, url=PAGE, event="e" * 100), now=NOW).event == "e" * 100


def test_the_visit_keeps_what_the_agent_says_not_the_user_agent_itself() -> None:
    agent = Agent("Firefox", "140", "Linux", DeviceType.DESKTOP)
    hit = Hit(site_id=1, url=PAGE, user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")

    visit = build_visit(hit, now=NOW, agent=agent)

    assert (visit.browser, visit.browser_version, visit.os) == ("Firefox", "140", "Linux")
    assert visit.device_type is DeviceType.DESKTOP
    assert "Mozilla" not in repr(visit)


def test_the_screen_width_decides_the_device_when_the_agent_claims_a_desktop() -> None:
    agent = Agent("Safari", "18", "macOS", DeviceType.DESKTOP)  # an iPad says it is a Mac

    visit = build_visit(Hit(site_id=1, url=PAGE, width="820"), now=NOW, agent=agent)

    assert visit.device_type is DeviceType.TABLET


def test_a_missing_user_agent_is_an_unknown_browser() -> None:
    visit = build_visit(Hit(site_id=1, url=PAGE, user_agent=None), now=NOW)

    assert (visit.browser, visit.os, visit.device_type) == ("Unknown", "Unknown", "unknown")


def test_a_valid_referrer_parameter_is_kept() -> None:
    hit = Hit(site_id=1, url=PAGE, referrer="https://search.example/?q=tracking")

    assert build_visit(hit, now=NOW).referrer == "https://search.example/?q=tracking"


@pytest.mark.parametrize(
    ("referrer", "message"),
    [
        ("javascript:alert(1)", "Use an http:// or https:// URL."),
        ("android-app://com.example", "Use an http:// or https:// URL."),
        ("https://exa\tmple.com", "A URL cannot contain spaces or control characters."),
    ],
)
def test_a_bad_referrer_parameter_is_refused_under_referrer(referrer: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        build_visit(Hit(site_id=1, url=PAGE, referrer=referrer), now=NOW)

    assert raised.value.errors == {"referrer": [message]}


def test_every_bad_field_of_a_hit_is_reported_at_once() -> None:
    hit = Hit(site_id=1, url="ftp://example.com", referrer="data:,x", event="\x07")

    with pytest.raises(InvalidInput) as raised:
        build_visit(hit, now=NOW)

    assert set(raised.value.errors) == {"url", "referrer", "event"}


@given(
    url=st.none() | st.text(max_size=40),
    referer_header=st.none() | st.text(max_size=40),
    referrer=st.none() | st.text(max_size=40),
    event=st.none() | st.text(max_size=120),
    user_agent=st.none() | st.text(max_size=700),
)
def test_build_visit_either_returns_a_clean_visit_or_names_the_bad_fields(
    url: str | None,
    referer_header: str | None,
    referrer: str | None,
    event: str | None,
    user_agent: str | None,
) -> None:
    hit = Hit(
        site_id=1,
        url=url,
        referer_header=referer_header,
        referrer=referrer,
        event=event,
        user_agent=user_agent,
    )
    try:
        visit: Visit | None = build_visit(hit, now=NOW)
        errors: dict[str, list[str]] = {}
    except InvalidInput as exc:
        visit, errors = None, exc.errors

    if visit is None:
        assert errors
        assert set(errors) <= {"url", "referrer", "event"}
    else:
        assert visit.url.split(":", 1)[0].lower() in ("http", "https")
        assert visit.referrer is None or visit.referrer.split(":", 1)[0].lower() in (
            "http",
            "https",
        )
        assert 1 <= len(visit.event) <= 100
        assert len(visit.browser) <= 512


# record_visit


def test_record_visit_stores_the_visit_at_the_clocks_time(fakes: Fakes, site: Site) -> None:
    fakes.user_agents.known["Firefox"] = Agent(browser="Firefox")
    visit = _record(fakes, Hit(site_id=site.id, url=PAGE, user_agent="Firefox"))

    assert visit.created_at == fakes.clock.now()
    assert visit.browser == "Firefox"
    assert fakes.visits.list_for_site(site.id, offset=0, limit=10) == [visit]


def test_record_visit_refuses_an_unknown_site(fakes: Fakes, site: Site) -> None:
    with pytest.raises(SiteNotFound) as raised:
        _record(fakes, Hit(site_id=site.id + 1000, url=PAGE))

    assert raised.value.site_id == site.id + 1000
    assert fakes.store.visits == []


def test_record_visit_stores_nothing_for_an_invalid_hit(fakes: Fakes, site: Site) -> None:
    with pytest.raises(InvalidInput):
        _record(fakes, Hit(site_id=site.id, url="javascript:alert(1)"))

    assert fakes.store.visits == []


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.20",
        "127.0.0.1",
        "169.254.10.10",
        "100.64.0.1",
        "0.0.0.0",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456:789a::1",
        "2001:db8::1",
        "::ffff:10.0.0.1",
    ],
)
def test_private_and_reserved_addresses_are_never_sent_to_the_geodata_service(
    fakes: Fakes, site: Site, address: str
) -> None:
    fakes.geodata.known[address] = LYON

    visit = _record(fakes, Hit(site_id=site.id, url=PAGE, ip=ip_address(address)))

    assert fakes.geodata.asked == []
    assert visit.location is None
    assert visit.ip_address == network_of(ip_address(address))


@pytest.mark.parametrize("address", ["203.0.114.7", "8.8.8.8", "2606:4700:4700::1111"])
def test_a_public_address_is_located_and_the_location_stored(
    fakes: Fakes, site: Site, address: str
) -> None:
    fakes.geodata.known[address] = LYON

    visit = _record(fakes, Hit(site_id=site.id, url=PAGE, ip=ip_address(address)))

    assert fakes.geodata.asked == [address]
    assert visit.location == LYON
    assert fakes.store.visits == [visit]


def test_a_public_address_the_service_does_not_know_stores_no_location(
    fakes: Fakes, site: Site
) -> None:
    visit = _record(fakes, Hit(site_id=site.id, url=PAGE, ip=IPv4Address("8.8.4.4")))

    assert fakes.geodata.asked == ["8.8.4.4"]
    assert visit.location is None


def test_an_empty_location_from_the_service_is_stored_as_none(fakes: Fakes, site: Site) -> None:
    fakes.geodata.known["8.8.8.8"] = Location()

    visit = _record(fakes, Hit(site_id=site.id, url=PAGE, ip=IPv4Address("8.8.8.8")))

    assert visit.location is None
    assert fakes.store.visits[0].location is None


def test_a_hit_without_an_address_asks_the_service_nothing(fakes: Fakes, site: Site) -> None:
    visit = _record(fakes, Hit(site_id=site.id, url=PAGE, ip=None))

    assert fakes.geodata.asked == []
    assert visit.ip_address is None
    assert visit.location is None


def test_a_partial_location_is_kept() -> None:
    assert not Location(country_code="FR").is_empty()
    assert Location(country_code="FR").describe() == "FR"
    assert LYON.describe() == "Lyon, Auvergne-Rhône-Alpes, FR"


@given(address=st.ip_addresses())
@settings(max_examples=200)
def test_only_global_addresses_are_ever_looked_up(address: IPv4Address | IPv6Address) -> None:
    fakes = Fakes.create()
    site = fakes.new_site(fakes.sign_up().user)

    _record(fakes, Hit(site_id=site.id, url=PAGE, ip=address))

    assert fakes.geodata.asked == ([str(address)] if address.is_global else [])


# list_visits


def _record_visits(fakes: Fakes, site: Site, count: int) -> list[Visit]:
    """Record ``count`` visits a minute apart; returns them oldest first."""
    recorded = []
    for number in range(count):
        fakes.clock.advance(timedelta(minutes=1))
        recorded.append(_record(fakes, Hit(site_id=site.id, url=f"{PAGE}/{number}")))
    return recorded


def test_list_visits_shows_the_newest_first_one_page_at_a_time(fakes: Fakes, site: Site) -> None:
    recorded = _record_visits(fakes, site, 5)
    newest_first = recorded[::-1]
    owner = fakes.users.get(site.owner_id)
    assert owner is not None

    pages = [
        list_visits(
            sites=fakes.sites, visits=fakes.visits, owner=owner, site_id=site.id, page=n, per_page=2
        )
        for n in (1, 2, 3)
    ]

    assert [page.visits for page in pages] == [
        newest_first[0:2],
        newest_first[2:4],
        newest_first[4:],
    ]
    assert [page.total for page in pages] == [5, 5, 5]
    assert [page.pages for page in pages] == [3, 3, 3]
    assert [page.has_previous for page in pages] == [False, True, True]
    assert [page.has_next for page in pages] == [True, True, False]
    assert all(page.site == site for page in pages)


def test_a_page_beyond_the_end_is_empty(fakes: Fakes, site: Site) -> None:
    _record_visits(fakes, site, 3)
    owner = fakes.users.get(site.owner_id)
    assert owner is not None

    page = list_visits(
        sites=fakes.sites, visits=fakes.visits, owner=owner, site_id=site.id, page=9, per_page=2
    )

    assert page.visits == []
    assert page.total == 3
    assert page.has_previous
    assert not page.has_next


@pytest.mark.parametrize("requested", [0, -1, -1000])
def test_a_page_below_one_is_the_first_page(fakes: Fakes, site: Site, requested: int) -> None:
    recorded = _record_visits(fakes, site, 3)
    owner = fakes.users.get(site.owner_id)
    assert owner is not None

    page = list_visits(
        sites=fakes.sites,
        visits=fakes.visits,
        owner=owner,
        site_id=site.id,
        page=requested,
        per_page=2,
    )

    assert page.page == 1
    assert page.visits == recorded[::-1][:2]
    assert not page.has_previous


def test_a_site_without_visits_has_one_empty_page(fakes: Fakes, site: Site) -> None:
    owner = fakes.users.get(site.owner_id)
    assert owner is not None

    page = list_visits(sites=fakes.sites, visits=fakes.visits, owner=owner, site_id=site.id)

    assert page.visits == []
    assert (page.total, page.page, page.pages) == (0, 1, 1)
    assert not page.has_next
    assert not page.has_previous


def test_list_visits_shows_only_that_sites_visits(fakes: Fakes, site: Site) -> None:
    owner = fakes.users.get(site.owner_id)
    assert owner is not None
    other_site = fakes.new_site(owner, "https://other.example")
    mine = _record_visits(fakes, site, 2)
    _record_visits(fakes, other_site, 3)

    page = list_visits(sites=fakes.sites, visits=fakes.visits, owner=owner, site_id=site.id)

    assert page.visits == mine[::-1]
    assert page.total == 2


def test_list_visits_refuses_someone_elses_site(fakes: Fakes, site: Site) -> None:
    _record_visits(fakes, site, 1)
    stranger = fakes.sign_up(email="mallory@example.com").user

    with pytest.raises(SiteNotFound):
        list_visits(sites=fakes.sites, visits=fakes.visits, owner=stranger, site_id=site.id)


def test_list_visits_refuses_a_missing_site(fakes: Fakes, site: Site) -> None:
    owner = fakes.users.get(site.owner_id)
    assert owner is not None

    with pytest.raises(SiteNotFound):
        list_visits(sites=fakes.sites, visits=fakes.visits, owner=owner, site_id=site.id + 1000)


@given(total=st.integers(0, 30), per_page=st.integers(1, 12))
@settings(max_examples=60)
def test_walking_every_page_shows_each_visit_once_newest_first(total: int, per_page: int) -> None:
    fakes = Fakes.create()
    owner = fakes.sign_up().user
    site = fakes.new_site(owner)
    recorded = _record_visits(fakes, site, total)

    first = list_visits(
        sites=fakes.sites, visits=fakes.visits, owner=owner, site_id=site.id, per_page=per_page
    )
    pages = [first] + [
        list_visits(
            sites=fakes.sites,
            visits=fakes.visits,
            owner=owner,
            site_id=site.id,
            page=n,
            per_page=per_page,
        )
        for n in range(2, first.pages + 1)
    ]

    assert [visit for page in pages for visit in page.visits] == recorded[::-1]
    assert all(1 <= len(page.visits) <= per_page for page in pages if total)
    assert [page.has_next for page in pages] == [n < len(pages) for n in range(1, len(pages) + 1)]


def test_list_visits_treats_a_page_size_below_one_as_one(fakes: Fakes) -> None:
    owner = fakes.sign_up().user
    site = fakes.new_site(owner)
    page = list_visits(
        sites=fakes.sites, visits=fakes.visits, owner=owner, site_id=site.id, per_page=0
    )
    assert (page.per_page, page.pages) == (1, 1)
