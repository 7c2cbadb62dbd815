"""What is recorded at all, and how much of it is kept: Do Not Track, prefetches, bots,
cookieless visitor ids, and addresses cut to their network."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core import Hit, Site, Visit
from tracking_core.client_ip import network_of
from tracking_core.reports.agents import Agent, DeviceType
from tracking_core.reports.sources import DIRECT, Category
from tracking_core.use_cases.visits import Skip, kept_address, reason_to_skip

from .fakes import Fakes

PAGE = "https://example.com/page"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SITE = Site(id=1, owner_id=1, base_url="https://example.com", created_at=datetime.now(UTC))


@pytest.fixture
def site(fakes: Fakes) -> Site:
    fakes.user_agents.known[FIREFOX] = Agent("Firefox", "140", "Linux", DeviceType.DESKTOP)
    fakes.user_agents.known[CRAWLER] = Agent("Googlebot", is_bot=True)
    return fakes.new_site(fakes.sign_up().user)


def _recorded(fakes: Fakes, hit: Hit) -> Visit:
    visit = fakes.record(hit)
    assert visit is not None, "the hit was skipped"
    return visit


def _save(fakes: Fakes, changed: Site) -> Site:
    fakes.sites.update_settings(changed)
    return changed


# reason_to_skip


@pytest.mark.parametrize(
    ("hit", "agent", "honour_dnt", "expected"),
    [
        (Hit(site_id=1), Agent(), True, None),
        (Hit(site_id=1, do_not_track=True), Agent(), True, Skip.DO_NOT_TRACK),
        (Hit(site_id=1, do_not_track=True), Agent(), False, None),
        (Hit(site_id=1, prefetch=True), Agent(), True, Skip.PREFETCH),
        (Hit(site_id=1, prefetch=True), Agent(), False, Skip.PREFETCH),
        (Hit(site_id=1), Agent(is_bot=True), True, Skip.BOT),
        (Hit(site_id=1, do_not_track=True), Agent(is_bot=True), False, Skip.BOT),
    ],
)
def test_reason_to_skip(hit: Hit, agent: Agent, honour_dnt: bool, expected: Skip | None) -> None:
    assert reason_to_skip(hit, attrs.evolve(SITE, honour_dnt=honour_dnt), agent) is expected


def test_do_not_track_stores_nothing_by_default(fakes: Fakes, site: Site) -> None:
    assert fakes.record(Hit(site_id=site.id, url=PAGE, do_not_track=True)) is None
    assert fakes.store.visits == []
    assert fakes.salts.salts == {}  # not even a salt was made for it


def test_do_not_track_is_recorded_when_the_site_turned_honouring_it_off(
    fakes: Fakes, site: Site
) -> None:
    _save(fakes, attrs.evolve(site, honour_dnt=False))

    assert fakes.record(Hit(site_id=site.id, url=PAGE, do_not_track=True)) is not None
    assert len(fakes.store.visits) == 1


def test_a_prefetch_is_no_page_view(fakes: Fakes, site: Site) -> None:
    assert fakes.record(Hit(site_id=site.id, url=PAGE, prefetch=True)) is None
    assert fakes.store.visits == []


def test_a_bot_is_not_stored_but_counted_on_the_sites_day(fakes: Fakes, site: Site) -> None:
    _save(fakes, attrs.evolve(site, timezone="Pacific/Auckland"))
    fakes.clock.current = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # 1 a.m. March 2 there

    for _ in range(3):
        assert fakes.record(Hit(site_id=site.id, url=PAGE, user_agent=CRAWLER)) is None

    assert fakes.store.visits == []
    assert fakes.store.bot_counts == {(site.id, date(2026, 3, 2)): 3}


# visitor ids


def test_the_same_browser_on_the_same_day_is_one_visitor(fakes: Fakes, site: Site) -> None:
    hit = Hit(site_id=site.id, url=PAGE, user_agent=FIREFOX, ip=IPv4Address("8.8.8.8"))
    first = _recorded(fakes, hit)
    fakes.clock.advance(timedelta(hours=3))
    again = _recorded(fakes, hit)
    other = _recorded(fakes, attrs.evolve(hit, ip=IPv4Address("8.8.4.4")))

    assert first.visitor_id is not None
    assert again.visitor_id == first.visitor_id
    assert other.visitor_id != first.visitor_id


def test_the_same_browser_on_the_sites_next_day_is_another_visitor(
    fakes: Fakes, site: Site
) -> None:
    _save(fakes, attrs.evolve(site, timezone="America/New_York"))
    fakes.clock.current = datetime(2026, 3, 2, 4, 50, tzinfo=UTC)  # 23:50 in New York
    hit = Hit(site_id=site.id, url=PAGE, user_agent=FIREFOX, ip=IPv4Address("8.8.8.8"))
    before = _recorded(fakes, hit)
    fakes.clock.advance(timedelta(minutes=20))  # 00:10 the next day there
    after = _recorded(fakes, hit)

    assert before.visitor_id != after.visitor_id


# what is kept of the address


@given(address=st.ip_addresses())
def test_a_kept_network_holds_the_address_and_hides_its_host(
    address: IPv4Address | IPv6Address,
) -> None:
    network = ip_address(network_of(address))
    prefix = 24 if address.version == 4 else 48

    assert int(network) == int(address) >> (address.max_prefixlen - prefix) << (
        address.max_prefixlen - prefix
    )


@pytest.mark.parametrize(
    ("address", "keep_full", "pending", "kept"),
    [
        ("203.0.113.77", False, False, "203.0.113.0"),
        ("203.0.113.77", True, False, "203.0.113.77"),
        ("203.0.113.77", False, True, "203.0.113.77"),
        ("2001:db8:abcd:12::1", False, False, "2001:db8:abcd::"),
        ("2001:db8:abcd:12::1", True, False, "2001:db8:abcd:12::1"),
    ],
)
def test_kept_address(address: str, keep_full: bool, pending: bool, kept: str) -> None:
    assert kept_address(ip_address(address), keep_full=keep_full, location_pending=pending) == kept


def test_an_address_located_at_once_is_stored_cut(fakes: Fakes, site: Site) -> None:
    visit = _recorded(fakes, Hit(site_id=site.id, url=PAGE, ip=IPv4Address("8.8.8.8")))

    assert visit.ip_address == "8.8.8.0"
    assert fakes.store.visits[0].ip_address == "8.8.8.0"


def test_a_site_may_keep_full_addresses(fakes: Fakes, site: Site) -> None:
    _save(fakes, attrs.evolve(site, keep_full_ip=True))

    visit = _recorded(fakes, Hit(site_id=site.id, url=PAGE, ip=IPv4Address("8.8.8.8")))

    assert visit.ip_address == "8.8.8.8"


# where the visit came from


def test_the_source_is_classified_and_the_sites_own_host_is_direct(
    fakes: Fakes, site: Site
) -> None:
    google = "https://www.google.de/search?q=x"
    from_google = _recorded(fakes, Hit(site_id=site.id, url=PAGE, referrer=google))
    from_itself = _recorded(fakes, Hit(site_id=site.id, url=PAGE, referrer=PAGE + "/a"))
    tagged_url = PAGE + "?utm_source=newsletter&utm_medium=email"
    tagged = _recorded(fakes, Hit(site_id=site.id, url=tagged_url))

    assert (from_google.source.name, from_google.source.category) == ("Google", Category.SEARCH)
    assert from_google.source.referrer_domain == "google.de"
    assert (from_itself.source.name, from_itself.source.category) == (DIRECT, Category.DIRECT)
    assert (tagged.source.name, tagged.source.utm_medium) == ("newsletter", "email")
    assert tagged.source.category is Category.CAMPAIGN
