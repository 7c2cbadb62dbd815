"""Recording what the beacon saw, and showing it to the site's owner."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit

import attrs

from tracking_core import rules
from tracking_core.client_ip import network_of
from tracking_core.entities import Location, Site, User, Visit
from tracking_core.errors import InvalidInput, SiteNotFound
from tracking_core.ports import (
    Clock,
    Geodata,
    IPAddress,
    SaltStore,
    SiteRepository,
    UserAgentParser,
    VisitRepository,
)
from tracking_core.reports.agents import Agent, device_type
from tracking_core.reports.local_time import local_today, zone
from tracking_core.reports.sources import Source, classify
from tracking_core.reports.visitor_ids import identify_visitor
from tracking_core.use_cases.sites import get_owned_site

T = TypeVar("T")

#: The event recorded when the beacon names none: an ordinary page view.
PAGE_VIEW = "pageview"


@attrs.frozen
class Hit:
    """What one beacon request said, as plain values. Only these fields come from the client."""

    site_id: int
    url: str | None = None
    referer_header: str | None = None
    referrer: str | None = None
    event: str | None = None
    user_agent: str | None = None
    ip: IPAddress | None = None
    #: Raw as the client sent them (text from a query string, numbers and objects from JSON).
    width: object = None
    props: object = None
    #: The browser said Do Not Track (``DNT: 1``) or Global Privacy Control (``Sec-GPC: 1``).
    do_not_track: bool = False
    #: The browser is fetching the page ahead of time (prefetch, prerender, a link preview):
    #: nobody is looking at it (yet), so it is no page view.
    prefetch: bool = False


class Skip(enum.Enum):
    """Why a hit is answered as usual but not recorded."""

    DO_NOT_TRACK = "the visitor asked not to be tracked"
    PREFETCH = "a prefetch or prerender, not a page view"
    BOT = "a bot or crawler, not a person"


def reason_to_skip(hit: Hit, site: Site, agent: Agent) -> Skip | None:
    """Why ``hit`` must not be recorded, or None when it is a visit to count.

    Do Not Track and Global Privacy Control are honoured unless the site's owner turned that
    off. Known bots are not stored at all (only counted per day; see ``VisitRepository``).
    """
    if hit.prefetch:
        return Skip.PREFETCH
    if hit.do_not_track and site.honour_dnt:
        return Skip.DO_NOT_TRACK
    if agent.is_bot:
        return Skip.BOT
    return None


def build_visit(
    hit: Hit,
    *,
    now: datetime,
    location: Location | None = None,
    location_pending: bool = False,
    agent: Agent | None = None,
    visitor_id: int | None = None,
    site: Site | None = None,
) -> Visit:
    """Validate a hit and turn it into a visit; raises ``InvalidInput`` naming each bad field.

    The page is the ``url`` parameter, or else the ``Referer`` header (which is what a plain
    ``<img>`` beacon sends). A caller that looks locations up later says ``location_pending``.
    ``agent`` is what the user agent says (parsed by the caller's ``UserAgentParser``). With
    ``site``, its settings decide how much of the address is kept (see ``kept_address``) and a
    referrer on its own host counts as direct; without, the address is kept as given.
    """
    errors: dict[str, list[str]] = {}
    url = rules.collect(errors, "url", _clean_url, hit.url or hit.referer_header or "")
    referrer = rules.collect(errors, "referrer", _clean_url, hit.referrer) if hit.referrer else None
    event = rules.collect(errors, "event", rules.clean_event, hit.event) if hit.event else PAGE_VIEW
    width = _optional(errors, "width", rules.clean_width, hit.width)
    props = _optional(errors, "props", rules.clean_props, hit.props) or {}
    if errors:
        raise InvalidInput(errors)
    agent = agent or Agent()
    keep_full = site is None or site.keep_full_ip
    return Visit(
        site_id=hit.site_id,
        created_at=now.replace(microsecond=0),  # kept to the second: reports need no finer
        url=url,
        event=event,
        browser=agent.browser,
        browser_version=agent.browser_version,
        os=agent.os,
        device_type=device_type(agent, width),
        visitor_id=visitor_id,
        referrer=referrer,
        source=_classify(referrer, url, _host(site.base_url) if site else None),
        ip_address=kept_address(hit.ip, keep_full=keep_full, location_pending=location_pending),
        screen_width=width,
        props=props,
        location=location,
        location_pending=location_pending,
    )


def kept_address(ip: IPAddress | None, *, keep_full: bool, location_pending: bool) -> str | None:
    """What is stored of a visitor's address.

    Its network only (IPv4 /24, IPv6 /48), unless the site's owner chose to keep full
    addresses, or the location is still to be looked up: the lookup needs the whole address,
    and cuts it once done (see ``VisitRepository.set_locations``).
    """
    if ip is None:
        return None
    if keep_full or location_pending:
        return _address_text(ip)
    return _network(ip)


# Visits repeat the same pages, referrers and addresses: remembering the last few thousand
# answers of these pure functions saves most of the beacon's validation work. (A URL that
# breaks the rule raises, and exceptions are not remembered.)
_clean_url = functools.lru_cache(maxsize=4096)(rules.clean_http_url)
_address_text = functools.lru_cache(maxsize=4096)(str)
_network = functools.lru_cache(maxsize=4096)(network_of)


@functools.lru_cache(maxsize=4096)
def _classify(referrer: str | None, url: str, site_host: str | None) -> Source:
    return classify(referrer, url, site_host=site_host)


@functools.lru_cache(maxsize=1024)
def _host(base_url: str) -> str | None:
    try:
        return urlsplit(base_url).hostname
    except ValueError:
        return None


def _optional(
    errors: dict[str, list[str]], field: str, rule: Callable[[object], T], raw: object
) -> T | None:
    if raw is None or raw == "":
        return None
    try:
        return rule(raw)
    except rules.RuleBroken as exc:
        errors.setdefault(field, []).append(str(exc))
        return None


def is_locatable(ip: IPAddress | None) -> bool:
    """Only public addresses are looked up: private, loopback and reserved ones say nothing."""
    return ip is not None and ip.is_global


def locate(geodata: Geodata, ip: IPAddress | None) -> Location | None:
    """Where ``ip`` is, asking the service only about public addresses."""
    if ip is None or not is_locatable(ip):
        return None
    location = geodata.locate(ip)
    return None if location is None or location.is_empty() else location


def record_visit(
    *,
    sites: SiteRepository,
    visits: VisitRepository,
    geodata: Geodata,
    clock: Clock,
    user_agents: UserAgentParser,
    salts: SaltStore,
    hit: Hit,
) -> Visit | None:
    """Validate and store one visit with its location and its visitor's id of the day.

    Returns None, storing nothing, for a hit that is not to be recorded (``reason_to_skip``);
    a bot is only counted. Raises ``SiteNotFound`` or ``InvalidInput``.
    """
    site = sites.get(hit.site_id)
    if site is None:
        raise SiteNotFound(hit.site_id)
    now = clock.now()
    user_agent = rules.clean_browser(hit.user_agent or "")
    agent = user_agents.parse(user_agent)
    skip = reason_to_skip(hit, site, agent)
    if skip is not None:
        if skip is Skip.BOT:
            visits.count_bots({(site.id, local_today(now, zone(site.timezone))): 1})
        return None
    visitor = identify_visitor(
        salts=salts,
        clock=clock,
        site_id=site.id,
        tz=zone(site.timezone),
        ip=hit.ip if hit.ip is not None else "",
        user_agent=user_agent,
    )
    location = locate(geodata, hit.ip)
    visit = build_visit(hit, now=now, agent=agent, visitor_id=visitor, site=site, location=location)
    visits.add_many([visit])
    return visit


@attrs.frozen
class VisitPage:
    site: Site
    visits: list[Visit]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_visits(
    *,
    sites: SiteRepository,
    visits: VisitRepository,
    owner: User,
    site_id: int,
    page: int = 1,
    per_page: int = 50,
) -> VisitPage:
    """One page of an owned site's visits, newest first. Raises ``SiteNotFound``."""
    site = get_owned_site(sites=sites, owner=owner, site_id=site_id)
    page, per_page = max(1, page), max(1, per_page)
    return VisitPage(
        site=site,
        visits=visits.list_for_site(site.id, offset=(page - 1) * per_page, limit=per_page),
        page=page,
        per_page=per_page,
        total=visits.count_for_site(site.id),
    )
